"""A cluster address nothing answers at fails in one line, not after minutes of Ray's retries."""
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()       # nothing listens there now
    return port


def test_an_unreachable_ray_address_is_one_line_and_quick(tmp_path, shared_data):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: addr\noutput: {tmp_path / 'run'}\nsources:\n  - name: web\n    format: warc\n"
                      f"    paths: ['{shared_data / 'warc' / 'sample_pages.warc.gz'}']\n")
    # an earlier, finished run in that folder: a run that could not start must not mark it failed
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "plan.json").write_text('{"stages": []}')
    (tmp_path / "run" / "stats.json").write_text('{"finished": "earlier"}')
    address = f"127.0.0.1:{_closed_port()}"
    r = subprocess.run([sys.executable, "-m", "pipeline", "run", str(recipe), "--ray-address", address, "--quiet"],
                       cwd=REPO, capture_output=True, text=True,
                       timeout=120)   # Ray alone retried for minutes (stopped at 120 s)
    assert r.returncode == 2, r.stderr
    assert f"error: Ray cluster address '{address}': nothing answers there" in r.stderr
    assert "Traceback" not in r.stderr
    assert (tmp_path / "run" / "stats.json").read_text() == '{"finished": "earlier"}'
    assert not (tmp_path / "run" / "failed.json").exists() and not (tmp_path / "run" / "report.md").exists()
    assert (tmp_path / "run" / "plan.json").read_text() == '{"stages": []}'      # the earlier run's, untouched
