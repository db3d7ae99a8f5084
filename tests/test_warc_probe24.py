"""The WARC reader on what real crawlers write (probe 24: Heritrix, wget, Browsertrix, warcprox,
Common Crawl): HTML served as text, crawlers' own text and log records, binary payloads under an
HTML label, pages under a textual or generic label, repeated Content-Encoding lines, long chunk
extensions, status 203. Every file is read by the per-record and the batch path alike."""
from __future__ import annotations

import gzip
import io

import brotli

from pipeline.readers.http import dechunk, decode_body, parse_http_stream, parse_plain_response
from tests.test_ingest_fuzz import batch_path_differs
from tests.test_web_reader_variants import read_source

WORDS = "The harbour committee voted on the new bridge design after a long public consultation. " * 8
PAGE = f"<!DOCTYPE html><html><head><title>T</title></head><body><p>{WORDS}</p></body></html>".encode()
TEXT_TOO = ["text/html", "application/xhtml+xml", "text/plain"]


def record(wtype: str, uri: str, block: bytes, ctype: str | None = None, **warc: str) -> bytes:
    head = [b"WARC/1.1", f"WARC-Type: {wtype}".encode(), f"WARC-Record-ID: <urn:uuid:{abs(hash(uri)):032x}>".encode(),
            b"WARC-Date: 2024-05-20T10:11:12Z", f"WARC-Target-URI: {uri}".encode()]
    head += [f"{k.replace('_', '-')}: {v}".encode() for k, v in warc.items()]
    head += [f"Content-Type: {ctype}".encode()] if ctype else []
    head.append(f"Content-Length: {len(block)}".encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + block + b"\r\n\r\n"


def response(uri: str, headers: list[tuple[str, str]], body: bytes, status: str = "200 OK", **warc: str) -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return record("response", uri, head.encode("latin-1") + body, "application/http; msgtype=response", **warc)


def warc_file(tmp_path, records: list[bytes]):
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"".join(gzip.compress(r, mtime=0) for r in records))      # a member a record: both paths
    return path


def read_both(path, **options):
    """(documents, quarantine reasons, counters) of the batch path, once both paths agree."""
    assert not batch_path_differs(path, **options)
    return read_source("warc", [path], batches=True, **options)


def test_html_served_as_text_plain_is_read_as_a_page_and_counted(tmp_path):
    """With text/plain wanted, a text/plain body that is a whole page is HTML for extract, not
    raw markup as the document's words; real text stays a text document."""
    path = warc_file(tmp_path, [
        response("http://a.example/page", [("Content-Type", "text/plain; charset=utf-8")], b"\n " + PAGE),
        response("http://a.example/cc", [("Content-Type", "text/plain")], PAGE,
                 WARC_Identified_Payload_Type="text/html"),
        response("http://a.example/notes.txt", [("Content-Type", "text/plain")],
                 b"<me@a.example> wrote:\n" + WORDS.encode()),
    ])
    docs, q, counters = read_both(path, content_types=TEXT_TOO)
    assert not q and [(d.url.rsplit("/", 1)[1], d.metadata["content_type"], d.html is None) for d in docs] == \
        [("page", "text/html", False), ("cc", "text/html", False), ("notes.txt", "text/plain", True)]
    assert counters["text_looks_like_html"] == 1 and counters["content_type_identified"] == 1


