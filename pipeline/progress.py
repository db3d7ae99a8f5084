"""Progress for long work: a tqdm bar on a terminal, a line every few seconds in logs (CI)."""
from __future__ import annotations

import sys
import time


LOG_EVERY = 10.0    # seconds between progress lines when stderr is not a terminal
MAX_NAME = 28       # a fused chain's label longer than this is shortened to first..last (n)


def short_name(name: str) -> str:
    """A label a person can read for a chain of fused stages: `extract..pii (9 stages)`."""
    parts = name.split("+")
    if len(parts) < 3 and len(name) <= MAX_NAME:
        return name
    return f"{parts[0]}..{parts[-1]} ({len(parts)} stages)"


class _Bar:
    def __init__(self, name: str, total: int, unit: str, done: int, tty: bool, quiet: bool):
        name = short_name(name)
        self.name, self.total, self.unit, self.quiet, self.tty = name, total, unit, quiet, tty
        self.n, self.docs, self.bytes, self.t0 = done, 0, 0, time.perf_counter()
        self.last = self.t0      # first log line after LOG_EVERY seconds, not on the first shard
        self.start_n = done
        self._tqdm = None
        if tty and not quiet:
            from tqdm import tqdm
            self._tqdm = tqdm(total=total, initial=done, desc=name, unit=unit, leave=True, file=sys.stderr)

    def update(self, n: int = 1, docs: int = 0, bytes: int = 0) -> None:
        self.n += n
        self.docs += docs
        self.bytes += bytes
        if self._tqdm is not None:
            self._tqdm.update(n)
            el = max(time.perf_counter() - self.t0, 1e-9)
            post = {"docs": f"{self.docs:,}", "docs/s": f"{self.docs / el:,.0f}"}
            if self.bytes:
                post["MB"] = f"{self.bytes / 1e6:,.1f}"
                post["MB/s"] = f"{self.bytes / 1e6 / el:,.1f}"
            self._tqdm.set_postfix(post, refresh=False)
            return
        now = time.perf_counter()
        # Logs (not a terminal): a line every LOG_EVERY seconds and the last one, so CI output stays short.
        if not self.quiet and (now - self.last > LOG_EVERY or self.n == self.total):
            self.last = now
            el = now - self.t0
            done_here = self.n - self.start_n
            rate = self.docs / el if el > 0 else 0.0
            left = self.total - self.n
            eta = el / done_here * left if done_here else float("nan")
            mb = f", {self.bytes / 1e6:,.1f} MB ({self.bytes / 1e6 / el:,.1f} MB/s)" if self.bytes and el > 0 else ""
            print(f"[{self.name}] {self.n}/{self.total} {self.unit}, {self.docs:,} docs, "
                  f"{rate:,.0f} docs/s{mb}, ETA {eta:,.0f}s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()


class Progress:
    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()

    def bar(self, name: str, total: int, unit: str = "shards", done: int = 0) -> _Bar:
        if "+" in name and not self.quiet:      # say once which stages a short label stands for
            print(f"[{short_name(name)}] = {name.replace('+', ' + ')}", file=sys.stderr, flush=True)
        if done and not self.quiet:
            print(f"[{short_name(name)}] resuming: {done}/{total} {unit} already done", file=sys.stderr, flush=True)
        return _Bar(name, total, unit, done, self.tty, self.quiet)

    def note(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)
