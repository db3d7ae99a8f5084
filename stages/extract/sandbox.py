"""Run per-item work in a forked child process that is killed when one item takes too long.

A time limit raised inside the extracting thread (deadline.py) only fires between Python
bytecodes: a page that makes lxml, lexbor or a regex loop in C for minutes holds the worker for
minutes. Here the work runs in a child forked from the worker (it inherits the engines already
loaded, so starting one costs a fork, not an import); past an item's limit the parent kills the
child, reports that item as timed out and forks a new child for the rest. A child that dies (a
segfault in C code) costs its item only, reported as crashed.

The limit counts the CPU seconds the child spends on the item (`clock="cpu"`, default), not wall
time, so a page's verdict does not depend on what else runs on the machine: the child sends its
own CPU time (time.process_time) with each result, which is where the next item's count starts,
and the parent reads the child's CPU from outside (psutil) while it waits. The parent waits in
slices of at most MAX_SLICE seconds and never longer than the CPU still left (one thread cannot
spend CPU faster than wall time), so a page that answers within the slice costs no reading at
all. A result that arrives having spent more than the limit is reported as timed out too, so the
verdict does not depend on when the parent happened to look. A blocked child (deadlock, stopped)
spends no CPU: a wall-clock backstop of `timeout × wall_factor` still ends it. `clock="wall"` is
the former limit: `timeout` seconds of waiting for each result.

Items go to the child in chunks and results come back one by one, so the per-item cost is a
pickle of the page and of its result through a pipe, not a round trip per page.
(datatrove's ExtractorSandbox does one round trip per document; the idea is the same.)
"""
from __future__ import annotations

import logging
import multiprocessing
import time
from typing import Any, Callable, Sequence

import psutil

log = logging.getLogger("pipeline.extract")

TIMED_OUT = "__timed_out__"
CRASHED = "__crashed__"
MAX_SLICE = 0.5   # seconds between two readings of a slow item's CPU time (bounds the overrun)
MIN_SLICE = 0.01  # no busy loop when the CPU left is about gone


def _child_loop(conn, parent_end, work: Callable[[Any], Any], reset: Callable[[], None] | None) -> None:
    # The fork copied the parent's end of the pipe too: while this process holds it, the pipe
    # never reports the parent gone (EOF), and a child whose worker was killed (kill -9 of a run)
    # would wait on it forever.
    parent_end.close()
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # parent gone
            return
        if msg is None:
            return
        new_batch, items = msg
        if new_batch and reset is not None:
            reset()
        for item in items:
            result = work(item)
            conn.send((result, time.process_time()))


class Sandbox:
    """`map(items)` applies `work` to each item in a child process, `timeout` seconds per item
    (CPU seconds with `clock="cpu"`, then at most `timeout × wall_factor` wall seconds too)."""

    def __init__(self, work: Callable[[Any], Any], timeout: float, reset: Callable[[], None] | None = None,
                 chunk: int = 32, clock: str = "cpu", wall_factor: float = 30.0):
        if clock not in ("cpu", "wall"):
            raise ValueError(f"Sandbox clock must be cpu or wall, not {clock!r}")
        self.work, self.timeout, self.reset, self.chunk = work, timeout, reset, chunk
        self.clock, self.wall_factor = clock, wall_factor
        self._proc = self._conn = self._ps = None
        self._cpu_start = 0.0  # the child's CPU time when its current item began (kept across map calls)
        self.forks = 0

    def _start(self) -> None:
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_child_loop, args=(child, parent, self.work, self.reset), daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self._ps = psutil.Process(proc.pid) if self.clock == "cpu" else None
        self._cpu_start = 0.0
        self.forks += 1

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            self._conn.close()
        self._proc = self._conn = self._ps = None

    def close(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(1)
            except OSError:
                pass
        self._kill()

    def _child_cpu(self) -> float | None:
        try:
            t = self._ps.cpu_times()
        except psutil.Error:  # gone: the pipe's end-of-file says so next
            return None
        return t.user + t.system

    def _ready(self, cpu_start: float) -> bool:
        """Whether the current item's result (or the child's end) arrived before its limit."""
        if self.timeout <= 0:
            return self._conn.poll(None)
        if self.clock == "wall":
            return self._conn.poll(self.timeout)
        wall_end = time.monotonic() + self.timeout * self.wall_factor
        cpu_left = wall_left = self.timeout
        while cpu_left > 0 and wall_left > 0:
            if self._conn.poll(min(max(cpu_left, MIN_SLICE), MAX_SLICE, wall_left)):
                return True
            cpu = self._child_cpu()
            if cpu is not None:
                cpu_left = self.timeout - (cpu - cpu_start)
            wall_left = wall_end - time.monotonic()
        return self._conn.poll(0)  # it may have answered just now: the CPU it reports decides

    def map(self, items: Sequence[Any]) -> list[Any]:
        """One result per item, in order: work(item), TIMED_OUT or CRASHED."""
        results: list[Any] = [None] * len(items)
        i, new_batch = 0, True
        while i < len(items):
            if self._proc is None or not self._proc.is_alive():
                self._kill()
                self._start()
                new_batch = True
            chunk = items[i:i + self.chunk]
            self._conn.send((new_batch, chunk))
            new_batch = False
            for k in range(len(chunk)):
                if not self._ready(self._cpu_start):
                    results[i + k] = TIMED_OUT  # the child is stuck in item i+k
                    self._kill()
                    break
                try:
                    result, cpu_end = self._conn.recv()
                except (EOFError, OSError):
                    log.warning("extract: worker process died (exit %s)", self._proc.exitcode)
                    results[i + k] = CRASHED
                    self._kill()
                    break
                overran = self.clock == "cpu" and 0 < self.timeout < cpu_end - self._cpu_start
                results[i + k] = TIMED_OUT if overran else result
                self._cpu_start = cpu_end
            else:
                k = len(chunk) - 1
            i += k + 1
        return results

    def __del__(self) -> None:  # a finished stage leaves no child behind
        try:
            self.close()
        except Exception:
            pass

    # A stage shipped to another process starts its own child there.
    def __getstate__(self) -> dict:
        return {"work": self.work, "timeout": self.timeout, "reset": self.reset, "chunk": self.chunk,
                "clock": self.clock, "wall_factor": self.wall_factor}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)
