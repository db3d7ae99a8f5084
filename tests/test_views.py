"""Write once across the whole run: removal-only stages (exact and MinHash dedup) store views of
their input, and ingest's raw documents are consumed once the first chain has made text of them.
Every check compares against the same recipe with `checkpoint: every_stage` (copies everywhere)."""
import gzip
import json
import textwrap

import pytest

from pipeline import read_documents
from pipeline.recipe import load_recipe
from pipeline.runner import Runner
from pipeline.shards import StageDir

STAGES = """
stages:
  - stage: stages_for_tests:CharCount
  - stage: test_drop_short
    min_chars: {min_chars}
  - stage: exact_dedup
  - stage: minhash_dedup
    threshold: {threshold}
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared_data):
    """Two JSONL files of real paragraphs with exact copies and near-copies planted across them."""
    lines = (shared_data / "text" / "wikitext-2_valid.txt").read_text(encoding="utf-8").split("\n")
    paras = [line.strip() for line in lines if len(line.strip()) > 400][:120]
    root = tmp_path_factory.mktemp("corpus")
    a = [{"id": f"a{i}", "text": t} for i, t in enumerate(paras[:60])]
    b = [{"id": f"b{i}", "text": t} for i, t in enumerate(paras[60:])]
    b += [{"id": f"copy{i}", "text": paras[i]} for i in range(8)]                       # exact copies
    b += [{"id": f"near{i}", "text": paras[10 + i] + " (see also)"} for i in range(8)]  # near-copies
    for name, rows in (("a", a), ("b", b)):
        with gzip.open(root / f"{name}.jsonl.gz", "wt", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
    return root


def recipe(tmp_path, corpus, out, name, min_chars=300, threshold=0.8, extra=""):
    p = tmp_path / name
    p.write_text(textwrap.dedent(f"""
        name: views-test
        seed: 3
        output: {out}
        sources:
          - name: wiki
            format: jsonl
            paths: {corpus}/*.jsonl.gz
            id_field: id
            shard_docs: 16
        """) + STAGES.format(min_chars=min_chars, threshold=threshold) + extra)
    return load_recipe(p)


def tree_bytes(root) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def test_views_read_as_copies_and_raw_shards_are_consumed(tmp_path, corpus, ray_local):
    viewed = Runner(recipe(tmp_path, corpus, tmp_path / "v", "v.yaml"), quiet=True).run()
    copied = Runner(recipe(tmp_path, corpus, tmp_path / "c", "c.yaml", extra="checkpoint: every_stage\n"),
                    quiet=True).run()
    ingest, _, chain_end, exact, minhash = (StageDir(s["dir"]) for s in viewed["stages"])
    assert [s["docs_out"] for s in viewed["stages"]] == [s["docs_out"] for s in copied["stages"]]
    assert viewed["stages"][3]["removed"] == {"exact_dedup/exact_duplicate": 8}   # every planted copy
    assert viewed["stages"][4]["docs_out"] < viewed["stages"][3]["docs_out"]      # near-copies went too
    # Dedup stages hold views, no copies; the chain end holds the only copy of the text.
    for d in (exact, minhash):
        assert not list(d.shards.glob("*.parquet")) and len(list((d.path / "views").glob("*.json"))) > 1
    assert list(chain_end.shards.glob("*.parquet"))
    assert not list(ingest.shards.glob("*.parquet")) and list((ingest.path / "ids").glob("*.parquet"))
    assert read_documents(viewed).equals(read_documents(copied))
    assert viewed["output"]["documents_count"] == read_documents(viewed).num_rows
    assert tree_bytes(tmp_path / "v") < 0.6 * tree_bytes(tmp_path / "c")


def test_changing_dedup_reuses_the_chain_and_changing_the_chain_reads_again(tmp_path, corpus, ray_local):
    out = tmp_path / "run"
    first = Runner(recipe(tmp_path, corpus, out, "r1.yaml"), quiet=True).run()
    chain_files = {p: p.stat().st_mtime_ns for p in StageDir(first["stages"][2]["dir"]).shards.glob("*.parquet")}
    # A looser MinHash threshold: the chain and exact dedup are reused, the new stage views exact's view.
    looser = Runner(recipe(tmp_path, corpus, out, "r2.yaml", threshold=0.5), quiet=True).run()
    assert {p: p.stat().st_mtime_ns for p in chain_files} == chain_files
    assert looser["stages"][4]["docs_out"] <= first["stages"][4]["docs_out"]
    fresh = Runner(recipe(tmp_path, corpus, tmp_path / "fresh", "f.yaml", threshold=0.5), quiet=True).run()
    assert read_documents(looser).equals(read_documents(fresh))
    # A changed filter in the chain needs the raw documents that the first run consumed: read again.
    stricter = Runner(recipe(tmp_path, corpus, out, "r3.yaml", min_chars=800), quiet=True).run()
    fresh2 = Runner(recipe(tmp_path, corpus, tmp_path / "fresh2", "f2.yaml", min_chars=800), quiet=True).run()
    assert stricter["stages"][2]["docs_out"] < first["stages"][2]["docs_out"]
    assert read_documents(stricter).equals(read_documents(fresh2))
