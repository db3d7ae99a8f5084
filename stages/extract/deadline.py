"""In-process per-page time limit: a timer signal on the main thread, an injected exception elsewhere.

Used when `isolation: signal`. The exception is raised between Python bytecodes, so one long C
call (a huge lxml parse, a loop inside resiliparse) finishes first; `isolation: process` (see
sandbox.py) is the limit that also holds for C code.

`clock="cpu"` (default) counts the CPU seconds the page uses, so that a loaded machine does not
time out pages a quiet one keeps. On the main thread that is ITIMER_PROF (SIGPROF), which counts
the whole process's CPU: in a Ray worker its own threads add a little, far below a page's limit.
Elsewhere a watchdog thread reads the extracting thread's own CPU clock; it sleeps as long as
the CPU left (a thread cannot spend CPU faster than wall time), so it wakes only for slow pages.
A block that ends having spent more than the limit raises too, whenever the timer would have
fired, so the verdict depends on the CPU spent alone. A wall-clock backstop of `seconds ×
wall_factor` (SIGALRM; the watchdog's second bound) ends a page that is blocked and spends no
CPU; off the main thread it is raised only when the blocking call returns. `clock="wall"` is
the former limit: `seconds` of wall time, with no check on leaving.
"""
from __future__ import annotations

import ctypes
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

MIN_SLICE = 0.01  # the watchdog's shortest sleep, so that it never spins


class ExtractionTimeout(BaseException):
    """Raised inside the extraction of one page when its time is up.

    A BaseException so that trafilatura's own `except Exception` fallbacks cannot swallow it."""


def _raise_timeout(signum, frame):
    raise ExtractionTimeout()


@contextmanager
def _signal_deadline(seconds: float, clock: str, wall_factor: float) -> Iterator[None]:
    timers = ([(signal.SIGALRM, signal.ITIMER_REAL, seconds)] if clock == "wall" else
              [(signal.SIGPROF, signal.ITIMER_PROF, seconds),
               (signal.SIGALRM, signal.ITIMER_REAL, seconds * wall_factor)])
    previous = [(sig, signal.signal(sig, _raise_timeout)) for sig, _, _ in timers]
    cpu_start = time.process_time()  # what ITIMER_PROF counts: the process's CPU
    try:
        for _, which, after in timers:
            signal.setitimer(which, after)
        yield
    finally:
        for _, which, _ in timers:
            signal.setitimer(which, 0)
        for sig, handler in previous:
            signal.signal(sig, handler)
    if clock == "cpu" and time.process_time() - cpu_start > seconds:
        raise ExtractionTimeout()  # finished inside C code after the limit: still over it


@contextmanager
def _watchdog_deadline(seconds: float, clock: str, wall_factor: float) -> Iterator[None]:
    # Off the main thread signals cannot be used: a watchdog thread raises asynchronously in ours.
    ident = threading.get_ident()
    target = ctypes.c_ulong(ident)
    lock = threading.Lock()
    done = threading.Event()
    finished = False
    clock_id = time.pthread_getcpuclockid(ident) if clock == "cpu" else None
    cpu_start = time.clock_gettime(clock_id) if clock == "cpu" else 0.0
    wall_limit = seconds * wall_factor if clock == "cpu" else seconds
    wall_end = time.monotonic() + wall_limit

    def cpu_used() -> float:
        return time.clock_gettime(clock_id) - cpu_start if clock == "cpu" else 0.0

    def watch() -> None:
        cpu_left, wall_left = seconds, wall_limit
        while not done.wait(min(max(cpu_left, MIN_SLICE), wall_left) if clock == "cpu" else wall_left):
            cpu_left, wall_left = seconds - cpu_used(), wall_end - time.monotonic()
            if cpu_left <= 0 or wall_left <= 0:
                with lock:
                    if not finished:  # never inject once the block is left
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(ExtractionTimeout))
                return
    watchdog = threading.Thread(target=watch, daemon=True, name="extract-deadline")
    watchdog.start()
    try:
        yield
    finally:
        done.set()
        with lock:
            finished = True
            # fired but not delivered yet: dropped here, the CPU check below decides
            ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
    if clock == "cpu" and cpu_used() > seconds:
        raise ExtractionTimeout()


@contextmanager
def _no_deadline() -> Iterator[None]:
    yield


def deadline(seconds: float, clock: str = "cpu", wall_factor: float = 30.0):
    """Context manager raising ExtractionTimeout in this thread once the block has used `seconds`
    of CPU time (clock="cpu"; or `seconds × wall_factor` of wall time) or `seconds` of wall time
    (clock="wall"). `seconds` <= 0: no limit."""
    if clock not in ("cpu", "wall"):
        raise ValueError(f"deadline clock must be cpu or wall, not {clock!r}")
    if seconds <= 0:
        return _no_deadline()
    if threading.current_thread() is threading.main_thread():
        return _signal_deadline(seconds, clock, wall_factor)
    if clock == "cpu" and not hasattr(time, "pthread_getcpuclockid"):
        clock = "wall"  # no thread CPU clock on this platform (macOS): the wall-clock limit
    return _watchdog_deadline(seconds, clock, wall_factor)
