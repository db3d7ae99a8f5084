"""Stage keys cover what options name beyond local files: a tokenizer given by URL, a model
directory (probe 24: a changed remote tokenizer.json and an edited model folder were reported
`cached` and the old output kept)."""
import functools
import http.server
import os
import socket
import threading

import pytest

from pipeline import Filter
from pipeline.fingerprint import fingerprint_parts, stage_fingerprint
from pipeline.registry import resolve_stage
from pipeline.stage import Judgement, StageError


class DirWords(Filter):
    """A stage reading every file of a folder an option names (a model directory)."""
    words_dir: str
    names: list[str] = []

    def judge(self, batch):
        return Judgement([None] * batch.num_rows)


@pytest.fixture
def http_dir(tmp_path):
    """A local HTTP server (python's http.server: Content-Length and Last-Modified, no ETag)."""
    root = tmp_path / "srv"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_tokenizer_given_by_url_is_part_of_the_key(http_dir):
    root, base = http_dir
    (root / "tok.json").write_text('{"model": "A", "pad": "xxxx"}')
    tokenize = resolve_stage("tokenize")(tokenizer={"path": f"{base}/tok.json"})
    k0 = stage_fingerprint(tokenize)
    assert stage_fingerprint(tokenize) == k0            # an unchanged file: the same key
    (root / "tok.json").write_text('{"model": "B", "pad": "xxxx"}')      # same size, new bytes
    assert stage_fingerprint(tokenize) != k0


def test_an_unreachable_option_url_stops_planning_with_one_line_naming_it():
    with socket.socket() as s:                          # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/tok.json"
    tokenize = resolve_stage("tokenize")(tokenizer={"path": url})
    with pytest.raises(StageError) as err:
        stage_fingerprint(tokenize)
    msg = str(err.value)
    assert "tokenizer.path" in msg and url in msg and "\n" not in msg
    # a URL that is data, not a file (a url_filter entry), is never fetched: planning offline works
    url_filter = resolve_stage("url_filter")(blocked=[url], allowlist=[f"http://127.0.0.1:{port}/ok"])
    assert stage_fingerprint(url_filter)


def test_an_edit_inside_a_directory_an_option_names_changes_the_key(tmp_path, monkeypatch):
    model = tmp_path / "model_dir"
    (model / "sub").mkdir(parents=True)
    (model / "words.txt").write_text("alpha\n")
    (model / "sub" / "more.txt").write_text("beta\n")
    (tmp_path / ".venv").mkdir()
    monkeypatch.chdir(tmp_path)
    stage = DirWords(words_dir=str(model), names=[".venv"])
    k0 = stage_fingerprint(stage)
    # a bare name is a name (code_filter's vendored_dirs holds `.venv`), not a folder to read
    assert str((tmp_path / ".venv").resolve()) not in fingerprint_parts(stage)["data"]
    (model / "sub" / "more.txt").write_text("gamm\n")   # same size
    assert stage_fingerprint(stage) != k0


def test_a_directory_past_the_file_cap_is_keyed_by_its_listing_with_a_warning(tmp_path, monkeypatch, caplog):
    import pipeline.fingerprint as fp
    monkeypatch.setattr(fp, "MAX_DIR_FILES", 3)
    big = tmp_path / "dataset"
    big.mkdir()
    for i in range(5):
        (big / f"{i}.txt").write_text(f"file {i}\n")
    stage = DirWords(words_dir=str(big))
    caplog.set_level("WARNING", logger="pipeline")
    k0 = stage_fingerprint(stage)
    assert any(str(big) in r.getMessage() and "more than 3 files" in r.getMessage() for r in caplog.records)
    (big / "0.txt").write_text("file 0 grown\n")         # a listed file's size changes: a new key
    k1 = stage_fingerprint(stage)
    assert k1 != k0
    os.utime(big / "1.txt", ns=(0, 10**18))              # so does its modification time
    assert stage_fingerprint(stage) not in (k0, k1)
