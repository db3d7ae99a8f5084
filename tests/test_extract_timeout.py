"""`extract`'s time limit counts CPU time: a page that only waits (as on a loaded machine) keeps
its verdict, a page that burns CPU past the limit does not, and a blocked page still ends."""
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.documents import documents_table
from stages.extract import Extract
from stages.extract.sandbox import TIMED_OUT, Sandbox

LIMIT, FACTOR = 0.3, 6          # CPU seconds per page; wall-clock backstop at LIMIT * FACTOR = 1.8 s
WAIT = 0.9                      # past the limit, well inside the backstop
BURN = 0.18                     # CPU seconds of an item under the limit; three of them are over it
PAGE = "<html><body><article><p>" + "A sentence of plain words that says very little. " * 20 + "</p></article></body></html>"
WAIT_META = re.compile(r'<meta name="wait" content="([0-9.]+)">')


class WaitingExtract(Extract):
    """extract that first sleeps (using no CPU) as long as the page's <meta name="wait"> says:
    the page a loaded machine holds up while the page itself needs no more work."""

    def _page(self, html, url):
        m = WAIT_META.search(html)
        if m:
            time.sleep(float(m.group(1)))
        return super()._page(html, url)


def _waiting(seconds):
    return PAGE.replace("<body>", f'<meta name="wait" content="{seconds}"><body>')


def _run(stage, pages, thread=False):
    table = documents_table([dict(id=i, source="t", html=h) for i, h in pages])
    if not thread:
        return stage(table)
    out = {}
    t = threading.Thread(target=lambda: out.update(r=stage(table)))
    t.start()
    t.join(120)
    return out["r"]


def _quarantined(result):
    return [] if result.quarantined is None else [(r["id"], r["reason"]) for r in result.quarantined.to_pylist()]


@pytest.mark.parametrize("isolation,thread", [("process", False), ("signal", False), ("signal", True)])
@pytest.mark.parametrize("clock", ["cpu", "wall"])
def test_a_waiting_page_is_kept_on_cpu_time_and_quarantined_on_wall_time(isolation, thread, clock):
    stage = WaitingExtract(timeout_seconds=LIMIT, timeout_wall_factor=FACTOR, timeout_clock=clock,
                           isolation=isolation)
    result = _run(stage, [("before", PAGE), ("waits", _waiting(WAIT)), ("after", PAGE)], thread)
    if clock == "cpu":
        assert _quarantined(result) == []
        assert result.kept["id"].to_pylist() == ["before", "waits", "after"]
        assert len(set(result.kept["text"].to_pylist())) == 1  # the waiting page's text is the others'
    else:
        assert _quarantined(result) == [("waits", "timeout")]
        assert result.kept["id"].to_pylist() == ["before", "after"]


@pytest.mark.parametrize("isolation", ["process", "signal"])
def test_a_page_waiting_past_the_backstop_is_quarantined(isolation):
    stage = WaitingExtract(timeout_seconds=LIMIT, timeout_wall_factor=FACTOR, isolation=isolation)
    result = _run(stage, [("stuck", _waiting(30)), ("after", PAGE)])
    assert _quarantined(result) == [("stuck", "timeout")]
    assert result.kept["id"].to_pylist() == ["after"]


def _burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return seconds


def test_sandbox_counts_each_items_cpu_from_the_end_of_the_one_before():
    # One chunk: were the count started at the chunk, the third BURN item would be over LIMIT.
    box = Sandbox(_burn, timeout=LIMIT, chunk=8)
    assert box.map([BURN, BURN, BURN, WAIT, BURN, BURN]) == [BURN, BURN, BURN, TIMED_OUT, BURN, BURN]
    assert box.forks == 2  # the overrunning item's child was killed, the rest went to a new one
    # the same child's next batch: its count starts where the last one ended, not at the fork
    assert box.map([BURN, BURN]) == [BURN, BURN] and box.forks == 2
    box.close()


@pytest.mark.parametrize("clock", ["cpu", "wall"])
def test_sandbox_waiting_item(clock):
    box = Sandbox(lambda s: time.sleep(s) or s, timeout=LIMIT, clock=clock, wall_factor=FACTOR, chunk=4)
    out = box.map([0.0, WAIT, 30.0, 0.0])
    assert out == ([0.0, WAIT, TIMED_OUT, 0.0] if clock == "cpu" else [0.0, TIMED_OUT, TIMED_OUT, 0.0])
    box.close()


def test_timeout_clock_is_a_listed_option_and_part_of_the_key():
    from pipeline.fingerprint import stage_fingerprint
    fields = Extract.model_fields
    assert fields["timeout_clock"].default == "cpu" and fields["timeout_clock"].description
    assert fields["timeout_wall_factor"].description
    assert stage_fingerprint(Extract()) != stage_fingerprint(Extract(timeout_clock="wall"))
    with pytest.raises(ValueError):
        Extract(timeout_clock="sometimes")


_WORKER = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from stages.extract.sandbox import Sandbox
box = Sandbox(lambda item: item * 2, timeout=5.0)
assert box.map([1, 2]) == [2, 4]
print(box._proc.pid, flush=True)
time.sleep(600)
"""


def test_a_sandbox_child_ends_when_its_worker_is_killed(tmp_path):
    """kill -9 of a run kills its workers; their sandbox children must not live on as orphans
    (each forked child also held the parent's end of its pipe, so it never saw the parent go)."""
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    worker = subprocess.Popen([sys.executable, str(script), str(Path(__file__).resolve().parents[1])],
                              stdout=subprocess.PIPE, text=True)
    child = int(worker.stdout.readline())
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{child}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":     # gone, only its zombie entry left
                    break
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail(f"sandbox child {child} still running 30 s after its worker was killed")
