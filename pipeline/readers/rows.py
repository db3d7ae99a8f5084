"""Row formats: JSONL (plain or compressed), JSON arrays and Parquet, one document per row; plain text files."""
from __future__ import annotations

import json
import lzma
import re
import zlib
from typing import Iterator, Literal

import fsspec
from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, open_utf8, read_whole
from pipeline.readers.decode import decode_text_bytes


SAMPLE = 65536     # bytes of a quarantined line kept as its sample (a broken line can be huge)


class _RowReader(Reader):
    # 2: a text value that is a list of strings is joined with newlines in every row format; a
    # 0-row Parquet file is skipped (counted); marker files (`_SUCCESS`, `.x.crc`) are skipped.
    version = "2"
    marker_prefixes = (".", "_")
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
    paragraphs, a poem's lines) is joined with newlines. Such a document is parsed whole; a file
    whose first lines are objects one a line (Dolma's and C4's .json.gz, Hugging Face's to_json)
    is JSON Lines and is streamed as such, a bad line costing that line only (`json_read_as_jsonl`)."""
    name = "json"
    version = "3"       # 3: JSON Lines told from the file's first lines (a bad first line lost the file)
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
    UTF-8 with its stray bytes as cp1252 when it has lines of its own in UTF-8 (decode_unlabelled).
    With `documents: line`, each non-empty line is a document (`path#line`), the file streamed."""
    name = "text"
    version = "2"       # 2: marker files (`_SUCCESS`, `.part-0.crc`) skipped
    marker_prefixes = (".", "_")
    documents: Literal["file", "line"] = Field(
        default="file", description="`file`: one document per file; `line`: one per non-empty line (a corpus "
                                    "of one document a line, as CLUECorpusSmall), id `path#line`, the file "
                                    "read line by line (any size)")

    def read(self, path, src, state):
        if self.documents == "line":
            return _read_text_lines(self, src, path, state)
        return _read_text(self, src, path, state)


# -- JSONL ------------------------------------------------------------------------------------
def capped_lines(f, cap: int) -> Iterator[tuple[bytes, int | None]]:
    """(line, None) for each line of a binary file, or (its first `cap` bytes, its whole length)
    for a line longer than `cap`, skipped in pieces without being held whole (a dump with a
    broken newline can make one line of gigabytes)."""
    while raw := f.readline(cap):
        if len(raw) == cap and not raw.endswith(b"\n"):
            size = len(raw)
            while (more := f.readline(cap)) and not more.endswith(b"\n"):
                size += len(more)
            yield raw, size + len(more)
        else:
            yield raw, None


def _read_jsonl(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    lineno = 0
    # A row's JSON holds its text escaped (\uXXXX: up to 6 bytes a character) plus its other
    # fields: a longer line is over max_doc_bytes whatever it holds (skipped by capped_lines).
    limit = 6 * src.max_doc_bytes + (1 << 16)
    try:
        with open_utf8(path) as f:
            for lineno, (raw, over) in enumerate(capped_lines(f, limit), 1):
                if over is not None:
                    yield Quarantined("too_large", f"line {lineno}: {over} bytes, more than {limit}",
                                      lineno, size=over, sample=raw[:SAMPLE])
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
    if _looks_like_json_lines(src, path):
        # Objects one a line: JSON Lines under a .json name (Dolma's and C4's .json.gz, Hugging
        # Face's to_json), streamed as such (not held whole), a bad line quarantined alone; said.
        state.count("json_read_as_jsonl")
        yield from _read_jsonl(opts, src, path, state)
        return
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
            # One object, then more after a line break, which the first lines did not show (a
            # first line longer than the look-ahead): JSON Lines still.
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
        yield from _row_doc(opts, src, row, f"{path}#{i}", i, state=state)


JSON_HEAD = 1 << 16     # bytes of a .json file's start that decide whether it is JSON Lines
_HEAD_LINES = 4         # ... from its first this many non-empty lines


def _looks_like_json_lines(src, path: str) -> bool:
    """Whether a .json file is JSON Lines, from its first non-empty lines (two, and more within
    JSON_HEAD bytes; each up to the JSONL reader's line limit): the first is an object on a line
    of its own and another line follows, or the first does not parse (a damaged row) and every
    line after it in the head is an object. A JSON document (an array, an object over several
    lines, minified on one line) is never that: its first line is `[`, or an object's opening that
    does not parse alone, and its inner lines end in commas. Unreadable or undecidable: False (the
    whole-file path says why)."""
    limit = 6 * src.max_doc_bytes + (1 << 16)
    lines: list[bytes] = []
    try:
        with open_utf8(path) as f:
            head = f.peek(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
            if head[:1] != b"{":
                return False            # an array, a bare value, nothing: a JSON document
            read = 0
            # Two lines at least, however long (a book a line), then up to JSON_HEAD bytes' worth.
            while len(lines) < _HEAD_LINES and (read < JSON_HEAD or len(lines) < 2) \
                    and (raw := f.readline(limit)):
                read += len(raw)
                if not raw.endswith(b"\n") and len(raw) == limit:
                    break               # a line longer than any row: not decided by it
                if raw.strip():
                    lines.append(raw)
    except Exception:  # noqa: BLE001 - damage is the whole-file path's to name
        return False
    if len(lines) < 2:
        return False                # one line: one object, the same documents either way

    def is_object(raw: bytes) -> bool:
        try:
            return isinstance(json.loads(raw.lstrip(b"\xef\xbb\xbf").decode("utf-8")), dict)
        except (ValueError, RecursionError):
            return False
    return is_object(lines[0]) or all(is_object(line) for line in lines[1:])


def _row_doc(opts, src, row, fallback_id: str, offset: int, raw=None, state: ReadState | None = None
             ) -> Iterator[Doc | Quarantined]:
    if not isinstance(row, dict):
        yield Quarantined("bad_row", "row is not an object", offset, fallback_id)
        return
    text = row.get(opts.text_field)
    if isinstance(text, list) and all(isinstance(t, str) for t in text):
        # A list of strings (paragraphs, a poem's lines; a Parquet list<string> column): joined,
        # in every row format alike.
        text = "\n".join(text)
        row = {**row, opts.text_field: text}
    title_field = getattr(opts, "title_field", None)
    if title_field and isinstance(text, str) and isinstance(title := row.get(title_field), str) and title.strip():
        text = f"{title.strip()}\n{text}"
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
    read are quarantined with their count (`records`) and the groups after it are still read.
    Without its footer (a truncated file) nothing can be located: one item for the file. A file
    without the text column is one item standing for all its rows; one of 0 rows (an empty
    shard a writer left) is ordinary: `skipped_empty_file`."""
    import pyarrow.parquet as pq
    n = 0
    try:
        with fsspec.open(path, "rb").open() as f:
            pf = pq.ParquetFile(f)
            rows = pf.metadata.num_rows
            if rows == 0:
                state.count("skipped_empty_file")
                return
            if opts.text_field not in pf.schema_arrow.names:
                names = pf.schema_arrow.names
                shown = ", ".join(names[:30]) + (f", ... ({len(names)} columns)" if len(names) > 30 else "")
                yield Quarantined("missing_text", f"{path}: no column {opts.text_field!r}, its {rows:,} rows lost; "
                                  f"its columns: {shown}", 0, path, records=rows)
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
                                          f"{type(e).__name__}: {' '.join(str(e).split())}", n, path,
                                          records=end - n)
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


def _read_text_lines(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """`documents: line`: each non-empty line a document, id `path#line` (1-based), the file read
    line by line. A line over max_doc_bytes is quarantined `too_large` without being held whole; a
    line that is not UTF-8 is read as a text file is (`decode_text_bytes`, counted), else
    quarantined `bad_encoding`. UTF-16/32 files are transcoded as they are read (open_utf8)."""
    lineno = 0
    cap = src.max_doc_bytes + 2         # the longest line that fits, with its CR LF
    try:
        with open_utf8(path) as f:
            for lineno, (raw, over) in enumerate(capped_lines(f, cap), 1):
                if over is not None:
                    yield Quarantined("too_large", f"line {lineno}: {over} bytes > max_doc_bytes {src.max_doc_bytes}",
                                      lineno, f"{path}#{lineno}", over, raw[:SAMPLE])
                    continue
                if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                line = raw.rstrip(b"\r\n")
                if not line.strip():
                    continue
                if len(line) > src.max_doc_bytes:
                    yield Quarantined("too_large", f"line {lineno}: {len(line)} bytes > max_doc_bytes "
                                      f"{src.max_doc_bytes}", lineno, f"{path}#{lineno}", len(line), line[:SAMPLE])
                    continue
                doc_meta = {"file": path}
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError:
                    text, charset, kind = decode_text_bytes(line)
                    if text is None:
                        yield Quarantined("bad_encoding", f"line {lineno}: {charset}", lineno, f"{path}#{lineno}",
                                          len(line), line[:SAMPLE])
                        continue
                    if kind:
                        state.count(f"text_{kind}")
                        doc_meta["charset"] = charset
                if not text.strip():
                    continue
                yield Doc(f"{path}#{lineno}", None, text=text, metadata=doc_meta)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
        # A truncated or corrupt compressed stream: what was read so far stands.
        yield Quarantined("corrupt_compression", f"after line {lineno}: {type(e).__name__}: {e}", lineno, path)
