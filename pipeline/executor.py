"""Ray execution: start or join Ray, and run many small jobs with bounded work in flight.

We use plain Ray tasks rather than Ray Data: each task owns one shard end to end (read, run a
chain of stages, write each stage's output, write completion records), which is what makes
resuming exact and the output independent of the number of workers. Keeping at most
`tasks_per_cpu * cpus` tasks in flight is the backpressure: finished results are consumed
(and dropped) before more work is submitted.
"""
from __future__ import annotations

import logging
import os
import sys
from collections import deque
from typing import Any, Callable, Iterable, Iterator

import ray

log = logging.getLogger("pipeline")


def _worker_pythonpath() -> str:
    # Workers must import what the driver imports (custom stages in a user's module, tests).
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    cwd = os.getcwd()
    if cwd not in paths:
        paths.insert(0, cwd)
    return os.pathsep.join(paths)


def start_ray(address: str | None = None, num_cpus: int | None = None) -> dict:
    """Start Ray in-process (no address) or join a cluster; returns the cluster's resources."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    if ray.is_initialized():
        return ray.cluster_resources()
    env = {"env_vars": {"PYTHONPATH": _worker_pythonpath()}}
    kwargs: dict[str, Any] = dict(runtime_env=env, logging_level=logging.WARNING,
                                  log_to_driver=True)
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, **kwargs)
    return ray.cluster_resources()


def cluster_cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


@ray.remote(num_cpus=1, max_retries=2)
def _call(fn: Callable, args: tuple, kwargs: dict) -> Any:
    return fn(*args, **kwargs)


class TaskPool:
    """Ray tasks with at most `max_in_flight` running; jobs may be added while results come in
    (a finished ingest task releases the shard tasks that follow it, so stages overlap instead
    of waiting at a barrier). A task that raises stops the run with that error."""

    def __init__(self, max_in_flight: int):
        self.max_in_flight = max_in_flight
        self.queue: deque[tuple[Any, Any, tuple, dict, float]] = deque()
        self.pending: dict[Any, Any] = {}
        self._fn_refs: dict[int, Any] = {}

    def submit(self, tag: Any, fn: Callable, /, *args, num_cpus: float = 1, **kwargs) -> None:
        ref = self._fn_refs.get(id(fn))
        if ref is None:
            ref = self._fn_refs[id(fn)] = ray.put(fn)
        self.queue.append((tag, ref, args, kwargs, num_cpus))

    def results(self) -> Iterator[tuple[Any, Any]]:
        while True:
            while self.queue and len(self.pending) < self.max_in_flight:
                tag, ref, args, kwargs, cpus = self.queue.popleft()
                self.pending[_call.options(num_cpus=cpus).remote(ref, args, kwargs)] = tag
            if not self.pending:
                return
            ready, _ = ray.wait(list(self.pending), num_returns=1)
            for r in ready:
                yield self.pending.pop(r), ray.get(r)


def run_tasks(fn: Callable, jobs: Iterable[tuple], max_in_flight: int,
              num_cpus: float = 1, kwargs: dict | None = None) -> Iterator[tuple[int, Any]]:
    """Run fn(*job) for each job as a Ray task; yield (job index, result) as they finish."""
    pool = TaskPool(max_in_flight)
    for i, job in enumerate(jobs):
        pool.submit(i, fn, *job, num_cpus=num_cpus, **(kwargs or {}))
    yield from pool.results()
