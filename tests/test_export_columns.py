"""`export` of a stage whose shards have different columns (a stage with `apply_to` added its
columns to some sources' shards only): every column of every shard, null where a shard lacks it."""
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import storage
from pipeline.documents import documents_table
from pipeline.export import ExportError, export_stage, final_stage, find_stage
from pipeline.recipe import parse_recipe
from pipeline.runner import Runner
from pipeline.shards import StageDir, read_documents
from pipeline.stage import Result
from tests.test_storage import s3_server, s3fs_for  # noqa: F401  (s3_server is a fixture)

REPO = Path(__file__).resolve().parents[1]
BASE = ["id", "source", "url", "text", "metadata"]


def scoped_run(tmp_path, order: list[str]) -> Path:
    """Sources `prose` and `code` (their shards in `order`); CharCount (adds n_chars) applies to
    prose only; exact_dedup then removes a prose duplicate, its shards views of CharCount's."""
    texts = {"prose": ["a sentence about the weather", "a sentence about the weather", "another sentence"],
             "code": ["def f(x):\n    return x\n", "x = 1\n"]}
    for name, ts in texts.items():
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                                                        for i, t in enumerate(ts)))
    run = tmp_path / "run"
    Runner(parse_recipe({"name": "cols", "output": str(run), "stages": [
        {"stage": "stages_for_tests:CharCount", "apply_to": ["prose"]}, {"stage": "exact_dedup"}],
        "sources": [{"name": n, "format": "jsonl", "paths": [str(tmp_path / f"{n}.jsonl")], "id_field": "id"}
                    for n in order]}), quiet=True).run()
    return run


def exported_rows(out: Path) -> list[dict]:
    files = sorted((out / "data").iterdir())
    if files[0].name.endswith(".parquet"):
        schemas = {pq.read_schema(f) for f in files}
        assert len(schemas) == 1            # one schema in every file: what datasets.load_dataset needs
        return [r for f in files for r in pq.read_table(f).to_pylist()]
    return [json.loads(line) for f in files for line in gzip.decompress(f.read_bytes()).splitlines()]


