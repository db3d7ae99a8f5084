"""Runs on object storage: a real S3-compatible server (moto's server mode) on loopback.

The recipe reads its input from s3:// and writes its run to s3://; nothing lands in a local `./s3:`
folder; a run killed with SIGKILL and started again leaves the same objects as a clean run.
"""
import hashlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cmd: list[str], port: int, env: dict) -> subprocess.Popen:
    """A server process, once it accepts connections on `port` (loopback)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{' '.join(cmd[:3])} did not start") from None
            time.sleep(0.2)


def start_moto() -> tuple[subprocess.Popen, dict]:
    """A moto S3 server process on loopback, and the environment a process needs to reach it."""
    port = _free_port()
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    return start_server([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, env), env


@pytest.fixture(scope="module")
def s3_server():
    """A moto S3 server on loopback; yields the environment a process needs to reach it."""
    proc, env = start_moto()
    try:
        saved = {k: os.environ.get(k) for k in env if k.startswith("AWS_")}
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        # fsspec keeps one S3FileSystem per set of options, and the endpoint comes from the
        # environment: an instance made for an earlier server in this process would call a dead port.
        _forget_s3_instances()
        yield env
    finally:
        _forget_s3_instances()
        restore_environ(locals().get("saved", {}))
        proc.kill()
        proc.wait()


def restore_environ(saved: dict[str, str | None]) -> None:
    """Put back the environment variables a server fixture set (None: was not set)."""
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _forget_s3_instances() -> None:
    import s3fs
    s3fs.S3FileSystem.clear_instance_cache()


def s3fs_for(env):
    import s3fs
    return s3fs.S3FileSystem(key=env["AWS_ACCESS_KEY_ID"], secret=env["AWS_SECRET_ACCESS_KEY"],
                             endpoint_url=env["AWS_ENDPOINT_URL"], use_listings_cache=False, skip_instance_cache=True)


def upload_sample(fs, bucket: str, pages: int = 60) -> None:
    """The sample's CCNet file and the first `pages` pages of its WARC (a whole-record cut: the
    file is a gzip member per record). Every stage still gets several shards to work on; the
    other 100 pages only made the three runs below longer."""
    from test_readers import members
    fs.mkdir(bucket)
    cc = "cc/ccnet_cc_en_head-0091.jsonl.gz"
    fs.put_file(str(REPO / "data" / "sample" / cc), f"{bucket}/input/{cc}")
    warc = members(REPO / "data" / "sample" / "web" / "sample_pages.warc.gz")     # warcinfo, then pages
    fs.pipe_file(f"{bucket}/input/web/sample_pages.warc.gz", b"".join(warc[:1 + pages]))


STAGES = """
    stages:
      - stage: extract
      - stage: stages_for_tests:CharCount
        sleep_seconds: {sleep}
      - stage: language
        languages: [en, zh, de, fr]
      - stage: gopher_quality
      - stage: exact_dedup
      - stage: minhash_dedup
      - stage: mix
        sources:
          web: {{weight: 0.7, max_epochs: 2}}
          cc:  {{weight: 0.3, max_epochs: 3}}
        tokenizer:
          vocab_size: 2000
      - stage: tokenize
