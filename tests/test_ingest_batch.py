"""The WARC reader's batch path (pipeline/readers/warc_batch.py) against its per-record path.

Both read the same files: every shared WARC, Common Crawl's layout with pages of every kind the
batch path must leave to the per-record path (another charset, a byte-order mark, control bytes,
empty, too large, encodings, other statuses and types, odd heads), and ingest's shards, which must
be the same files byte for byte whichever path read them. Damaged files: tests/test_ingest_fuzz.py
compares both paths in every case (`batch_path_differs`).
"""
from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import pytest

from pipeline.ingest import ingest_file_stream
from pipeline.readers.web import WarcReader
from pipeline.recipe import SourceConfig
from pipeline.shards import StageDir
from tests.test_ingest_fuzz import batch_path_differs, read_both


def members(path: Path) -> list[bytes]:
    raw, out = path.read_bytes(), []
    while raw:
        d = zlib.decompressobj(31)
        out.append(d.decompress(raw))
        raw = d.unused_data
    return out


@pytest.fixture(scope="module")
def capture(shared_data) -> tuple[bytes, list[bytes]]:
    """cc_whirlwind's warcinfo, and its capture: request, response, metadata."""
    recs = members(shared_data / "warc" / "cc_whirlwind.warc.gz")
    assert [re.search(rb"WARC-Type: (\w+)", r).group(1) for r in recs] == \
        [b"warcinfo", b"request", b"response", b"metadata"]
    return recs[0], recs[1:]


def with_response(rec: bytes, head: bytes | None = None, body: bytes | None = None,
                  warc: tuple[bytes, bytes] | None = None, cut: bool = False) -> bytes:
    """A response record with its HTTP head, body or a WARC header line replaced; Content-Length
    fixed (the HTTP head's too, unless `cut`: a body shorter than it says was cut short)."""
    warc_head, _, block = rec[:-4].partition(b"\r\n\r\n")
    http_head, _, page = block.partition(b"\r\n\r\n")
    head = http_head if head is None else head
    if body is not None and not cut:
        head = re.sub(rb"(?im)^(content-length:)[ \t]*\d+", b"\\g<1> %d" % len(body), head)
    block = head + b"\r\n\r\n" + (page if body is None else body)
    if warc is not None:
        warc_head = warc_head.replace(*warc)
    warc_head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(block), warc_head)
    return warc_head + b"\r\n\r\n" + block + b"\r\n\r\n"


def cc_file(path: Path, info: bytes, captures: list[list[bytes]]) -> Path:
    recs = [info] + [r for c in captures for r in c]
    path.write_bytes(b"".join(gzip.compress(r, 6, mtime=0) for r in recs))
    return path


