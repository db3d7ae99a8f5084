"""Row formats: JSONL (plain or compressed), JSON arrays and Parquet, one document per row; plain text files."""
from __future__ import annotations

import json
import lzma
import re
import zlib
from typing import Iterator

import fsspec
from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, open_utf8, read_whole
from pipeline.readers.decode import decode_text_bytes


SAMPLE = 65536     # bytes of a quarantined line kept as its sample (a broken line can be huge)


class _RowReader(Reader):
    text_field: str = Field(default="text", description="field holding the document's text")
    id_field: str | None = Field(default=None, description="field holding the document id (default: file#line)")
    url_field: str | None = Field(default="url", description="field holding the document URL, if any")


class JsonlReader(_RowReader):
    """JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst, ...): one object per line."""
    name = "jsonl"

    def read(self, path, src, state):
        return _read_jsonl(self, src, path, state)


class JsonReader(_RowReader):
    """A JSON file (.json, .json.gz, ...) holding an array of objects, or one object: one document
    per object. Collections published as JSON rather than JSON Lines (chinese-poetry's classics and
    poems: `{"chapter": …, "paragraphs": [...]}`). A text field holding a list of strings (the
    paragraphs, a poem's lines) is joined with newlines. The file is parsed whole."""
    name = "json"
    title_field: str | None = Field(default=None, description="field whose value becomes the text's first line "
                                                              "(a chapter's or a poem's title), if any")

    def read(self, path, src, state):
        return _read_json(self, src, path, state)


class ParquetReader(_RowReader):
    """Parquet files: one document per row."""
    name = "parquet"

    def read(self, path, src, state):
        return _read_parquet(self, src, path, state)


class TextReader(Reader):
    """One text document per file; the file path is its id. A file that is not UTF-8 is read in the
    charset detection names (a GBK novel; `text_legacy_charset`, `charset` in the metadata), or as
    UTF-8 with its stray bytes as cp1252 when it has lines of its own in UTF-8 (decode_unlabelled)."""
    name = "text"

    def read(self, path, src, state):
        return _read_text(self, src, path, state)


