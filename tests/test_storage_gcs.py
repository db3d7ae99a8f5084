"""Runs on Google Cloud Storage: gcsfs against a real GCS server on loopback (gcp-storage-emulator,
which speaks GCS's JSON API; gcsfs finds it through STORAGE_EMULATOR_HOST, as Google's own clients do).

The same recipe with its output on gs:// and on a local disk gives byte-identical data files, and
a rerun of the gs:// run finds every stage done."""
import os
import sys
import textwrap

import fsspec
import pytest

from test_storage import (_free_port, data_digests, restore_environ, run_cli, sample_sources, start_server,
                          upload_sample)


@pytest.fixture(scope="module")
def gcs_server():
    port = _free_port()
    env = {**os.environ, "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}",
           # gcsfs's default class first asks a gRPC control plane for the bucket's layout, which an
           # emulator does not serve (60 s of retries per bucket); the plain JSON-API class is the same code
           "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
    proc = start_server([sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1",
                         "--port", str(port), "--in-memory"], port, env)
    saved = {k: os.environ.get(k) for k in ("STORAGE_EMULATOR_HOST", "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT")}
    try:
        os.environ.update({k: env[k] for k in saved})
        yield env
    finally:
        restore_environ(saved)
        proc.kill()
        proc.wait()


def gcsfs_for(env):
    import gcsfs
    assert "STORAGE_EMULATOR_HOST" in os.environ
    return gcsfs.GCSFileSystem(token="anon", endpoint_url=env["STORAGE_EMULATOR_HOST"], skip_instance_cache=True)


def recipe(tmp_path, bucket: str, output: str, name: str):
    p = tmp_path / name
    p.write_text(f"name: gcs-run\nseed: 5\noutput: {output}\n" + sample_sources(f"gs://{bucket}") + textwrap.dedent("""
        stages:
          - stage: extract
          - stage: language
            languages: [en, de, fr, zh]
          - stage: gopher_quality
          - stage: exact_dedup
          - stage: minhash_dedup
        """))
    return p


@pytest.mark.long(seconds=60)
def test_a_run_on_gcs_writes_what_a_local_run_writes(tmp_path, gcs_server):
    fs = gcsfs_for(gcs_server)
    bucket = "tokenmill-gcs"
    upload_sample(fs, bucket, pages=30)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    on_gcs = recipe(tmp_path, bucket, f"gs://{bucket}/run", "gcs.yaml")
    local = tmp_path / "local-run"
    run_cli(on_gcs, gcs_server, cwd)
    run_cli(recipe(tmp_path, bucket, str(local), "local.yaml"), gcs_server, cwd)
    assert not any(cwd.iterdir()), f"files written locally: {list(cwd.rglob('*'))}"    # no ./gs: folder

    remote = data_digests(fs, f"{bucket}/run/")
    here = data_digests(fsspec.filesystem("file"), f"{local}/")
    assert len(remote) >= 8 and remote == here      # documents, ids, removed ids of each stage
    assert fs.exists(f"{bucket}/run/stats.json") and fs.exists(f"{bucket}/run/report.html")

    # A rerun finds every stage done and rewrites no data object.
    before = {k: fs.info(k)["generation"] for k in fs.find(f"{bucket}/run/stages") if k.endswith(".parquet")}
    run_cli(on_gcs, gcs_server, cwd)
    after = {k: fs.info(k)["generation"] for k in fs.find(f"{bucket}/run/stages") if k.endswith(".parquet")}
    assert before and before == after


def test_a_server_that_ignores_suffix_ranges_still_gives_the_end_of_an_object(gcs_server):
    """The emulator answers `Range: bytes=-n` with the whole object (some S3-compatible stores
    do too): a Parquet file larger than the first tail read is still read right."""
    import numpy as np
    import pyarrow as pa

    from pipeline import storage
    gcsfs_for(gcs_server).mkdir("tokenmill-ranges")
    base = storage.path("gs://tokenmill-ranges/x")
    data = np.random.default_rng(0).bytes(3 * storage.PARQUET_TAIL)
    storage.write_bytes_atomic(base / "b.bin", data)
    assert storage.path(base / "b.bin").fs.cat_file(str(base / "b.bin")[5:], start=-10) == data  # the server
    assert storage._last(storage.path(base / "b.bin"), 10) == data[-10:]
    rng = np.random.default_rng(1)
    t = pa.table({"id": [f"d{i}" for i in range(40_000)], "v": [rng.bytes(30).hex() for _ in range(40_000)]})
    storage.write_parquet_atomic(t, base / "t.parquet")
    assert storage.path(base / "t.parquet").stat().st_size > storage.PARQUET_TAIL
    assert storage.read_parquet(base / "t.parquet").equals(t)
    assert storage.parquet_metadata(base / "t.parquet").num_rows == 40_000
