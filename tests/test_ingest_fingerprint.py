"""Input fingerprints for the resume key: an input edited in place (same size) gets a new one."""
import os
import socket
import time

import fsspec
import pytest

from pipeline.readers.fingerprint import file_fingerprint


def test_local_file_edited_in_place(shared_data, tmp_path):
    p = tmp_path / "a.warc.gz"
    p.write_bytes((shared_data / "warc" / "pywb_example.warc.gz").read_bytes())
    fs = fsspec.filesystem("file")
    before = file_fingerprint(fs, str(p))
    assert before == file_fingerprint(fs, str(p)) and before["size"] == p.stat().st_size
    data = bytearray(p.read_bytes())
    data[100] ^= 0xFF                                         # same size, new content
    p.write_bytes(bytes(data))
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 1_000_000))
    assert file_fingerprint(fs, str(p)) != before


def test_store_without_etag_hashes_head_and_tail(shared_data):
    fs = fsspec.filesystem("memory")
    raw = (shared_data / "warc" / "pywb_iana.warc.gz").read_bytes()
    fs.pipe("/fp/x.warc.gz", raw)
    before = file_fingerprint(fs, "/fp/x.warc.gz")
    assert "head_tail" in before
    fs.pipe("/fp/x.warc.gz", raw[:-10] + b"0123456789")        # the tail rewritten, same size
    assert file_fingerprint(fs, "/fp/x.warc.gz") != before


def test_s3_object_rewritten_gets_a_new_etag(shared_data, monkeypatch):
    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        fs = fsspec.filesystem("s3", client_kwargs={"endpoint_url": f"http://127.0.0.1:{port}"},
                               skip_instance_cache=True)
        fs.mkdir("fp-bucket")
        raw = (shared_data / "warc" / "pywb_example.warc.gz").read_bytes()
        fs.pipe("fp-bucket/x.warc.gz", raw)
        before = file_fingerprint(fs, "fp-bucket/x.warc.gz")
        assert before["size"] == len(raw) and before["etag"]
        time.sleep(1.1)                                         # LastModified has whole seconds
        fs.pipe("fp-bucket/x.warc.gz", raw)                     # the same bytes uploaded again: the same input
        fs.invalidate_cache()
        assert file_fingerprint(fs, "fp-bucket/x.warc.gz") == before and "mtime" not in before
        fs.pipe("fp-bucket/x.warc.gz", raw[:-1] + bytes([raw[-1] ^ 0xFF]))        # same size
        fs.invalidate_cache()
        assert file_fingerprint(fs, "fp-bucket/x.warc.gz")["etag"] != before["etag"]
    finally:
        server.stop()
