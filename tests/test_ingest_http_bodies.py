"""HTTP bodies in WARC responses (pipeline/readers/http.py, web.py): content codings decoded with
an output limit (no decompression bombs), every gzip member and zstd frame, a cut body kept and
flagged the same way in every codec, interim (1xx) heads, blank lines before the status line, and
pages given no type sniffed through a byte-order mark. Every input is built here; every file is
also read by the batch path, which must give what the per-record path gives."""
from __future__ import annotations

import gzip
import io
import random
import tracemalloc
import uuid
import zlib

import brotli
import pytest
import zstandard

from pipeline.readers import Doc, DocBatch, Quarantined, ReadState, read_source_file
from pipeline.readers.http import MAX_LINE, HttpResponse, decode_body, parse_http_stream, parse_plain_response
from pipeline.recipe import SourceConfig
from tests.test_ingest_fuzz import batch_path_differs

URI = b"http://example.com/page"


def rec(wtype: bytes, block: bytes, ctype: bytes | None) -> bytes:
    head = [b"WARC/1.0", b"WARC-Type: " + wtype, b"WARC-Record-ID: <urn:uuid:%s>" % str(uuid.uuid4()).encode(),
            b"WARC-Date: 2024-05-01T00:00:00Z", b"WARC-Target-URI: " + URI]
    if ctype is not None:
        head.append(b"Content-Type: " + ctype)
    head.append(b"Content-Length: %d" % len(block))
    return b"\r\n".join(head) + b"\r\n\r\n" + block + b"\r\n\r\n"


def response(body: bytes, head: bytes = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8") -> bytes:
    return rec(b"response", head + b"\r\n\r\n" + body, b"application/http; msgtype=response")


def encoded(body: bytes, coding: str) -> bytes:
    return response(body, b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: "
                    + coding.encode())


def write(tmp_path, name: str, recs: list[bytes]):
    path = tmp_path / f"{name}.warc.gz"
    path.write_bytes(b"".join(gzip.compress(r, mtime=0) for r in recs))
    return path


def read(path, check_batch: bool = True, **options):
    """(documents, counters, quarantine reasons) of the per-record path, checked equal to the batch path's."""
    if check_batch:
        assert batch_path_differs(path, **options) == []
    src = SourceConfig(name="s", format="warc", paths=[str(path)], **options)
    state, docs, q = ReadState(), [], []
    for item in read_source_file(src, str(path), state):
        if isinstance(item, Quarantined):
            q.append(item.reason)
        elif isinstance(item, DocBatch):
            docs.extend(item.docs())
        else:
            assert isinstance(item, Doc)
            docs.append(item)
    return docs, dict(state.counters), q


def page(size: int, seed: int = 1) -> bytes:
    """An HTML page of about `size` bytes of varied words (compresses like a real page)."""
    rnd = random.Random(seed)
    words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(3000)]
    paras, n = [], 0
    while n < size:
        p = "<p>" + " ".join(rnd.choice(words) for _ in range(60)) + "</p>\n"
        paras.append(p)
        n += len(p)
    return ("<!DOCTYPE html><html><head><title>t</title></head><body>" + "".join(paras)
            + "</body></html>").encode()


