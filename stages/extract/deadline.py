"""In-process per-page time limit: SIGALRM on the main thread, an injected exception elsewhere.

Used when `isolation: signal`. The exception is raised between Python bytecodes, so one long C
call (a huge lxml parse, a loop inside resiliparse) finishes first; `isolation: process` (see
sandbox.py) is the limit that also holds for C code.
"""
from __future__ import annotations

import ctypes
import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class ExtractionTimeout(BaseException):
    """Raised inside the extraction of one page when its time is up.

    A BaseException so that trafilatura's own `except Exception` fallbacks cannot swallow it."""


@contextmanager
def _alarm_deadline(seconds: float) -> Iterator[None]:
    def on_alarm(signum, frame):
        raise ExtractionTimeout()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _watchdog_deadline(seconds: float) -> Iterator[None]:
    # Off the main thread signals cannot be used: a timer thread raises asynchronously in ours.
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    finished = False

    def fire() -> None:
        with lock:
            if not finished:  # never inject once the block is left
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(ExtractionTimeout))
    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            finished = True
            # fired but not delivered yet: the work is done anyway, drop the pending exception
            ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)


@contextmanager
def _no_deadline() -> Iterator[None]:
    yield


def deadline(seconds: float):
    """Context manager raising ExtractionTimeout in this thread after `seconds` (<= 0: none)."""
    if seconds <= 0:
        return _no_deadline()
    if threading.current_thread() is threading.main_thread():
        return _alarm_deadline(seconds)
    return _watchdog_deadline(seconds)
