"""Storage failing under a run's output (its object store gone, its disk full) stops the run with
one line saying so and that a rerun resumes. Before, the command printed some 530 lines of chained
tracebacks: the run's error, then the errors of writing failed.json, removing the old report,
releasing the lease and looking for the report, each raised while handling the one before, and
the last one (about failed.json) was all it said at the end."""
import errno
import os
import resource
import signal
import subprocess
import sys
import time

import pytest
from test_storage import REPO, recipe, s3fs_for, start_moto, upload_sample

from pipeline import storage


@pytest.mark.long(seconds=60)
def test_an_object_store_lost_mid_run_is_one_line(tmp_path):
    server, env = start_moto()
    try:
        fs = s3fs_for(env)
        upload_sample(fs, "tokenmill-lost")
        run = subprocess.Popen([sys.executable, "-m", "pipeline", "run",
                                str(recipe(tmp_path, "tokenmill-lost", "run", sleep=0.3)), "--quiet"], cwd=tmp_path,
                               env={**env, "PYTHONPATH": f"{REPO / 'tests'}{os.pathsep}{REPO}"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 180
        while not fs.glob("tokenmill-lost/run/stages/02-*/done/*.json") and time.time() < deadline \
                and run.poll() is None:
            time.sleep(0.2)
        assert run.poll() is None, "the run ended before its storage could be taken away: " + run.stderr.read()
    finally:
        server.kill()                      # the object store is gone, mid-run
        server.wait()
    _, err = run.communicate(timeout=600)
    assert run.returncode == 2, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: storage failed (EndpointConnectionError: Could not connect to the endpoint URL: "
                           f"\"{env['AWS_ENDPOINT_URL']}/tokenmill-lost/run/"), last
    assert last.endswith("the run stopped, and what it completed is kept: running it again resumes from there")


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)        # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))


def test_a_write_the_disk_refuses_leaves_no_temp_file_and_says_where(tmp_path):
    """The file system refusing a write (here: past a file size limit, EFBIG, as a full disk's
    ENOSPC) leaves no half-written temp file beside the target, and the error names the target."""
    code = ("import sys; from pipeline import storage\n"
            "try:\n"
            f"    storage.write_bytes_atomic({str(tmp_path / 'out' / 'shard.parquet')!r}, b'x' * (1 << 20))\n"
            "except OSError as e:\n"
            "    print(storage.failure_line(e)); sys.exit(3)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                          preexec_fn=_limit_file_size)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"storage failed (OSError: [Errno {errno.EFBIG}] File too large: "
                                  f"'{tmp_path / 'out' / 'shard.parquet'}')"), proc.stdout
    assert os.listdir(tmp_path / "out") == []


def test_a_full_disk_says_to_free_space():
    line = storage.failure_line(OSError(errno.ENOSPC, "No space left on device", "/data/run/x.parquet"))
    assert line.endswith("what it completed is kept: free some space, then running it again resumes from there")


def test_other_errors_are_no_storage_failure():
    """A missing file, a permission, a bug: not said to be the storage (their traceback says where)."""
    for e in (FileNotFoundError(errno.ENOENT, "No such file or directory", "model.bin"),
              PermissionError(errno.EACCES, "Permission denied"), ValueError("bad value"), KeyError("text")):
        assert storage.failure_line(e) is None
