"""The runner on real Ray: custom stages from a recipe, stats, resume after SIGKILL, caching."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.recipe import RecipeError, load_recipe
from pipeline import read_documents
from pipeline.plan import stale_stage_folders
from pipeline.runner import Runner

REPO = Path(__file__).resolve().parents[1]


def make_recipe(tmp_path, shared_data, out, stages, name="r.yaml", shard_docs=20, web=True):
    """A recipe over two WARCs (`web`: pages without text until an extract stage) and CCNet text."""
    p = tmp_path / name
    warcs = (f"  - name: web\n    format: warc\n    paths: [{shared_data}/warc/sample_pages.warc.gz, "
             f"{shared_data}/warc/dolma_sample-0000.warc.gz]\n    shard_docs: {shard_docs}\n") if web else ""
    p.write_text(f"name: runner-test\nseed: 7\noutput: {out}\nsources:\n{warcs}"
                 f"  - name: cc\n    format: jsonl\n    paths: {shared_data}/text/ccnet_cc_en_head-*.jsonl.gz\n"
                 f"    id_field: id\nstages:\n" + textwrap.indent(textwrap.dedent(stages), "  "))
    return p


STAGES = """
- stage: stages_for_tests:CharCount
- stage: test_drop_short
  min_chars: {min_chars}
