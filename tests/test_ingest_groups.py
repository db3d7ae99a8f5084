"""Small input files read together (SourceConfig.group_bytes): a dataset of thousands of tiny
JSONL files, or a code checkout, made a shard, a chain task and a few records per file (3,000
files of two documents took minutes locally and timed out on S3)."""
import json
import textwrap

import pyarrow.parquet as pq

from pipeline import read_documents
from pipeline.checks import ingest_counts
from pipeline.ingest import MAX_GROUP_FILES, file_groups
from pipeline.recipe import load_recipe
from pipeline.runner import Runner


def test_groups_are_runs_of_consecutive_files_up_to_the_byte_budget():
    sized = [(f"f{i}", {"size": n}) for i, n in enumerate([3, 3, 3, 20, 1, 1, 0, 2])]
    assert file_groups(sized, 10) == [[0, 1, 2], [3], [4, 5, 6, 7]]      # a larger file alone
    assert file_groups(sized, 0) == [[i] for i in range(8)]                # off: every file alone
    many = [(f"f{i}", {"size": 1}) for i in range(MAX_GROUP_FILES + 5)]
    assert [len(g) for g in file_groups(many, 10**9)] == [MAX_GROUP_FILES, 5]
    assert file_groups([("gone", {"unreadable": "FileNotFoundError"})], 10) == [[0]]


def _recipe(tmp_path, folder, out, group_bytes=None):
    extra = "" if group_bytes is None else f", group_bytes: {group_bytes}"
    p = tmp_path / f"{out}.yaml"
    p.write_text(textwrap.dedent(f"""
        name: groups
        seed: 1
        output: {tmp_path / out}
        sources:
          - {{name: many, format: jsonl, paths: ["{folder}/*.jsonl"], shard_docs: 100{extra}}}
        stages:
          - stage: stages_for_tests:CharCount
        """))
    return load_recipe(p)


def test_many_small_files_are_read_in_groups_into_the_documents_one_by_one_gives(tmp_path, ray_local):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(250):
        rows = [{"id": f"d{i}-{k}", "text": f"file {i} document {k} " * (k + 1)} for k in range(2)]
        (folder / f"part-{i:04d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "part-0100.jsonl").write_text("{not json\n")          # a damaged file inside a group
    grouped = Runner(_recipe(tmp_path, folder, "grouped"), quiet=True).run()
    alone = Runner(_recipe(tmp_path, folder, "alone", group_bytes=0), quiet=True).run()
    g, a = grouped["stages"][0], alone["stages"][0]
    assert g["files"] == a["files"] == 250
    assert a["shards"] == 249 and g["shards"] == 5                  # 498 documents, 100 a shard
    assert g["docs_out"] == a["docs_out"] == 498 and g["quarantined"] == a["quarantined"]
    rows = lambda s: [(r["id"], r["text"]) for r in read_documents(s["run_dir"]).to_pylist()]   # noqa: E731
    assert rows(grouped) == rows(alone)                             # the same documents, in the same order
    # the run folder holds a record per group, not per file
    records = list((tmp_path / "grouped").glob("stages/00-ingest-*/files/*.done.json"))
    assert len(records) == 1 and len(json.loads(records[0].read_text())["group"]) == 250
    # the accounting still sees files: one file of 250 lost whole, and which
    counts = ingest_counts(records[0].parent.parent, 1)[0]
    assert counts.files == 250 and sum(counts.lost_files.values()) == 1
    assert counts.worst_files[0][1].endswith("part-0100.jsonl")
    q = pq.read_table(next((tmp_path / "grouped").glob("stages/00-ingest-*/quarantine/*.parquet")))
    assert q.column("path").to_pylist()[0].endswith("part-0100.jsonl")