# -- JSONL ------------------------------------------------------------------------------------
def _read_jsonl(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    lineno = 0
    # A row's JSON holds its text escaped (\uXXXX: up to 6 bytes a character) plus its other
    # fields: a longer line is over max_doc_bytes whatever it holds, and is skipped in pieces
    # instead of being held whole (a dump with a broken newline can make one line of gigabytes).
    limit = 6 * src.max_doc_bytes + (1 << 16)
    try:
        with open_utf8(path) as f:
            while raw := f.readline(limit):
                lineno += 1
                if len(raw) == limit and not raw.endswith(b"\n"):
                    size = len(raw)
                    while (more := f.readline(limit)) and not more.endswith(b"\n"):
                        size += len(more)
                    yield Quarantined("too_large", f"line {lineno}: {size + len(more)} bytes, more than {limit}",
                                      lineno, size=size + len(more), sample=raw[:SAMPLE])
                    continue
                if raw.startswith(b"\xef\xbb\xbf"):   # a BOM, as Windows tools write (mid-file: files cat-ed together)
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    yield Quarantined("bad_encoding", f"line {lineno} is not UTF-8: {e}", lineno,
                                      size=len(raw), sample=raw[:SAMPLE])
                    continue
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError) as e:   # bad JSON, an int of >4,300 digits, deep nesting
                    yield Quarantined("bad_json", f"line {lineno}: {type(e).__name__}: {e}", lineno, size=len(raw),
                                      sample=raw[:SAMPLE])
                    continue
                if "\\ud" in line or "\\uD" in line:
                    row = without_lone_surrogates(row, state)
                yield from _row_doc(opts, src, row, f"{path}#{lineno}", lineno, line, state)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
        # A truncated or corrupt compressed stream: what was read so far stands.
        yield Quarantined("corrupt_compression", f"after line {lineno}: {type(e).__name__}: {e}", lineno)


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value, state: ReadState):
    """`value` with every lone UTF-16 surrogate (a `\\ud83d` escape without its pair: JSON allows
    it, UTF-8 cannot hold it) replaced by U+FFFD, counted; pairs json.loads has joined stay."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            state.count("lone_surrogates_replaced")
            return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(v, state) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k, state): without_lone_surrogates(v, state) for k, v in value.items()}
    return value


# -- JSON -------------------------------------------------------------------------------------
def _read_json(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = read_whole(src, path, state, unbounded=True)
    if isinstance(body, Quarantined):
        yield body
        return
    doc = None
    try:
        doc = body.decode("utf-8-sig")
        value = json.loads(doc)
    except UnicodeDecodeError as e:
        yield Quarantined("bad_encoding", f"{path} is not UTF-8: {e}", 0, path, len(body), body[:SAMPLE])
        return
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" and doc[:e.pos].rstrip().endswith("}") and "\n" in doc[max(0, e.pos - 64):e.pos]:
            # One object, then more after a line break: JSON Lines under a .json name (Dolma's
            # .json.gz, Hugging Face's to_json): read as such, and said.
            state.count("json_read_as_jsonl")
            yield from _read_jsonl(opts, src, path, state)
            return
        yield Quarantined("bad_json", f"{path}: {e}", e.pos, path, len(body), body[max(0, e.pos - 2048):e.pos + 2048])
        return
    except (ValueError, RecursionError) as e:                  # an int of >4,300 digits, deep nesting
        yield Quarantined("bad_json", f"{path}: {type(e).__name__}: {e}", 0, path, len(body), body[:SAMPLE])
        return
    if b"\\ud" in body or b"\\uD" in body:
        value = without_lone_surrogates(value, state)
    rows = value if isinstance(value, list) else [value]
    for i, row in enumerate(rows, 1):
        if isinstance(row, dict):
            text = row.get(opts.text_field)
            if isinstance(text, list) and all(isinstance(t, str) for t in text):
                text = "\n".join(text)
            title = row.get(opts.title_field) if opts.title_field else None
            if isinstance(text, str) and isinstance(title, str) and title.strip():
                text = f"{title.strip()}\n{text}"
            row = {**row, opts.text_field: text}
        yield from _row_doc(opts, src, row, f"{path}#{i}", i, state=state)


def _row_doc(opts, src, row, fallback_id: str, offset: int, raw=None, state: ReadState | None = None
             ) -> Iterator[Doc | Quarantined]:
    if not isinstance(row, dict):
        yield Quarantined("bad_row", "row is not an object", offset, fallback_id)
        return
    text = row.get(opts.text_field)
    rid = _row_id(opts, row, fallback_id, state)
    if not isinstance(text, str):
        yield Quarantined("missing_text", f"field {opts.text_field!r} missing or not a string", offset, rid,
                          sample=(raw or "").encode()[:4096] if isinstance(raw, str) else b"")
        return
    if not text.strip():
        yield Quarantined("empty_document", "empty text", offset, rid)
        return
    # Bytes of UTF-8, as every reader counts them (a character is 1 to 4 of them: encoded only
    # when the count of characters leaves it open).
    size = len(text) if len(text) > src.max_doc_bytes or 4 * len(text) <= src.max_doc_bytes or text.isascii() \
        else len(text.encode("utf-8", "surrogatepass"))
    if size > src.max_doc_bytes:
        yield Quarantined("too_large", f"{size} bytes > max_doc_bytes {src.max_doc_bytes}", offset, rid, size,
                          text[:65536].encode("utf-8", "replace"))
        return
    url = row.get(opts.url_field) if opts.url_field else None
    skip = {opts.text_field, opts.id_field, opts.url_field}
    meta = {k: v for k, v in row.items() if k not in skip}
    yield Doc(rid, url if isinstance(url, str) else None, text=text, metadata=meta)


def _row_id(opts, row: dict, fallback_id: str, state: ReadState | None) -> str:
    """The row's `id_field` value, else its place in the file; a row without the id_field the
    recipe names is counted (`id_field_missing`): after ingest, a source none of whose rows had it
    stops the run (checks.py), a misspelt field must not quietly number the documents."""
    if opts.id_field:
        value = row.get(opts.id_field)
        if value is not None:
            return str(value)
        if state is not None:
            state.count("id_field_missing")
    return fallback_id


# -- Parquet ----------------------------------------------------------------------------------
def _read_parquet(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """Row group by row group, each streamed in batches (memory: a batch, not a decoded group):
    where a group turns out damaged (pages that do not decompress or decode), its rows not yet
    read are quarantined with their count and the groups after it are still read. Without its
    footer (a truncated file) nothing can be located: one item for the file."""
    import pyarrow.parquet as pq
    n = 0
    try:
        with fsspec.open(path, "rb").open() as f:
            pf = pq.ParquetFile(f)
            if opts.text_field not in pf.schema_arrow.names:
                yield Quarantined("missing_text", f"no column {opts.text_field!r} in {path}", 0, path)
                return
            for g in range(pf.num_row_groups):
                end = n + pf.metadata.row_group(g).num_rows
                batches = pf.iter_batches(batch_size=4096, row_groups=[g])
                while True:
                    try:
                        batch = next(batches)
                    except StopIteration:
                        break
                    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for damaged pages
                        yield Quarantined("corrupt_parquet", f"{path}: row group {g} ({end - n} rows from row {n}): "
                                          f"{type(e).__name__}: {' '.join(str(e).split())}", n, path)
                        break
                    for row in _pylist(batch):
                        if isinstance(row, Exception):    # a value that does not decode (bytes flipped)
                            yield Quarantined("corrupt_parquet", f"{path}: row {n}: {type(row).__name__}: "
                                              f"{' '.join(str(row).split())}", n, path)
                        elif isinstance(raw := row.get(opts.text_field), bytes):
                            yield from _binary_text_row(opts, src, row, raw, f"{path}#{n}", n, state)
                        else:
                            yield from _row_doc(opts, src, row, f"{path}#{n}", n, state=state)
                        n += 1
                n = end
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for damaged files
        yield Quarantined("corrupt_parquet", f"{path}: after row {n}: {type(e).__name__}: "
                          f"{' '.join(str(e).split())}", n, path)


def _binary_text_row(opts, src, row: dict, raw: bytes, fallback_id: str, offset: int,
                     state: ReadState) -> Iterator[Doc | Quarantined]:
    """A row whose text column is binary (Parquet written without the UTF-8 annotation: Hive,
    Impala, some Spark jobs): read as a text file is (`decode_text_bytes`, counted as there);
    bytes no charset reads are quarantined."""
    state.count("binary_text_column")
    text, charset, kind = decode_text_bytes(raw)
    if text is None:
        rid = _row_id(opts, row, fallback_id, state)
        yield Quarantined("bad_encoding", f"{fallback_id}: binary text column, {charset}", offset, rid, len(raw),
                          raw[:SAMPLE])
        return
    if kind:
        state.count(f"text_{kind}")
        row = {**row, "charset": charset}
    yield from _row_doc(opts, src, {**row, opts.text_field: text}, fallback_id, offset, state=state)


def _pylist(batch) -> list:
    """The batch's rows as dicts; if one does not convert (invalid UTF-8 in a string column), row
    by row, with the exception in place of each bad row."""
    try:
        return batch.to_pylist()
    except Exception:  # noqa: BLE001 - UnicodeDecodeError, ArrowInvalid, ...
        out = []
        for i in range(batch.num_rows):
            try:
                out.append(batch.slice(i, 1).to_pylist()[0])
            except Exception as e:  # noqa: BLE001
                out.append(e)
        return out


# -- plain text -------------------------------------------------------------------------------
def _read_text(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = read_whole(src, path, state)
    if isinstance(body, Quarantined):
        yield body
        return
    if len(body) > src.max_doc_bytes:
        yield Quarantined("too_large", f"more than {src.max_doc_bytes} bytes", 0, path, len(body), body)
        return
    meta = {"file": path}
    text, charset, kind = decode_text_bytes(body)      # UTF-8, UTF-16/32, a GBK novel, a Latin-1 note
    if text is None:
        yield Quarantined("bad_encoding", charset, 0, path, len(body), body)
        return
    if kind:
        state.count(f"text_{kind}")             # text_wide_unicode, text_legacy_charset
        meta["charset"] = charset
    if not text.strip():
        yield Quarantined("empty_document", "empty text", 0, path)
        return
    yield Doc(path, None, text=text, metadata=meta)
