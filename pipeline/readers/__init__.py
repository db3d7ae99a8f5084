"""Source readers: one input file in, documents and quarantine items out.

Every reader yields `Doc` or `Quarantined` items and counts what it skipped on purpose (request
records, images, redirects) in `counters`, so no input disappears unaccounted for.
"""
from __future__ import annotations

import io
import json
import lzma
import zlib
from dataclasses import dataclass, field
from typing import Iterator

import fsspec

from pipeline.readers.decode import charset_from_content_type, decode_html
from pipeline.readers.warc import WarcDamage, dechunk, iter_warc, parse_http

__all__ = ["Doc", "Quarantined", "ReadState", "read_source_file", "expand_paths"]


@dataclass
class Doc:
    id: str
    url: str | None = None
    text: str | None = None
    html: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass
class Quarantined:
    reason: str
    detail: str
    offset: int = -1
    id: str | None = None
    size: int = 0
    sample: bytes = b""


@dataclass
class ReadState:
    counters: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n


def expand_paths(pattern: str) -> list[str]:
    """Local paths, globs and fsspec URLs -> sorted list of file URLs/paths (no directories)."""
    fs, _, paths = fsspec.get_fs_token_paths(pattern)
    out = []
    for p in paths:
        if fs.isdir(p):
            out.extend(f for f in fs.find(p) if not fs.isdir(f))
        else:
            out.append(p)
    proto = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    if proto not in ("file", "local"):
        out = [p if "://" in p else f"{proto}://{p}" for p in out]
    return sorted(set(out))


def _open_decompressed(path: str):
    f = fsspec.open(path, "rb", compression="infer").open()
    # Some decompressors (zstd) are readers without line iteration.
    return f if hasattr(f, "readline") and not type(f).__name__.startswith("Zstd") else io.BufferedReader(f)


def read_source_file(src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """Dispatch on the source's format. `src` is a recipe SourceConfig."""
    with fsspec.open(path, "rb").open() as probe:
        if not probe.read(1):
            yield Quarantined("empty_file", f"{path} is empty")
            return
    reader = {"warc": _read_warc, "wet": _read_warc, "jsonl": _read_jsonl,
              "parquet": _read_parquet, "html": _read_html, "text": _read_text}[src.format]
    yield from reader(src, path, state)


# -- WARC / WET -------------------------------------------------------------------------------
def _read_warc(src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    want = tuple(t.lower() for t in src.content_types)
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
            if src.format == "wet":
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
def _read_whole(src, path: str) -> bytes | Quarantined:
    """A one-document file, read up to one byte past the size cap (enough to know it is over)."""
    try:
        with _open_decompressed(path) as f:
            return f.read(src.max_doc_bytes + 1)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        return Quarantined("corrupt_compression", f"{type(e).__name__}: {e}", 0, path)


def _read_html(src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = _read_whole(src, path)
    if isinstance(body, Quarantined):
        yield body
        return
    yield from _html_doc(src, path, None, body, None, {"file": path})


# -- JSONL ------------------------------------------------------------------------------------
def _read_jsonl(src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    lineno = 0
    try:
        with _open_decompressed(path) as f:
            for lineno, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    yield Quarantined("bad_encoding", f"line {lineno} is not UTF-8: {e}", lineno,
                                      size=len(raw), sample=raw)
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    yield Quarantined("bad_json", f"line {lineno}: {e}", lineno, size=len(raw), sample=raw)
                    continue
                yield from _row_doc(src, row, f"{path}#{lineno}", lineno, line)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
        # A truncated or corrupt compressed stream: what was read so far stands.
        yield Quarantined("corrupt_compression", f"after line {lineno}: {type(e).__name__}: {e}", lineno)


def _row_doc(src, row, fallback_id: str, offset: int, raw=None) -> Iterator[Doc | Quarantined]:
    if not isinstance(row, dict):
        yield Quarantined("bad_row", "row is not an object", offset, fallback_id)
        return
    text = row.get(src.text_field)
    rid = str(row[src.id_field]) if src.id_field and row.get(src.id_field) is not None else fallback_id
    if not isinstance(text, str):
        yield Quarantined("missing_text", f"field {src.text_field!r} missing or not a string", offset, rid,
                          sample=(raw or "").encode()[:4096] if isinstance(raw, str) else b"")
        return
    if not text.strip():
        yield Quarantined("empty_document", "empty text", offset, rid)
        return
    if len(text) > src.max_doc_bytes:
        yield Quarantined("too_large", f"{len(text)} chars > max_doc_bytes", offset, rid, len(text),
                          text[:65536].encode())
        return
    url = row.get(src.url_field) if src.url_field else None
    skip = {src.text_field, src.id_field, src.url_field}
    meta = {k: v for k, v in row.items() if k not in skip}
    yield Doc(rid, url if isinstance(url, str) else None, text=text, metadata=meta)


# -- Parquet ----------------------------------------------------------------------------------
def _read_parquet(src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    import pyarrow.parquet as pq
    n = 0
    try:
        with fsspec.open(path, "rb").open() as f:
            pf = pq.ParquetFile(f)
            if src.text_field not in pf.schema_arrow.names:
                yield Quarantined("missing_text", f"no column {src.text_field!r} in {path}", 0, path)
                return
            for batch in pf.iter_batches(batch_size=4096):
                for row in batch.to_pylist():
                    yield from _row_doc(src, row, f"{path}#{n}", n)
                    n += 1
    except Exception as e:  # pyarrow raises several types for damaged files
        yield Quarantined("corrupt_parquet", f"after row {n}: {type(e).__name__}: {e}", n, path)


# -- plain text -------------------------------------------------------------------------------
def _read_text(src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = _read_whole(src, path)
    if isinstance(body, Quarantined):
        yield body
        return
    if len(body) > src.max_doc_bytes:
        yield Quarantined("too_large", f"more than {src.max_doc_bytes} bytes", 0, path, len(body), body)
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        yield Quarantined("bad_encoding", f"not UTF-8: {e}", 0, path, len(body), body)
        return
    if not text.strip():
        yield Quarantined("empty_document", "empty text", 0, path)
        return
    yield Doc(path, None, text=text, metadata={"file": path})