"""


def sample_sources(root: str) -> str:
    """The `sources:` of a recipe over what upload_sample put under `root` (s3://b, gs://b)."""
    return textwrap.dedent(f"""
        sources:
          - name: web
            format: warc
            paths: [{root}/input/web/*.warc.gz]
            shard_docs: 10
          - name: cc
            format: jsonl
            paths: {root}/input/cc/*.jsonl.gz
            id_field: id
        """)


def recipe(tmp_path, bucket: str, out: str, sleep: float = 0.0, name: str = "r.yaml") -> Path:
    p = tmp_path / name
    p.write_text(f"name: s3-run\nseed: 3\noutput: s3://{bucket}/{out}\n" + sample_sources(f"s3://{bucket}")
                 + textwrap.dedent(STAGES.format(sleep=sleep)))
    return p


def run_cli(recipe_path: Path, env: dict, cwd: Path, wait: bool = True):
    env = {**env, "PYTHONPATH": f"{REPO / 'tests'}{os.pathsep}{REPO}"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(recipe_path), "--quiet"], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if wait:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out.decode()[-4000:]
    return proc


DATA_SUFFIXES = (".parquet", ".arrow")


def data_digests(fs, root: str) -> dict[str, str]:
    """sha256 of every data object (document shards, removed ids, quarantine, token shards)."""
    out = {}
    for key in fs.find(root):
        if key.endswith(DATA_SUFFIXES):
            out[key[len(root):]] = hashlib.sha256(fs.cat_file(key)).hexdigest()
    return out


@pytest.mark.long(seconds=100)
def test_s3_input_and_output_killed_and_rerun_match_a_clean_run(tmp_path, s3_server):
    fs = s3fs_for(s3_server)
    bucket = "tokenmill-test"
    upload_sample(fs, bucket)
    cwd = tmp_path / "cwd"
    cwd.mkdir()

    # The clean run goes on beside the killed one and its rerun (its own process and Ray, another
    # prefix): most of a run's time is start-up, phase barriers and round trips to the server.
    clean_proc = run_cli(recipe(tmp_path, bucket, "clean", sleep=0.3, name="clean.yaml"), s3_server, cwd, wait=False)
    try:
        killed = recipe(tmp_path, bucket, "killed", sleep=0.3, name="killed.yaml")
        proc = run_cli(killed, s3_server, cwd, wait=False)
        deadline = time.time() + 180
        done = lambda: fs.glob(f"{bucket}/killed/stages/02-*/done/*.json")  # noqa: E731
        while len(done()) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, "the run finished before it could be killed: " + proc.stdout.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not fs.exists(f"{bucket}/killed/stats.json")
        run_cli(killed, s3_server, cwd)
        out, _ = clean_proc.communicate(timeout=600)
        assert clean_proc.returncode == 0, out.decode()[-4000:]
    finally:
        if clean_proc.poll() is None:
            clean_proc.kill()
            clean_proc.wait()

    assert not any(cwd.iterdir()), f"files written locally: {list(cwd.rglob('*'))}"    # no ./s3: folder
    fs.invalidate_cache()       # the globs above cached listings of the killed run's folders, as they were then
    clean, again = data_digests(fs, f"{bucket}/clean/"), data_digests(fs, f"{bucket}/killed/")
    assert len(clean) > 20 and clean == again
    assert any("/output/tokens-" in k for k in clean)
    assert fs.exists(f"{bucket}/killed/stats.json") and fs.exists(f"{bucket}/killed/report.html")
    manifest = next(k for k in fs.find(f"{bucket}/killed/stages") if k.endswith("/output/manifest.json"))
    check = subprocess.run([sys.executable, "-m", "pipeline", "validate-shards", "s3://" + manifest.rsplit("/", 1)[0]],
                           cwd=cwd, env=s3_server, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and check.stdout.startswith("OK"), check.stdout + check.stderr


def test_a_crawls_paths_file_on_s3_names_objects_under_its_base(tmp_path, s3_server):
    """As Common Crawl is read from s3://commoncrawl/: its warc.paths.gz lists the objects by paths
    relative to the bucket; paths_base makes them URLs, and the first is probed at load."""
    import gzip

    from pipeline.checks import list_inputs
    from pipeline.readers import Doc, ReadState, read_source_file
    from pipeline.recipe import RecipeError, load_recipe
    fs = s3fs_for(s3_server)
    bucket = "tokenmill-paths"
    upload_sample(fs, bucket, pages=5)
    fs.pipe_file(f"{bucket}/crawl/warc.paths.gz", gzip.compress(b"input/web/sample_pages.warc.gz\n"))

    def load(base: str):
        p = tmp_path / "r.yaml"
        p.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - name: web\n    format: warc\n"
                     f"    paths_file: s3://{bucket}/crawl/warc.paths.gz\n    paths_base: {base}\n")
        return load_recipe(p)
    r = load(f"s3://{bucket}/")
    files = list_inputs(r)["web"]
    assert files == [f"s3://{bucket}/input/web/sample_pages.warc.gz"]
    docs = [d for d in read_source_file(r.sources[0], files[0], ReadState()) if isinstance(d, Doc)]
    assert len(docs) == 5
    with pytest.raises(RecipeError, match=r"cannot find 's3://tokenmill-paths/crawl/input/web/sample_pages"):
        list_inputs(load(f"s3://{bucket}/crawl"))


def test_missing_objects_are_a_load_error_or_a_quarantined_line(tmp_path, s3_server):
    """An s3:// path named in `paths` that is not there is the same one-line error as a missing
    local file (it was a FileNotFoundError traceback from the plan); a missing object on a later
    line of a paths_file is planned, and quarantined `unreadable_file` when read, as promised."""
    import gzip

    from pipeline.checks import list_inputs
    from pipeline.readers import ReadState, read_source_file
    from pipeline.recipe import RecipeError, load_recipe
    from pipeline.plan import plan
    fs = s3fs_for(s3_server)
    bucket = "tokenmill-missing"
    upload_sample(fs, bucket, pages=3)

    def load(source: str):
        p = tmp_path / "r.yaml"
        p.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - name: web\n    format: warc\n{source}")
        return load_recipe(p)
    for missing in (f"s3://{bucket}/input/web/nope.warc.gz", f"s3://{bucket}/no-such-prefix"):
        with pytest.raises(RecipeError, match=rf"paths: file not found: '{missing}'"):
            list_inputs(load(f"    paths: [{missing}]\n"))
    fs.pipe_file(f"{bucket}/warc.paths.gz", gzip.compress(b"input/web/sample_pages.warc.gz\ninput/web/gone.warc.gz\n"))
    r = load(f"    paths_file: s3://{bucket}/warc.paths.gz\n    paths_base: s3://{bucket}/\n")
    files = list_inputs(r)
    assert files["web"][1].endswith("/input/web/sample_pages.warc.gz")
    planned = plan(r, tmp_path / "run", files)           # no request error for the gone object
    assert planned[0].key
    items = list(read_source_file(r.sources[0], files["web"][0], ReadState()))
    assert [i.reason for i in items] == ["unreadable_file"]


@pytest.mark.parametrize("root", ["local", "memory://tm-storage-test"])
def test_storage_api_is_the_same_locally_and_in_memory(tmp_path, root):
    import pyarrow as pa

    from pipeline import storage
    base = storage.path(tmp_path / "x" if root == "local" else root)
    t = pa.table({"id": ["a", "b"], "n": [1, 2]})
    storage.write_parquet_atomic(t, base / "s" / "00001.parquet")
    storage.write_json_atomic({"k": 1}, base / "done" / "00001.json")
    storage.write_bytes_atomic(base / "raw.bin", bytes(range(100)))
    assert storage.read_parquet(base / "s" / "00001.parquet", columns=["id"]).column("id").to_pylist() == ["a", "b"]
    assert storage.parquet_metadata(base / "s" / "00001.parquet").num_rows == 2
    assert storage.read_json(base / "done" / "00001.json") == {"k": 1}
    assert storage.read_bytes(base / "raw.bin", 10, 20) == bytes(range(10, 20))
    assert storage.names(base / "s", ".parquet") == ["00001.parquet"] and storage.names(base / "nothing") == []
    assert storage.is_within(base / "s" / "00001.parquet", base) and not storage.is_within(base, base / "s")
    assert not storage.is_empty_dir(base)
    storage.remove(base / "s")
    assert storage.names(base / "s") == [] and not (base / "s" / "00001.parquet").exists()
    if root == "local":       # temp+rename: no temporary file is left beside the written ones
        assert sorted(p.name for p in (tmp_path / "x").rglob("*") if p.is_file()) == ["00001.json", "raw.bin"]


@pytest.mark.parametrize("root", ["local", "memory://tm-read-parquet"])
def test_read_parquet_of_one_file_is_pq_read_table_without_the_dataset_layer(tmp_path, root):
    """A single file is read with ParquetFile (pq.read_table's dataset layer imports
    pyarrow.dataset and costs ~1 ms a file locally, and ~7 requests a file on an object store
    where one open needs two): the same table, schema metadata included; a missing column is
    still an error; a folder is still read as one dataset, also one named like a file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline import storage
    base = storage.path(tmp_path if root == "local" else root)
    t = pa.table({"id": ["a", "b", None], "n": [1, 2, 3], "v": [[1.5], [], None]}).replace_schema_metadata({"k": "v"})
    storage.write_parquet_atomic(t, base / "d" / "1.parquet")
    storage.write_parquet_atomic(t.slice(1), base / "d" / "2.parquet")
    storage.write_parquet_atomic(t, base / "named.parquet" / "part-0.parquet")
    one = base / "d" / "1.parquet"
    for cols in (None, ["n"], ["v", "id"]):
        want = pq.read_table(str(one) if root == "local" else one.path, columns=cols,
                             filesystem=None if root == "local" else one.fs)
        got = storage.read_parquet(one, columns=cols)
        assert got.equals(want) and got.schema.equals(want.schema, check_metadata=True)
    with pytest.raises(pa.ArrowInvalid, match="nope"):
        storage.read_parquet(one, columns=["id", "nope"])
    assert storage.read_parquet(base / "d").num_rows == 5
    assert storage.read_parquet(base / "named.parquet").num_rows == 3
    if root != "local":
        storage.remove(base)


def test_urls_stay_urls():
    from pipeline import storage
    p = storage.path("s3://bucket/run")
    assert str(p / "stages") == "s3://bucket/run/stages" and not storage.is_local(p)
    assert storage.is_local(storage.path("runs/x")) and storage.path("runs/x").is_absolute()


def test_read_npy_parses_its_own_header_without_ast(tmp_path, monkeypatch):
    """numpy parses a .npy header with ast.literal_eval, which CPython 3.11 races with other
    threads compiling (a SystemError killed a run whose offsets files a thread pool read): the
    headers we write are read without it, and give the same arrays as np.load."""
    import ast

    import numpy as np

    from pipeline import storage
    arrays = [np.arange(10, dtype=np.uint64), np.zeros((0,), np.int64), np.zeros((0, 2), np.int64),
              np.arange(12, dtype=">i4").reshape(3, 4), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
              np.array(5, np.int16), np.array([b"ab", b"c"], dtype="S")]
    for i, a in enumerate(arrays):
        storage.write_npy_atomic(a, tmp_path / f"{i}.npy")
    want = [np.load(tmp_path / f"{i}.npy") for i in range(len(arrays))]

    def no_ast(*a, **k):
        raise AssertionError("ast.literal_eval called")
    monkeypatch.setattr(ast, "literal_eval", no_ast)
    for i, w in enumerate(want):
        got = storage.read_npy(tmp_path / f"{i}.npy")
        assert got.dtype == w.dtype and got.shape == w.shape and np.array_equal(got, w)


def test_an_output_bucket_that_does_not_exist_is_a_load_error(tmp_path, s3_server):
    """validate said OK and the run died at its lease's first write (NoSuchBucket traceback)."""
    from pipeline.checks import list_inputs
    from pipeline.lease import check_output
    from pipeline.recipe import RecipeError, load_recipe
    fs = s3fs_for(s3_server)
    upload_sample(fs, "tokenmill-outcheck", pages=2)
    p = tmp_path / "r.yaml"
    for bucket, ok in (("tokenmill-outcheck", True), ("tokenmill-nobucket", False)):
        p.write_text(f"name: t\noutput: s3://{bucket}/run\nsources:\n  - name: web\n    format: warc\n"
                     f"    paths: [s3://tokenmill-outcheck/input/web/sample_pages.warc.gz]\n")
        r = load_recipe(p)
        if ok:
            check_output(r.output, r, list_inputs(r))
        else:
            with pytest.raises(RecipeError, match="the bucket 'tokenmill-nobucket' does not exist"):
                check_output(r.output, r, list_inputs(r))


def test_a_dataset_snapshot_on_s3_reads_its_data_files_with_their_partitions(tmp_path, s3_server):
    """On an object store as on disk: a prefix in `paths` means the format's files (the card and
    licence of a Hugging Face snapshot are counted, not read as rows), Hive folders reach the
    metadata, a dotted url_field reaches into the rows and compression is read from the bytes."""
    import gzip
    import json

    from pipeline.checks import list_inputs
    from pipeline.readers import Doc, ReadState, read_source_file
    from pipeline.recipe import load_recipe
    fs = s3fs_for(s3_server)
    bucket = "tokenmill-snapshot"
    fs.mkdir(bucket)
    rows = "".join(json.dumps({"text": f"document {i} about rivers", "metadata": {"url": f"https://x.org/{i}"}}) + "\n"
                   for i in range(3))
    fs.pipe_file(f"{bucket}/ds/lang=en/part-0.jsonl.gz", gzip.compress(rows.encode()))
    fs.pipe_file(f"{bucket}/ds/lang=de/part-0.jsonl", gzip.compress(rows.encode()))      # gzip, no .gz
    fs.pipe_file(f"{bucket}/ds/README.md", b"# A dataset card\n\nNot rows.\n")
    p = tmp_path / "r.yaml"
    p.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - name: hf\n    format: jsonl\n"
                 f"    paths: [s3://{bucket}/ds]\n    url_field: metadata.url\n")
    r = load_recipe(p)
    files = list_inputs(r)["hf"]
    assert len(files) == 3
    docs, counters = [], {}
    for f in files:
        state = ReadState()
        docs += [d for d in read_source_file(r.sources[0], f, state) if isinstance(d, Doc)]
        for k, v in state.counters.items():
            counters[k] = counters.get(k, 0) + v
    assert len(docs) == 6 and counters["skipped_not_jsonl_file"] == 1 and counters["compression_by_content"] == 1
    assert sorted({d.metadata["lang"] for d in docs}) == ["de", "en"]
    assert {d.url for d in docs} == {f"https://x.org/{i}" for i in range(3)}


