"""Object stores and leases, from a probe against a moto S3 server: missing or refused credentials
are one line naming the place and what to set, for every command; a fresh lease is created only
if absent (two runs starting together: one is refused); Ray failing to start is one line; a
command that only reads a run says what it could not read; export refuses memory://."""
import os
import socket
import subprocess
import sys

import pytest

from pipeline import storage
from pipeline.lease import LEASE, Lease, OutputBusy
from tests.test_storage import REPO, s3_server, s3fs_for  # noqa: F401  (s3_server is a fixture)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]       # nothing listens there once it is closed


def _local_recipe(tmp_path, shared_data, output: str, extra: str = "") -> str:
    p = tmp_path / "r.yaml"
    p.write_text(f"name: probe24\noutput: {output}\nsources:\n  - name: web\n    format: warc\n"
                 f"    paths: ['{shared_data / 'warc' / 'sample_pages.warc.gz'}']\n{extra}")
    return str(p)


def _pipeline(args: list[str], env: dict, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(REPO)}, timeout=300)


def _one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), r.stderr[-3000:]
    return last


@pytest.mark.parametrize("command", ["run", "report", "inspect", "explain", "export"])
def test_missing_credentials_are_one_line_naming_the_place_and_what_to_set(command, s3_server, tmp_path,
                                                                           shared_data):
    env = {k: v for k, v in s3_server.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    env.update(HOME=str(tmp_path), AWS_EC2_METADATA_DISABLED="true",      # no credentials anywhere
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    run = "s3://probe24-runs/nocred"
    args = {"run": ["run", _local_recipe(tmp_path, shared_data, run), "--quiet"],
            "report": ["report", run], "inspect": ["inspect", run, "--stage", "0"],
            "explain": ["explain", run, "doc-1"], "export": ["export", run, "--to", str(tmp_path / "exp")]}[command]
    last = _one_line_error(_pipeline(args, env, tmp_path))
    assert run in last and "NoCredentialsError" in last, last
    assert "AWS_ACCESS_KEY_ID" in last and "AWS_PROFILE" in last, last


def test_credentials_the_store_refuses_are_a_storage_failure_naming_what_to_set(tmp_path):
    """s3fs raises S3's 403 answers (a wrong key, a wrong secret, no access) as PermissionError, the
    ClientError kept: a local PermissionError stays a file's own problem."""
    from botocore.exceptions import ClientError
    from s3fs.errors import translate_boto_error
    for code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"):
        refused = translate_boto_error(ClientError({"Error": {"Code": code, "Message": "refused"}}, "GetObject"))
        assert isinstance(refused, PermissionError)
        line = storage.failure_line(refused)
        assert line is not None and "the store refused the credentials" in line and "AWS_ACCESS_KEY_ID" in line, line
    local = tmp_path / "locked"
    local.write_text("x")
    local.chmod(0)
    with pytest.raises(PermissionError) as e:
        if os.geteuid() == 0:
            raise PermissionError(13, "Permission denied", str(local))
        local.read_text()
    assert storage.failure_line(e.value) is None


@pytest.mark.parametrize("where", ["local", "s3"])
def test_of_two_runs_that_both_found_no_lease_one_is_refused(where, request, tmp_path, monkeypatch):
    """Two runs started 0.3 s apart into one s3:// output both took the lease (each wrote it, slept
    and read back its own token). A run finding no lease now creates it only if still absent."""
    if where == "s3":
        env = request.getfixturevalue("s3_server")
        s3fs_for(env).mkdir("probe24-leases")
        out = "s3://probe24-leases/run"
    else:
        out = str(tmp_path / "run")
    monkeypatch.setattr(Lease, "check", lambda self, now=None: None)     # both looked before either wrote
    first = Lease(out).acquire()
    try:
        with pytest.raises(OutputBusy, match="another run took this output's lease just now"):
            Lease(out).acquire()
        assert storage.read_json(storage.join(out, LEASE))["token"] == first.token
    finally:
        first.release()
    monkeypatch.undo()
    # a stale lease (no heartbeat for long, another host) is still taken over
    storage.write_json_atomic({"host": "elsewhere", "pid": 1, "token": "old", "heartbeat": 0}, storage.join(out, LEASE))
    taker = Lease(out).acquire()
    try:
        assert storage.read_json(storage.join(out, LEASE))["token"] == taker.token
    finally:
        taker.release()


def test_ray_failing_to_start_is_one_line_saying_what_to_do(tmp_path, shared_data):
    code = ("import sys, ray\n"
            "def init(*args, **kwargs):\n"
            "    raise Exception('The current node timed out during startup. This could happen because some of '\n"
            "                    'the raylet failed to startup or the GCS has become overloaded.')\n"
            "ray.init = init\n"
            "from pipeline.cli import main\n"
            f"sys.exit(main(['run', {_local_recipe(tmp_path, shared_data, str(tmp_path / 'run'))!r}, '--quiet']))\n")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    last = _one_line_error(r)
    assert last.startswith("error: Ray did not start on this machine (Exception: The current node timed out"), last
    assert "run the command again" in last and "RAY_ADDRESS" in last, last


def test_report_on_an_unreachable_store_says_what_it_could_not_read(tmp_path):
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1"}
    last = _one_line_error(_pipeline(["report", "s3://probe24-runs/gone"], env, tmp_path))
    assert last.startswith("error: report could not read s3://probe24-runs/gone: storage failed "
                           "(EndpointConnectionError"), last
    assert "AWS_ENDPOINT_URL" in last and "resumes" not in last and "the run stopped" not in last, last


def test_memory_is_refused_as_an_export_target(tmp_path, shared_data):
    """memory:// is this process's memory: `export --to memory://exp` said "exported 121 documents"
    and the files were gone when the command ended. A recipe's `export.to` is refused too."""
    last = _one_line_error(_pipeline(["export", str(tmp_path / "run"), "--to", "memory://exp"], dict(os.environ),
                                     tmp_path))
    assert "'memory://exp' is in memory://" in last, last
    recipe = _local_recipe(tmp_path, shared_data, str(tmp_path / "run2"), "export:\n  to: memory://exp2\n")
    last = _one_line_error(_pipeline(["validate", recipe], dict(os.environ), tmp_path))
    assert "export.to 'memory://exp2' is in memory://" in last, last


def test_an_input_bucket_that_refuses_the_credentials_stops_planning(monkeypatch):
    """The resume key asks every input's size: a 403 there was taken for one unreadable file and
    each file of the bucket was quarantined `unreadable_file`; it is the credentials, for all of them."""
    from botocore.exceptions import ClientError
    from s3fs.errors import translate_boto_error

    import pipeline.ingest as ingest_mod
    refused = translate_boto_error(ClientError({"Error": {"Code": "InvalidAccessKeyId", "Message": "no"}}, "HeadObject"))

    def head(fs, path):
        raise refused
    monkeypatch.setattr(ingest_mod, "file_fingerprint", head)
    with pytest.raises(storage.InputUnreadable) as e:
        ingest_mod._fingerprint("s3://bucket/in/a.jsonl")
    assert "s3://bucket/in/a.jsonl" in str(e.value)
    gone = FileNotFoundError(2, "No such file")

    def missing(fs, path):
        raise gone
    monkeypatch.setattr(ingest_mod, "file_fingerprint", missing)
    assert ingest_mod._fingerprint("s3://bucket/in/b.jsonl") == {"unreadable": "FileNotFoundError"}