@pytest.mark.parametrize("order", [["prose", "code"], ["code", "prose"]], ids=["first-has-it", "first-lacks-it"])
def test_export_has_every_column_of_every_shard(tmp_path, ray_local, order):
    run = scoped_run(tmp_path, order)
    src = final_stage(run)
    assert src.view_shards()                # the final documents are views of CharCount's shards
    union = BASE + ["n_chars"]            # in shard order: after BASE whichever source comes first
    want = read_documents(run).drop_columns(["html"]).to_pylist()      # read_documents unifies the shards
    assert {r["id"] for r in want} == {"prose/0", "prose/2", "code/0", "code/1"}

    info = export_stage(src, str(tmp_path / "pq"), "parquet", rows_per_file=3)
    assert info["columns"] == union and len(info["files"]) == 2
    got = exported_rows(tmp_path / "pq")
    assert got == want and list(got[0]) == union
    assert [r["n_chars"] is None for r in got] == [r["source"] == "code" for r in got]

    # JSONL through the command: exit 0, the same rows, code's n_chars null
    r = subprocess.run([sys.executable, "-m", "pipeline", "export", str(run), "--format", "jsonl",
                        "--to", str(tmp_path / "js"), "--rows-per-file", "2"], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert exported_rows(tmp_path / "js") == want

    # --stage CharCount (stored shards, no views), the columns named, one of them scoped
    chars = find_stage(run, "CharCount")
    export_stage(chars, str(tmp_path / "some"), "jsonl", columns=["id", "n_chars"])
    rows = {r["id"]: r for r in exported_rows(tmp_path / "some")}
    assert len(rows) == 5 and all(list(r) == ["id", "n_chars"] for r in rows.values())
    assert rows["code/1"]["n_chars"] is None and rows["prose/2"]["n_chars"] == len("another sentence")
    for out in ("pq", "js", "some"):
        assert not list((tmp_path / out).glob(".export-*"))


def _shards(sd: StageDir, tables: list[pa.Table]) -> None:
    for k, t in enumerate(tables):
        sd.write_shard(f"{k:02d}-00000-0000", None, Result(t), 0, 0, docs_in=t.num_rows)


def _docs(ids: list[str], **extra) -> pa.Table:
    t = documents_table([{"id": i, "source": "s", "text": f"text {i}"} for i in ids])
    for name, arr in extra.items():
        t = t.append_column(name, arr)
    return t


def test_types_are_unified_like_read_documents_on_an_object_store(tmp_path, s3_server):  # noqa: F811
    """Shards on S3 (their schemas read there): an int32 and an int64 `score` become int64, a
    column of the last shard only comes last, null before it; the rows are read_documents'."""
    s3fs_for(s3_server).mkdir("cols")
    sd = StageDir("s3://cols/stage")
    tables = [_docs(["a", "b"], score=pa.array([1, 2], pa.int32())), _docs(["c"]),
              _docs(["d"], score=pa.array([4], pa.int64()), tag=pa.array(["x"]))]
    _shards(sd, tables)
    info = export_stage(sd, str(tmp_path / "out"), "parquet")
    got = pq.read_table(tmp_path / "out" / info["files"][0])
    want = pa.concat_tables([sd.read(s) for s in sd.done_shards()], promote_options="permissive").drop_columns(["html"])
    assert got.schema.names == info["columns"] == [c for c in want.column_names]
    assert got.schema.field("score").type == pa.int64() and got.equals(want)
    assert got.column("tag").to_pylist() == [None, None, None, "x"]


def test_columns_that_cannot_be_unified_are_named(tmp_path):
    sd = StageDir(tmp_path / "stage")
    _shards(sd, [_docs(["a"], score=pa.array([1])), _docs(["b"], score=pa.array(["high"]))])
    with pytest.raises(ExportError, match=r"stage: shard 01-00000-0000: column 'score' is string, where earlier "
                                          r"shards have int64"):
        export_stage(sd, str(tmp_path / "out"), "parquet")
    assert not (tmp_path / "out").exists()          # refused before anything is written


def test_a_failure_mid_export_names_the_shard_and_leaves_no_partial_export(tmp_path, monkeypatch):
    sd = StageDir(tmp_path / "stage")
    _shards(sd, [_docs(["a"]), _docs(["b"], score=pa.array([2]))])
    read = StageDir.read

    def cut_short(self, shard, *a, **k):        # the second shard is damaged once the first is written
        if shard.startswith("01-"):
            raise storage.DamagedFile(f"{self.shard_path(shard)}: not a Parquet file (cut short?)")
        return read(self, shard, *a, **k)
    monkeypatch.setattr(StageDir, "read", cut_short)
    with pytest.raises(ExportError, match=r"^shard 01-00000-0000: .*cut short"):
        export_stage(sd, str(tmp_path / "out"), "jsonl", rows_per_file=1)
    assert (tmp_path / "out").is_dir() and not list((tmp_path / "out").glob(".export-*"))


def _words(seed: int, n: int = 60) -> list[str]:
    import random
    rng = random.Random(seed)
    return [rng.choice("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
                       "sigma tau upsilon phi chi psi omega".split()) + str(rng.randrange(50)) for _ in range(n)]


def scored_second_run(tmp_path, keep: str = "highest_score") -> Path:
    """Sources `code` then `prose` (two documents a shard). exact_dedup removes both documents of
    prose's first shard (copies of code's), so CharCount (apply_to prose) gets that shard empty and
    returns it without `n_chars`: the input shards of minhash_dedup lacking the score column are
    code's and prose's first. prose/2 is a near-duplicate of code/2: the scored copy stays."""
    t = [" ".join(_words(i)) for i in range(4)]
    near = _words(2)
    near[30] = "changed"
    texts = {"code": [t[0], t[1], t[2]], "prose": [t[0], t[1], " ".join(near), t[3]]}
    for name, ts in texts.items():
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"id": str(i), "text": s}) + "\n"
                                                        for i, s in enumerate(ts)))
    run = tmp_path / "run"
    Runner(parse_recipe({"name": "scored", "output": str(run), "stages": [
        {"stage": "exact_dedup"}, {"stage": "stages_for_tests:CharCount", "apply_to": ["prose"]},
        {"stage": "minhash_dedup", "keep": keep, "score_column": "n_chars"}],
        "sources": [{"name": n, "format": "jsonl", "paths": [str(tmp_path / f"{n}.jsonl")], "id_field": "id",
                     "shard_docs": 2} for n in ("code", "prose")]}), quiet=True).run()
    return run


