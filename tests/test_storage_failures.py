"""Storage failing under an input file (a connection cut mid-body) stops the run with one line
naming the file: it is no bad input, so nothing is quarantined, and the rerun reads the file again.
Before, the network client's own error (aiohttp's, no OSError) came out as a traceback when it met
the first read, and past it the rest of the file was quarantined `reader_error`, as if bad input."""
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipeline.readers import ReadState, read_source_file
from pipeline.recipe import SourceConfig, load_recipe
from pipeline.runner import Runner
from pipeline.storage import InputUnreadable

REPO = Path(__file__).resolve().parent.parent


def _server(data: bytes, cut_from: int):
    """An HTTP server for one file: HEAD gives its size and an ETag; a GET of a byte range ending
    past `cut_from` sends a third of the range, then closes the connection."""
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_HEAD(self):
            self.send_response(200)
            for k, v in (("Content-Length", str(len(data))), ("Accept-Ranges", "bytes"), ("ETag", '"v1"')):
                self.send_header(k, v)
            self.end_headers()

        def do_GET(self):
            start, end, ranged = 0, len(data) - 1, self.headers.get("Range")
            if ranged:
                a, b = ranged.split("=")[1].split("-")
                start, end = int(a), min(int(b) if b else len(data) - 1, len(data) - 1)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(end - start + 1))
            self.end_headers()
            body = data[start:end + 1]
            if ranged and end >= cut_from:
                self.wfile.write(body[:len(body) // 3])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def cut_warc(shared_data):
    data = (shared_data / "warc" / "sample_pages.warc.gz").read_bytes()
    server = _server(data, cut_from=len(data) // 2)
    yield f"http://127.0.0.1:{server.server_address[1]}/crawl.warc.gz"
    server.shutdown()


def _recipe(tmp_path, url: str) -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(f"name: cut\nseed: 1\noutput: {tmp_path / 'run'}\nsources:\n  - name: web\n    format: warc\n"
                 f"    paths: [\"{url}\"]\nstages:\n  - stage: extract\n")
    return p


def test_a_connection_cut_mid_file_is_no_bad_input(cut_warc):
    src = SourceConfig(name="web", format="warc", paths=[cut_warc])
    items = []
    with pytest.raises(InputUnreadable) as e:
        for item in read_source_file(src, cut_warc, ReadState()):
            items.append(item)
    message = str(e.value)
    assert message.startswith(f"{cut_warc}: storage failed while reading it (ClientPayloadError")
    assert "running it again reads this file again" in message and "\n" not in message
    assert not any(getattr(i, "reason", None) for i in items)       # nothing quarantined for it


def test_the_run_stops_with_the_error_from_a_ray_task(tmp_path, cut_warc, ray_local):
    """Ray is up already, so the file is read by an ingest task: its error reaches the driver as
    Ray's wrapper, which is an InputUnreadable too (the CLI prints its cause)."""
    with pytest.raises(InputUnreadable) as e:
        Runner(load_recipe(_recipe(tmp_path, cut_warc)), quiet=True).run()
    assert f"{cut_warc}: storage failed while reading it" in str(getattr(e.value, "cause", None) or e.value)
    assert not list((tmp_path / "run").rglob("quarantine/*.parquet"))


def test_the_command_line_says_it_in_one_line(tmp_path, cut_warc):
    proc = subprocess.run([sys.executable, "-m", "pipeline", "run", str(_recipe(tmp_path, cut_warc)), "--quiet"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {cut_warc}: storage failed while reading it (ClientPayloadError"), last


def test_a_trial_says_it_once(tmp_path, cut_warc):
    """A trial reads its first documents through the source's reader when it is made (`--limit`):
    the error stops it there, in the same one line."""
    from pipeline.checks import list_inputs
    from pipeline.trial import trial_recipe
    recipe = load_recipe(_recipe(tmp_path, cut_warc))
    with pytest.raises(InputUnreadable) as e:
        trial_recipe(recipe, list_inputs(recipe), limit=3)
    assert str(e.value).startswith(f"{cut_warc}: storage failed while reading it (ClientPayloadError")