"""


def digest_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("shards/*.parquet"))}


def test_custom_stages_run_from_recipe_with_stats(tmp_path, shared_data, ray_local):
    r = load_recipe(make_recipe(tmp_path, shared_data, tmp_path / "run", STAGES.format(min_chars=20000)))
    stats = Runner(r, quiet=True).run()
    ingest, count, drop = stats["stages"]
    assert ingest["docs_out"] == 166 + 22 + 20
    assert count["docs_in"] == count["docs_out"] == ingest["docs_out"]
    removed = drop["removed"]["test_drop_short/too_short"]
    assert 0 < removed < drop["docs_in"] and drop["docs_out"] == drop["docs_in"] - removed
    assert drop["bytes_out"] < drop["bytes_in"]
    out = read_documents(stats)
    assert min(out.column("n_chars").to_pylist()) >= 20000
    assert out.column("long_enough").to_pylist() == [True] * out.num_rows
    # a sample of removed documents is kept, with the reason: one file for the stage, the
    # `removed_samples` (20) ids of lowest hash among every removed id, however many shards
    removed_dir = Path(drop["dir"]) / "removed"
    assert [p.name for p in removed_dir.iterdir()] == ["samples.parquet"]
    sample = pq.read_table(removed_dir)
    assert set(sample.column("reason").to_pylist()) == {"too_short"}
    all_ids = pq.read_table(Path(drop["dir"]) / "removed_ids").column("id").to_pylist()
    assert len(all_ids) == removed > 20
    assert sample.column("id").to_pylist() == sorted(all_ids, key=lambda x: (zlib.crc32(x.encode()), x))[:20]
    assert json.loads((tmp_path / "run" / "stats.json").read_text())["stages"][2]["id"] == "test_drop_short"


def test_changing_an_option_recomputes_that_stage_and_after_only(tmp_path, shared_data, ray_local):
    stages = STAGES + "- stage: stages_for_tests:CharCount\n  id: recount\n"
    every = "checkpoint: every_stage\n"       # every stage keeps its documents (today's layout)
    p1 = make_recipe(tmp_path, shared_data, tmp_path / "run", stages.format(min_chars=1000))
    p1.write_text(p1.read_text() + every)
    r1 = load_recipe(p1)
    Runner(r1, quiet=True).run()
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*.parquet")}
    p2 = make_recipe(tmp_path, shared_data, tmp_path / "run", stages.format(min_chars=5000), "r2.yaml")
    p2.write_text(p2.read_text() + every)
    r2 = load_recipe(p2)
    runner = Runner(r2, quiet=True)
    # the first run's folders of the changed stage and after are no longer in the plan: named
    old_dirs = sorted({p.relative_to(tmp_path / "run" / "stages").parts[0] for p in before})
    assert stale_stage_folders(tmp_path / "run", runner.stages) == old_dirs[2:]
    stats = runner.run()
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*.parquet")}
    dirs = [Path(s["dir"]).name for s in stats["stages"]]
    first_two = [p for p in before if p.parts[-3] in dirs[:2] or p.parts[-2] in dirs[:2]]
    assert first_two and all(after[p] == before[p] for p in first_two)      # untouched, not rewritten
    new = [p for p in after if p not in before]
    assert {p.parent.parent.name for p in new if p.parent.name == "shards"} == set(dirs[2:])
    assert stats["stages"][2]["docs_out"] < stats["stages"][1]["docs_out"]


def test_a_run_stopped_before_its_chains_records_resumes_to_the_same_output(tmp_path, shared_data, ray_local):
    """A chain's completion records (and its removed-sample merge) are written in the background
    while the next segment runs: a run stopped after the chain's shards but before those records
    reruns to the same documents, samples and counts, and writes the records."""
    stages = STAGES.format(min_chars=5000) + "- stage: exact_dedup\n"
    # Text documents only: dedup reads `text`, which web pages have only after extract.
    r = load_recipe(make_recipe(tmp_path, shared_data, tmp_path / "run", stages, web=False))
    stats = Runner(r, quiet=True).run()
    chain = stats["stages"][1:3]                # the fused chain; exact_dedup is global
    assert all("fused" in json.loads((Path(s["dir"]) / "_SUCCESS.json").read_text()) for s in chain)
    samples = {s["id"]: (Path(s["dir"]) / "removed" / "samples.parquet").read_bytes()
               for s in chain if (Path(s["dir"]) / "removed" / "samples.parquet").exists()}
    assert "test_drop_short" in samples
    docs = digest_tree(tmp_path / "run")
    for s in chain:                            # as if stopped before the background wrote them
        (Path(s["dir"]) / "_SUCCESS.json").unlink()
    again = Runner(r, quiet=True).run()
    assert all((Path(s["dir"]) / "_SUCCESS.json").exists() for s in again["stages"])
    assert digest_tree(tmp_path / "run") == docs
    assert {s["id"]: (Path(s["dir"]) / "removed" / "samples.parquet").read_bytes()
            for s in again["stages"][1:3] if (Path(s["dir"]) / "removed" / "samples.parquet").exists()} == samples
    keys = ("id", "docs_in", "docs_out", "removed")
    assert [{k: s.get(k) for k in keys} for s in again["stages"]] == [{k: s.get(k) for k in keys} for s in stats["stages"]]


def test_a_raw_shard_left_by_a_kill_after_its_chain_is_removed_by_the_rerun(tmp_path, shared_data, ray_local):
    """A run killed between the chain end's completion record and the removal of the raw shard it
    consumed (run_chain) leaves that raw shard behind; the rerun removes it, as a clean run would."""
    import shutil
    r = load_recipe(make_recipe(tmp_path, shared_data, tmp_path / "run", STAGES.format(min_chars=5000)))
    stats = Runner(r, quiet=True).run()
    docs = digest_tree(tmp_path / "run")
    ingest, end = Path(stats["stages"][0]["dir"]), Path(stats["stages"][-1]["dir"])
    assert not list(ingest.glob("shards/*.parquet"))                 # consumed
    shard = sorted((end / "done").glob("*.json"))[0].stem
    (ingest / "shards").mkdir(exist_ok=True)
    shutil.copy(next((end / "shards").glob("*.parquet")), ingest / "shards" / f"{shard}.parquet")
    assert (ingest / "done" / f"{shard}.json").exists()
    Runner(r, quiet=True).run()
    assert not list(ingest.glob("shards/*.parquet"))
    assert digest_tree(tmp_path / "run") == docs


def test_stage_that_cannot_load_stops_the_run(tmp_path, shared_data, ray_local):
    r = load_recipe(make_recipe(tmp_path, shared_data, tmp_path / "run", "- stage: stages_for_tests:BrokenModel\n"))
    with pytest.raises(Exception, match="model file missing"):
        Runner(r, quiet=True).run()
    assert not (tmp_path / "run" / "stats.json").exists()


def run_one_test_stage(tmp_path, shared_data, stage: str, stage_id: str):
    """`python -m pipeline run` of one stage of tests/stages_for_tests.py over real CCNet rows, on
    one CPU: (the input file, the finished process)."""
    src = shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: one-stage
        output: {tmp_path / 'run'}
        ray: {{num_cpus: 1}}
        sources: [{{name: cc, format: jsonl, paths: [{src}]}}]
        stages:
          - stage: stages_for_tests:{stage}
            id: {stage_id}
        """))
    env = {**os.environ, "PYTHONPATH": str(REPO / "tests")}
    return src, subprocess.run([sys.executable, "-m", "pipeline", "run", str(recipe)], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("stage, exit_code, says", [
    ("RaisesOnAWord", 1, "stage 'bug' (RaisesOnAWord) raised KeyError: \"no entry for 'the'\""),
    ("GlobalWithABug", 1, "error: bug: count (task 1 of 1): _count_words_with_a_bug raised KeyError: 'no such key'"),
    ("ReturnsADict", 2, "error: ReturnsADict.process returned dict; expected a pyarrow.Table or a Result"),
])
def test_a_stage_that_raises_is_one_line_naming_it_the_shard_and_the_file_then_its_frames(
        tmp_path, shared_data, stage, exit_code, says):
    """Was: the driver's and Ray's tracebacks (~50 lines) naming neither the stage nor the input;
    a wrong return type was an AttributeError from the runner's own code."""
    src, r = run_one_test_stage(tmp_path, shared_data, stage, "bug")
    assert r.returncode == exit_code, r.stderr[-3000:]
    assert "Traceback" not in r.stderr and "RayTaskError" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and says in errors[0], r.stderr[-3000:]
    if exit_code == 1:
        if stage != "GlobalWithABug":       # a chain's stage: its shard and the file it came from
            assert errors[0].startswith(f"error: bug on shard 00-00000-0000 (of {src}): ")
        after = r.stderr.split(errors[0], 1)[1]
        assert "stages_for_tests.py" in after                                   # the stage's own frame
        assert "raise KeyError" in after or '{}["no such key"]' in after        # with its source line
        assert "executor.py" not in after and "runner.py" not in after and "global_context.py" not in after
    assert json.loads((tmp_path / "run" / "failed.json").read_text())["error"].endswith(errors[0].split(": ", 1)[1][-60:])


def run_cli(recipe: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'tests'}{os.pathsep}{REPO}"}
    return subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(recipe), "--quiet"], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def test_a_missing_column_in_a_worker_is_one_line_from_the_cli(tmp_path, shared_data):
    # Raised in a Ray task, the StageError reaches the driver inside Ray's wrapper, whose text is
    # the task's traceback; the command line prints the stage's own line. (A custom stage that does
    # not declare the columns it adds comes first: else the recipe loader refuses the missing column.)
    recipe = make_recipe(tmp_path, shared_data, tmp_path / "run",
                         "- stage: stages_for_tests:CharCount\n- stage: url_filter\n  url_field: link\n")
    out, _ = run_cli(recipe).communicate(timeout=300)
    last = out.decode().strip().splitlines()[-1]
    assert last.startswith("error: url_filter: its input has no column 'link' (it has: id, source,"), last
    assert "Traceback" not in out.decode() and "File " not in last


