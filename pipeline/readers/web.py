"""Web formats: WARC and WET crawl files, and single HTML pages.

Our own WARC framing (`pipeline.readers.warc`) locates damage and resumes at the next record;
`decode` turns page bytes into text.
"""
from __future__ import annotations

import zlib
from typing import Iterator

import fsspec
from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, read_whole
from pipeline.readers.decode import charset_from_content_type, decode_html
from pipeline.readers.warc import WarcDamage, dechunk, iter_warc, parse_http

HTML_TYPES = ["text/html", "application/xhtml+xml"]


class WarcReader(Reader):
    """WARC files (.warc, .warc.gz, .warc.zst): HTTP responses and resources become HTML documents."""
    name = "warc"
    content_types: list[str] = Field(default=HTML_TYPES, description="HTTP content types that count as pages")

    def read(self, path, src, state):
        return _read_warc(self, src, path, state)


class WetReader(WarcReader):
    """WET files: Common Crawl's text conversions, one text document per conversion record."""
    name = "wet"


class HtmlReader(Reader):
    """One HTML page per file (optionally compressed); the file path is its id."""
    name = "html"

    def read(self, path, src, state):
        return _read_html(self, src, path, state)


# -- WARC / WET -------------------------------------------------------------------------------
def _read_warc(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    want = tuple(t.lower() for t in opts.content_types)
    opener = fsspec.open(path, "rb", compression="zstd" if path.endswith(".zst") else None)
    with opener.open() as raw:
        for rec in iter_warc(raw, max_record_bytes=src.max_doc_bytes):
            if isinstance(rec, WarcDamage):
                yield Quarantined(rec.reason, rec.detail, rec.offset, sample=rec.sample)
                continue
            h = rec.headers
            wtype = h.get("warc-type", "").lower()
            rid = h.get("warc-record-id", "").strip("<>").removeprefix("urn:uuid:")
            rid = rid or f"{path}@{rec.offset}"
            url = h.get("warc-target-uri") or None
            meta = {"warc_date": h.get("warc-date"), "warc_file": path.rsplit("/", 1)[-1],
                    "warc_offset": rec.offset}
            if opts.name == "wet":
                if wtype != "conversion":
                    state.count(f"skipped_{wtype or 'untyped'}")
                    continue
                if rec.truncated:
                    yield Quarantined("too_large", f"{rec.length} bytes", rec.offset, rid, rec.length, rec.block)
                    continue
                text = rec.block.decode("utf-8", "replace")
                if not text.strip():
                    yield Quarantined("empty_document", "empty conversion record", rec.offset, rid)
                    continue
                yield Doc(rid, url, text=text, metadata=meta)
                continue
            if wtype not in ("response", "resource"):
                state.count(f"skipped_{wtype or 'untyped'}")
                continue
            if rec.truncated:
                yield Quarantined("too_large", f"record of {rec.length} bytes", rec.offset, rid,
                                  rec.length, rec.block)
                continue
            if wtype == "response":
                resp = parse_http(rec.block)
                if resp is None:
                    yield Quarantined("malformed_http", "no HTTP status line/headers", rec.offset, rid,
                                      rec.length, rec.block)
                    continue
                if resp.status != 200:
                    state.count(f"skipped_http_{resp.status // 100}xx")
                    continue
                ctype, body = resp.headers.get("content-type", ""), resp.body
                if "chunked" in resp.headers.get("transfer-encoding", "").lower():
                    body = dechunk(body) or body
                enc = resp.headers.get("content-encoding", "").lower()
                if enc in ("gzip", "x-gzip", "deflate"):
                    try:
                        body = zlib.decompress(body, 47 if "gzip" in enc else zlib.MAX_WBITS)
                    except zlib.error as e:
                        yield Quarantined("bad_content_encoding", str(e), rec.offset, rid, len(body), body)
                        continue
            else:
                ctype, body = h.get("content-type", ""), rec.block
            mime = ctype.split(";")[0].strip().lower()
            if not mime.startswith(want):
                state.count("skipped_not_html")
                continue
            meta["content_type"] = mime
            yield from _html_doc(src, rid, url, body, charset_from_content_type(ctype), meta, rec.offset)


def _html_doc(src, rid, url, body: bytes, declared, meta, offset=-1) -> Iterator[Doc | Quarantined]:
    if not body.strip():
        yield Quarantined("empty_document", "no content", offset, rid)
        return
    if len(body) > src.max_doc_bytes:
        yield Quarantined("too_large", f"{len(body)} bytes > max_doc_bytes {src.max_doc_bytes}",
                          offset, rid, len(body), body)
        return
    html, how = decode_html(body, declared)
    if html is None:
        yield Quarantined("bad_encoding", how, offset, rid, len(body), body)
        return
    meta["charset"] = how
    yield Doc(rid, url, html=html, metadata=meta)


# -- HTML files -------------------------------------------------------------------------------
def _read_html(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = read_whole(src, path)
    if isinstance(body, Quarantined):
        yield body
        return
    yield from _html_doc(src, path, None, body, None, {"file": path})