def test_crawlers_own_text_log_and_page_list_records_are_skipped_by_kind(tmp_path):
    """Browsertrix's urn:text:/urn:textFinal: copies of a page's text and urn:pageinfo: lists, and
    wget's metadata:// log and manifest, are no documents even with text/plain wanted."""
    page = "https://f.example/page"
    path = warc_file(tmp_path, [
        record("resource", f"urn:text:{page}", WORDS.encode(), "text/plain"),
        record("resource", f"urn:textFinal:{page}", WORDS.encode(), "text/plain"),
        record("resource", f"urn:pageinfo:{page}", b'{"pages": {}}', "application/json"),
        record("resource", "metadata://gnu.org/software/wget/warc/wget.log", b"Resolving f.example... 200 OK\n" * 9,
               "text/plain"),
        record("resource", "metadata://gnu.org/software/wget/warc/MANIFEST.txt", b"<urn:uuid:1>\n", "text/plain"),
        response(page, [("Content-Type", "text/html")], PAGE),
    ])
    for types in (TEXT_TOO, ["text/html"]):
        docs, q, counters = read_both(path, content_types=types)
        assert not q and [d.url for d in docs] == [page]
        assert (counters["skipped_page_text"], counters["skipped_page_info"], counters["skipped_crawler_metadata"]) == \
            (2, 1, 2) and "skipped_not_html" not in counters


def test_binary_payloads_under_an_html_label_are_skipped_not_quarantined(tmp_path):
    """A PDF, an image, JSON or a script sent as text/html: Common Crawl's identified type wins
    (skipped_identified_not_html), and first bytes that name a binary format are no page
    (skipped_binary_payload), with or without an identified type; nothing is quarantined as damage."""
    html = [("Content-Type", "text/html; charset=utf-8")]
    pdf = b"%PDF-1.4\n1 0 obj << /Title (" + WORDS.encode() + b") >> endobj\n%%EOF\n"      # valid UTF-8
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
    path = warc_file(tmp_path, [
        response("http://h.example/pdf", html, pdf, WARC_Identified_Payload_Type="application/pdf"),
        response("http://h.example/jpg", html, jpeg, WARC_Identified_Payload_Type="image/jpeg"),
        response("http://h.example/json", html, b'{"data": "' + WORDS.encode() + b'"}',
                 WARC_Identified_Payload_Type="application/json"),
        response("http://h.example/js", html, b"var x = 1;\n" * 50,
                 WARC_Identified_Payload_Type="application/javascript"),
        response("http://h.example/pdf-noid", html, pdf),
        response("http://h.example/jpg-noid", html, jpeg),
        response("http://h.example/page", html, PAGE, WARC_Identified_Payload_Type="text/plain"),   # Tika was wrong
    ])
    docs, q, counters = read_both(path)
    assert not q and [d.url for d in docs] == ["http://h.example/page"]
    assert counters["skipped_identified_not_html"] == 4 and counters["skipped_binary_payload"] == 2


def test_pages_under_a_textual_or_generic_label_are_read_as_html(tmp_path):
    """text/plain, text/xml, application/xml that Common Crawl identified as text/html are pages;
    application/octet-stream or a type of parameters only, with no identified type, is sniffed
    as a missing type is. A declared non-text type (an image) or one identified otherwise stays."""
    cases = [("plain-id", [("Content-Type", "text/plain")], {"WARC_Identified_Payload_Type": "text/html"}),
             ("xml-id", [("Content-Type", "text/xml")], {"WARC_Identified_Payload_Type": "text/html"}),
             ("appxml-id", [("Content-Type", "application/xml")], {"WARC_Identified_Payload_Type": "text/html"}),
             ("octet", [("Content-Type", "application/octet-stream")], {}),
             ("params", [("Content-Type", ";charset=utf-8")], {}),
             ("none", [("Server", "x")], {}),
             ("jpeg-id", [("Content-Type", "image/jpeg")], {"WARC_Identified_Payload_Type": "text/html"}),
             ("octet-png", [("Content-Type", "application/octet-stream")],
              {"WARC_Identified_Payload_Type": "image/png"}),
             ("xml", [("Content-Type", "text/xml")], {})]
    path = warc_file(tmp_path, [response(f"http://d.example/{name}", headers, PAGE, **warc)
                                for name, headers, warc in cases])
    docs, q, counters = read_both(path)
    assert not q and [d.url.rsplit("/", 1)[1] for d in docs] == ["plain-id", "xml-id", "appxml-id", "octet", "params",
                                                                  "none"]
    assert {d.metadata["content_type"] for d in docs} == {"text/html"} and all(WORDS.encode() in d.html for d in docs)
    assert counters["content_type_identified"] == 3 and counters["skipped_not_html"] == 3


