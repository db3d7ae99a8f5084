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

Readers never list a spill folder or read an offsets file themselves: the driver does both once per
folder (`Spill`) and gives each task its record range of every file, so on an object store a task
makes only its ranged reads (#15). Every stage that spills partition-sorted records reads them so.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from pipeline import storage

RECORD = np.dtype([("band_hash", np.uint64), ("key", np.int64)])
PAIR = np.dtype([("a", np.int64), ("b", np.int64)])   # a < b: document keys
RECORDS_PER_FILE = 2_000_000      # records a streaming task holds before it writes them (32-64 MB)
OFFSET_READERS = 10               # offsets files read at once on an object store (botocore pools 10 connections)


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


class Spill:
    """The spill files of one folder with their partition offsets, listed and read once.

    A task that listed the folder and read every file's offsets itself made, over P partition
    tasks and N files, P listings and N*P offsets reads: on an object store each is a request with
    latency. The driver makes this once (`of`: one listing, the offsets files read concurrently)
    and hands each task only its part (`part`: one (first, end) record range per file, files with
    nothing there left out), so a task makes only the ranged reads of its records. The spill
    format is unchanged: a file counts once its offsets are written (they are written last).
    Names are bytes in a NumPy array: a task's part pickles as a few bytes per file."""

    def __init__(self, folder: str, names: np.ndarray, offsets: np.ndarray):
        self.folder, self.names, self.offsets = folder, names, offsets

    @classmethod
    def of(cls, folder, suffix: str) -> Spill:
        d = storage.path(folder)
        names = storage.names(d, suffix)
        paths = [offsets_path(d / n) for n in names]
        if len(paths) > 1 and not storage.is_local(d):
            with ThreadPoolExecutor(min(OFFSET_READERS, len(paths))) as pool:
                offsets = list(pool.map(storage.read_npy, paths))
        else:
            offsets = [storage.read_npy(q) for q in paths]
        if len({len(o) for o in offsets}) > 1:
            raise ValueError(f"spill files in {storage.url(d)} disagree on their number of partitions")
        matrix = np.stack(offsets).astype(np.int64) if offsets else np.zeros((0, 2), np.int64)
        return cls(storage.url(d), np.array([n.encode() for n in names], dtype="S"), matrix)

    def part(self, p: int, p_end: int | None = None) -> Spill:
        """Partition p (or partitions p..p_end-1) of every file that has records there."""
        if not len(self):
            return self
        ranges = self.offsets[:, [p, p + 1 if p_end is None else p_end]]
        some = ranges[:, 1] > ranges[:, 0]
        return Spill(self.folder, self.names[some], ranges[some])

    def named(self, name: str) -> Spill:
        """The one file `name` (a KeyError if the folder had no such complete file)."""
        i = int(np.searchsorted(self.names, name.encode()))     # names are sorted (storage.names)
        if i == len(self.names) or self.names[i] != name.encode():
            raise KeyError(f"no spill file {name} in {self.folder}")
        return Spill(self.folder, self.names[i:i + 1], self.offsets[i:i + 1])

    def __len__(self) -> int:
        return len(self.names)

    def file_names(self) -> list[str]:
        return [n.decode() for n in self.names]

    def records(self, i: int, dtype: np.dtype) -> np.ndarray:
        """File i's records from its first offset to its last (a part's range): one ranged read,
        none for an empty range."""
        size = np.dtype(dtype).itemsize
        lo, hi = int(self.offsets[i, 0]), int(self.offsets[i, -1])
        if hi <= lo:
            return np.zeros(0, dtype=dtype)
        path = storage.join(self.folder, self.names[i].decode())
        return np.frombuffer(storage.read_bytes(path, lo * size, hi * size), dtype=dtype)

    def each(self, dtype: np.dtype):
        """Each file's records in turn (one file in memory at a time)."""
        return (self.records(i, dtype) for i in range(len(self)))

    def read(self, dtype: np.dtype) -> np.ndarray:
        """Every file's records, concatenated in file order."""
        parts = list(self.each(dtype))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def bucket_firsts(bands: Spill) -> tuple[np.ndarray, np.ndarray]:
    """(band hash, first document key) of every bucket of a partition of `bands`, sorted by band
    hash; each file is reduced to one record per bucket before the files are combined."""
    parts = [_as_records(*_bucket_min(rec)) for rec in bands.each(RECORD)]
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
        if not len(records):        # (a held empty array would cost an empty file at close)
            return
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


def partition_pairs(bands: Spill, p: int, pairs_dir: str, slots: int) -> int:
    """Ray task: candidate pairs of bucket partition p (`bands`: its part of every shard's spill
    file), spilled to `pairs_dir` sorted by pair slot (in files of about RECORDS_PER_FILE pairs);
    returns the number of pairs."""
    first_hash, first_key = bucket_firsts(bands)
    out = Chunks(lambda n, rec: write_partitioned(storage.join(pairs_dir, f"{p:06d}-{n:05d}.pairs"), rec,
                                                  pair_slot(rec["a"], rec["b"], slots), slots), PAIR)
    for records in bands.each(RECORD):
        pairs = bucket_pairs(records, first_hash, first_key)
        rec = np.empty(len(pairs), PAIR)
        rec["a"], rec["b"] = pairs[:, 0], pairs[:, 1]
        out.add(rec)
    return out.close()