def test_a_failed_run_leaves_a_report_of_the_work_done(tmp_path, shared_data, ray_local, capsys):
    """Every run leaves a report: one stopped by an error (here the mix, after every document was
    removed upstream) leaves failed.json and a report saying so, and no stats.json; a later run
    into the folder that finishes removes failed.json."""
    from pipeline.stage import StageError
    mix = "- stage: mix\n  sources: {cc: {weight: 1}}\n  tokenizer: {vocab_size: 300}\n"
    failing = make_recipe(tmp_path, shared_data, tmp_path / "run", "- stage: gopher_quality\n  min_words: 100000\n" + mix,
                          web=False)
    with pytest.raises(StageError, match="no text in the input"):
        Runner(load_recipe(failing), quiet=True).run()
    failed = json.loads((tmp_path / "run" / "failed.json").read_text())
    assert "no text in the input" in failed["error"] and failed["type"] == "StageError"
    assert not (tmp_path / "run" / "stats.json").exists()
    report = (tmp_path / "run" / "report.md").read_text()
    assert "**This run stopped with an error**" in report and "no text in the input" in report
    assert "| gopher_quality | 20 | 0 | 20 |" in report         # the work done until then
    from pipeline.cli import main
    assert main(["report", str(tmp_path / "run")]) == 2
    assert "the run stopped with an error (mix: no text in the input" in capsys.readouterr().err
    ok = make_recipe(tmp_path, shared_data, tmp_path / "run", "- stage: gopher_quality\n  min_words: 5\n" + mix,
                     name="ok.yaml", web=False)
    from pipeline.cli import after_run
    after_run(tmp_path / "run", Runner(load_recipe(ok), quiet=True).run())     # as the CLI and run_recipe do
    assert (tmp_path / "run" / "stats.json").exists() and not (tmp_path / "run" / "failed.json").exists()
    assert "stopped with an error" not in (tmp_path / "run" / "report.md").read_text()


