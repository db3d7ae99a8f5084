"""`report`, `inspect` and `explain` on a run whose folder is on object storage (a real
S3-compatible server, moto's server mode, on loopback): nothing is read from or written to a
local `./s3:` folder, and the sections that read stage documents have data."""
import json
import os
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest

from pipeline.inspect import explain, inspect_stage
from tests.test_report import ccnet_and_copy
from tests.test_storage import REPO, s3_server, s3fs_for  # noqa: F401  (s3_server is a fixture)

BUCKET = "tokenmill-report"


def _start(args: list[str], env: dict, cwd) -> subprocess.Popen:
    env = {**env, "PYTHONPATH": f"{REPO / 'tests'}{os.pathsep}{REPO}"}
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _output(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, (out + err)[-4000:]
    return out


def _cli(args: list[str], env: dict, cwd) -> str:
    return _output(_start(args, env, cwd))


@pytest.mark.long(seconds=27)
def test_report_inspect_and_explain_on_an_s3_run(tmp_path, s3_server, shared_data):  # noqa: F811
    fs = s3fs_for(s3_server)
    fs.mkdir(BUCKET)
    src, copy = ccnet_and_copy(tmp_path, shared_data)
    recipe = tmp_path / "r.yaml"
    run = f"s3://{BUCKET}/run"
    recipe.write_text(textwrap.dedent(f"""
        name: report-s3
        seed: 3
        output: {run}
        sources:
          - {{name: cc, format: jsonl, paths: [{src}], id_field: id}}
          - {{name: cc_copy, format: jsonl, paths: [{copy}], id_field: id}}
        stages:
          - stage: stages_for_tests:CharCount
          - {{stage: gopher_quality, min_words: 300}}
          - stage: exact_dedup
        export: {{to: "s3://{BUCKET}/rexp"}}
        """))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    _cli(["run", str(recipe), "--quiet"], s3_server, cwd)
    stats = json.loads(fs.cat_file(f"{BUCKET}/run/stats.json"))
    for name in ("report.html", "report.md"):
        fs.rm(f"{BUCKET}/run/{name}")

    # `report` and `inspect` only read the stage documents: they run at the same time
    report = _start(["report", run], s3_server, cwd)
    inspect = _start(["inspect", run, "--stage", "gopher_quality", "-n", "2"], s3_server, cwd)
    try:
        out, inspected = _output(report), _output(inspect)
    finally:
        for proc in (report, inspect):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert f"{run}/report.html" in out
    md = fs.cat_file(f"{BUCKET}/run/report.md").decode()
    assert fs.size(f"{BUCKET}/run/report.html") > 10_000
    for s in stats["stages"]:
        assert f"| {s['id']} | {s['docs_in']:,} | {s['docs_out']:,} |" in md
    # read from the stage documents on S3: signals with the stage's thresholds, kept texts of pairs
    assert "| gopher_quality | gopher_word_count |" in md and ">= 300, <= 100000 |" in md   # the recipe's value
    assert "## Example duplicates\n\nA removed document" in md
    assert "## Document length\n\nCharacters per document" in md
    assert "could not be read" not in md

    gopher = next(s for s in stats["stages"] if s["id"] == "gopher_quality")
    reason, n = max(gopher["removed"].items(), key=lambda kv: kv[1])
    out = inspected
    assert out.startswith("stage gopher_quality: removed ") and f"{reason.split('/', 1)[1]} {n:,}" in out
    assert out.count("\n- ") == 2
    # the same functions in this process (the fixture put the server's address in the environment)
    out = "\n".join(inspect_stage(run, "exact_dedup", kept=True, n=3))
    assert out.startswith("stage exact_dedup: the first 3 of its kept documents")
    dedup = next(s for s in stats["stages"] if s["id"] == "exact_dedup")
    assert sum(dedup["removed"].values()) > 0
    removed_ids = fs.open(next(k for k in fs.find(f"{BUCKET}/run/stages") if "-exact_dedup-" in k
                               and "/removed_ids/" in k))
    doc_id = pq.read_table(removed_ids, columns=["id"]).column("id")[0].as_py()
    out = "\n".join(explain(run, doc_id))
    assert "[01 CharCount] kept" in out and "[02 gopher_quality] kept" in out
    assert "[03 exact_dedup] removed:" in out and "last seen with:" in out
    # export of a run on S3, by the recipe's `export:` and by the command (final documents, a stage)
    exported = stats["output"]["export"]["documents"]
    assert exported == stats["output"]["documents_count"] > 0
    assert sum(pq.read_metadata(fs.open(f)).num_rows for f in fs.find(f"{BUCKET}/rexp/data")) == exported
    _cli(["export", run, "--to", f"s3://{BUCKET}/exp"], s3_server, cwd)
    proc = _start(["inspect", run, "--stage", "exact_dedup", "-n", "1"], s3_server, cwd)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert "Found credentials" not in err and "Found endpoint" not in err    # botocore's INFO lines
    _cli(["export", run, "--stage", "gopher_quality", "--to", f"s3://{BUCKET}/exp_gopher"], s3_server, cwd)
    assert sum(pq.read_metadata(fs.open(f)).num_rows for f in fs.find(f"{BUCKET}/exp/data")) == exported
    assert sum(pq.read_metadata(fs.open(f)).num_rows for f in fs.find(f"{BUCKET}/exp_gopher/data")) == \
        gopher["docs_out"]
    assert not any(cwd.iterdir()), f"files written locally: {list(cwd.rglob('*'))}"
