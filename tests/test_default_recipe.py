"""The default recipe end to end on the bundled sample, twice with different worker counts:
token shards must be byte-identical, and the dataset must validate against its manifest."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def start(tmp_path: Path, name: str, num_cpus: int, tasks_per_cpu: int) -> subprocess.Popen:
    recipe = yaml.safe_load((REPO / "recipes" / "default.yaml").read_text())
    recipe["output"] = str(tmp_path / name)
    recipe["ray"] = {"num_cpus": num_cpus, "tasks_per_cpu": tasks_per_cpu}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True))
    return subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(path), "--quiet"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})


def finish(proc: subprocess.Popen, tmp_path: Path, name: str) -> Path:
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, out[-2000:] + err[-4000:]
    return tmp_path / name


def token_digests(run_dir: Path) -> dict[str, str]:
    out = next(run_dir.glob("stages/*-tokenize-*/output"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.arrow"))}


@pytest.mark.long(seconds=48)
def test_default_recipe_is_deterministic_across_worker_counts(tmp_path):
    # Two separate processes, each with its own Ray, run at the same time: one's start-up and its
    # stages' barriers overlap the other's work (the outputs must not depend on timing anyway)
    procs = {"two": start(tmp_path, "two", num_cpus=2, tasks_per_cpu=2),
             "one": start(tmp_path, "one", num_cpus=1, tasks_per_cpu=1)}
    try:
        two, one = (finish(procs[name], tmp_path, name) for name in ("two", "one"))
    finally:
        for proc in procs.values():       # the other run, when one failed
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    a, b = token_digests(two), token_digests(one)
    assert a and a == b
    stats = json.loads((two / "stats.json").read_text())
    ids = [s["id"] for s in stats["stages"]]
    assert ids[0] == "ingest" and ids[-1] == "tokenize" and "minhash_dedup" in ids
    assert stats["output"]["tokens"] > 100_000
    assert set(stats["output"]["tokens_by_source"]) == {"web", "zh_web", "zh_text", "cc"}
    assert {"zh", "en"} <= set(stats["kept_documents"]["language"])
    manifest = json.loads(Path(stats["output"]["dataset"], "manifest.json").read_text())
    for src, row in manifest["sources"].items():
        requested = manifest["mix"]["sources"][src]["requested_share"]
        assert abs(row["share"] - requested) < 0.01, (src, row["share"], requested)
    assert (two / "report.html").is_file() and (two / "report.md").is_file()
    check = subprocess.run([sys.executable, "-m", "pipeline", "validate-shards", stats["output"]["dataset"]],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and check.stdout.startswith("OK"), check.stdout + check.stderr