@pytest.mark.long(seconds=50)
def test_sigkill_midway_then_rerun_matches_uninterrupted_run(tmp_path, shared_data):
    slow = "- stage: stages_for_tests:CharCount\n  sleep_seconds: 0.4\n" + STAGES.format(min_chars=3000)[
        len("\n- stage: stages_for_tests:CharCount\n"):]
    killed = make_recipe(tmp_path, shared_data, tmp_path / "killed", slow, "killed.yaml", shard_docs=8)
    clean = make_recipe(tmp_path, shared_data, tmp_path / "clean", slow, "clean.yaml", shard_docs=8)
    # The clean run goes on beside the killed one and its rerun: each run is mostly Ray start-up
    # and waiting (the slow stage sleeps), so the three overlap well on two cores.
    clean_proc = run_cli(clean)
    proc = run_cli(killed)
    deadline = time.time() + 120
    done = lambda: list((tmp_path / "killed").glob("stages/02-*/done/*.json"))  # noqa: E731
    while len(done()) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the run finished before it could be killed: " + proc.stdout.read().decode()[-2000:]
    os.killpg(proc.pid, signal.SIGKILL) if False else proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_before = len(done())
    assert 0 < n_before
    assert not (tmp_path / "killed" / "stats.json").exists()
    for proc2 in (run_cli(killed), clean_proc):
        out, _ = proc2.communicate(timeout=300)
        assert proc2.returncode == 0, out.decode()[-3000:]
    a, b = digest_tree(tmp_path / "killed"), digest_tree(tmp_path / "clean")
    # The chain end's shards (ingest's raw shards are consumed once the chain has made text of them)
    assert a == b and len(a) >= 20 and not any("-ingest-" in k for k in a)
    stats = json.loads((tmp_path / "killed" / "stats.json").read_text())
    clean_stats = json.loads((tmp_path / "clean" / "stats.json").read_text())
    strip = lambda s: [(x["id"], x["docs_in"], x["docs_out"], x["removed"]) for x in s["stages"]]  # noqa: E731
    assert strip(stats) == strip(clean_stats)


