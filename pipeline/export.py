"""Export a run's documents: Parquet or JSONL shards in the Hugging Face datasets layout.

    python -m pipeline export RUN_DIR --to PATH [--stage S] [--format parquet|jsonl]

Without --stage, the run's final documents (what `read_documents(RUN_DIR)` reads).

PATH is a local directory or an fsspec URL (s3://..., anything fsspec opens). The files go to
`PATH/data/train-00000-of-000NN.parquet` (or `.jsonl.gz`), the layout `datasets.load_dataset(PATH)`
and `load_dataset("parquet", data_dir=PATH + "/data")` open; `PATH/tokenmill_export.json` says where
they came from. Documents keep the order of the stage's shards, so the same run exports the same
bytes. The columns are those of every shard together (a stage scoped with `apply_to` added its
columns to some sources' shards only): a document of a shard without a column has it null. The
files are written under a temporary name and renamed into place; a previous export's
`data/` files are replaced, never mixed with the new ones; a `data/` that holds anything else, or a
bucket that does not exist, is refused before anything is written.

A recipe's `export:` (ExportConfig) writes the run's final documents this way after the run.
"""
from __future__ import annotations

import gzip
import io
import json
import math
import uuid
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from pipeline import storage
from pipeline.shards import StageDir, read_json
from pipeline.shards import final_stage as _final_stage

FORMATS = ("parquet", "jsonl")


class ExportError(ValueError):
    """An export that cannot be done (unknown stage, no documents), in one line."""


class ExportConfig(BaseModel):
    """Where a run's final documents are written (recipe key `export:`)."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    to: str = Field(description="directory or fsspec URL; files go to <to>/data/ (Hugging Face datasets layout)")
    format: Literal["parquet", "jsonl"] = Field("parquet", description="parquet shards or gzipped JSON lines")
    rows_per_file: int = Field(100_000, gt=0, description="documents per output file at most")
    columns: list[str] | None = Field(None, description="columns to write; default every column but html")
    storage_options: dict = Field(default_factory=dict, description="fsspec options for `to` "
                                  "(e.g. {endpoint_url: ...} for an S3-compatible store)")


def find_stage(run_dir: str | Path, stage: str) -> StageDir:
    """A stage's directory in a run, by id (as in stats.json) or index (0 = ingest)."""
    run_dir = storage.path(run_dir)       # a local folder or a URL (s3://): not pathlib, which mangles URLs
    try:
        names = read_json(run_dir / "plan.json")["stages"]
    except (OSError, ValueError, KeyError):
        raise ExportError(f"{run_dir}: not a run directory (no readable plan.json)") from None
    ids = [n.split("-", 1)[1].rsplit("-", 1)[0] for n in names]
    if stage.isdigit() and int(stage) < len(names):
        return StageDir(run_dir / "stages" / names[int(stage)])
    if stage in ids:
        return StageDir(run_dir / "stages" / names[ids.index(stage)])
    raise ExportError(f"{run_dir}: no stage {stage!r}; stages: {', '.join(f'{i}={s}' for i, s in enumerate(ids))}")


def final_stage(run_dir: str | Path) -> StageDir:
    """The stage holding a finished run's final documents (stats.json's output.documents)."""
    try:
        return _final_stage(run_dir)
    except (OSError, ValueError, KeyError):
        raise ExportError(f"{run_dir}: no finished run here (no readable stats.json); "
                          f"name a stage with --stage") from None


def _columns(schema: pa.Schema, wanted: list[str] | None, where: str) -> list[str]:
    if wanted is None:
        return [c for c in schema.names if c != "html"]
    missing = [c for c in wanted if c not in schema.names]
    if missing:
        raise ExportError(f"{where}: no column(s) {missing}; have: {', '.join(schema.names)}")
    return list(wanted)


