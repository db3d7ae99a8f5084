"""Run a GlobalStage on tables outside a recipe run (tests, benchmarks, notebooks).

Writes the tables as the input stage's shards, builds the GlobalContext the runner would give
the stage, runs it, and reads the output back. Needs Ray started (pipeline.executor.start_ray).
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pipeline import storage
from pipeline.global_context import GlobalContext
from pipeline.shards import StageDir
from pipeline.stage import GlobalStage, Result, StageContext


@dataclass
class LocalRun:
    kept: pa.Table
    removed: pa.Table | None
    counters: dict[str, int]
    out: StageDir
    ctx: GlobalContext


def write_input(tables: list[pa.Table], path) -> StageDir:
    src = StageDir(path)
    for i, t in enumerate(tables):
        src.write_shard(f"{i:05d}", t, Result(t), 0.0, 0)
    return src


def run_global(stage: GlobalStage, input_dir: StageDir, work, seed: int = 0,
               removed_samples: int = 1 << 30, read_output: bool = True) -> LocalRun:
    """Run `stage` on `input_dir`; with `read_output` (default) its kept and removed documents are
    read back into memory (benchmarks measuring the stage's own memory say False)."""
    work = storage.path(work)
    out = StageDir(work / f"out-{stage.name or type(stage).__name__}")
    ctx = GlobalContext(stage.name or "stage", input_dir, out, seed, removed_samples, run_dir=work)
    stage.bind(StageContext(seed=seed, stage_id=ctx.stage_id, run_dir=str(work)))
    stage.run(ctx)
    counters = dict(ctx.counters)
    for rec in out.records():
        for k, v in rec.counters.items():
            counters[k] = counters.get(k, 0) + v
    if not read_output:
        return LocalRun(None, None, counters, out, ctx)
    shards = out.done_shards()
    kept = pa.concat_tables([out.read(s) for s in shards]) if shards else None
    removed_files = [out.path / "removed" / n for n in storage.names(out.path / "removed", ".parquet")]
    removed = pa.concat_tables([storage.read_parquet(p) for p in removed_files],
                               promote_options="default") if removed_files else None
    return LocalRun(kept, removed, counters, out, ctx)
