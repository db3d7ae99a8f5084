"""A real two-node Ray cluster on loopback, and a recipe run on it by address, with its run folder
on an S3-compatible server (moto, on loopback): the nodes share no disk, only the bucket."""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_storage import s3_server, s3fs_for  # noqa: F401  (the fixture)

REPO = Path(__file__).resolve().parents[1]
RAY = Path(sys.executable).parent / "ray"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_cluster(tag: str, port: int | None = None) -> None:
    """Stop only this test's cluster (`ray stop` would stop every Ray on the machine): the
    processes whose command line holds its temp dir, and their descendants (Ray's agents rename
    themselves, ray::DashboardAgent, and were left running), and the head's Ray Client server,
    which outlives its parent and names only the cluster's port."""
    client = f"ray.util.client.server --address=" if port else None
    for _ in range(3):
        parent, pids = {}, []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                    parent[int(d.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
                    cmdline = (d / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
                    if tag in cmdline or (client and client in cmdline and f":{port} " in cmdline):
                        pids.append(int(d.name))
                except (OSError, ValueError):
                    pass
        found = set(pids)
        while True:
            more = {pid for pid, pp in parent.items() if pp in found} - found
            if not more:
                break
            found |= more
        pids = sorted(found)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)


@pytest.fixture
def two_node_cluster(tmp_path, s3_server):
    temp = Path("/tmp") / f"rt{os.getpid()}{int(time.time()) % 10000}"    # short: socket paths are limited
    port = free_port()
    # The nodes have the project, not the tests' custom stage module: that reaches the workers
    # through the run's runtime_env (py_modules), as a user's own stage code would.
    node_env = {**s3_server, "RAY_AUTH_MODE": "token", "PYTHONPATH": str(REPO)}
    env = {**node_env, "PYTHONPATH": f"{REPO / 'tests'}{os.pathsep}{REPO}"}
    common = ["--num-cpus=1", "--disable-usage-stats"]
    try:
        subprocess.run([str(RAY), "start", "--head", f"--port={port}", f"--temp-dir={temp}",
                        "--include-dashboard=false", '--resources={"node_a": 1}', *common],
                       env=node_env, check=True, capture_output=True, timeout=120)
        subprocess.run([str(RAY), "start", f"--address=127.0.0.1:{port}", '--resources={"node_b": 1}', *common],
                       env=node_env, check=True, capture_output=True, timeout=120)
        yield f"127.0.0.1:{port}", env
    finally:
        kill_cluster(str(temp), port)


@pytest.mark.long(seconds=45)
def test_recipe_runs_on_two_node_cluster_by_address(tmp_path, shared_data, two_node_cluster, s3_server):
    address, env = two_node_cluster
    fs = s3fs_for(s3_server)
    fs.mkdir("cluster-run")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: cluster
        output: s3://cluster-run/run
        sources:
          - name: web
            format: warc
            paths: [{shared_data}/warc/sample_pages.warc.gz]
            shard_docs: 10
        stages:
          - stage: stages_for_tests:NodeTag
        """))
    proc = subprocess.run([sys.executable, "-m", "pipeline", "run", str(recipe), "--ray-address", address],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert not (tmp_path / "s3:").exists()
    shards = fs.glob("cluster-run/run/stages/01-NodeTag-*/shards/*.parquet")
    out = pq.read_table(shards, filesystem=fs)
    assert out.num_rows == 166
    assert len(set(out.column("node").to_pylist())) == 2          # both nodes did work
    import json
    stats = json.loads(fs.cat_file("cluster-run/run/stats.json"))
    assert stats["ray"] == {"address": address, "cpus": 2.0}
    # a driver without the cluster's token auth: one line saying what it needs, not a traceback
    no_auth = {k: v for k, v in env.items() if k not in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")}
    proc = subprocess.run([sys.executable, "-m", "pipeline", "run", str(recipe), "--ray-address", address,
                           "--output", str(tmp_path / "local-run")], cwd=tmp_path, env=no_auth,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "needs RAY_AUTH_MODE=token" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]