def variants(response: bytes) -> dict[str, bytes]:
    page = response[:-4].partition(b"\r\n\r\n")[2].partition(b"\r\n\r\n")[2]
    head = response.partition(b"\r\n\r\n")[2].partition(b"\r\n\r\n")[0]
    ctype = re.compile(rb"(?im)^content-type:[^\r\n]*")
    return {
        "plain": response,
        "cp1252": with_response(response, head=ctype.sub(b"Content-Type: text/html; charset=windows-1252", head),
                                body=b"<html><body><p>" + "Café crème, déjà vu. ".encode("cp1252") * 40 + b"</p></body></html>"),
        "bom": with_response(response, body=b"\xef\xbb\xbf" + page),
        "controls": with_response(response, body=b"<html>" + bytes(range(1, 9)) * 2000 + b"</html>"),
        "empty": with_response(response, body=b""),
        "spaces": with_response(response, body=b" \r\n\t " * 10),
        "not_found": with_response(response, head=head.replace(b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found")),
        "redirect": with_response(response, head=head.replace(b"HTTP/1.1 200 OK", b"HTTP/1.1 301 Moved")),
        "image": with_response(response, head=ctype.sub(b"Content-Type: image/png", head)),
        "no_type": with_response(response, head=ctype.sub(b"X-No: type", head)),
        "chunked": with_response(response, head=head + b"\r\nTransfer-Encoding: chunked"),
        "gzipped": with_response(response, head=head + b"\r\nContent-Encoding: gzip", body=gzip.compress(page)),
        "lf_head": with_response(response, head=head.replace(b"\r\n", b"\n")),
        "folded": with_response(response, head=head + b"\r\n X-Folded: on"),
        "utf8_warc_head": with_response(response, warc=(b"WARC-Target-URI: https://", "WARC-Target-URI: https://é.".encode())),
        "no_id": with_response(response, warc=(b"WARC-Record-ID:", b"X-Record-ID:")),
        "no_date": with_response(response, warc=(b"WARC-Date:", b"X-Date:")),
        "upper_type": with_response(response, warc=(b"WARC-Type: response", b"WARC-Type: RESPONSE")),
        "resource": with_response(response, warc=(b"WARC-Type: response", b"WARC-Type: resource")),
        "type_twice": with_response(response, warc=(b"WARC-Type: response", b"WARC-Type: response\r\nwarc-type: metadata")),
        "length_twice": with_response(response, warc=(b"WARC-Type: response", b"WARC-Type: response\r\ncontent-length: 7")),
        "spaced_values": with_response(response, warc=(b"WARC-Target-URI: ", b"WARC-Target-URI: \t <")),
        "crawler_cut": with_response(response, body=page[:len(page) // 2], cut=True,
                                     warc=(b"WARC-Type: response", b"WARC-Type: response\r\nWARC-Truncated: length")),
        "network_cut": with_response(response, body=page[:len(page) // 3], cut=True),
    }


def test_shared_warcs_read_the_same_by_both_paths(shared_data):
    for path in sorted((shared_data / "warc").glob("*.warc*")):
        assert not batch_path_differs(path), path.name


@pytest.mark.parametrize("max_doc_bytes", [10 << 20, 30_000])
def test_common_crawl_layout_with_every_kind_of_page(capture, tmp_path, max_doc_bytes):
    info, (request, response, metadata) = capture
    kinds = variants(response)
    captures = [[request, r, metadata] for r in kinds.values()] * 2          # every id twice: #dup1
    path = cc_file(tmp_path / "cc.warc.gz", info, captures)
    assert not batch_path_differs(path, max_doc_bytes=max_doc_bytes)
    (table, counters, quarantined, _), (_, _, _, batches) = read_both(path, max_doc_bytes=max_doc_bytes)
    # The files hold what the test means: pages kept, transcoded, quarantined, counted; batches read.
    ids = table.column("id").to_pylist()
    assert batches >= 1 and counters["duplicate_id"] == len(ids) - len({re.sub("#dup.*", "", i) for i in ids}) > 0
    reasons = {q.reason for q in quarantined}
    assert {"empty_document", "bad_encoding"} <= reasons
    assert counters.get("warc_truncated", 0) == (2 if max_doc_bytes > len(response) else 0)   # flagged, kept
    assert counters["http_truncated"] == 2                              # the network's cut, flagged, kept
    if max_doc_bytes < len(response):
        assert "too_large" in reasons          # pages over the cap (the 404, the image: skipped as ever)
        assert {"skipped_http_4xx", "skipped_http_3xx", "skipped_not_html"} <= set(counters)
    else:
        assert {"skipped_http_4xx", "skipped_http_3xx", "skipped_not_html", "chunked_mismatch"} <= set(counters)
    charsets = {re.search(r'"charset": "([^"]+)"', md).group(1) for md in table.column("metadata").to_pylist()}
    assert len(charsets - {"utf-8", "utf-8-sig"}) == 1                   # the cp1252 page
    assert "utf-8-sig" in charsets or max_doc_bytes < len(response)     # the BOM


def test_batches_expand_to_the_per_record_documents(capture, tmp_path):
    from pipeline.readers import Doc, DocBatch, ReadState, read_source_file
    info, (request, response, metadata) = capture
    path = cc_file(tmp_path / "cc.warc.gz", info, [[request, r, metadata] for r in variants(response).values()])
    src = SourceConfig(name="s", format="warc", paths=[str(path)])
    per_record = [d for d in read_source_file(src, str(path), ReadState()) if isinstance(d, Doc)]
    batched = [d for item in read_source_file(src, str(path), ReadState(), batches=True)
               for d in (item.docs() if isinstance(item, DocBatch) else [item]) if isinstance(d, Doc)]
    assert [(d.id, d.url, d.html_str, d.metadata) for d in batched] == \
        [(d.id, d.url, d.html_str, d.metadata) for d in per_record] and len(per_record) > 5


@pytest.mark.parametrize("shard_docs,shard_bytes", [(3, 64 << 20), (2000, 200_000), (1, 1)])
def test_ingest_shards_are_the_same_files_from_both_paths(capture, tmp_path, monkeypatch, shard_docs, shard_bytes):
    info, (request, response, metadata) = capture
    kinds = variants(response)
    captures = [[request, kinds[k], metadata] for k in ("plain", "cp1252", "plain", "empty", "plain", "bom")] * 3
    path = cc_file(tmp_path / "cc.warc.gz", info, captures)
    src = SourceConfig(name="web", format="warc", paths=[str(path)], shard_docs=shard_docs, shard_bytes=shard_bytes)
    outputs = []
    for batched in (True, False):
        if not batched:
            monkeypatch.setattr(WarcReader, "read_batches", WarcReader.read)
        out = StageDir(tmp_path / f"out-{batched}")
        events = list(ingest_file_stream(src, 0, 0, str(path), out))
        record = dict(events[-1][1], seconds=0, cpu_seconds=0)
        files = {p.relative_to(out.path).as_posix(): p.read_bytes() for p in sorted(out.path.rglob("*"))
                 if p.is_file() and p.suffix == ".parquet"}
        outputs.append((events[:-1], record, files))
    assert outputs[0] == outputs[1]
    # a 200 with nothing after its head (a HEAD request's capture) is skipped and counted, no damage
    assert len(outputs[0][0]) > 1 and outputs[0][1]["quarantined"] == {}
    assert outputs[0][1]["counters"]["skipped_empty_body"] == 3


@pytest.mark.parametrize("by_message", [True, False], ids=["arrow-names-the-value", "page-by-page"])
def test_invalid_rows_finds_every_page_that_is_not_utf8(monkeypatch, by_message):
    """A group of pages is validated at once; the pages that fail are found by resuming after the
    one Arrow names (or, if its message changes wording, one page at a time) - the same either way."""
    import re
    from array import array
    import pyarrow as pa
    from pipeline.readers import warc_batch
    if not by_message:
        monkeypatch.setattr(warc_batch, "_INVALID_AT", re.compile("a wording no Arrow uses"))
    values = [b"\xff bad", b"ok", "é ok".encode(), b"\xc3", b"\xe9t\xe9", b"fine", b"end \x80"]
    offsets = array("i", [0])
    for v in values:
        offsets.append(offsets[-1] + len(v))
    pages = pa.StringArray.from_buffers(len(values), pa.py_buffer(offsets), pa.py_buffer(b"".join(values)))
    assert warc_batch._invalid_rows(pages) == [0, 3, 4, 6]
    assert warc_batch._invalid_rows(pages.slice(1, 2)) == []


def test_a_record_of_an_unknown_type_is_one_counter_whatever_its_name(capture, tmp_path):
    """A damaged WARC-Type ("resplase") or a writer's own type is skipped_unknown_type by both
    paths: a damaged file cannot mint a counter per typo; a record without a type is untyped."""
    info, (request, response, metadata) = capture
    odd = [with_response(response, warc=(b"WARC-Type: response", b"WARC-Type: " + name))
           for name in (b"resplase", b"x-screenshot", b"Respons\xc3\xa9")]
    untyped = with_response(response, warc=(b"WARC-Type: response\r\n", b""))
    path = cc_file(tmp_path / "cc.warc.gz", info, [[request, response, metadata], odd, [untyped]])
    assert not batch_path_differs(path)
    (table, counters, quarantined, _), _ = read_both(path)
    assert table.num_rows == 1 and not quarantined
    assert counters["skipped_unknown_type"] == 3 and counters["skipped_untyped"] == 1
    assert not [k for k in counters if k.startswith("skipped_") and k.removeprefix("skipped_") in
                ("resplase", "x-screenshot", "responsé")]
