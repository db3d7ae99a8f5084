"""Progress for long work: a tqdm bar on a terminal, a line every few seconds in logs (CI).

Every bar's ETA comes from its average rate since the bar started (tqdm with `smoothing=0`; the
log line computes the same), so a burst of fast or slow items moves it little. A bar whose total is
not known yet (the shards a fused chain will see while files are still being read) takes a
projected total, marked `~`, until it is exact (`_Bar.project`)."""
from __future__ import annotations

import sys
import time


LOG_EVERY = 10.0    # seconds between progress lines when stderr is not a terminal
MAX_NAME = 28       # a fused chain's label longer than this is shortened to first..last (n)


def short_name(name: str) -> str:
    """A label a person can read for a chain of fused stages: `extract..pii (9 stages)`."""
    parts = name.split("+")
    if len(parts) == 1 or (len(parts) < 3 and len(name) <= MAX_NAME):
        return name
    return f"{parts[0]}..{parts[-1]} ({len(parts)} stages)"


def projected_total(seen: int, parts_done: int, parts_total: int, floor: int = 0) -> tuple[int, bool]:
    """(total, estimated): items known from `parts_done` of `parts_total` parts (shards from
    files read so far), scaled to all parts while some are still unread; never below `floor`
    (items already known from parts still being read)."""
    if parts_done >= parts_total:
        return max(seen, floor), False
    if not parts_done:
        return max(seen, floor), True
    return max(seen, floor, round(seen * parts_total / parts_done)), True


class _Bar:
    def __init__(self, name: str, total: int, unit: str, done: int, tty: bool, quiet: bool):
        name = short_name(name)
        self.name, self.total, self.unit, self.quiet, self.tty = name, total, unit, quiet, tty
        self.n, self.docs, self.bytes, self.t0 = done, 0, 0, time.perf_counter()
        self.last = self.t0      # first log line after LOG_EVERY seconds, not on the first shard
        self.start_n = done      # items done before this bar started: not part of its rate
        self.estimated = False   # total is a projection (see `project`)
        self._tqdm = None
        if tty and not quiet:
            from tqdm import tqdm
            self._tqdm = tqdm(total=total, initial=done, desc=name, unit=unit, leave=True, file=sys.stderr,
                              smoothing=0)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def eta(self) -> float:
        """Seconds left at the average rate since the bar started (nan before the first item)."""
        done_here = self.n - self.start_n
        return self.elapsed() / done_here * max(self.total - self.n, 0) if done_here > 0 else float("nan")

    def project(self, seen: int, parts_done: int, parts_total: int, floor: int = 0) -> None:
        """Set the total from what is known so far (`projected_total`)."""
        total, estimated = projected_total(seen, parts_done, parts_total, floor)
        if (total, estimated) == (self.total, self.estimated):
            return
        self.total, self.estimated = total, estimated
        if self._tqdm is not None:
            self._tqdm.total = total
            self._tqdm.set_description(self.name + (" (total ~)" if estimated else ""), refresh=False)
            self._tqdm.refresh()

    def skip(self, n: int = 1) -> None:
        """Items found already done (a resumed run): counted, but not in the rate."""
        self.n += n
        self.start_n += n
        if self._tqdm is not None:
            self._tqdm.initial += n
            self._tqdm.update(n)

    def update(self, n: int = 1, docs: int = 0, bytes: int = 0) -> None:
        self.n += n
        self.docs += docs
        self.bytes += bytes
        if self._tqdm is not None:
            self._tqdm.update(n)
            el = max(self.elapsed(), 1e-9)
            post = {}
            if self.docs:
                post = {"docs": f"{self.docs:,}", "docs/s": f"{self.docs / el:,.0f}"}
            if self.bytes:
                post["MB"] = f"{self.bytes / 1e6:,.1f}"
                post["MB/s"] = f"{self.bytes / 1e6 / el:,.1f}"
            if post:
                self._tqdm.set_postfix(post, refresh=False)
            return
        now = time.perf_counter()
        # Logs (not a terminal): a line every LOG_EVERY seconds and the last one, so CI output stays short.
        if not self.quiet and (now - self.last > LOG_EVERY or (self.n == self.total and not self.estimated)):
            self.last = now
            print(self.line(), file=sys.stderr, flush=True)

    def line(self) -> str:
        el = self.elapsed()
        total = f"~{self.total}" if self.estimated else f"{self.total}"
        parts = [f"[{self.name}] {self.n}/{total} {self.unit}"]
        if self.docs:
            parts.append(f"{self.docs:,} docs ({self.docs / el if el > 0 else 0.0:,.0f}/s)")
        if self.bytes and el > 0:
            parts.append(f"{self.bytes / 1e6:,.1f} MB ({self.bytes / 1e6 / el:,.1f} MB/s)")
        eta = self.eta()
        parts.append(f"{el:,.0f}s elapsed" + ("" if eta != eta else f", ETA {eta:,.0f}s"))
        return ", ".join(parts)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()


class Progress:
    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()

    def bar(self, name: str, total: int, unit: str = "shards", done: int = 0, ahead: int = 0) -> _Bar:
        """`done` of `total` finished before the bar starts: `ahead` of them by this run while Ray
        started (the runner's read-ahead), the rest by an earlier run (resuming)."""
        if "+" in name and not self.quiet:      # say once which stages a short label stands for
            print(f"[{short_name(name)}] = {name.replace('+', ' + ')}", file=sys.stderr, flush=True)
        if done and not self.quiet:
            said = [f"resuming: {done - ahead}/{total} {unit} already done"] if done > ahead else []
            said += [f"{ahead}/{total} {unit} read while Ray started"] if ahead else []
            print(f"[{short_name(name)}] {'; '.join(said)}", file=sys.stderr, flush=True)
        return _Bar(name, total, unit, done, self.tty, self.quiet)

    def note(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)