def compress(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(data, mtime=0)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "br":
        return brotli.compress(data)
    co = zstandard.ZstdCompressor().compressobj()          # a streamed frame: no content size
    return co.compress(data) + co.flush()


# -- 1. decompression bombs ------------------------------------------------------------------------
BOMB = 300 << 20            # bytes the bomb expands to


def bomb(coding: str) -> bytes:
    """`BOMB` bytes of one page compressed, built a MiB at a time (never all in memory)."""
    chunk = b"<html><body><p>" + b"a" * ((1 << 20) - 15)
    if coding == "br":
        c = brotli.Compressor(quality=1)
        return b"".join(c.process(chunk) for _ in range(BOMB >> 20)) + c.finish()
    if coding == "zstd":
        c = zstandard.ZstdCompressor(level=1).compressobj()
    else:
        c = zlib.compressobj(1, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    return b"".join(c.compress(chunk) for _ in range(BOMB >> 20)) + c.flush()


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip", "deflate"])
def test_a_decompression_bomb_is_never_expanded_past_the_limit(tmp_path, coding):
    """A few KB that expand to 300 MB: decoded up to max_doc_bytes + 1 (so still quarantined
    too_large) and no further; brotli and zstd were expanded whole first (a worker's peak memory
    rose by the bomb's size; a bigger one killed it)."""
    body = bomb(coding)
    assert len(body) < BOMB // 100
    limit = 4 << 20
    path = write(tmp_path, "bomb", [encoded(body, coding)])
    resp = HttpResponse(200, {"content-encoding": coding}, body)
    assert batch_path_differs(path, max_doc_bytes=limit) == []     # (and modules loaded before tracing)
    tracemalloc.start()
    try:
        out, problems = decode_body(resp, limit)
        assert len(out) == limit + 1 and problems == []
        del out
        docs, counters, q = read(path, check_batch=False, max_doc_bytes=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not docs and q == ["too_large"] and counters == {}
    # The limit, a codec's output buffer and a copy or two: far below the bomb (was above it).
    assert peak < 40 << 20, f"peak {peak >> 20} MiB decoding a {BOMB >> 20} MiB bomb"


def test_a_bomb_spread_over_many_gzip_members_or_zstd_frames_is_limited_too():
    limit = 1 << 20
    part = b"a" * (256 << 10)
    for coding, body in (("gzip", b"".join(gzip.compress(part) for _ in range(400))),
                         ("zstd", b"".join(zstandard.ZstdCompressor().compress(part) for _ in range(400)))):
        out, problems = decode_body(HttpResponse(200, {"content-encoding": coding}, body), limit)
        assert len(out) == limit + 1 and problems == [], coding


# -- 2. every gzip member, every zstd frame -------------------------------------------------------
def test_every_gzip_member_and_zstd_frame_is_decoded(tmp_path):
    html = page(60_000)
    half = len(html) // 2
    skippable = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"skip"
    bodies = {
        "gzip": gzip.compress(html[:half]) + gzip.compress(html[half:]),
        "x-gzip": gzip.compress(html[:1000]) + gzip.compress(b"") + gzip.compress(html[1000:]) + b"\0\0\0\0",
        "zstd": zstandard.ZstdCompressor().compress(html[:half]) + skippable
        + zstandard.ZstdCompressor().compress(html[half:]),
    }
    recs = [encoded(body, coding) for coding, body in bodies.items()]
    docs, counters, q = read(write(tmp_path, "members", recs))
    assert [d.html for d in docs] == [html] * 3 and not q and counters == {}
    assert all("flags" not in d.metadata for d in docs)


# -- 3. a body cut short: one rule for every codec ------------------------------------------------
@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_a_cut_compressed_body_is_kept_flagged_and_counted(tmp_path, coding):
    """What decoded before the cut is the page, flagged `content_encoding_truncated` (brotli's was
    quarantined bad_encoding as the compressed bytes, zstd's an empty document, gzip's and
    deflate's kept with no flag)."""
    html = page(400_000)                        # several zstd blocks: output before the cut
    body = compress(html, coding)
    docs, counters, q = read(write(tmp_path, "cut", [encoded(body[:len(body) // 2], coding)]))
    assert not q and len(docs) == 1, q
    got = docs[0].html
    assert 1000 < len(got) < len(html) and html.startswith(got[:-8])
    assert docs[0].metadata["flags"] == ["content_encoding_truncated"]
    assert counters == {"content_encoding_truncated": 1}


@pytest.mark.parametrize("coding", ["gzip", "zstd"])
def test_a_body_cut_to_nothing_is_empty_and_still_counted(tmp_path, coding):
    """A cut that leaves nothing decoded (a small page in one zstd block, a gzip header alone):
    an empty document, and the cut still counted, as for a kept page."""
    body = compress(page(20_000), coding)
    body = body[:len(body) - 100] if coding == "zstd" else body[:12]
    docs, counters, q = read(write(tmp_path, "cut-empty", [encoded(body, coding), response(page(3000))]))
    assert len(docs) == 1 and q == ["empty_document"]
    assert counters == {"content_encoding_truncated": 1}


def test_a_cut_later_gzip_member_or_zstd_frame_keeps_the_earlier_ones(tmp_path):
    html = page(60_000)
    half = len(html) // 2
    second = gzip.compress(html[half:])
    zsecond = zstandard.ZstdCompressor().compress(html[half:])
    recs = [encoded(gzip.compress(html[:half]) + second[:len(second) // 2], "gzip"),
            encoded(zstandard.ZstdCompressor().compress(html[:half]) + zsecond[:len(zsecond) // 2], "zstd")]
    docs, counters, q = read(write(tmp_path, "cut-later", recs))
    assert not q and len(docs) == 2
    assert docs[0].html.startswith(html[:half]) and docs[1].html == html[:half]
    assert [d.metadata["flags"] for d in docs] == [["content_encoding_truncated"]] * 2
    assert counters == {"content_encoding_truncated": 2}


def test_a_stale_header_over_a_plain_body_is_still_a_mismatch_not_a_cut(tmp_path):
    html = page(5000)
    recs = [encoded(html, coding) for coding in ("gzip", "deflate", "br", "zstd")]
    docs, counters, q = read(write(tmp_path, "stale", recs))
    assert [d.html for d in docs] == [html] * 4 and not q
    assert counters == {"content_encoding_mismatch": 4}


# -- 4. interim responses, blank lines before the status line -------------------------------------
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8"


@pytest.mark.parametrize("before", [
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload; as=style\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n\r\n",
    b"\r\n",
    b"\n\r\n",
    b" ",
    b"\r\n \t",
    b"HTTP/1.1 100 Continue\r\n\r\n ",
], ids=["100", "103", "100-102", "crlf", "lf-crlf", "space", "crlf-indent", "100-space"])
def test_the_final_response_after_interim_heads_blank_lines_and_indentation(tmp_path, before):
    """An indented status line (" HTTP/1.1 200 OK") was no status line: the page was quarantined
    `malformed_http`."""
    html = page(3000)
    block = before + HEAD + b"\r\n\r\n" + html
    resp, n = parse_http_stream(io.BytesIO(block))
    assert (resp.status, resp.headers, resp.body, n) == (200, {"content-type": "text/html; charset=utf-8"},
                                                        html, len(block))
    assert parse_plain_response(block, 0, len(block)) is None       # the line-by-line parser reads it
    docs, counters, q = read(write(tmp_path, "interim", [response(html, before + HEAD), response(html)]))
    assert [d.html for d in docs] == [html] * 2 and not q and counters == {}


def test_an_interim_head_alone_is_still_skipped(tmp_path):
    recs = [response(b"", b"HTTP/1.1 100 Continue"),
            rec(b"response", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
                b"application/http; msgtype=response"),
            response(page(2000))]
    docs, counters, q = read(write(tmp_path, "interim-alone", recs))
    assert len(docs) == 1 and not q and counters == {"skipped_http_1xx": 2}


# -- 5. pages given no type -----------------------------------------------------------------------
def test_pages_with_no_type_are_sniffed_through_a_byte_order_mark_and_in_resources(tmp_path):
    html = page(3000)
    text = html.decode()
    no_type = b"HTTP/1.1 200 OK\r\nServer: x"
    recs = [response(b"\xef\xbb\xbf" + html, no_type),
            response(b"\xff\xfe" + text.encode("utf-16-le"), no_type),
            response(b"\xfe\xff" + (" \n" + text).encode("utf-16-be"), no_type),
            response(b" " * 5000 + html, no_type),
            rec(b"resource", html, None),                             # a file saved with no type
            rec(b"resource", b"\xef\xbb\xbf\r\n" + html, None),
            # not pages: still skipped
            response(b"\xef\xbb\xbfplain text", no_type),
            response(b"\xff\xfe" + "plain".encode("utf-16-le"), no_type),
            rec(b"resource", b"%PDF-1.4\n" + bytes(range(256)), None)]
    docs, counters, q = read(write(tmp_path, "sniff", recs))
    assert len(docs) == 6 and not q and counters == {"skipped_not_html": 3}
    assert all(d.metadata["content_type"] == "text/html" for d in docs)
    assert [d.html.lstrip() for d in docs] == [html] * 6


# -- what real crawlers record (wget, warcio's capture_http): no type over an encoded body, bodies
# cut by the network, large records that are no pages ------------------------------------------------
@pytest.mark.parametrize("coding", ["gzip", "br", "chunked"])
def test_a_page_given_no_type_is_sniffed_after_its_encoding_is_undone(tmp_path, coding):
    """A server that sends no Content-Type over a gzip, brotli or chunked body: the page was
    counted skipped_not_html (its encoded bytes look like no page); warcio reads it."""
    html = page(3000)
    if coding == "chunked":
        body, head = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (html[:1000], html[1000:])) + b"0\r\n\r\n", \
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
    else:
        body, head = compress(html, coding), b"HTTP/1.1 200 OK\r\nContent-Encoding: " + coding.encode()
    docs, counters, q = read(write(tmp_path, "notype", [response(body, head),
                                                         response(compress(b"\x89PNG\r\n" + bytes(range(256)), "gzip"),
                                                                  b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip")]))
    assert [d.html for d in docs] == [html] and not q
    assert counters == {"skipped_not_html": 1}


def test_a_body_cut_by_the_network_is_kept_and_flagged(tmp_path):
    """wget records what came when the connection closes mid-page, with no WARC-Truncated: a body
    shorter than its Content-Length, or chunks without the last one, was a whole page unflagged
    (chunks without the last one even kept their size lines, flagged chunked_mismatch)."""
    html = page(6000)
    half = html[:len(html) // 2]
    cl = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d" % len(html)
    chunked = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (html[:2000], html[2000:4000]))
    recs = [response(half, cl),                                       # Content-Length says more
            response(chunks, chunked),                                # no last chunk
            response(chunks + b"%x\r\n" % (len(html) - 4000) + html[4000:5000], chunked),   # cut in a chunk
            response(html, cl),                                       # whole: no flag
            response(chunks + b"%x\r\n%s\r\n0\r\n\r\n" % (len(html) - 4000, html[4000:]), chunked)]
    docs, counters, q = read(write(tmp_path, "cut", recs))
    assert [d.html for d in docs] == [half, html[:4000], html[:5000], html, html] and not q
    assert [d.metadata.get("flags") for d in docs] == [["http_truncated"]] * 3 + [None, None]
    assert counters == {"http_truncated": 3}
    # The crawler's own cut (WARC-Truncated) is that flag alone.
    cut = rec(b"response", cl + b"\r\n\r\n" + half, b"application/http; msgtype=response")
    cut = cut.replace(b"Content-Length:", b"WARC-Truncated: length\r\nContent-Length:", 1)
    docs, counters, q = read(write(tmp_path, "warc_cut", [cut]))
    assert [d.metadata.get("flags") for d in docs] == [["warc_truncated"]] and counters == {"warc_truncated": 1}


def test_a_record_over_the_size_limit_is_too_large_only_when_it_is_a_page(tmp_path):
    """A crawl's videos, archives and large error pages were quarantined too_large before their
    status or type was looked at: a media-heavy crawl filled the quarantine (its guard stops runs)."""
    big = page(70_000)
    recs = [response(big, b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4"),
            response(big, b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html"),
            response(big, b"HTTP/1.1 302 Found\r\nLocation: /x"),
            rec(b"resource", big, b"application/pdf"),
            response(big),                                            # a page: too large
            rec(b"resource", big, b"text/html"),
            response(page(3000))]
    docs, counters, q = read(write(tmp_path, "big", recs), max_doc_bytes=50_000)
    assert len(docs) == 1 and q == ["too_large", "too_large"]
    assert counters == {"skipped_not_html": 2, "skipped_http_4xx": 1, "skipped_http_3xx": 1}


def test_a_long_head_reads_alike_in_a_plain_and_a_gzip_warc(tmp_path):
    """A response with 600 header lines before its Content-Encoding: the plain WARC's line-by-line
    parse stopped at 500 lines (the page then bad_encoding: its gzip bytes read as text), the
    .warc.gz's whole-head parse read them all."""
    html = page(3000)
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(600)) + \
        b"Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip"
    record = response(compress(html, "gzip"), head)
    plain = tmp_path / "long.warc"
    plain.write_bytes(record)
    for path in (plain, write(tmp_path, "long", [record])):
        docs, counters, q = read(path)
        assert [d.html for d in docs] == [html] and not q, path.name


@pytest.mark.parametrize("extra", [-2, 0, 1, 6, 70_000])
def test_a_head_line_over_the_line_limit_is_read_to_its_end_and_dropped(tmp_path, extra):
    """Head lines are read with readline(MAX_LINE): the rest of a longer line was read as lines of
    its own. A Set-Cookie line of exactly 64 KiB left its CRLF, read as the blank line that ends
    the head: the Content-Type after it became body and the page was skipped_not_html; a rest
    beginning with `<` was taken for the page. Such a line is read to its end and dropped
    (counted `http_header_too_long`), the headers after it kept; a line that fits is kept."""
    html = page(3000)
    cookie = b"Set-Cookie: " + b"a" * (MAX_LINE - 12 + extra)      # MAX_LINE + extra bytes before CRLF
    head = b"HTTP/1.1 200 OK\r\n" + cookie + b"\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip"
    resp, n = parse_http_stream(io.BytesIO(head + b"\r\n\r\n" + compress(html, "gzip")))
    assert n == len(head) + 4 + len(compress(html, "gzip"))
    assert resp.headers.get("content-type") == "text/html; charset=utf-8" and resp.long_lines == (extra > -2)
    assert ("set-cookie" in resp.headers) == (extra <= -2)
    plain = tmp_path / "long_line.warc"
    plain.write_bytes(response(compress(html, "gzip"), head))
    for path in (plain, write(tmp_path, "long_line", [response(compress(html, "gzip"), head)])):
        docs, counters, q = read(path)
        assert [d.html for d in docs] == [html] and not q, path.name
        assert counters == ({"http_header_too_long": 1} if extra > -2 else {}), path.name


def test_the_rest_of_a_long_head_line_is_never_the_page(tmp_path):
    """A rest beginning with `<` (a header value cut at MAX_LINE) was read as the page's first
    line, and the headers after it as its text; a status line's long reason phrase likewise."""
    html = page(3000)
    junk = b"X-Junk: " + b"a" * (MAX_LINE - 8) + b"<b>not the page</b>"
    reason = b"HTTP/1.1 200 " + b"O" * (MAX_LINE + 10)
    for head in (b"HTTP/1.1 200 OK\r\n" + junk + b"\r\nContent-Type: text/html; charset=utf-8",
                 reason + b"\r\nContent-Type: text/html; charset=utf-8"):
        resp, _ = parse_http_stream(io.BytesIO(head + b"\r\n\r\n" + html))
        assert (resp.status, resp.body, resp.long_lines) == (200, html, 1)
        assert dict(resp.headers) == {"content-type": "text/html; charset=utf-8"}
        docs, counters, q = read(write(tmp_path, "rest", [response(html, head)]))
        assert [d.html for d in docs] == [html] and counters == {"http_header_too_long": 1}


@pytest.mark.parametrize("te", ["gzip, chunked", "gzip", "x-gzip,chunked"])
def test_a_transfer_coding_besides_chunked_is_undone_as_declared(tmp_path, te):
    """`Transfer-Encoding: gzip, chunked` (RFC 9112 6.1: the transfer codings in the order applied)
    declares the gzip: the page was read through the undeclared-gzip fallback and counted
    `undeclared_gzip`. A stale one over a body stored plain is a mismatch, as a Content-Encoding's."""
    html = page(3000)
    body = compress(html, "gzip")
    if "chunked" in te:
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:500], body[500:])) + b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: " + te.encode()
    stale = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: gzip"
    docs, counters, q = read(write(tmp_path, "te", [response(body, head), response(html, stale)]))
    assert [d.html for d in docs] == [html, html] and not q
    assert [d.metadata.get("flags") for d in docs] == [None, ["content_encoding_mismatch"]]
    assert counters == {"content_encoding_mismatch": 1}
