"""LSH bucketing across the whole dataset without one in-memory table on the driver.

Signature tasks write, per shard, one spill file of (band hash, document key) records sorted by
bucket partition, with the partition offsets beside it. One task per partition then reads only its
byte range of every shard's file (a ranged read, locally or on an object store), sorts by band
hash and spills candidate pairs, sorted by a hash of the pair into `pair_slots` slots, so that a
pair found in several bands always lands in the same slot (verify.py groups slots into tasks and
removes the repeats there). A bucket with k documents yields k-1 pairs, each member paired with
the bucket's first document (star, not all k^2 pairs): a huge bucket of boilerplate clones stays
linear, and the connected components (clusters.py) join what the star connected.

A partition task reads its records twice, one spill file at a time: first each bucket's first
document (one record per bucket and file survives), then the pairs, written in files of at most
`RECORDS_PER_FILE`. A bucket of a million copies therefore costs the task one record per shard it
spans, not one per copy; all of a document's band records are in its shard's file, so each file's
pairs are distinct from every other file's.
"""
from __future__ import annotations

import numpy as np

from pipeline import storage

RECORD = np.dtype([("band_hash", np.uint64), ("key", np.int64)])
PAIR = np.dtype([("a", np.int64), ("b", np.int64)])   # a < b: document keys
RECORDS_PER_FILE = 2_000_000      # records a streaming task holds before it writes them (32-64 MB)


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


def bucket_firsts(paths: list, p: int) -> tuple[np.ndarray, np.ndarray]:
    """(band hash, first document key) of every bucket of partition p, sorted by band hash;
    each file is reduced to one record per bucket before the files are combined."""
    parts = [_as_records(*_bucket_min(read_records(path, p, RECORD))) for path in paths]
    return _bucket_min(np.concatenate(parts) if parts else np.zeros(0, RECORD))


def _as_records(h: np.ndarray, k: np.ndarray) -> np.ndarray:
    rec = np.empty(len(h), RECORD)
    rec["band_hash"], rec["key"] = h, k
    return rec


def _bucket_min(records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((records["key"], records["band_hash"]))
    h, k = records["band_hash"][order], records["key"][order]
    head = np.r_[True, h[1:] != h[:-1]] if len(h) else np.zeros(0, bool)
    return h[head], k[head]


def bucket_pairs(records: np.ndarray, first_hash: np.ndarray, first_key: np.ndarray) -> np.ndarray:
    """Candidate pairs (bucket's first key, other key) of `records`, whose buckets' first
    documents are (`first_hash`, `first_key`), without repeats."""
    first = first_key[np.searchsorted(first_hash, records["band_hash"])]
    member = first != records["key"]
    pairs = np.stack([first[member], records["key"][member]], axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


class Chunks:
    """Records written as they come, in numbered files of about `limit` records each:
    `write(n, records)` writes file n. A task that streams its input through this holds at most
    one chunk of output, however much it writes; it always writes at least one (maybe empty) file."""

    def __init__(self, write, dtype: np.dtype, limit: int | None = None):
        self.write, self.dtype, self.limit = write, dtype, limit or RECORDS_PER_FILE
        self.held, self.files, self.total = [], 0, 0

    def add(self, records: np.ndarray) -> None:
        self.held.append(records)
        self.total += len(records)
        if sum(len(x) for x in self.held) >= self.limit:
            self.flush()

    def flush(self) -> None:
        self.write(self.files, np.concatenate([np.zeros(0, self.dtype)] + self.held))
        self.files += 1
        self.held.clear()

    def close(self) -> int:
        if self.held or not self.files:
            self.flush()
        return self.total


def partition_pairs(spill_dir: str, p: int, pairs_dir: str, slots: int) -> int:
    """Ray task: candidate pairs of bucket partition p over all shards' spill files, spilled to
    `pairs_dir` sorted by pair slot (in files of about RECORDS_PER_FILE pairs); returns the
    number of pairs."""
    paths = spill_files(spill_dir, ".bands")
    first_hash, first_key = bucket_firsts(paths, p)
    out = Chunks(lambda n, rec: write_partitioned(storage.join(pairs_dir, f"{p:06d}-{n:05d}.pairs"), rec,
                                                  pair_slot(rec["a"], rec["b"], slots), slots), PAIR)
    for path in paths:
        pairs = bucket_pairs(read_records(path, p, RECORD), first_hash, first_key)
        rec = np.empty(len(pairs), PAIR)
        rec["a"], rec["b"] = pairs[:, 0], pairs[:, 1]
        out.add(rec)
    return out.close()