def test_folder_markers_are_empty_folders_and_no_input(tmp_path, s3_server):
    """The S3 console's zero-byte `folder/` key made an empty output folder 'not empty and not a
    run'; Hadoop's `_$folder$` keys that a glob turned up were quarantined `empty_file`."""
    from pipeline import storage
    from pipeline.checks import list_inputs
    from pipeline.lease import check_output
    from pipeline.readers import Doc, ReadState, read_source_file
    from pipeline.recipe import RecipeError, load_recipe
    fs = s3fs_for(s3_server)
    upload_sample(fs, "tokenmill-markers", pages=2)
    fs.pipe_file("tokenmill-markers/console/", b"")
    fs.pipe_file("tokenmill-markers/input/web/sub_$folder$", b"")
    fs.pipe_file("tokenmill-markers/notrun/empty.txt", b"")
    assert storage.is_empty_dir("s3://tokenmill-markers/console") and storage.is_empty_dir("s3://tokenmill-markers/none")
    assert not storage.is_empty_dir("s3://tokenmill-markers/notrun")          # an empty file is a file
    p = tmp_path / "r.yaml"
    for out, ok in (("console", True), ("notrun", False)):
        p.write_text(f"name: t\noutput: s3://tokenmill-markers/{out}\nsources:\n  - name: web\n    format: warc\n"
                     f"    paths: ['s3://tokenmill-markers/input/web/*']\n")
        r = load_recipe(p)
        files = list_inputs(r)
        assert files["web"] == ["s3://tokenmill-markers/input/web/sample_pages.warc.gz",
                                "s3://tokenmill-markers/input/web/sub_$folder$"]
        if ok:
            check_output(r.output, r, files)
        else:
            with pytest.raises(RecipeError, match="not a tokenmill run"):
                check_output(r.output, r, files)
    state = ReadState()
    src = r.sources[0]
    items = [i for f in files["web"] for i in read_source_file(src, f, state)]
    assert all(isinstance(i, Doc) for i in items) and len(items) == 2 and state.counters["skipped_marker_file"] == 1


def test_a_key_that_names_an_object_and_a_folder_reads_both(s3_server):
    """S3 keeps `data` and `data/x.jsonl` side by side: `paths: [s3://b/data]` read the folder's
    files and dropped the object `data` uncounted."""
    from pipeline.readers import expand_paths
    fs = s3fs_for(s3_server)
    fs.mkdir("tokenmill-both")
    fs.pipe_file("tokenmill-both/data", b'{"text": "the object"}\n')
    fs.pipe_file("tokenmill-both/data/x.jsonl", b'{"text": "in the folder"}\n')
    fs.pipe_file("tokenmill-both/only/", b"")                 # a console folder marker: no object
    fs.pipe_file("tokenmill-both/only/y.jsonl", b'{"text": "y"}\n')
    assert expand_paths("s3://tokenmill-both/data") == ["s3://tokenmill-both/data", "s3://tokenmill-both/data/x.jsonl"]
    assert expand_paths("s3://tokenmill-both/only") == ["s3://tokenmill-both/only/y.jsonl"]