def test_bad_input_is_quarantined_under_the_run_and_the_run_goes_on(tmp_path, shared_data, ray_local):
    from test_readers import members, warc_record
    m = members(shared_data / "warc" / "sample_pages.warc.gz")
    inputs = tmp_path / "in"
    inputs.mkdir()
    bad = bytearray(m[3])
    bad[len(bad) // 2: len(bad) // 2 + 64] = b"\x00" * 64
    (inputs / "a.warc.gz").write_bytes(b"".join(m[:3]) + bytes(bad) + b"".join(m[4:8]))
    (inputs / "b.warc.gz").write_bytes(b"")
    # A page whose bytes decode to garbage (binary of no known format) is quarantined as bad_encoding. (A
    # gzip member would be inflated now: a body gzipped with no Content-Encoding, undeclared_gzip; a
    # known binary format, a PNG labelled text/html, is skipped_binary_payload.)
    (inputs / "c.warc.gz").write_bytes(warc_record("http://x.example/enc", bytes(range(256)) * 16)
                                       + warc_record("http://x.example/ok", b"<p>fine page</p>"))
    (inputs / "d.warc.gz").write_bytes(b"".join(m[8:12])[:-100])
    p = tmp_path / "r.yaml"
    p.write_text(f"name: q\noutput: {tmp_path / 'run'}\nsources:\n  - name: web\n    format: warc\n"
                 f"    paths: [{inputs}/*.warc.gz]\n")
    stats = Runner(load_recipe(p), quiet=True).run()
    assert stats["quarantined"] == {"ingest/corrupt_gzip": 1, "ingest/empty_file": 1, "ingest/bad_encoding": 1,
                                    "ingest/truncated_gzip": 1}
    assert stats["stages"][0]["docs_out"] == 6 + 1 + 3
    q = pq.read_table(Path(stats["stages"][0]["dir"]) / "quarantine")
    assert sorted(q.column("reason").to_pylist()) == ["bad_encoding", "corrupt_gzip", "empty_file", "truncated_gzip"]
    assert all(q.column("path").to_pylist())


@pytest.mark.long
def test_ray_data_executor_writes_the_same_shards_as_ray_tasks(tmp_path, shared_data, ray_local):
    stages = STAGES.format(min_chars=3000)
    outs = {}
    for executor in ("tasks", "ray_data"):
        p = make_recipe(tmp_path, shared_data, tmp_path / executor, stages, f"{executor}.yaml")
        p.write_text(p.read_text() + f"ray:\n  executor: {executor}\n")
        stats = Runner(load_recipe(p), quiet=True).run()
        outs[executor] = (digest_tree(tmp_path / executor), [(s["id"], s["docs_out"]) for s in stats["stages"]])
    assert outs["tasks"][0] and outs["tasks"] == outs["ray_data"]


def test_stage_resources_reach_the_task(tmp_path, shared_data, ray_local):
    p = make_recipe(tmp_path, shared_data, tmp_path / "run", "- stage: stages_for_tests:TwoCpus\n")
    stats = Runner(load_recipe(p), quiet=True).run()
    out = read_documents(stats)
    assert set(out.column("task_cpus").to_pylist()) == {2.0}


@pytest.mark.parametrize("stage, says", [("Greedy", "asks for 4096 CPUs a task (num_cpus) and the largest node"),
                                         ("Hungry", "asks for 1,048,576.0 GiB a task (memory) and the largest node")])
def test_a_stage_asking_more_than_any_node_has_is_refused_not_left_waiting(tmp_path, shared_data, ray_local,
                                                                            stage, says):
    """Ray kept such a task waiting forever (its autoscaler logging every half minute; for memory,
    nothing): the run hung with no error."""
    p = make_recipe(tmp_path, shared_data, tmp_path / "run", f"- stage: stages_for_tests:{stage}\n")
    with pytest.raises(RecipeError, match=re.escape(f"stage '{stage}' {says}")) as e:
        Runner(load_recipe(p), quiet=True).run()
    assert "would wait forever" in str(e.value)


@pytest.mark.long
def test_task_pool_cancels_tasks_in_flight_on_the_first_error(tmp_path, ray_local):
    from pipeline.executor import Resources, TaskPool

    def _slow_then_mark(marker: str, seconds: float) -> None:     # local: shipped by value
        import time
        from pathlib import Path
        time.sleep(seconds)
        Path(marker).write_text("ran to the end")

    def _fail() -> None:
        raise ValueError("first task failed")
    pool = TaskPool(max_in_flight=3)
    for i in range(2):
        pool.submit(("slow", i), _slow_then_mark, str(tmp_path / f"slow-{i}"), 8.0, resources=Resources(0.5))
    pool.submit(("fail", 0), _fail, resources=Resources(0.5))
    pool.submit(("queued", 0), _slow_then_mark, str(tmp_path / "queued"), 0.0, resources=Resources(0.5))
    with pytest.raises(Exception, match="first task failed"):
        for _ in pool.results():
            pass
    assert not pool.pending and not pool.queue
    time.sleep(10)           # longer than the slow tasks would have needed
    assert not list(tmp_path.glob("slow-*")) and not (tmp_path / "queued").exists()


def test_task_pool_streams_a_generators_items_and_stops_on_its_error(ray_local):
    from pipeline.executor import TaskPool

    def _items(n: int, fail: bool):
        for i in range(n):
            yield i
        if fail:
            raise ValueError("generator failed after its items")
    pool = TaskPool(max_in_flight=2)
    pool.submit("a", _items, 3, False, streaming=True)
    pool.submit("b", _items, 2, False, streaming=True)
    got = sorted(pool.results())
    assert got == [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1)] and not pool.pending
    pool.submit("c", _items, 2, True, streaming=True)
    seen = []
    with pytest.raises(Exception, match="generator failed"):
        for item in pool.results():
            seen.append(item)
    assert seen == [("c", 0), ("c", 1)] and not pool.pending


