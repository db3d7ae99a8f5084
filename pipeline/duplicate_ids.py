"""Ids that more than one ingested document has, counted without a driver-sized set.

Ids are source-prefixed and made unique within a file at read time, so a repeated id is a copy
across files of one source (the same file under two names, a crawl read twice): the run keeps
them (dedup removes the copies) and records their number in the ingest stage's counters.

Ids are compared by a 64-bit xxh3 hash (stable across processes, unlike Python's `hash`); two
different ids colliding is a ~n²/2^65 chance, so the count is exact in practice. Up to
`DRIVER_IDS` ids the driver counts them in one array (8 bytes an id, bounded by that constant).
Beyond, the hashes are partitioned by their top bits, as exact dedup partitions its hashes: one
task per ids file writes a sorted array per partition, one task per partition counts its
repeats, and only the counts come back, so no process holds more than ~`DRIVER_IDS` hashes.
"""
from __future__ import annotations

import numpy as np
import xxhash

from pipeline import storage

DRIVER_IDS = 4_000_000


def _hashes(ids_file) -> np.ndarray:
    ids = storage.read_parquet(ids_file, columns=["id"]).column("id").to_pylist()
    h = xxhash.xxh3_64_intdigest
    return np.fromiter((h(i.encode()) for i in ids), np.uint64, len(ids))


def _repeats(h: np.ndarray) -> int:
    return int(len(h) - len(np.unique(h)))


def _split_file(name: str, ids_dir: str, scratch: str, parts: int) -> int:
    """One ids file's hashes, written as one sorted array per partition (top bits of the hash)."""
    h = np.sort(_hashes(storage.path(ids_dir) / name))
    bounds = np.searchsorted(h >> np.uint64(56), np.arange(parts + 1) * 256 // parts)
    for p in range(parts):
        storage.write_npy_atomic(h[bounds[p]:bounds[p + 1]], storage.path(scratch) / f"p{p:04d}" / f"{name}.npy")
    return len(h)


def _count_partition(part: str, scratch: str) -> int:
    folder = storage.path(scratch) / part
    arrays = [storage.read_npy(folder / n) for n in storage.names(folder, ".npy")]
    return _repeats(np.concatenate(arrays)) if arrays else 0


def count_duplicate_ids(ingest_dir, executor=None, runtime_env=None, driver_ids: int = DRIVER_IDS) -> int:
    """Documents whose id an earlier document of the run already has (`ingest_dir`/ids: one file
    per input file). Large runs need `executor` (pipeline.executor) for the partitioned count."""
    from pipeline.executor import Segment
    ids_dir = storage.join(ingest_dir, "ids")
    names = storage.names(ids_dir, ".parquet")
    total = sum(storage.parquet_metadata(ids_dir / n).num_rows for n in names)
    if total <= driver_ids or executor is None:
        return _repeats(np.concatenate([_hashes(ids_dir / n) for n in names])) if names else 0
    parts = min(256, -(-total // driver_ids))
    scratch = storage.join(ingest_dir, "scratch", "duplicate_ids")
    try:
        for _ in executor.run(Segment("ingest: id hashes", names, _split_file,
                                      (storage.url(ids_dir), storage.url(scratch), parts), runtime_env=runtime_env)):
            pass
        return sum(n for _, n in executor.run(Segment("ingest: duplicate ids", [f"p{p:04d}" for p in range(parts)],
                                                       _count_partition, (storage.url(scratch),),
                                                       runtime_env=runtime_env)))
    finally:
        storage.remove(scratch)
