"""What a GlobalStage gets to work with: its input shards, Ray, and places to write."""
from __future__ import annotations

import functools
from typing import Any, Callable, Iterable

import pyarrow as pa

from pipeline import storage
from pipeline.executor import cluster_cpus, raised_in, run_tasks
from pipeline.progress import Progress
from pipeline.shards import ShardRecord, StageDir, cpu_clock, timer
from pipeline.stage import Result


class GlobalContext:
    def __init__(self, stage_id: str, input_dir: StageDir, out: StageDir, seed: int,
                 removed_samples: int, tasks_per_cpu: int = 2, run_dir="",
                 recipe_hash: str = "", recipe_path: str | None = None, runtime_env: dict | None = None,
                 progress: Progress | None = None):
        self.stage_id = stage_id
        self.input = input_dir
        self.out = out
        self.seed = seed
        self.removed_samples = removed_samples
        self.tasks_per_cpu = tasks_per_cpu
        self.run_dir = storage.path(run_dir or out.path)
        self.recipe_hash = recipe_hash      # recorded in manifests, so output can be traced to its recipe
        self.recipe_path = recipe_path
        self.runtime_env = runtime_env      # the user's modules, shipped to the workers (executor.py)
        self.counters: dict[str, int] = {}
        self._input_views: set[str] | None = None
        self.info: dict[str, Any] = {}
        self.progress = progress or Progress(quiet=True)    # the run's bars; silent when none is given

    # -- input -----------------------------------------------------------------------------
    @property
    def input_shards(self) -> list[str]:
        return self.input.done_shards()

    def input_path(self, shard: str) -> str:
        """The shard's location for a task, a local path or a URL: read it with
        `pipeline.shards.read_shard` (its Parquet file, or its view record when it is a view)."""
        if self._input_views is None:
            self._input_views = self.input.view_shards()       # one listing, not a miss per shard
        return self.input.shard_url(shard, self._input_views)

    def read_input(self, shard: str, columns: list[str] | None = None) -> pa.Table:
        return self.input.read(shard, columns)

    # -- places ----------------------------------------------------------------------------
    @property
    def scratch_dir(self):
        """For spill files (signatures, buckets), beside the stage's output (so every node of a
        cluster reaches them); removed when the stage finishes. Write with `pipeline.storage`."""
        return self._place("scratch")

    @property
    def output_dir(self):
        """For outputs that are not document shards (token shards, a manifest)."""
        return self._place("output")

    def _place(self, name: str):
        p = self.out.path / name
        if storage.is_local(p):
            p.mkdir(parents=True, exist_ok=True)
        return p

    @property
    def num_cpus(self) -> int:
        return cluster_cpus()

    # -- work ------------------------------------------------------------------------------
    def map(self, func: Callable, jobs: Iterable[tuple], num_cpus: float = 1, phase: str | None = None,
            **kwargs) -> list[Any]:
        """Run func(*job, **kwargs) for every job as Ray tasks; results in job order.

        A phase is one step of the stage (`signatures`, `buckets`, `apply`): it gets a progress bar
        `[<stage>: <phase>] done/total tasks` with an ETA, and its wall and summed task seconds go
        into `info["phases"]`. Without a name the phase is named after the function."""
        jobs = list(jobs)
        phase = phase or _phase_name(func)
        out: list[Any] = [None] * len(jobs)
        bar = self.progress.bar(f"{self.stage_id}: {phase}", len(jobs), unit="tasks")
        t0, task_s, cpu_s = timer(), 0.0, 0.0
        for i, (seconds, cpu, r) in run_tasks(functools.partial(_timed, func), jobs,
                                              self.num_cpus * self.tasks_per_cpu, num_cpus, kwargs,
                                              runtime_env=self.runtime_env, what=f"{self.stage_id}: {phase}"):
            out[i] = r
            task_s += seconds
            cpu_s += cpu
            bar.update(1)
        bar.close()
        self.info.setdefault("phases", []).append(
            {"phase": phase, "tasks": len(jobs), "wall_seconds": round(timer() - t0, 3),
             "task_seconds": round(task_s, 3), "cpu_seconds": round(cpu_s, 3)})
        return out

    def transform_shards(self, fn: Callable[..., Result], *args: Any,
                         per_shard: dict[str, Any] | None = None) -> list[ShardRecord]:
        """For each input shard not yet done, write fn(table, *args) as the shard's output, or
        fn(table, per_shard[shard], *args) when a per-shard argument (a decision) is given.

        Runs as Ray tasks; resumable shard by shard (a rerun skips shards already written)."""
        todo = [(s, None if per_shard is None else per_shard.get(s)) for s in self.out.pending(self.input_shards)]
        self.map(_transform_one, todo, phase="apply", fn=fn, args=args, input_dir=self.input, out=self.out,
                 removed_samples=self.removed_samples, with_shard_arg=per_shard is not None)
        return self.out.records()

    def write_shard(self, shard: str, result: Result, docs_in: int, bytes_in: int = 0,
                    seconds: float = 0.0) -> ShardRecord:
        return self.out.write_shard(shard, None, result, seconds, self.removed_samples,
                                    docs_in=docs_in, bytes_in=bytes_in)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + int(n)


def _transform_one(shard: str, shard_arg: Any, *, fn, args, input_dir: StageDir, out: StageDir,
                   removed_samples: int, with_shard_arg: bool) -> None:
    t0, c0 = timer(), cpu_clock()
    table = input_dir.read(shard)
    result = fn(table, shard_arg, *args) if with_shard_arg else fn(table, *args)
    result = result if isinstance(result, Result) else Result(result)
    out.write_shard(shard, table, result, timer() - t0, removed_samples, cpu_seconds=cpu_clock() - c0)


def _phase_name(func: Callable) -> str:
    """`hash_task` -> `hash`, `_write_mixed` -> `write mixed`: a label for a phase nobody named."""
    name = getattr(func, "__name__", None) or getattr(getattr(func, "func", None), "__name__", "tasks")
    return name.strip("_").removesuffix("_task").replace("_", " ") or "tasks"


def _timed(func: Callable, *args: Any, **kwargs: Any) -> tuple[float, float, Any]:
    """Runs in the worker: the task's own wall and CPU seconds travel back with its result."""
    t0, c0 = timer(), cpu_clock()
    with raised_in(getattr(func, "__qualname__", None) or repr(func)):    # a custom GlobalStage's bug: its frames
        result = func(*args, **kwargs)
    return timer() - t0, cpu_clock() - c0, result