@pytest.mark.long
def test_write_once_keeps_only_the_chain_end_documents_and_every_removal(tmp_path, shared_data, ray_local):
    from pipeline.inspect import explain
    stages = STAGES.format(min_chars=5000) + "- stage: stages_for_tests:CharCount\n  id: recount\n"
    runs = {}
    for mode in ("chain_end", "every_stage"):
        p = make_recipe(tmp_path, shared_data, tmp_path / mode, stages, f"{mode}.yaml")
        p.write_text(p.read_text() + f"checkpoint: {mode}\n")
        runs[mode] = Runner(load_recipe(p), quiet=True).run()
    once, every = runs["chain_end"], runs["every_stage"]
    strip = lambda s: [(x["id"], x["docs_in"], x["docs_out"], x["removed"]) for x in s["stages"]]  # noqa: E731
    assert strip(once) == strip(every)
    dirs = [Path(s["dir"]) for s in once["stages"]]
    assert not list(dirs[1].glob("shards/*.parquet")) and not list(dirs[2].glob("shards/*.parquet"))
    assert list(dirs[2].glob("removed_ids/*.parquet")) and list(dirs[2].glob("removed/*.parquet"))
    assert list(dirs[1].glob("done/*.json"))
    a = digest_tree(tmp_path / "chain_end")
    b = {k: v for k, v in digest_tree(tmp_path / "every_stage").items() if k in a}
    assert a and a == b                  # the same final (and ingest) documents, byte for byte
    size = lambda d: sum(p.stat().st_size for p in d.rglob("*") if p.is_file())  # noqa: E731
    assert size(tmp_path / "chain_end") < size(tmp_path / "every_stage")
    gone = pq.read_table(dirs[2] / "removed_ids").column("id")[0].as_py()
    assert any("too_short" in line for line in explain(tmp_path / "chain_end", gone))
    # an option of an inner stage changes: the chain restarts from its stored input
    p = make_recipe(tmp_path, shared_data, tmp_path / "chain_end", STAGES.format(min_chars=1000)
                    + "- stage: stages_for_tests:CharCount\n  id: recount\n", "changed.yaml")
    changed = Runner(load_recipe(p), quiet=True).run()
    assert changed["stages"][2]["docs_out"] > once["stages"][2]["docs_out"]
    out = read_documents(changed)
    assert out.num_rows == changed["stages"][-1]["docs_out"] and min(out.column("n_chars").to_pylist()) >= 1000


def _run_lines(tmp_path, n: int, reader: str, **reader_fields) -> tuple[dict, Path]:
    """A run over one text file of n lines, a document a line and a shard a document, read by a
    test reader from stages_for_tests, through CharCount."""
    data = tmp_path / "lines.txt"
    data.write_text("".join(f"document number {i} with some words\n" for i in range(n)))
    out = tmp_path / "run"
    fields = "".join(f'\n            {k}: "{v}"' for k, v in reader_fields.items())
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: lines-test
        output: {out}
        sources:
          - name: lines
            format: stages_for_tests:{reader}{fields}
            paths: [{data}]
            shard_docs: 1
        stages:
          - stage: stages_for_tests:CharCount
        """))
    return Runner(load_recipe(recipe), quiet=True).run(), out


def test_first_shard_of_a_file_is_processed_while_the_file_is_read(tmp_path, ray_local):
    """Ingest streams into the chain: the reader refuses to go past its first document until the
    chain's end has recorded the first shard (it would time out if shards waited for the file)."""
    stats, out = _run_lines(tmp_path, 6, "WaitsForChain",
                            wait_glob=f"{tmp_path / 'run'}/stages/01-*/done/00-00000-0000.json")
    assert stats["stages"][1]["docs_out"] == 6
    ids = read_documents(out).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 6


