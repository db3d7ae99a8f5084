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
NEMO_PYTHON = REPO / ".bench" / "nemo" / "bin" / "python"      # NeMo Curator (`make .bench/nemo`)
CACHE = REPO / ".bench" / "cache"


class PeerUnavailable(RuntimeError):
    """The peer env is missing: build it with `make .bench/venv` (make bench does)."""


def run_peer(script: str, request: dict, timeout: float = 1800, python: Path = PEER_PYTHON) -> dict:
    """Run bench/peers/<script>.py in a peer env (default datatrove's) with `request` on stdin;
    its JSON answer. Run from /tmp: some peers stamp their version with the git commit of the
    working directory."""
    if not python.exists():
        raise PeerUnavailable(f"{python} not found: run `make {python.parents[1].relative_to(REPO)}` "
                              "to install the peer")
    r = subprocess.run([str(python), str(Path(__file__).with_name(f"{script}.py"))],
                       input=json.dumps(request), capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "PYTHONPATH": ""}, cwd="/tmp")
    if r.returncode != 0:
        raise RuntimeError(f"peer script {script} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])
