"""Ingest: read a recipe's input files into the ingest stage's shards.

A source's files are read in groups (`file_groups`: runs of consecutive files up to
SourceConfig.group_bytes, decided from the listing alone), one group per task
(`ingest_group_stream`, which the driver also runs itself while Ray starts). A group leaves its
document shards, its documents' ids, its quarantined records and a completion record, the unit a
rerun skips or reads again whole (`group_paths`). The input files' fingerprints
(`input_fingerprints`) and `READER_VERSION` are part of ingest's cache key (pipeline/plan.py).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Iterator

import pyarrow as pa

from pipeline import storage
from pipeline.documents import DocColumns, content_bytes, quarantine_table
from pipeline.readers import Doc, DocBatch, ReadState, read_source_file
from pipeline.readers.fingerprint import file_fingerprint
from pipeline.recipe import SourceConfig
from pipeline.shards import ShardRecord, StageDir, cpu_clock, timer, write_json_atomic, write_parquet_atomic
from pipeline.stage import Result

READER_VERSION = "3"  # 2: ids are source-prefixed and unique (#18); 3: file paths in ids below id_base


def _fingerprint(path: str) -> dict:
    """A file's fingerprint for the cache key; a listed object that is gone (a line of a crawl's
    paths_file) gets a mark instead, and is quarantined `unreadable_file` when ingest reads it."""
    import fsspec
    fs, pp = fsspec.core.url_to_fs(path)       # the listed file itself: a key may hold `*` (not a glob here)
    try:
        return file_fingerprint(fs, pp)
    except (FileNotFoundError, PermissionError) as e:
        if storage.credentials_problem(e):     # a bucket that refuses these credentials: every file of it
            raise storage.input_unreadable(path, e, "asking its size and version for the resume key") from e
        return {"unreadable": type(e).__name__}
    except storage.storage_errors() as e:
        raise storage.input_unreadable(path, e, "asking its size and version for the resume key") from e


def input_fingerprints(files: dict[str, list[str]]) -> dict[str, list[tuple[str, dict]]]:
    """Per source, (path, fingerprint) of every input file, in listing order."""
    sized = {}
    for name, paths in files.items():
        # One request per object on a store (a Common Crawl paths_file names ~90,000): many at once.
        remote = sum("://" in p and not p.startswith("file://") for p in paths)
        with ThreadPoolExecutor(min(32, max(1, remote))) as pool:
            sized[name] = list(zip(paths, pool.map(_fingerprint, paths)))
    return sized


MAX_GROUP_FILES = 1024


def file_groups(sized: list[tuple[str, dict]], group_bytes: int) -> list[list[int]]:
    """The indexes of a source's files read together (SourceConfig.group_bytes): runs of
    consecutive files whose sizes add up to at most `group_bytes`; a larger file alone. From the
    listing alone, so the shards are the same whatever the workers."""
    if group_bytes <= 0:
        return [[i] for i in range(len(sized))]
    groups: list[list[int]] = []
    total = 0
    for i, (_, fingerprint) in enumerate(sized):
        size = fingerprint.get("size") or 0
        if not groups or total + size > group_bytes or len(groups[-1]) >= MAX_GROUP_FILES:
            groups.append([])
            total = 0
        groups[-1].append(i)
        total += size
    return groups


def ingest_file_stream(src: SourceConfig, src_idx: int, file_idx: int, path: str, out: StageDir,
                       clock=cpu_clock, id_base: str | None = None) -> Iterator[tuple]:
    """One input file read alone: `ingest_group_stream` of a group of one."""
    return ingest_group_stream(src, src_idx, [(file_idx, path)], out, clock, id_base)


def ingest_group_stream(src: SourceConfig, src_idx: int, files: list[tuple[int, str]], out: StageDir,
                        clock=cpu_clock, id_base: str | None = None) -> Iterator[tuple]:
    """Read a group of input files ((index, path), in order; `file_groups`) into ingest shards,
    named after the group's first file: yields ("shard", name) as soon as each shard is written
    (the chain can start on it while the rest is read), then ("file", record) once the group's
    completion record is written (the unit a rerun skips or reads again whole). `clock` counts the
    reading's CPU seconds: a task's process and its children by default; the driver's reading
    thread alone when it reads ahead (its other threads and children start Ray meanwhile).
    `id_base`: see read_source_file."""
    t0, c0 = timer(), clock()
    group_id = f"{src_idx:02d}-{files[0][0]:05d}"
    state = ReadState()
    cols = DocColumns(src.name)
    quarantine: list[dict] = []
    shard_ids: list[str] = []
    n_docs = 0
    total_bytes = 0
    ids: list[str] = []
    per_file: list[list] = []          # [path, documents, quarantined records] of each file of a group

    def flush():
        nonlocal cols, total_bytes
        sid = f"{group_id}-{len(shard_ids):04d}"
        table = cols.table()
        total_bytes += content_bytes(table)
        out.write_shard(sid, None, Result(table), 0.0, 0, docs_in=len(cols), bytes_in=0)
        shard_ids.append(sid)
        cols = DocColumns(src.name)
        return sid

    for _, path in files:
        docs_before, quarantined_before = n_docs, sum(q["records"] for q in quarantine)
        # Batches (runs of plain pages, see Reader.read_batches) go into the shard as columns; a
        # shard ends after the same document as it would one document at a time.
        for item in read_source_file(src, path, state, batches=True, id_base=id_base):
            if isinstance(item, DocBatch):
                ids += item.ids
                n_docs += len(item)
                i = 0
                while i < len(item):
                    i = cols.extend(item, i, src.shard_docs, src.shard_bytes)
                    if len(cols) >= src.shard_docs or cols.size >= src.shard_bytes:
                        yield "shard", flush()
            elif isinstance(item, Doc):
                ids.append(item.id)
                cols.add(item)
                n_docs += 1
                if len(cols) >= src.shard_docs or cols.size >= src.shard_bytes:
                    yield "shard", flush()
            else:
                quarantine.append({"source": src.name, "path": path, "offset": item.offset, "id": item.id,
                                   "reason": item.reason, "detail": item.detail, "size": item.size,
                                   "sample": item.sample, "records": getattr(item, "records", 1)})
        per_file.append([path, n_docs - docs_before, sum(q["records"] for q in quarantine) - quarantined_before])
    if len(cols):
        yield "shard", flush()
    if ids:
        # The ids alone, kept when the documents are not (`count_duplicate_ids` reads these).
        write_parquet_atomic(pa.table({"id": pa.array(ids, pa.string())}), out.path / "ids" / f"{group_id}.parquet")
    qcounts: dict[str, int] = {}
    for q in quarantine:
        qcounts[q["reason"]] = qcounts.get(q["reason"], 0) + q["records"]
    if quarantine:
        write_parquet_atomic(quarantine_table(quarantine), out.path / "quarantine" / f"{group_id}.parquet",
                             storage.QUARANTINE_LEVEL)
    rec = ShardRecord(shard=group_id, docs_in=n_docs + sum(q["records"] for q in quarantine),
                      docs_out=n_docs,
                      bytes_in=total_bytes + sum(q["size"] or 0 for q in quarantine), bytes_out=total_bytes,
                      quarantined=qcounts, counters=state.counters, seconds=round(timer() - t0, 4),
                      cpu_seconds=round(clock() - c0, 4))
    record = {**asdict(rec), "path": files[0][1], "shards": shard_ids}
    if len(files) > 1:
        record["group"] = per_file
    write_json_atomic(record, out.path / "files" / f"{group_id}.done.json", compact=True)
    yield "file", record


def ingest_group(src: SourceConfig, src_idx: int, files: list[tuple[int, str]], out: StageDir,
                 id_base: str | None = None) -> dict:
    """Read a group of input files whole; returns its completion record (`ingest_group_stream`)."""
    for kind, value in ingest_group_stream(src, src_idx, files, out, id_base=id_base):
        if kind == "file":
            return value
    raise AssertionError("ingest_group_stream ended without a file record")


def group_paths(record: dict) -> list[str]:
    """The input files an ingest completion record covers (a group's, or its one file)."""
    return [f[0] for f in record["group"]] if record.get("group") else [record["path"]]
