"""`inspect` and `explain` on a real run (the one the report tests make)."""
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.inspect import InspectError, explain, inspect_stage
from pipeline.shards import StageDir
from test_report import REPO, shared_small_run


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data, ray_local):
    return shared_small_run(tmp_path_factory, shared_data)


def _stage(stats, sid):
    return next(s for s in stats["stages"] if s["id"] == sid)


def test_inspect_prints_removed_samples_for_a_reason(run):
    run_dir, stats = run
    removed = pq.read_table(Path(_stage(stats, "test_drop_short")["dir"]) / "removed")
    out = inspect_stage(run_dir, "test_drop_short", reason="test_drop_short/too_short", n=3)
    assert out[0].startswith("stage test_drop_short: removed too_short ")
    docs = out[1:]
    assert len(docs) == min(3, removed.num_rows)
    first = removed.slice(0, 1).to_pylist()[0]
    assert docs[0].startswith(f"- {first['id']}") and "reason: too_short" in docs[0]
    assert f"n_chars={first['n_chars']}" in docs[0]            # the stage's signal columns are shown
    assert " ".join(first["text"].split())[:60] in " ".join(docs[0].split())
    bad = inspect_stage(run_dir, "test_drop_short", reason="nope")
    assert "no document removed for reason 'nope'" in bad[0] and "too_short" in bad[0]


def test_inspect_kept_documents_and_unknown_stage(run):
    run_dir, stats = run
    dedup = StageDir(_stage(stats, "exact_dedup")["dir"])           # a view of its input: read through it
    kept = pa.concat_tables([dedup.read(s, ["id"]) for s in dedup.document_shards()])
    out = inspect_stage(run_dir, "exact_dedup", kept=True, n=2)
    assert len(out) == 3 and out[1].split()[1] in set(kept.column("id").to_pylist())
    with pytest.raises(InspectError, match="no stage 'nope'"):
        inspect_stage(run_dir, "nope")
    # an inner stage of the fused chain kept counts only: said so, not "no kept documents"
    with pytest.raises(InspectError, match="test_drop_short kept counts only.*checkpoint: every_stage"):
        inspect_stage(run_dir, "test_drop_short", kept=True)


def test_explain_follows_a_duplicate_and_a_kept_document(run):
    run_dir, stats = run
    dedup = _stage(stats, "exact_dedup")
    gone = pq.read_table(Path(dedup["dir"]) / "removed")
    row = gone.slice(0, 1).to_pylist()[0]
    lines = explain(run_dir, row["id"])
    assert lines[1:5] == ["[00 ingest] kept", "[01 CharCount] kept", "[02 test_drop_short] kept",
                          "[03 GopherQuality] kept"]
    assert lines[5] == f"[04 exact_dedup] removed: {row['reason']}"
    assert lines[6].strip() == f"duplicate_of: {row['duplicate_of']}"
    # the copy it duplicates went all the way through
    kept = explain(run_dir, row["duplicate_of"])
    assert kept[-2] == "[04 exact_dedup] kept" and kept[-1].startswith(f"last seen with: {row['duplicate_of']}")
    short = pq.read_table(Path(_stage(stats, "test_drop_short")["dir"]) / "removed_ids")
    sid = short.filter(pc.equal(short.column("reason"), "too_short")).column("id")[0].as_py()
    assert explain(run_dir, sid)[3] == "[02 test_drop_short] removed: too_short"
    with pytest.raises(InspectError, match="no document with id 'no-such-doc'"):
        explain(run_dir, "no-such-doc")


def test_every_removed_duplicate_names_its_kept_copy(run):
    # Not only the bounded samples: removed_ids holds duplicate_of for every removed copy.
    run_dir, stats = run
    dedup = _stage(stats, "exact_dedup")
    ids = pq.read_table(Path(dedup["dir"]) / "removed_ids")
    assert ids.num_rows == sum(dedup["removed"].values()) > 0
    assert ids.column("duplicate_of").null_count == 0
    kept = set(pq.read_table(Path(dedup["dir"]) / "removed_ids").column("duplicate_of").to_pylist())
    assert not kept & set(ids.column("id").to_pylist())       # a kept copy is never itself removed here
    short = pq.read_table(Path(_stage(stats, "test_drop_short")["dir"]) / "removed_ids")
    assert short.column_names == ["id", "reason", "quarantined"]   # a filter's rows have no links