def test_a_score_column_some_shards_lack_ranks_their_documents_last(tmp_path, ray_local):
    """The column check took the first input shard for all (code's, without n_chars): the run
    stopped. A null score ranks last, so code/2 goes and its scored near-duplicate stays."""
    run = scored_second_run(tmp_path)
    chars = find_stage(run, "CharCount")
    empty = [s for s in chars.done_shards() if not chars.read(s).num_rows]
    # prose's emptied shard: it has the columns the stage adds (it had none before an empty batch
    # went through the stage), so a later read by name finds them
    assert len(empty) == 1 and "n_chars" in chars.schema(empty[0]).names
    got = read_documents(run, columns=["id", "n_chars"])
    assert got.column_names == ["id", "n_chars"] and got.schema.field("n_chars").type == pa.int32()
    scores = dict(zip(got.column("id").to_pylist(), got.column("n_chars").to_pylist()))
    assert set(scores) == {"code/0", "code/1", "prose/2", "prose/3"}       # code/2 removed, not prose/2
    assert [k for k, v in scores.items() if v is None] == ["code/0", "code/1"]
    assert got.equals(read_documents(run).select(["id", "n_chars"]))    # as the whole read unifies them


def test_read_documents_names_a_column_no_shard_has(tmp_path, ray_local):
    run = scoped_run(tmp_path, ["code", "prose"])
    with pytest.raises(ValueError, match=r"no shard of .* has column 'nope' \(they have: id, source, url, text, "
                                         r"html, metadata, n_chars\)"):
        read_documents(run, columns=["id", "nope"])


def test_the_column_check_reads_footers_only_until_each_column_is_found(tmp_path, monkeypatch):
    """A global stage's columns are checked on the union of its input shards, reading their schemas
    only until every column is found (each a request on an object store); a core document column is
    still needed in every shard read."""
    from types import SimpleNamespace

    import pipeline.runner as runner
    from stages.dedup.fuzzy import MinHashDedup
    sd = StageDir(tmp_path / "stage")
    score = pa.array([0.5])
    _shards(sd, [_docs(["a"], score=score)] + [_docs([str(k)]) for k in range(40)] + [_docs(["z"], score=score)])
    ctx = SimpleNamespace(input_shards=sorted(sd.done_shards()), input_path=sd.shard_url)
    read, real = [], runner.shard_schema
    monkeypatch.setattr(runner, "shard_schema", lambda url: read.append(url) or real(url))
    runner._check_columns(MinHashDedup(keep="highest_score", score_column="score"), ctx)
    assert len(read) == 1                       # the first shard has it: no other footer read
    read.clear()
    ctx.input_shards = ctx.input_shards[1:]     # only the last shard has it: found, not an error
    runner._check_columns(MinHashDedup(keep="highest_score", score_column="score"), ctx)
    assert len(read) == 41
    read.clear()
    _shards(sd, [_docs(["a"])] * 3 + [_docs(["c"], score=score)])     # the third of them has it too
    runner._check_columns(MinHashDedup(keep="highest_score", score_column="score"), ctx)
    assert len(read) == 3                       # one footer, then two: not the other 38
    read.clear()
    with pytest.raises(runner.StageError, match=r"its input has no column 'quality' in any of its "
                                                r"41 shards \(they have: id, source, url, text, html, metadata, "
                                                r"score\)$"):
        runner._check_columns(MinHashDedup(keep="highest_score", score_column="quality"), ctx)
    assert len(read) == 41                      # in none: every footer read
    ctx.input_shards = ["00-00000-0000", *ctx.input_shards]
    _shards(sd, [_docs(["a"], score=score).drop_columns(["text"])])      # a shard without text
    with pytest.raises(runner.StageError, match=r"its input shard 00-00000-0000 has no column "
                                                r"'text' \(it has: id, source, url, html, metadata, score\)$"):
        runner._check_columns(MinHashDedup(keep="highest_score", score_column="score"), ctx)
