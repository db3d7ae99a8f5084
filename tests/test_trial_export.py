"""Trial runs (--limit / --sample) and export to the Hugging Face datasets layout, on real Ray."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.export import ExportError, export_stage, final_stage, find_stage
from pipeline.shards import read_documents
from pipeline.recipe import RecipeError, load_recipe
from pipeline.runner import Runner, list_inputs
from pipeline.trial import trial_output, trial_recipe

REPO = Path(__file__).resolve().parents[1]


def recipe_file(tmp_path, shared_data, extra: str = "") -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(textwrap.dedent(f"""
        name: trial-test
        seed: 3
        output: {tmp_path / "run"}
        sources:
          - name: web
            format: warc
            paths: [{shared_data}/warc/sample_pages.warc.gz, {shared_data}/warc/dolma_sample-0000.warc.gz]
            shard_docs: 50
          - name: cc
            format: jsonl
            paths: {shared_data}/text/ccnet_cc_en_head-*.jsonl.gz
            id_field: id
        stages:
          - stage: stages_for_tests:CharCount
        """) + extra)
    return p


def kept_ids(stats: dict, source: str | None = None) -> list[str]:
    shards = Path(stats["output"]["documents"])
    return [r["id"] for p in sorted(shards.glob("*.parquet")) for r in pq.read_table(p, columns=["id", "source"]).to_pylist()
            if source is None or r["source"] == source]


def test_limit_takes_the_first_documents_of_each_source_across_files(tmp_path, shared_data, ray_local):
    recipe = load_recipe(recipe_file(tmp_path, shared_data))
    full = Runner(recipe, quiet=True).run()
    trial = trial_recipe(recipe, list_inputs(recipe), limit=170)
    assert trial.output.endswith("run-trial-limit170")
    stats = Runner(trial, quiet=True).run()
    ingest = stats["stages"][0]
    assert ingest["docs_out"] == 170 + 20           # 166 pages of file 1 + 4 of file 2; cc has only 20
    # the first documents in file order: the same as the full run's first ones per source
    web = kept_ids(stats, "web")
    assert len(web) == 170 and web == kept_ids(full, "web")[:170]
    assert kept_ids(stats, "cc") == kept_ids(full, "cc")
    assert Path(full["output"]["documents"]).exists()         # the real run is untouched
    assert not Path(trial.output).samefile(recipe.output)
    # its stats and report say it read part of the input (they said "190 documents read", no more)
    assert stats["trial"] == "--limit 170: the first 170 documents of each source" and "trial" not in full
    from pipeline.report import write_report
    write_report(trial.output, stats)
    assert "**A trial run** (--limit 170: the first 170 documents of each source), not the whole input" in \
        (Path(trial.output) / "report.md").read_text()


def test_limit_on_a_dataset_snapshot_leaves_its_readme_and_licence_unread(tmp_path, ray_local):
    """A hub snapshot (README.md, LICENSE, .gitattributes beside data/*.parquet): the full run
    passes over the side files, but `--limit` named every listed file in the trial recipe, and a
    named file is read: README.md and LICENSE became corrupt_parquet and the trial stopped on
    max_quarantine_share."""
    import pyarrow as pa
    snap = tmp_path / "snapshot"
    (snap / "data").mkdir(parents=True)
    (snap / "README.md").write_text("---\nlicense: odc-by\n---\n# A dataset\n")
    (snap / "LICENSE").write_text("ODC-By 1.0\n")
    (snap / ".gitattributes").write_text("*.parquet filter=lfs\n")
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(30)], "text": [f"document number {i}" for i in range(30)]}),
                   snap / "data" / "train-00000-of-00001.parquet")
    p = tmp_path / "r.yaml"
    p.write_text(textwrap.dedent(f"""
        name: snapshot-trial
        output: {tmp_path / "run"}
        sources:
          - {{name: edu, format: parquet, paths: {snap}, id_field: id}}
        stages: []
        """))
    recipe = load_recipe(p)
    trial = trial_recipe(recipe, list_inputs(recipe), limit=10)
    assert [Path(x).name for x in trial.sources[0].paths] == ["train-00000-of-00001.parquet"]
    stats = Runner(trial, quiet=True).run()
    assert stats["stages"][0]["docs_out"] == 10 and not stats["quarantined"]


def test_sample_is_seeded_and_independent_of_workers(tmp_path, shared_data, ray_local):
    recipe = load_recipe(recipe_file(tmp_path, shared_data))
    a = Runner(trial_recipe(recipe, list_inputs(recipe), sample=0.3), quiet=True).run()
    b = Runner(trial_recipe(recipe, list_inputs(recipe), sample=0.3), run_dir=tmp_path / "again", quiet=True).run()
    ids = kept_ids(a)
    assert ids == kept_ids(b)
    assert a["trial"] == "--sample 0.3: each document kept with probability 0.3"
    assert 0.15 * 208 < len(ids) < 0.45 * 208
    assert a["stages"][0]["counters"].get("trial_sampled_out", 0) == 208 - len(ids)


def test_trial_options_are_checked(tmp_path, shared_data):
    recipe = load_recipe(recipe_file(tmp_path, shared_data))
    with pytest.raises(RecipeError, match="--sample"):
        trial_recipe(recipe, list_inputs(recipe), sample=1.5)
    with pytest.raises(RecipeError, match="one of"):
        trial_recipe(recipe, list_inputs(recipe), limit=3, sample=0.5)
    # beside a bucket's root would be another bucket (s3://b-trial-limit3)
    assert trial_output("s3://bucket/runs/x/", "limit3") == "s3://bucket/runs/x-trial-limit3"
    with pytest.raises(RecipeError, match="'s3://bucket' is a bucket's root"):
        trial_output("s3://bucket", "limit3")


def test_export_parquet_opens_with_datasets_and_jsonl_round_trips(tmp_path, shared_data, ray_local):
    import datasets
    stats = Runner(load_recipe(recipe_file(tmp_path, shared_data)), quiet=True).run()
    run_dir = tmp_path / "run"
    src = find_stage(run_dir, "CharCount")
    expected = [(r["id"], r["text"]) for p in sorted(src.shards.glob("*.parquet"))
                for r in pq.read_table(p, columns=["id", "text"]).to_pylist()]
    out = tmp_path / "hf"
    (out / "data").mkdir(parents=True)
    (out / "data" / "train-00000-of-00009.parquet").write_bytes(b"stale")   # replaced, never mixed in
    (out / "data" / "events.parquet").write_bytes(b"a lake's own")
    with pytest.raises(ExportError, match="holds files that are no earlier export"):
        export_stage(src, str(out), "parquet", rows_per_file=64)               # a data/ not ours: untouched
    assert (out / "data" / "events.parquet").read_bytes() == b"a lake's own"
    (out / "data" / "events.parquet").unlink()
    (out / "tokenmill_export.json").write_text("{}")                           # an earlier export's data/
    info = export_stage(src, str(out), "parquet", rows_per_file=64)
    assert info["documents"] == stats["output"]["documents_count"] == len(expected)
    n = -(-len(expected) // 64)
    assert sorted(p.name for p in (out / "data").iterdir()) == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    by_dir = datasets.load_dataset(str(out), split="train")
    by_builder = datasets.load_dataset("parquet", data_dir=str(out / "data"), split="train")
    assert [(r["id"], r["text"]) for r in by_dir] == expected
    assert by_builder.num_rows == len(expected) and "html" not in by_builder.column_names
    assert json.loads((out / "tokenmill_export.json").read_text())["documents"] == len(expected)
    # JSONL through the CLI
    r = subprocess.run([sys.executable, "-m", "pipeline", "export", str(run_dir), "--stage", "1",
                        "--format", "jsonl", "--to", str(tmp_path / "js")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    js = datasets.load_dataset("json", data_dir=str(tmp_path / "js" / "data"), split="train")
    assert [(x["id"], x["text"]) for x in js] == expected
    # without --stage: the run's final documents, what read_documents reads
    r = subprocess.run([sys.executable, "-m", "pipeline", "export", str(run_dir), "--to", str(tmp_path / "final")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    final = datasets.load_dataset(str(tmp_path / "final"), split="train")
    assert final["id"] == read_documents(run_dir, ["id"]).column("id").to_pylist()


def test_export_errors_name_the_problem(tmp_path):
    with pytest.raises(ExportError, match="plan.json"):
        find_stage(tmp_path, "x")
    (tmp_path / "plan.json").write_text(json.dumps({"stages": ["00-ingest-abc", "01-dedup-def"]}))
    with pytest.raises(ExportError, match="0=ingest, 1=dedup"):
        find_stage(tmp_path, "nope")
    with pytest.raises(ExportError, match="no finished run here"):
        final_stage(tmp_path)


def test_recipe_export_writes_final_documents(tmp_path, shared_data, ray_local):
    out = tmp_path / "final"
    recipe = load_recipe(recipe_file(tmp_path, shared_data, f"export: {{to: {out}, format: parquet}}\n"))
    stats = Runner(recipe, quiet=True).run()
    assert stats["output"]["export"]["documents"] == stats["output"]["documents_count"]
    assert sum(pq.read_metadata(p).num_rows for p in (out / "data").glob("*.parquet")) == stats["output"]["documents_count"]
    # a trial of that recipe does not overwrite the export
    trial = trial_recipe(recipe, list_inputs(recipe), limit=3)
    assert trial.export is None


def test_export_to_object_store_on_a_moto_server(tmp_path, monkeypatch):
    """s3:// through fsspec/s3fs against a real S3-compatible server on loopback (moto)."""
    import s3fs
    from moto.server import ThreadedMotoServer

    from pipeline.documents import documents_table
    from pipeline.shards import StageDir
    from pipeline.stage import Result
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
            monkeypatch.setenv(k, v)
        fs = s3fs.S3FileSystem(endpoint_url=endpoint, key="test", secret="test")
        fs.mkdir("bucket")
        src = StageDir(tmp_path / "stage")
        rows = [{"id": f"d{i}", "source": "s", "text": f"text {i}", "html": "<p>x</p>"} for i in range(25)]
        for k in range(3):
            part = rows[k::3]
            src.write_shard(f"{k:02d}", None, Result(documents_table(part)), 0, 0, docs_in=len(part))
        info = export_stage(src, "s3://bucket/ds", "parquet", rows_per_file=10,
                            storage_options={"endpoint_url": endpoint, "key": "test", "secret": "test"})
        assert info["files"] == [f"data/train-0000{i}-of-00003.parquet" for i in range(3)]
        fs.invalidate_cache()
        assert sorted(fs.ls("bucket/ds/data")) == [f"bucket/ds/{f}" for f in info["files"]]
        got = [r for f in info["files"] for r in pq.read_table(fs.open(f"bucket/ds/{f}", "rb")).to_pylist()]
        assert [r["id"] for r in got] == [r["id"] for k in range(3) for r in rows[k::3]]
        assert "html" not in got[0]
        assert not [p for p in fs.ls("bucket/ds") if ".export-" in p]       # staging removed
        # a misspelt bucket is refused, not created
        with pytest.raises(ExportError, match="the bucket 'no-such-bucket' does not exist"):
            export_stage(src, "s3://no-such-bucket/ds", "parquet",
                         storage_options={"endpoint_url": endpoint, "key": "test", "secret": "test"})
        fs.invalidate_cache()
        assert not fs.exists("no-such-bucket")
    finally:
        server.stop()
