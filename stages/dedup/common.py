"""Pieces every dedup stage shares: document keys and writing a shard's removals.

A document is named on the driver by a 64-bit key, `shard index << 32 | row`, where shard index
is its shard's position in the sorted shard list. Sorting keys is therefore "shard order, then
row order": the deterministic order in which the first copy of a duplicate is kept, whatever the
number of workers.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.shards import StageDir, read_shard, timer
from pipeline.stage import Result

ROW_BITS = 32
ROW_MASK = (1 << ROW_BITS) - 1


def doc_keys(shard_index: int, num_rows: int) -> np.ndarray:
    return (np.int64(shard_index) << ROW_BITS) | np.arange(num_rows, dtype=np.int64)


def split_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys = np.asarray(keys, dtype=np.int64)
    return keys >> ROW_BITS, keys & ROW_MASK


def source_hashes(table: pa.Table) -> np.ndarray:
    """A 64-bit hash per row of the `source` column (0 where absent), to scope dedup per source."""
    import xxhash
    if "source" not in table.column_names:
        return np.zeros(table.num_rows, dtype=np.uint64)
    values = table.column("source").to_pylist()
    return np.fromiter((xxhash.xxh3_64_intdigest((s or "").encode("utf-8")) for s in values), np.uint64, len(values))


def removal_result(table: pa.Table, rows: np.ndarray, reason: str,
                   columns: dict[str, pa.Array]) -> Result:
    """Keep every row except `rows`; removed rows get `columns` (aligned with `rows`) and `reason`."""
    if len(rows) == 0:
        return Result(table)
    rows = np.asarray(rows, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    removed = table.filter(pa.array(mask))
    for name, values in columns.items():
        removed = removed.append_column(name, pc.take(values, pa.array(order)))
    removed = removed.append_column("reason", pa.array([reason] * len(rows), pa.string()))
    return Result(table.filter(pa.array(~mask)), removed, linked_columns=tuple(columns))


def apply_to_shard(shard: str, decision: tuple, *, apply, input_dir: StageDir, out: StageDir,
                   removed_samples: int) -> None:
    """Ray task: read one input shard, `apply(table, *decision)`, write the stage's output.

    Like GlobalContext.transform_shards, but the per-shard decision travels with the shard's
    name (transform_shards gives every shard the same arguments)."""
    t0 = timer()
    table = input_dir.read(shard)
    result = apply(table, *decision)
    out.write_shard(shard, table, result, timer() - t0, removed_samples)


def apply_decisions(ctx, fn, decisions: dict[str, tuple], default: tuple = ()) -> None:
    """Write every not-yet-done shard through `fn` with its own decision (resumable).

    (GlobalContext.transform_shards would do for shared arguments, but its map() call passes
    `fn` twice and raises a TypeError; until that is fixed every stage here uses this.)"""
    todo = [(s, decisions.get(s, default)) for s in ctx.out.pending(ctx.input_shards)]
    ctx.map(apply_to_shard, todo, apply=fn, input_dir=ctx.input, out=ctx.out,
            removed_samples=ctx.removed_samples)


def kept_ids(kept: np.ndarray, shard_index: int, table: pa.Table, input_paths: list[str]) -> list[str | None]:
    """The `id` of each kept document (by key): from `table` for this shard, else from the
    `id` column of the shards they are in (read only for shards that hold one)."""
    out: list[str | None] = [None] * len(kept)
    kshard, krow = split_keys(kept)
    for s in np.unique(kshard):
        sel = np.flatnonzero(kshard == s)
        ids = table.column("id") if s == shard_index else \
            read_shard(input_paths[int(s)], ["id"]).column("id")
        for i, v in zip(sel, ids.take(pa.array(krow[sel])).to_pylist()):
            out[i] = v
    return out


def apply_removals(shard: str, shard_index: int, decisions, *, dtype: np.dtype, input_paths: list[str],
                   reason: str, columns: dict[str, str], out: StageDir, removed_samples: int) -> None:
    """Task: remove one shard's duplicates. `decisions` (an lsh.Spill) is this shard's part of
    decision files of records of `dtype` with a `dup` and a `kept` key, sorted by the removed
    document's shard (offsets per shard): this shard reads only its own range of each. Removed
    rows name the kept copy in `duplicate_of` and get `columns` (output column -> record field)."""
    t0 = timer()
    rec = decisions.read(dtype)
    write_removals(shard, shard_index, rec, t0, input_paths=input_paths, reason=reason, columns=columns,
                   out=out, removed_samples=removed_samples)


def write_removals(shard: str, shard_index: int, rec: np.ndarray, t0: float, *, input_paths: list[str],
                   reason: str, columns: dict[str, str], out: StageDir, removed_samples: int) -> None:
    """Write shard `shard_index` without the documents `rec["dup"]` (records of this shard)."""
    table = read_shard(input_paths[shard_index])
    extra = {name: pa.array(rec[field]) for name, field in columns.items()}
    _, rows = split_keys(rec["dup"])
    result = removal_result(table, rows, reason, {
        **extra, "duplicate_of": pa.array(kept_ids(rec["kept"], shard_index, table, input_paths), pa.string())})
    out.write_shard(shard, table, result, timer() - t0, removed_samples)