def _union(src: StageDir, shards: list[str], schemas: list[pa.Schema]) -> pa.Schema:
    """The columns of all the shards: in order of first appearance in shard order, each of the
    type Arrow's permissive promotion gives it, the unification `read_documents` makes when it
    concatenates the shards (concat_tables(promote_options="permissive") unifies with it)."""
    union = schemas[0]
    for shard, schema in zip(shards[1:], schemas[1:]):
        try:
            union = pa.unify_schemas([union, schema], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            name, was, now = next((f.name, union.field(f.name).type, f.type) for f in schema
                                  if f.name in union.names and not _unifies(union.field(f.name), f))
            raise ExportError(f"{storage.url(src.path)}: shard {shard}: column {name!r} is {now}, where earlier "
                              f"shards have {was}: the shards cannot be exported as one table") from None
    return union


def _unifies(a: pa.Field, b: pa.Field) -> bool:
    try:
        pa.unify_schemas([pa.schema([a]), pa.schema([b])], promote_options="permissive")
        return True
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False


def _read(src: StageDir, shard: str, have: pa.Schema, schema: pa.Schema) -> pa.Table:
    """The shard's documents in the export's columns: one the shard lacks is null, the others
    cast to the union's type (what concat_tables(promote_options="permissive") does)."""
    try:
        t = src.read(shard, columns=[c for c in schema.names if c in have.names])
        return pa.Table.from_arrays([t.column(f.name) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
                                     for f in schema], names=schema.names).cast(schema)
    # not OSError (ArrowIOError is one): a storage failure is the CLI's one line about storage
    except (pa.ArrowInvalid, pa.ArrowTypeError, storage.DamagedFile) as e:
        raise ExportError(f"shard {shard}: {' '.join(str(e).split())}") from e


def _batches(src: StageDir, shards: list[str], schemas: list[pa.Schema], schema: pa.Schema, rows: int):
    """Tables of `rows` documents (the last may be shorter) with the columns of `schema`, in shard order."""
    pending: list[pa.Table] = []
    n = 0
    for shard, have in zip(shards, schemas):
        t = _read(src, shard, have, schema)
        pending.append(t)
        n += t.num_rows
        while n >= rows:
            whole = pa.concat_tables(pending, promote_options="default")
            yield whole.slice(0, rows)
            rest = whole.slice(rows)
            pending, n = [rest], rest.num_rows
    if n:
        yield pa.concat_tables(pending, promote_options="default")


def _encode(table: pa.Table, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, buf, compression="zstd")
        return buf.getvalue()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        for row in table.to_pylist():
            gz.write(json.dumps(row, ensure_ascii=False, default=str).encode() + b"\n")
    return buf.getvalue()


def export_stage(src: StageDir, to: str, fmt: str = "parquet", rows_per_file: int = 100_000,
                 columns: list[str] | None = None, provenance: dict | None = None,
                 storage_options: dict | None = None) -> dict:
    """Write a stage's documents to `to`/data/ in the datasets layout; returns what was written."""
    import fsspec
    if fmt not in FORMATS:
        raise ExportError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    shards = src.done_shards()
    if not shards:
        raise ExportError(f"{src.path}: the stage has no finished shards (did it run? is it a document stage?)")
    if len(src.document_shards()) < len(shards):
        raise ExportError(f"{src.path}: the stage kept counts only, not its documents (an inner stage of a fused "
                          f"chain; rerun with `checkpoint: every_stage` to keep them)")
    schemas = src.schemas(shards)
    union = _union(src, shards, schemas)
    cols = _columns(union, columns, str(src.path))
    schema = pa.schema([union.field(c) for c in cols])
    total = sum(int(read_json(src.done_path(s))["docs_out"]) for s in shards)
    n_files = max(1, math.ceil(total / rows_per_file))
    fs, root = fsspec.core.url_to_fs(to, **(storage_options or {}))
    root = root.rstrip("/")
    _check_target(fs, root, to)
    staging = f"{root}/.export-{uuid.uuid4().hex[:8]}"
    fs.makedirs(staging, exist_ok=True)
    ext = "parquet" if fmt == "parquet" else "jsonl.gz"
    names = []
    batches = _batches(src, shards, schemas, schema, rows_per_file) if total else iter([schema.empty_table()])
    try:
        for i, table in enumerate(batches):
            name = f"train-{i:05d}-of-{n_files:05d}.{ext}"
            with fs.open(f"{staging}/{name}", "wb") as f:
                f.write(_encode(table, fmt))
            names.append(name)
    except BaseException as e:      # the files of an export cut short are no export: none is kept
        _discard(fs, staging, to, e)
        raise
    # Swap in: the old data/ goes only once every new file is complete.
    try:
        if fs.exists(f"{root}/data"):
            fs.rm(f"{root}/data", recursive=True)
        fs.makedirs(f"{root}/data", exist_ok=True)
        for name in names:
            fs.mv(f"{staging}/{name}", f"{root}/data/{name}")
    except BaseException as e:
        e.add_note(f"export to {to}: data/ may be incomplete; the new files not yet moved into it are in "
                   f"{_url(to, staging)}: export again")
        raise
    if fs.exists(staging):          # object stores have no empty directories left to remove
        fs.rm(staging, recursive=True)
    info = {"to": to, "format": fmt, "files": [f"data/{n}" for n in names], "documents": total,
            "columns": cols, "source": str(src.path), **(provenance or {})}
    with fs.open(f"{root}/tokenmill_export.json", "w") as f:
        f.write(json.dumps(info, indent=1))
    return info


def _discard(fs, staging: str, to: str, e: BaseException) -> None:
    """Remove the staging folder of a failed export; if that fails too, `e` says where it is."""
    try:
        if fs.exists(staging):
            fs.rm(staging, recursive=True)
    except Exception as gone:
        e.add_note(f"export to {to}: its partial files are left in {_url(to, staging)} "
                   f"(removing them failed: {type(gone).__name__}: {gone}): remove it")


def _url(to: str, staging: str) -> str:
    """The staging folder as the user named the target (fsspec's path has no s3:// in front)."""
    return f"{to.rstrip('/')}/{staging.rsplit('/', 1)[1]}"


BUCKET_STORES = ("s3", "s3a", "gs", "gcs")     # whose first path part is a bucket fsspec may create


def _check_target(fs, root: str, to: str, what: str = "--to") -> None:
    """Refuse, before writing, a target whose `data/` holds files of anything but an earlier export
    (they were deleted: a data lake's own `data/`), or on an object store whose bucket does not
    exist (fsspec created it: a misspelt bucket name became a new bucket)."""
    if storage.protocol(to) in BUCKET_STORES and (problem := storage.bucket_problem(fs, root.split("/", 1)[0])):
        raise ExportError(f"{what} {to}: {problem}")
    if fs.exists(f"{root}/data") and fs.find(f"{root}/data") and not fs.exists(f"{root}/tokenmill_export.json"):
        raise ExportError(f"{what} {to}: {to.rstrip('/')}/data/ holds files that are no earlier export (no "
                          f"tokenmill_export.json beside it); they are not replaced: export to an empty or new folder")


def check_config(cfg: ExportConfig) -> None:
    """The checks of a recipe's `export.to` that need no run (made before any work): its bucket
    exists, its data/ holds no one else's files."""
    import fsspec
    fs, root = fsspec.core.url_to_fs(cfg.to, **cfg.storage_options)
    _check_target(fs, root.rstrip("/"), cfg.to, "export.to")


def export_final(run_dir: str | Path, stats: dict, cfg: ExportConfig) -> dict:
    """The recipe's `export:`: the run's final documents (stats.json output.documents) to cfg.to."""
    src = _final_stage(stats)
    return export_stage(src, cfg.to, cfg.format, cfg.rows_per_file, cfg.columns,
                        {"run_dir": str(run_dir), "recipe_hash": stats.get("recipe_hash")}, cfg.storage_options)


def main(argv: list[str]) -> int:
    import argparse
    import sys
    p = argparse.ArgumentParser(prog="python -m pipeline export", description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--stage", default=None, help="stage id (as in stats.json) or index (0 = ingest); "
                                                   "default: the run's final documents")
    p.add_argument("--format", default="parquet", choices=FORMATS)
    p.add_argument("--to", required=True, help="directory or fsspec URL (s3://bucket/prefix)")
    p.add_argument("--rows-per-file", type=int, default=100_000)
    p.add_argument("--columns", default=None, help="comma-separated columns (default: all but html)")
    a = p.parse_args(argv)
    try:
        src = find_stage(a.run_dir, a.stage) if a.stage is not None else final_stage(a.run_dir)
        info = export_stage(src, a.to, a.format, a.rows_per_file,
                            a.columns.split(",") if a.columns else None, {"run_dir": storage.url(storage.path(a.run_dir))})
    except (ExportError, storage.DamagedFile) as e:        # a shard of the run cut short: one line too
        print(" ".join([f"error: {e}", *getattr(e, "__notes__", [])]), file=sys.stderr)
        return 2
    print(f"exported {info['documents']:,} documents to {a.to.rstrip('/')}/data/ ({len(info['files'])} "
          f"{a.format} file(s))")
    return 0
