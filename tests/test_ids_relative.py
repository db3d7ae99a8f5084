"""Ids made from a file's path name the file below where the source's paths start (`id_base`), so
the same input gives the same ids, samples and shards on any machine or checkout."""
import gzip
import json
import shutil
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.checks import id_bases
from pipeline.recipe import load_recipe
from pipeline.runner import Runner, list_inputs
from pipeline.trial import trial_recipe


def _tree(root: Path) -> Path:
    """Rows without ids in two folders, a text file, and a page without a WARC record id."""
    for sub, n in (("a", 30), ("b", 20)):
        (root / "rows" / sub).mkdir(parents=True)
        with gzip.open(root / "rows" / sub / "part-0.jsonl.gz", "wt") as f:
            for i in range(n):
                f.write(json.dumps({"text": f"document {sub} {i} " + "words in a row " * (5 + i)}) + "\n")
    (root / "books").mkdir()
    for name in ("one", "two", "three", "four", "five", "six"):
        (root / "books" / f"{name}.txt").write_text(f"Book {name}, of one paragraph long enough to keep. " * 20)
    return root


def _recipe(root: Path, out: Path, extra: str = "") -> Path:
    p = root / "r.yaml"
    p.write_text(textwrap.dedent(f"""
        name: ids
        seed: 5
        output: {out}
        sources:
          - name: rows
            format: jsonl
            paths: {root}/rows/*/*.jsonl.gz
            shard_docs: 16
          - name: books
            format: text
            paths: [{root}/books/one.txt, {root}/books]
        stages:
          - stage: stages_for_tests:CharCount
        """) + extra)
    return p


def _ids(stats) -> list[str]:
    docs = Path(stats["output"]["documents"])
    return [i for p in sorted(docs.glob("*.parquet")) for i in pq.read_table(p, columns=["id"]).column("id").to_pylist()]


def _shard_bytes(stats) -> list[bytes]:
    return [p.read_bytes() for p in sorted(Path(stats["output"]["documents"]).glob("*.parquet"))]


def test_the_same_input_in_two_places_gives_the_same_ids_and_shards(tmp_path, ray_local):
    one = _tree(tmp_path / "machine1" / "data")
    two = tmp_path / "elsewhere" / "copy" / "data"
    shutil.copytree(one, two)
    a = Runner(load_recipe(_recipe(one, tmp_path / "out1")), quiet=True).run()
    b = Runner(load_recipe(_recipe(two, tmp_path / "out2")), quiet=True).run()
    ids = _ids(a)
    assert ids == _ids(b) and len(ids) == 56
    assert "rows/a/part-0.jsonl.gz#1" in ids and "books/one.txt" in ids
    assert not any(str(tmp_path) in i for i in ids)
    assert _shard_bytes(a) == _shard_bytes(b)


def test_a_trial_sample_keeps_the_same_documents_wherever_the_input_is(tmp_path, ray_local):
    one = _tree(tmp_path / "x" / "data")
    two = tmp_path / "y" / "z" / "data"
    shutil.copytree(one, two)
    kept = []
    for root, out in ((one, tmp_path / "o1"), (two, tmp_path / "o2")):
        recipe = load_recipe(_recipe(root, out))
        kept.append(_ids(Runner(trial_recipe(recipe, list_inputs(recipe), sample=0.5), quiet=True).run()))
    assert kept[0] == kept[1] and 10 < len(kept[0]) < 50


def test_a_trial_limit_keeps_the_full_runs_ids(tmp_path, ray_local):
    root = _tree(tmp_path / "data")
    recipe = load_recipe(_recipe(root, tmp_path / "out"))
    full = _ids(Runner(recipe, quiet=True).run())
    trial = _ids(Runner(trial_recipe(recipe, list_inputs(recipe), limit=10), quiet=True).run())
    assert trial and set(trial) <= set(full) and "rows/a/part-0.jsonl.gz#1" in trial


@pytest.mark.parametrize("paths, files, base", [
    (["/d/crawl/*.jsonl"], ["/d/crawl/x.jsonl"], "/d/crawl"),
    (["/d/crawl/**/*.jsonl"], ["/d/crawl/a/x.jsonl"], "/d/crawl"),           # not the one folder found today
    (["/d/crawl/x.jsonl"], ["/d/crawl/x.jsonl"], "/d/crawl"),                # a file: its folder
    (["/d/crawl"], ["/d/crawl/a/x.jsonl"], "/d/crawl"),                      # a folder: itself
    (["/d/a/*.jsonl", "/d/b/y.jsonl"], ["/d/a/x.jsonl", "/d/b/y.jsonl"], "/d"),   # two folders: their parent
    (["s3://bucket/cc/*.warc.gz"], ["s3://bucket/cc/1.warc.gz"], "s3://bucket/cc"),
    (["s3://bucket/a/*.gz", "/local/*.gz"], ["s3://bucket/a/1.gz", "/local/2.gz"], ""),
])
def test_id_base_is_where_the_paths_start(tmp_path, paths, files, base):
    p = tmp_path / "r.yaml"
    p.write_text(f"name: b\noutput: {tmp_path / 'o'}\nsources:\n  - name: s\n    format: jsonl\n"
                 f"    paths: {json.dumps(paths)}\nstages: []\n")
    assert id_bases(load_recipe(p), {"s": files}) == {"s": base}


def test_id_base_of_a_paths_file_and_an_explicit_one(tmp_path):
    listing = tmp_path / "paths.txt"
    listing.write_text("s3://commoncrawl/crawl-data/CC-MAIN-1/segments/1/warc/a.warc.gz\n")
    p = tmp_path / "r.yaml"
    p.write_text(f"name: b\noutput: {tmp_path / 'o'}\nsources:\n  - name: s\n    format: warc\n"
                 f"    paths_file: {listing}\n  - name: t\n    format: jsonl\n    paths: [/d/x/*.jsonl]\n"
                 f"    id_base: /d\nstages: []\n")
    files = {"s": ["s3://commoncrawl/crawl-data/CC-MAIN-1/segments/1/warc/a.warc.gz",
                   "s3://commoncrawl/crawl-data/CC-MAIN-1/segments/2/warc/b.warc.gz"], "t": ["/d/x/1.jsonl"]}
    assert id_bases(load_recipe(p), files) == {"s": "s3://commoncrawl/crawl-data/CC-MAIN-1/segments", "t": "/d"}
    # a base of no common folder, written out (a trial's copy of its source), stays that
    recipe = load_recipe(p)
    recipe = recipe.model_copy(update={"sources": [s.model_copy(update={"id_base": ""}) for s in recipe.sources]})
    assert id_bases(recipe, files) == {"s": "", "t": ""}
