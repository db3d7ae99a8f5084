"""LSH bucketing across the whole dataset without one in-memory table on the driver.

Signature tasks write, per shard, one spill file of (band hash, document key) records sorted by
bucket partition, with the partition offsets beside it. One task per partition then reads only its
byte range of every shard's file (a ranged read, locally or on an object store), sorts by band
hash and spills candidate pairs, sorted by a hash of the pair into `pair_slots` slots, so that a
pair found in several bands always lands in the same slot (verify.py groups slots into tasks and
removes the repeats there). A bucket's two smallest document keys are its anchors: every other
member is paired with both, and the anchors with each other, so k documents yield 2k-3 pairs (all
of them for k <= 3), not k^2/2: a huge bucket of boilerplate clones stays linear, and the connected
components (clusters.py) join what the pairs connect. One anchor (a star to the first member)
was not enough: in a bucket X, Y, Z with Y and Z near-duplicates of each other but each a little
further from X, verification rejects both star pairs (X, Y) and (X, Z), and Y and Z were never
compared (datasketch's MinHashLSH with the same check removes one of them). Two anchors follow
NeMo Curator's fuzzy dedup (its Jaccard step compares each member with two anchor documents).

A partition task reads its records twice, one spill file at a time: first each bucket's anchors
(at most two records per bucket and file survive, then the two smallest of those), then the
pairs, written in files of at most `RECORDS_PER_FILE`. A bucket of a million copies therefore
costs the task two records per shard it spans, not one per copy; a pair is written by the file
of its larger key (all of a document's band records are in its shard's file), so each file's
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


ANCHORS = 2       # anchors per bucket (see the module docstring)
NO_KEY = -1       # a bucket with one document has no second anchor (document keys are >= 0)


def bucket_anchors(bands: Spill) -> tuple[np.ndarray, np.ndarray]:
    """(band hashes, anchors) of the buckets of a partition of `bands`: the band hashes sorted,
    anchors[i] the two smallest document keys of bucket i in ascending order (the second NO_KEY
    when the bucket has one document). Each file is reduced to two records per bucket before
    the files are combined; the result does not depend on how the records are split into files."""
    parts = [_smallest_per_bucket(rec) for rec in bands.each(RECORD)]
    both = _smallest_per_bucket(np.concatenate(parts) if parts else np.zeros(0, RECORD))
    h, k = both["band_hash"], both["key"]
    head = np.flatnonzero(np.r_[True, h[1:] != h[:-1]]) if len(h) else np.zeros(0, np.int64)
    anchors = np.full((len(head), ANCHORS), NO_KEY, np.int64)
    anchors[:, 0] = k[head]
    second = head + 1
    has_second = second < np.r_[head[1:], len(h)]
    anchors[has_second, 1] = k[second[has_second]]
    return h[head], anchors


def _smallest_per_bucket(records: np.ndarray) -> np.ndarray:
    """The ANCHORS smallest distinct keys of each bucket of `records`, sorted by (hash, key)."""
    order = np.lexsort((records["key"], records["band_hash"]))
    rec = records[order]
    if not len(rec):
        return rec
    h, k = rec["band_hash"], rec["key"]
    rec = rec[np.r_[True, (h[1:] != h[:-1]) | (k[1:] != k[:-1])]]     # a key twice in a bucket once
    h = rec["band_hash"]
    start = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
    rank = np.arange(len(rec)) - np.repeat(start, np.diff(np.r_[start, len(rec)]))
    return rec[rank < ANCHORS]


def bucket_pairs(records: np.ndarray, anchor_hash: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Candidate pairs (anchor key, other key), a < b, of `records`, whose buckets' anchors are
    (`anchor_hash`, `anchors`, from bucket_anchors), without repeats: each member with both
    anchors of its bucket, the second anchor with the first."""
    bucket = anchors[np.searchsorted(anchor_hash, records["band_hash"])]
    first, second, key = bucket[:, 0], bucket[:, 1], records["key"]
    with_first = key != first
    with_second = with_first & (key != second) & (second != NO_KEY)
    pairs = np.concatenate([np.stack([first[with_first], key[with_first]], axis=1),
                            np.stack([second[with_second], key[with_second]], axis=1)])
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
    anchor_hash, anchors = bucket_anchors(bands)
    out = Chunks(lambda n, rec: write_partitioned(storage.join(pairs_dir, f"{p:06d}-{n:05d}.pairs"), rec,
                                                  pair_slot(rec["a"], rec["b"], slots), slots), PAIR)
    for records in bands.each(RECORD):
        pairs = bucket_pairs(records, anchor_hash, anchors)
        rec = np.empty(len(pairs), PAIR)
        rec["a"], rec["b"] = pairs[:, 0], pairs[:, 1]
        out.add(rec)
    return out.close()