def test_a_worker_dying_mid_file_is_retried_and_each_shard_runs_once(tmp_path, ray_local):
    """Ray retries a streaming ingest task whose worker died. It does not hand on again the shards
    the first attempt yielded, but the retry rewrites their raw files after the chain consumed
    them: those are removed once the file's task ends, and every document comes out once."""
    stats, out = _run_lines(tmp_path, 8, "DiesOnceMidFile", marker=tmp_path / "died")
    assert (tmp_path / "died").exists()                     # the worker did die mid-file
    assert stats["stages"][0]["docs_out"] == stats["stages"][1]["docs_out"] == 8
    ids = read_documents(out).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 8
    assert not list((out / "stages").glob("00-*/shards/*.parquet"))   # consumed raw shards stay consumed


def test_cpu_seconds_count_a_stages_forked_children(tmp_path, ray_local):
    """The end-of-run table's CPU seconds include work done in a stage's forked child (as the
    extraction sandbox does), not only the task process's own."""
    from pipeline.stats import summary_table
    data = tmp_path / "lines.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"doc {i}"}) + "\n" for i in range(4)))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(textwrap.dedent(f"""
        name: cpu-test
        output: {tmp_path / "run"}
        sources:
          - name: lines
            format: jsonl
            paths: [{data}]
            shard_docs: 2
        stages:
          - stage: stages_for_tests:BusyChild
          - stage: stages_for_tests:CharCount
        """))
    stats = Runner(load_recipe(recipe), quiet=True).run()
    busy = stats["stages"][1]
    assert busy["shards"] == 2 and busy["cpu_seconds"] >= 2 * 0.3 * 0.95
    assert stats["stages"][2]["cpu_seconds"] < busy["cpu_seconds"]
    line = next(x for x in summary_table(stats).splitlines() if x.startswith("BusyChild") or x.startswith("busy"))
    assert float(line.split()[-2]) >= 0.5


def test_run_recipe_takes_a_dict_as_its_yaml_would_give(tmp_path, shared_data, ray_local):
    """It crashed in pathlib with a TypeError (no way to run a recipe built in code but a file)."""
    from pipeline import run_recipe
    data = {"name": "from-code", "seed": 1, "output": str(tmp_path / "run"),
            "sources": [{"name": "cc", "format": "jsonl", "id_field": "id",
                         "paths": [str(shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz")]}],
            "stages": [{"stage": "gopher_quality", "min_words": 1}]}
    stats = run_recipe(data, quiet=True)
    assert stats["recipe"] == "from-code" and stats["stages"][0]["docs_out"] == 10
    assert (tmp_path / "run" / "report.md").exists()
    with pytest.raises(RecipeError, match=r"<recipe dict>: .*stages\[0\] \(gopher_quality\).min_words"):
        run_recipe({**data, "stages": [{"stage": "gopher_quality", "min_words": "many"}]}, quiet=True)
    with pytest.raises(RecipeError, match="expected a recipe path, dict or Recipe, got list"):
        run_recipe([data], quiet=True)


def test_a_worker_killed_under_a_stage_is_one_line_naming_the_stage_and_the_file(tmp_path, shared_data):
    """Was: Ray's WorkerCrashedError traceback, naming neither the stage nor the input."""
    src, r = run_one_test_stage(tmp_path, shared_data, "KillsItsWorker", "oom")
    assert r.returncode == 2, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, r.stderr[-3000:]
    assert errors[0].startswith(f"error: oom on shard 00-00000-0000 (of {src}): its worker process died")
    assert "on each of its 3 attempts" in errors[0] and "running the same command again resumes" in errors[0]
    assert (tmp_path / "run" / "failed.json").exists()
