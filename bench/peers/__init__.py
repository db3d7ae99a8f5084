"""Peers (datatrove, ...) run in their own virtualenv under .bench/ (`make .bench/venv`), so their
pins never meet ours. Scripts in this package named `dt_*.py` run inside that env, read a JSON
request on stdin and print one JSON answer; the drivers (`filters.py`, ...) run in ours."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = Path(os.environ.get("TOKENMILL_PEER_PYTHON", REPO / ".bench" / "venv" / "bin" / "python"))
CACHE = REPO / ".bench" / "cache"


class PeerUnavailable(RuntimeError):
    """The peer env is missing: build it with `make .bench/venv` (make bench does)."""


def run_peer(script: str, request: dict, timeout: float = 1800) -> dict:
    """Run bench/peers/<script>.py in the peer env with `request` on stdin; its JSON answer."""
    if not PEER_PYTHON.exists():
        raise PeerUnavailable(f"{PEER_PYTHON} not found: run `make .bench/venv` to install the peers")
    r = subprocess.run([str(PEER_PYTHON), str(Path(__file__).with_name(f"{script}.py"))],
                       input=json.dumps(request), capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "PYTHONPATH": ""})
    if r.returncode != 0:
        raise RuntimeError(f"peer script {script} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])