def test_cli_inspect_and_explain(run):
    run_dir, stats = run
    base = [sys.executable, "-m", "pipeline"]
    r = subprocess.run(base + ["inspect", str(run_dir), "--stage", "GopherQuality", "-n", "1"], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    gopher = _stage(stats, "GopherQuality")
    if gopher["removed"]:
        assert r.returncode == 0 and r.stdout.startswith("stage GopherQuality: removed"), r.stderr
    else:
        assert r.stdout.startswith("stage GopherQuality: removed nothing")
    r = subprocess.run(base + ["explain", str(run_dir), "no-such-doc"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and "no document with id 'no-such-doc'" in r.stderr and not r.stdout
    r = subprocess.run(base + ["inspect", str(run_dir.parent), "--stage", "x"], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "not a run directory" in r.stderr


def test_inspect_ingest_shows_its_quarantined_records(tmp_path):
    """Ingest writes no removed_ids (it sets aside input records, not documents): inspect counts
    its quarantine items, each for the records it stands for, instead of "removed nothing"."""
    import json
    from pipeline.documents import quarantine_table
    stage = tmp_path / "stages" / "00-ingest-abc"
    (stage / "quarantine").mkdir(parents=True)
    (tmp_path / "plan.json").write_text(json.dumps({"stages": ["00-ingest-abc"]}))
    items = [{"source": "web", "path": "/in/a.jsonl.gz", "offset": 0, "id": None, "reason": "corrupt_compression",
              "detail": "cut off", "size": 10, "sample": b"x", "records": 20},
             {"source": "web", "path": "/in/b.jsonl", "offset": 7, "id": "web/b#3", "reason": "bad_json",
              "detail": "line 3", "size": 5, "sample": b"{", "records": 1}]
    pq.write_table(quarantine_table(items), stage / "quarantine" / "00-00000.parquet")
    (stage / "_SUCCESS.json").write_text("{}")      # a finished ingest: no note on partial counts
    out = inspect_stage(tmp_path, "ingest", n=5)
    assert out[0] == "stage ingest: quarantined corrupt_compression 20, bad_json 1"
    assert len(out) == 3 and "reason: corrupt_compression" in out[1] + out[2]
    assert inspect_stage(tmp_path, "ingest", reason="bad_json")[0].startswith("stage ingest: quarantined")


def test_explain_follows_a_kept_copy_that_a_later_dedup_removed(tmp_path, shared_data, ray_local):
    """exact_dedup keeps orig/A for the mirror's copy; minhash_dedup then removes orig/A as a near
    duplicate of orig/B (A with a header): explain of the mirror's copy follows the chain to the
    copy that reaches the output instead of stopping at orig/A."""
    import json
    from pipeline.runner import run_recipe
    article = " ".join((shared_data / "quality" / "high_quality_wiki_reference.txt").read_text().split()[:400])
    for name, rows in (("orig", [{"id": "B", "text": "Breaking news from our newsroom today. " + article},
                                 {"id": "A", "text": article}]),
                       ("mirror", [{"id": "Acopy", "text": article}])):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"""
name: chain
output: {tmp_path / 'run'}
sources:
  - {{name: orig, format: jsonl, paths: [{tmp_path / 'orig.jsonl'}], id_field: id}}
  - {{name: mirror, format: jsonl, paths: [{tmp_path / 'mirror.jsonl'}], id_field: id}}
stages:
  - stage: exact_dedup
  - stage: minhash_dedup
""")
    stats = run_recipe(recipe, quiet=True)
    lines = explain(stats["run_dir"], "mirror/Acopy")
    assert lines[2] == "[01 exact_dedup] removed: exact_duplicate" and lines[3].strip() == "duplicate_of: orig/A"
    assert lines[4].startswith("    orig/A was removed later: [02 minhash_dedup] near_duplicate, duplicate_of: orig/B")
    assert lines[5] == "    the copy that reaches the output: orig/B"


def test_a_quarantine_item_without_a_document_id_is_headed_by_where_it_is():
    """A cut file or a bad line has no document id: its header said `- None`."""
    from pipeline.inspect import format_doc
    head = format_doc({"id": None, "path": "/data/rows.jsonl", "offset": 5, "reason": "bad_json"}).splitlines()[0]
    assert head == "- (no document id) /data/rows.jsonl at 5"
    assert format_doc({"id": "web/1", "reason": "too_short"}).splitlines()[0] == "- web/1"


def test_a_long_quarantine_sample_is_shown_by_its_start():
    """A binary file's 4-8 KB sample, escaped, filled a screen."""
    from pipeline.inspect import SAMPLE_SHOWN, format_doc
    out = format_doc({"id": "txt/blob.bin", "reason": "binary_file", "sample": bytes(range(256)) * 32})
    assert "... (8,192 bytes)" in out and len(out) < 8 * SAMPLE_SHOWN


def test_explain_of_a_row_its_cut_file_lost_points_at_the_files_quarantine(tmp_path):
    """A row lost with the end of a cut file is in no stage: explain said only "no document",
    with no hint that its file has a quarantine item."""
    import json
    from pipeline.documents import quarantine_table
    stage = tmp_path / "stages" / "00-ingest-abc"
    for sub in ("quarantine", "ids"):
        (stage / sub).mkdir(parents=True)
    (tmp_path / "plan.json").write_text(json.dumps({"stages": ["00-ingest-abc"]}))
    pq.write_table(quarantine_table([{"source": "rows", "path": "/in/t.json", "offset": 10738, "id": None,
                                      "reason": "truncated_json", "detail": "cut", "size": 9, "sample": b"{",
                                      "records": 1}]), stage / "quarantine" / "00-00000.parquet")
    pq.write_table(pa.table({"id": ["rows//in/t.json#1"]}), stage / "ids" / "00-00000.parquet")
    with pytest.raises(InspectError) as e:
        explain(tmp_path, "rows//in/t.json#19")
    assert "its file /in/t.json has 1 quarantined item(s) (truncated_json at 10738)" in str(e.value)
    with pytest.raises(InspectError) as e:
        explain(tmp_path, "rows//in/other.json#2")
    assert "quarantined item" not in str(e.value)


A, B = "00-00000-0000", "01-00000-0000"       # the shared run's ingest shards: cc, then cc_copy


def _killed_copy(run, tmp_path, failed: bool = False) -> Path:
    """The shared run as a kill -9 mid-chain leaves it: the chain took shard A through (its raw
    shard consumed), not B (B's raw shard still there, no record of it in the chain's stages),
    exact_dedup not started, no stage's _SUCCESS. `failed`: stopped by a stage's error instead."""
    import json
    import shutil
    src, stats = run
    k = tmp_path / "killed"
    shutil.copytree(src, k)
    (k / "stats.json").unlink(missing_ok=True)
    dirs = {s["id"]: k / "stages" / Path(s["dir"]).name for s in stats["stages"]}
    for d in dirs.values():
        (d / "_SUCCESS.json").unlink(missing_ok=True)
    for sid in ("CharCount", "test_drop_short", "GopherQuality"):
        (dirs[sid] / "done" / f"{B}.json").unlink()
        (dirs[sid] / "removed_ids" / f"{B}.parquet").unlink(missing_ok=True)
    # B's raw shard as it was before the chain consumed it: only its ids matter here, and the
    # chain end's documents of B have them
    shutil.move(dirs["GopherQuality"] / "shards" / f"{B}.parquet", dirs["ingest"] / "shards" / f"{B}.parquet")
    shutil.rmtree(dirs["exact_dedup"])
    if failed:
        (k / "failed.json").write_text(json.dumps({"error": "boom", "type": "RuntimeError"}))
    return k


def _first_id(path: Path, reason: str | None = None) -> str:
    t = pq.read_table(path)
    if reason:
        t = t.filter(pc.equal(t.column("reason"), reason))
    return t.column("id")[0].as_py()


def test_explain_on_a_run_killed_mid_chain(run, tmp_path):
    """Ingest still had a raw shard (B), so the ids/ fallback was skipped, while A, holding the
    document, was consumed: `no document with id` (exit 2) for a document a stage removed."""
    k = _killed_copy(run, tmp_path)
    stage = {s.name.split("-")[1]: s for s in (k / "stages").iterdir()}
    short = _first_id(stage["test_drop_short"] / "removed_ids" / f"{A}.parquet", "too_short")
    assert explain(k, short)[1:4] == ["[00 ingest] kept", "[01 CharCount] kept",
                                      "[02 test_drop_short] removed: too_short"]
    r = subprocess.run([sys.executable, "-m", "pipeline", "explain", str(k), short], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "[02 test_drop_short] removed: too_short" in r.stdout, r.stderr
    through = _first_id(stage["GopherQuality"] / "shards" / f"{A}.parquet")
    assert explain(k, through)[4:6] == ["[03 GopherQuality] kept",
                                        "[04 exact_dedup] not run yet (the run was stopped, or is still running)"]
    raw = _first_id(stage["ingest"] / "shards" / f"{B}.parquet")        # a shard the chain had not taken yet
    assert explain(k, raw)[1:3] == ["[00 ingest] kept", f"[01 CharCount] has not finished this document's shard {B} "
                                    "(the run was stopped, or is still running)"]
    # A's file still being read at the kill: no ids/ for it yet, only what the chain recorded
    (stage["ingest"] / "ids" / "00-00000.parquet").unlink()
    (stage["ingest"] / "files" / "00-00000.done.json").unlink()
    assert explain(k, short)[3] == "[02 test_drop_short] removed: too_short"
    with pytest.raises(InspectError, match="no document with id 'no-such-doc'"):
        explain(k, "no-such-doc")


def test_explain_on_a_failed_run_says_the_stage_has_not_done_its_shard(run, tmp_path):
    """A chain stopped by an error: its first stage has records of other shards only, and explain
    said `(writes no document shards: the documents went into its dataset)`, tokenize's message."""
    k = _killed_copy(run, tmp_path, failed=True)
    raw = _first_id(next((k / "stages").glob("00-ingest-*")) / "shards" / f"{B}.parquet")
    lines = explain(k, raw)
    assert lines[2] == f"[01 CharCount] has not finished this document's shard {B} (the run stopped: see failed.json)"
    assert len(lines) == 4 and lines[3].startswith(f"last seen with: {raw}")
    assert not any("dataset" in line for line in lines)


def test_inspect_says_a_stage_has_not_run_or_has_partial_counts(run, tmp_path):
    """`removed nothing` for a stage that had not run, and counts of 1 shard of 2 with no note."""
    import shutil
    k = _killed_copy(run, tmp_path)
    assert inspect_stage(k, "exact_dedup") == ["stage exact_dedup has not run yet (the run was stopped, or is still "
                                               "running)"]
    out = inspect_stage(k, "test_drop_short", n=1)
    assert out[0] == ("stage test_drop_short has finished 1 of the 2 shards read so far (the run was stopped, or is "
                      "still running): the counts are partial")
    stage = next((k / "stages").glob("02-test_drop_short-*"))
    n_a = pq.read_table(stage / "removed_ids" / f"{A}.parquet").num_rows
    assert out[1] == f"stage test_drop_short: removed too_short {n_a:,}"
    # a global stage killed half way, after a finished chain: of its input's shards; the removed
    # ids it wrote for B, whose record it had not written, are not counted (a rerun redoes B)
    src, stats = run
    dedup = tmp_path / "dedup"
    shutil.copytree(src, dedup)
    d = dedup / "stages" / Path(_stage(stats, "exact_dedup")["dir"]).name
    assert pq.read_table(d / "removed_ids" / f"{B}.parquet").num_rows      # the copies are all in B
    for p in (d / "_SUCCESS.json", d / "done" / f"{B}.json", d / "views" / f"{B}.json"):
        p.unlink()
    assert inspect_stage(dedup, "exact_dedup", n=1) == [
        "stage exact_dedup has finished 1 of its 2 shards (the run was stopped, or is still running): the counts "
        "are partial", "stage exact_dedup: removed nothing"]


def test_an_id_not_found_names_what_ingest_skipped(tmp_path):
    """A redirect, a disambiguation page or an empty file makes no document: explain said only "ids
    look like 'source/...'", as if the id were malformed."""
    import json

    from pipeline.inspect import _skipped_at_ingest
    (tmp_path / "stats.json").write_text(json.dumps({"stages": [{"id": "ingest", "counters": {
        "skipped_redirect": 3, "skipped_disambiguation": 1, "decoded_lossy": 2, "skipped_request": 0}}]}))
    said = _skipped_at_ingest(tmp_path)
    assert said == "; it may be an item ingest skipped, which makes no document: skipped_redirect 3, " \
                   "skipped_disambiguation 1"
    assert _skipped_at_ingest(tmp_path / "nowhere") == ""
