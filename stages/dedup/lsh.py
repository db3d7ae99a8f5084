"""LSH bucketing across the whole dataset without one in-memory table on the driver.

Signature tasks write, per shard, one spill file of (band hash, document key) records sorted by
bucket partition, with the partition offsets beside it. One task per partition then reads only its
byte range of every shard's file (a ranged read, locally or on an object store), sorts by band
hash and spills candidate pairs, sorted by a hash of the pair into `pair_slots` slots, so that a
pair found in several bands always lands in the same slot (verify.py groups slots into tasks and
removes the repeats there). A bucket with k documents yields k-1 pairs, each member paired with
the bucket's first document (star, not all k^2 pairs): a huge bucket of boilerplate clones stays
linear, and the connected components (clusters.py) join what the star connected.
"""
from __future__ import annotations

import numpy as np

from pipeline import storage

RECORD = np.dtype([("band_hash", np.uint64), ("key", np.int64)])
PAIR = np.dtype([("a", np.int64), ("b", np.int64)])   # a < b: document keys


def partition_of(band_hashes: np.ndarray, partitions: int) -> np.ndarray:
    return (band_hashes % np.uint64(partitions)).astype(np.int64)


def mix(values: np.ndarray) -> np.ndarray:
    """A well-spread 64-bit hash of integer keys (document keys are sequential)."""
    from stages.dedup.minhash import _fmix64
    return _fmix64(np.asarray(values).astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15))


def pair_slot(a: np.ndarray, b: np.ndarray, slots: int) -> np.ndarray:
    return partition_of(mix(mix(a) ^ b.astype(np.uint64)), slots)


def write_partitioned(path, records: np.ndarray, part: np.ndarray, partitions: int) -> None:
    """Records sorted (stably) by their partition number, with the partition offsets."""
    order = np.argsort(part, kind="stable")
    offsets = np.searchsorted(part[order], np.arange(partitions + 1)).astype(np.int64)
    write_records(path, records[order], offsets)


def write_spill(path, band_hashes: np.ndarray, keys: np.ndarray, partitions: int) -> int:
    """Write (docs, bands) band hashes of documents `keys` as partition-sorted records."""
    flat = band_hashes.ravel()
    rec = np.empty(len(flat), dtype=RECORD)
    rec["band_hash"] = flat
    rec["key"] = np.repeat(keys, band_hashes.shape[1])
    write_partitioned(path, rec, partition_of(flat, partitions), partitions)
    return len(rec)


def write_records(path, records: np.ndarray, offsets: np.ndarray) -> None:
    """Raw records (no header, so a partition is one byte range) and their partition offsets;
    the offsets file is written last and marks the spill file complete."""
    storage.write_bytes_atomic(path, records.tobytes())
    storage.write_npy_atomic(offsets, offsets_path(path))


def offsets_path(path):
    path = storage.path(path)
    return path.with_name(path.name.rsplit(".", 1)[0] + ".offsets.npy")


def read_records(path, p: int, dtype: np.dtype, p_end: int | None = None) -> np.ndarray:
    """Partition p (or partitions p..p_end-1) of one spill file: only its byte range is read."""
    offsets = storage.read_npy(offsets_path(path))
    size = np.dtype(dtype).itemsize
    lo, hi = int(offsets[p]), int(offsets[p + 1 if p_end is None else p_end])
    if hi <= lo:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(storage.read_bytes(path, lo * size, hi * size), dtype=dtype)


def spill_files(spill_dir, suffix: str) -> list:
    d = storage.path(spill_dir)
    return [d / n for n in storage.names(d, suffix)]


def read_partition(paths: list, p: int, dtype: np.dtype = RECORD, p_end: int | None = None) -> np.ndarray:
    """Partition p (..p_end-1) of every spill file in `paths`, concatenated."""
    parts = [read_records(path, p, dtype, p_end) for path in paths]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


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


def partition_pairs(spill_dir: str, p: int, pairs_dir: str, slots: int) -> int:
    """Ray task: candidate pairs of bucket partition p over all shards' spill files, spilled to
    `pairs_dir` sorted by pair slot; returns the number of pairs."""
    pairs = bucket_pairs(read_partition(spill_files(spill_dir, ".bands"), p))
    rec = np.empty(len(pairs), PAIR)
    rec["a"], rec["b"] = pairs[:, 0], pairs[:, 1]
    slot = pair_slot(rec["a"], rec["b"], slots)
    write_partitioned(storage.join(pairs_dir, f"{p:06d}.pairs"), rec, slot, slots)
    return len(rec)
