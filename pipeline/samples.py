"""Removed samples: a bounded set of removed documents per stage and reason, for people to read.

Every removed id is kept with its reason (`removed_ids/`); the samples add the document (its signals,
its text and html up to 64 Ki characters each: `documents.bounded_content`) for `inspect`, `explain`
and the report. They are bounded per stage, not per shard: a run of 100k shards keeps
`removed_samples` documents per reason, as a run of one does.

Which documents: per reason, those whose id hashes lowest (CRC-32 of the id, ties by id). That
choice spreads over the whole run rather than favouring the first files, and it composes: each
shard writes its own lowest-hashing rows, and at the stage's end `merge_samples` keeps the
lowest of those, which are the lowest of the whole stage whatever the shards or the number of
workers. Merging reads the shard files in batches, with the running selection as the only state,
so the driver holds `removed_samples` rows per reason, never a stage's worth.
"""
from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from pipeline import storage

SAMPLES_FILE = "samples.parquet"   # removed/samples.parquet: the stage's merged sample
_BATCH = 256                       # shard files read per merge step (threads overlap remote reads)


def sample_per_reason(t: pa.Table, n: int) -> pa.Table:
    """Per reason, the n rows whose id hashes lowest (each id once), in that order."""
    if not t.num_rows or n <= 0:
        return t.slice(0, 0)
    reasons = t.column("reason").to_pylist()
    if "id" not in t.column_names:     # no ids to hash: the first n per reason, in input order
        keys = [(i,) for i in range(t.num_rows)]
    else:
        keys = [(zlib.crc32(x.encode()), x) if x is not None else (1 << 32, "", i)
                for i, x in enumerate(t.column("id").to_pylist())]
    chosen: dict[str, list[int]] = {}
    seen: set = set()
    for i in sorted(range(t.num_rows), key=keys.__getitem__):
        if keys[i] in seen:
            continue                   # the same document from a shard written twice
        rows = chosen.setdefault(reasons[i], [])
        if len(rows) < n:
            rows.append(i)
            seen.add(keys[i])
    return t.take(pa.array([i for r in sorted(chosen) for i in chosen[r]], pa.int64()))


def merge_samples(stage_path, n: int) -> None:
    """Merge a finished stage's per-shard samples into one file of at most n rows per reason.

    Written before the per-shard files are removed, and before the stage's completion record:
    a run killed in between merges again on its rerun (the same rows: the choice is by hash)."""
    folder = storage.path(stage_path) / "removed"
    parts = storage.names(folder, ".parquet")
    shard_parts = [p for p in parts if p != SAMPLES_FILE]
    if not shard_parts:
        return
    best: pa.Table | None = None
    with ThreadPoolExecutor(8) as pool:
        for start in range(0, len(parts), _BATCH):
            tables = list(pool.map(lambda name: storage.read_parquet(folder / name), parts[start:start + _BATCH]))
            if best is not None:
                tables.insert(0, best)
            best = sample_per_reason(pa.concat_tables(tables, promote_options="permissive"), n)
    if best is not None and best.num_rows:
        storage.write_parquet_atomic(best, folder / SAMPLES_FILE, storage.SAMPLES_LEVEL)
    storage.remove_files([folder / name for name in shard_parts])
