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


@pytest.mark.parametrize("env_value, expected", [(None, 0), ("15", 15)])
def test_worker_niceness(env_value, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_worker_niceness", "RAY_ADDRESS")}
    if env_value is not None:
        env["RAY_worker_niceness"] = env_value
    r = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    worker, driver = map(int, r.stdout.rsplit("NICE", 1)[1].split())
    assert worker == driver + expected
