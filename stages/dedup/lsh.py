"""LSH bucketing across the whole dataset without one in-memory table on the driver.

Signature tasks write, per shard, one spill file of (band hash, document key) records sorted by
bucket partition, with the partition offsets beside it. One task per partition then memory-maps
its slice of every shard's file, sorts by band hash and emits candidate pairs. A bucket with k
documents yields k-1 pairs, each member paired with the bucket's first document (star, not
all k^2 pairs): a huge bucket of boilerplate clones stays linear, and union-find later joins
what the star connected.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

RECORD = np.dtype([("band_hash", np.uint64), ("key", np.int64)])


def partition_of(band_hashes: np.ndarray, partitions: int) -> np.ndarray:
    return (band_hashes % np.uint64(partitions)).astype(np.int64)


def write_spill(path: Path, band_hashes: np.ndarray, keys: np.ndarray, partitions: int) -> int:
    """Write (docs, bands) band hashes of documents `keys` as partition-sorted records."""
    flat = band_hashes.ravel()
    rec = np.empty(len(flat), dtype=RECORD)
    rec["band_hash"] = flat
    rec["key"] = np.repeat(keys, band_hashes.shape[1])
    part = partition_of(flat, partitions)
    order = np.argsort(part, kind="stable")
    rec = rec[order]
    offsets = np.searchsorted(part[order], np.arange(partitions + 1)).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, rec)
    tmp.replace(path)
    np.save(path.with_suffix(".offsets.npy"), offsets)
    return len(rec)


def read_partition(paths: list[Path], p: int) -> np.ndarray:
    parts = []
    for path in paths:
        offsets = np.load(path.with_suffix(".offsets.npy"))
        rec = np.load(path, mmap_mode="r")
        parts.append(np.asarray(rec[offsets[p]: offsets[p + 1]]))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=RECORD)


def bucket_pairs(records: np.ndarray) -> np.ndarray:
    """Candidate pairs (first key, other key) of every bucket with more than one document."""
    if len(records) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((records["key"], records["band_hash"]))
    h = records["band_hash"][order]
    k = records["key"][order]
    starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
    group = np.cumsum(np.r_[True, h[1:] != h[:-1]]) - 1
    first = k[starts][group]
    member = first != k
    pairs = np.stack([first[member], k[member]], axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def partition_pairs(spill_dir: str, p: int) -> np.ndarray:
    """Ray task: candidate pairs of bucket partition p over all shards' spill files."""
    paths = sorted(Path(spill_dir).glob("*.bands.npy"))
    return bucket_pairs(read_partition(paths, p))
