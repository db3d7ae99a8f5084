"""Progress for long work: a tqdm bar on a terminal, a line every few seconds in logs (CI)."""
from __future__ import annotations

import sys
import time


class _Bar:
    def __init__(self, name: str, total: int, unit: str, done: int, tty: bool, quiet: bool):
        self.name, self.total, self.unit, self.quiet, self.tty = name, total, unit, quiet, tty
        self.n, self.docs, self.t0, self.last = done, 0, time.perf_counter(), 0.0
        self.start_n = done
        self._tqdm = None
        if tty and not quiet:
            from tqdm import tqdm
            self._tqdm = tqdm(total=total, initial=done, desc=name, unit=unit, leave=True, file=sys.stderr)

    def update(self, n: int = 1, docs: int = 0) -> None:
        self.n += n
        self.docs += docs
        if self._tqdm is not None:
            self._tqdm.update(n)
            self._tqdm.set_postfix(docs=self.docs)
            return
        now = time.perf_counter()
        if not self.quiet and (now - self.last > 5 or self.n == self.total):
            self.last = now
            el = now - self.t0
            done_here = self.n - self.start_n
            rate = self.docs / el if el > 0 else 0.0
            left = self.total - self.n
            eta = el / done_here * left if done_here else float("nan")
            print(f"[{self.name}] {self.n}/{self.total} {self.unit}, {self.docs:,} docs, "
                  f"{rate:,.0f} docs/s, ETA {eta:,.0f}s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()


class Progress:
    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()

    def bar(self, name: str, total: int, unit: str = "shards", done: int = 0) -> _Bar:
        if done and not self.quiet:
            print(f"[{name}] resuming: {done}/{total} {unit} already done", file=sys.stderr, flush=True)
        return _Bar(name, total, unit, done, self.tty, self.quiet)

    def note(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)
