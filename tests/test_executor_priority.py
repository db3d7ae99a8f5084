"""A Ray the run starts gives its workers the driver's priority (nice 0), not Ray's default 15,
under which any other busy process takes nearly all their CPU (#19); the environment's
RAY_worker_niceness still decides. Each case starts Ray in a fresh process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

_CHILD = """
import os, ray
from pipeline.executor import start_ray
start_ray(num_cpus=1)
@ray.remote
def nice():
    return os.nice(0)
print("NICE", ray.get(nice.remote()), os.nice(0))
"""


CASES = [(None, 0), ("15", 15)]


@pytest.fixture(scope="module")
def children():
    """Both cases' processes, started at once: each is mostly Ray's start-up, which overlaps."""
    procs = {}
    for env_value, _ in CASES:
        env = {k: v for k, v in os.environ.items() if k not in ("RAY_worker_niceness", "RAY_ADDRESS")}
        if env_value is not None:
            env["RAY_worker_niceness"] = env_value
        procs[env_value] = subprocess.Popen([sys.executable, "-c", _CHILD], cwd=REPO, env=env, text=True,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.long
@pytest.mark.parametrize("env_value, expected", CASES)
def test_worker_niceness(children, env_value, expected):
    proc = children[env_value]
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    worker, driver = map(int, out.rsplit("NICE", 1)[1].split())
    assert worker == driver + expected


_STOP_CHILD = """
import psutil, ray
from pipeline.executor import start_ray, stop_ray_soon
start_ray(num_cpus=1)
daemons = psutil.Process().children(recursive=True)
names = [" ".join(p.cmdline()) for p in daemons]
assert any("autoscaler/_private/monitor.py" in n for n in names), names
assert any("gcs_server" in n for n in names), names
stop_ray_soon().join()
_, alive = psutil.wait_procs(daemons, timeout=10)
print("LEFT", [" ".join(p.cmdline())[:80] for p in alive if p.status() != psutil.STATUS_ZOMBIE])
print("INITIALIZED", ray.is_initialized())
"""


def test_stopping_a_ray_the_run_started_stops_all_its_daemons():
    """stop_ray_soon kills the autoscaler monitor before ray.shutdown (which would otherwise wait
    a second on its SIGTERM handler); every daemon, monitor included, is gone afterwards."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    proc = subprocess.run([sys.executable, "-c", _STOP_CHILD], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "LEFT []" in proc.stdout, proc.stdout
    assert "INITIALIZED False" in proc.stdout
