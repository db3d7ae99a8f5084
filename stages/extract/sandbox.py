"""Run per-item work in a forked child process that is killed when one item takes too long.

A time limit raised inside the extracting thread (SIGALRM, deadline.py) only fires between
Python bytecodes: a page that makes lxml, lexbor or a regex loop in C for minutes holds the
worker for minutes. Here the work runs in a child forked from the worker (it inherits the
engines already loaded, so starting one costs a fork, not an import); the parent waits for each
result at most `timeout` seconds and, past that, kills the child, reports that item as timed out
and forks a new child for the rest. A child that dies (a segfault in C code) costs its item
only, reported as crashed.

Items go to the child in chunks and results come back one by one, so the per-item cost is a
pickle of the page and of its result through a pipe, not a round trip per page.
(datatrove's ExtractorSandbox does one round trip per document; the idea is the same.)
"""
from __future__ import annotations

import logging
import multiprocessing
from typing import Any, Callable, Sequence

log = logging.getLogger("pipeline.extract")

TIMED_OUT = "__timed_out__"
CRASHED = "__crashed__"


def _child_loop(conn, work: Callable[[Any], Any], reset: Callable[[], None] | None) -> None:
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
            conn.send(work(item))


class Sandbox:
    """`map(items)` applies `work` to each item in a child process, `timeout` seconds per item."""

    def __init__(self, work: Callable[[Any], Any], timeout: float, reset: Callable[[], None] | None = None,
                 chunk: int = 32):
        self.work, self.timeout, self.reset, self.chunk = work, timeout, reset, chunk
        self._proc = self._conn = None
        self.forks = 0

    def _start(self) -> None:
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_child_loop, args=(child, self.work, self.reset), daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self.forks += 1

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(1)
            except OSError:
                pass
        self._kill()

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
                if not self._conn.poll(self.timeout if self.timeout > 0 else None):
                    results[i + k] = TIMED_OUT  # the child is stuck in item i+k
                    self._kill()
                    break
                try:
                    results[i + k] = self._conn.recv()
                except (EOFError, OSError):
                    log.warning("extract: worker process died (exit %s)", self._proc.exitcode)
                    results[i + k] = CRASHED
                    self._kill()
                    break
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
        return {"work": self.work, "timeout": self.timeout, "reset": self.reset, "chunk": self.chunk}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)