def test_repeated_content_encoding_lines_combine_in_order(tmp_path):
    """RFC 9110 5.3: `Content-Encoding: br` then `Content-Encoding: gzip` is `br, gzip` (br applied
    first), in the line-by-line parser, the plain-head parser and on both reader paths."""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: br\r\nServer: x\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: \r\n\r\n")
    block = head + b"0\r\n\r\n"
    resp, _ = parse_http_stream(io.BytesIO(block))
    status, plain, _ = parse_plain_response(block, 0, len(block))
    for headers in (resp.headers, plain):
        assert headers["content-encoding"] == "br, gzip" and headers["transfer-encoding"] == "chunked"
        assert headers["content-type"] == "text/html"
    assert dict(plain) == resp.headers
    body = gzip.compress(brotli.compress(PAGE))
    resp.body = body
    resp.headers = {"content-encoding": resp.headers["content-encoding"]}
    assert decode_body(resp, 1 << 20) == (PAGE, [])
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "br"), ("Content-Encoding", "gzip")]
    path = warc_file(tmp_path, [response("http://f.example/brgz", headers, body)])
    docs, q, counters = read_both(path)
    assert not q and len(docs) == 1 and docs[0].html == PAGE and "content_encoding_mismatch" not in counters


def test_a_chunk_size_line_with_a_long_extension_is_still_chunked(tmp_path):
    """A chunk extension (a signature of 80+ bytes) lengthens the size line past 64 bytes: the
    chunks are still undone; a line longer than a few KB is no chunked body."""
    ext = ';signature="' + "a" * 200 + '"'
    chunked = b"".join(f"{len(c):x}{ext}\r\n".encode() + c + b"\r\n" for c in (PAGE[:300], PAGE[300:])) + \
        f"0{ext}\r\n\r\n".encode()
    assert dechunk(chunked) == (PAGE, True)
    assert dechunk(b"10;" + b"x" * 10_000 + b"\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n") is None
    path = warc_file(tmp_path, [response("http://b.example/chunk", [("Content-Type", "text/html"),
                                                                   ("Transfer-Encoding", "chunked")], chunked)])
    docs, q, counters = read_both(path)
    assert not q and docs[0].html == PAGE and "chunked_mismatch" not in counters


def test_status_203_is_a_page_other_statuses_as_before(tmp_path):
    """203 Non-Authoritative Information is the 200's page as a proxy passed it on: kept. 206 (a
    piece), 404 and 500 (error pages) are still skipped and counted."""
    html = [("Content-Type", "text/html")]
    path = warc_file(tmp_path, [response(f"http://b.example/{code}", html, PAGE, status=f"{code} X")
                                for code in (203, 206, 404, 500)])
    docs, q, counters = read_both(path)
    assert not q and [d.url for d in docs] == ["http://b.example/203"]
    assert (counters["skipped_http_2xx"], counters["skipped_http_4xx"], counters["skipped_http_5xx"]) == (1, 1, 1)


def test_xhtml_with_its_xml_declaration_opens_a_whole_page_and_a_gzipped_page_is_no_binary_file():
    from pipeline.readers.magic import HTML_PAGE
    from pipeline.readers.web import not_a_page
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" ' \
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">'
    assert HTML_PAGE.match(xhtml) and not HTML_PAGE.match('<?xml version="1.0"?><rss version="2.0">')
    assert not not_a_page(gzip.compress(b"<html><body><p>a page saved content-encoded</p></body></html>"))
    assert not_a_page(b"\x89PNG\r\n\x1a\n" + bytes(64))
