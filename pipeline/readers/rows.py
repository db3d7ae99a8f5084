"""Row formats: JSONL (plain or compressed), JSON arrays, Parquet and Arrow IPC, one document per row;
plain text files.

How these readers meet published corpora as they are, not as their names say:
- fields are found by dotted paths into nested objects (`url_field: metadata.url` for datatrove's
  and Dolma's rows, `text_field: doc.text` for a Parquet struct column); a key that itself holds
  the dot wins. A `url_field`/`id_field` the recipe names that a row lacks is counted
  (`url_field_missing`, `id_field_missing`): a source none of whose documents had it stops the run
  (checks.py), a misspelt field must not quietly give url=None (a url_filter removing nothing);
- a file is decompressed by what its first bytes say (base.open_decompressed `sniff`): plain JSON
  Lines named .jsonl.gz, zstd named .jsonl.zstd, gzip named .json are read, counted;
- a `.json` file of several JSON values one after another (`jq .` output, pretty-printed objects
  written one by one) is read value by value, not as JSON Lines that every line of fails;
- a row whose text is unusable says what it held (absent, null, a number, an object and its keys);
  a url that is not a string stays in the metadata, counted, never dropped;
- a directory in `paths` means the format's files (`Reader.data_suffixes`): a Hugging Face
  snapshot's README.md and LICENSE are counted as skipped, not read as rows;
- Arrow IPC files (`datasets`' save_to_disk `data-*.arrow`, the stream and the file format) are
  read batch by batch with the Parquet reader's row handling (both in `rows_columnar`).
"""
from __future__ import annotations

import json
import lzma
import re
import zlib
from typing import Iterator, Literal

from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, open_utf8, read_whole, with_compression
from pipeline.readers.decode import decode_text_bytes


SAMPLE = 65536     # bytes of a quarantined line kept as its sample (a broken line can be huge)


_JSON_NAMES = with_compression(".jsonl", ".json", ".ndjson")


class _RowReader(Reader):
    # 2: a text value that is a list of strings is joined with newlines in every row format; a
    # 0-row Parquet file is skipped (counted); marker files (`_SUCCESS`, `.x.crc`) are skipped.
    # 3: dotted field paths; compression told from the bytes; a non-string url kept in metadata.
    # 4: Hive partition folders (key=value) into metadata.
    version = "4"
    marker_prefixes = (".", "_")
    hive_partitions = True
    text_field: str = Field(default="text", description="field holding the document's text; a dotted path "
                                                        "(`meta.content`) reaches into nested objects")
    id_field: str | None = Field(default=None, description="field holding the document id (default: file#line); "
                                                           "dotted paths reach into nested objects")
    url_field: str | None = Field(default="url", description="field holding the document URL, if any (datatrove, "
                                                             "Dolma: `metadata.url`)")


class JsonlReader(_RowReader):
    """JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst, ...): one object per line."""
    name = "jsonl"
    version = "5"       # 5: a JSON document (an array, indented objects) is read as JSON
    data_suffixes = _JSON_NAMES

    def read(self, path, src, state):
        if _looks_like_json_document(src, path):
            # A JSON array (or pretty-printed objects) under format: jsonl: every line of it would
            # be a bad row and the run would stop on them; read as JSON, said.
            state.count("jsonl_read_as_json")
            return _read_json(self, src, path, state, sniffed=True)
        return _read_jsonl(self, src, path, state)


class JsonReader(_RowReader):
    """A JSON file (.json, .json.gz, ...) holding an array of objects, or one object: one document
    per object. Collections published as JSON rather than JSON Lines (chinese-poetry's classics and
    poems: `{"chapter": …, "paragraphs": [...]}`). A text field holding a list of strings (the
    paragraphs, a poem's lines) is joined with newlines. Such a document is parsed whole; a file
    whose first lines are objects one a line (Dolma's and C4's .json.gz, Hugging Face's to_json)
    is JSON Lines and is streamed as such, a bad line costing that line only (`json_read_as_jsonl`).
    Several JSON values one after another (`jq .` output, objects dumped with indent one by one)
    are read value by value (`json_concatenated_values`)."""
    name = "json"
    # 3: JSON Lines told from the file's first lines (a bad first line lost the file)
    # 4: concatenated values; dotted field paths; compression told from the bytes
    version = "4"
    data_suffixes = _JSON_NAMES
    title_field: str | None = Field(default=None, description="field whose value becomes the text's first line "
                                                              "(a chapter's or a poem's title), if any")
    records_field: str | None = Field(default=None, description=(
        "field (dotted path) of the file's one object that holds the rows, for files that wrap them: "
        "`data` for `{\"version\": ..., \"data\": [...]}`; unset: the file is the rows (an array, or one object)"))

    def read(self, path, src, state):
        return _read_json(self, src, path, state)


class TextReader(Reader):
    """One text document per file; the file path is its id. A file that is not UTF-8 is read in the
    charset detection names (a GBK novel; `text_legacy_charset`, `charset` in the metadata), or as
    UTF-8 with its stray bytes as cp1252 when it has lines of its own in UTF-8 (decode_unlabelled).
    With `documents: line`, each non-empty line is a document (`path#line`), the file streamed."""
    name = "text"
    version = "3"       # 2: marker files (`_SUCCESS`, `.part-0.crc`) skipped; 3: compression told from the bytes
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


def _read_jsonl(opts, src, path: str, state: ReadState, count_codec: bool = True) -> Iterator[Doc | Quarantined]:
    lineno = 0
    # A row's JSON holds its text escaped (\uXXXX: up to 6 bytes a character) plus its other
    # fields: a longer line is over max_doc_bytes whatever it holds (skipped by capped_lines).
    limit = 6 * src.max_doc_bytes + (1 << 16)
    try:
        with open_utf8(path, state if count_codec else None, sniff=True) as f:
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
def _read_json(opts, src, path: str, state: ReadState, sniffed: bool = False) -> Iterator[Doc | Quarantined]:
    if not sniffed and _looks_like_json_lines(src, path):
        # Objects one a line: JSON Lines under a .json name (Dolma's and C4's .json.gz, Hugging
        # Face's to_json), streamed as such (not held whole), a bad line quarantined alone; said.
        state.count("json_read_as_jsonl")
        yield from _read_jsonl(opts, src, path, state)
        return
    body = read_whole(src, path, state, unbounded=True, sniff=True)
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
        if e.msg == "Extra data" and doc[:e.pos].rstrip().endswith("}") and "\n" in doc[max(0, e.pos - 64):e.pos] \
                and "\n" not in doc[:e.pos].strip():
            # One object on one line, then more after a line break, which the first lines did not
            # show (a first line longer than the look-ahead): JSON Lines still.
            state.count("json_read_as_jsonl")
            yield from _read_jsonl(opts, src, path, state, count_codec=False)
            return
        if e.msg == "Extra data":
            # Values one after another over several lines each (`jq .` output, objects dumped
            # with indent one by one): read value by value, not as JSON Lines every line of fails.
            body = None         # the text is held once (as the array path holds its values)
            state.count("json_concatenated_values")
            yield from _concatenated_values(opts, src, path, doc, state)
            return
        yield Quarantined("bad_json", f"{path}: {e}", e.pos, path, len(body), body[max(0, e.pos - 2048):e.pos + 2048])
        return
    except (ValueError, RecursionError) as e:                  # an int of >4,300 digits, deep nesting
        yield Quarantined("bad_json", f"{path}: {type(e).__name__}: {e}", 0, path, len(body), body[:SAMPLE])
        return
    if b"\\ud" in body or b"\\uD" in body:
        value = without_lone_surrogates(value, state)
    records_field = getattr(opts, "records_field", None)
    if records_field and isinstance(value, dict):
        at = field_path(value, records_field)
        if not isinstance(held := _get(value, at), list):
            yield Quarantined("missing_text", f"{path}: records_field {records_field!r} is "
                              f"{_describe(held, at, value)}, not a list of rows", 0, path)
            return
        value = held
    elif isinstance(value, dict) and _get(value, field_path(value, opts.text_field)) is None and \
            (lists := [k for k, v in value.items() if isinstance(v, list) and v and isinstance(v[0], dict)]):
        # One object wrapping the rows (`{"version": 1, "data": [...]}`): the row count it stands
        # for is lost unless the reader is told where they are; said with the field to name.
        yield Quarantined("missing_text", f"{path}: one object without {opts.text_field!r} whose field "
                          f"{lists[0]!r} holds {len(value[lists[0]]):,} objects: set records_field: {lists[0]} "
                          f"to read them as rows", 0, path, records=len(value[lists[0]]))
        return
    rows = value if isinstance(value, list) else [value]
    for i, row in enumerate(rows, 1):
        yield from _row_doc(opts, src, row, f"{path}#{i}", i, state=state)


def _concatenated_values(opts, src, path: str, doc: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """Each JSON value of `doc` (values one after another, whitespace between), its rows numbered
    on across values as an array's are (`path#1`, ...; an array among them gives its elements). A
    value that does not parse is quarantined up to the next line that opens an object (`{` at a
    line's start), where reading goes on. One value is held at a time besides the text."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")
    pos, i = ws.match(doc, 1 if doc.startswith("\ufeff") else 0).end(), 0
    while pos < len(doc):
        try:
            value, end = decoder.raw_decode(doc, pos)
        except (ValueError, RecursionError) as e:
            i += 1
            resume = doc.find("\n{", pos + 1)
            end = len(doc) if resume < 0 else resume + 1
            yield Quarantined("bad_json", f"{path}: value at character {pos}: {type(e).__name__}: {e}", pos,
                              f"{path}#{i}", end - pos, doc[pos:min(end, pos + SAMPLE)].encode("utf-8", "replace"))
            pos = ws.match(doc, end).end()
            continue
        if doc.find("\\ud", pos, end) >= 0 or doc.find("\\uD", pos, end) >= 0:
            value = without_lone_surrogates(value, state)
        for row in value if isinstance(value, list) else [value]:
            i += 1
            yield from _row_doc(opts, src, row, f"{path}#{i}", i, state=state)
        pos = ws.match(doc, end).end()


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
        with open_utf8(path, sniff=True) as f:
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


def _looks_like_json_document(src, path: str) -> bool:
    """Whether a file named as JSON Lines holds a JSON document instead: it begins with `[` (an
    array, pretty-printed or on one line), or with a line that is only `{` (objects dumped with
    indent) and is not JSON Lines by `_looks_like_json_lines`. A damaged first row followed by
    rows one a line stays JSON Lines; unreadable: False (the JSONL path says why)."""
    try:
        with open_utf8(path, sniff=True) as f:
            head = f.peek(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
    except Exception:  # noqa: BLE001 - damage is the JSONL path's to name
        return False
    if head[:1] == b"[":
        return True
    return head[:1] == b"{" and head[1:].lstrip(b" \t\r")[:1] == b"\n" and not _looks_like_json_lines(src, path)


def field_path(row: dict, name: str) -> tuple[str, ...] | None:
    """Where the field `name` is in a row, as the keys leading to it: the top-level key `name`
    (a key holding a dot wins), else a dotted path into nested objects (`metadata.url`: datatrove's
    and Dolma's rows, Parquet struct columns), a key with a dot inside at any level found too.
    None when absent."""
    if name in row:
        return (name,)
    at = name.find(".")
    while at > 0:
        inner = row.get(name[:at])
        if isinstance(inner, dict) and (rest := field_path(inner, name[at + 1:])) is not None:
            return (name[:at], *rest)
        at = name.find(".", at + 1)
    return None


def _get(row: dict, keys: tuple[str, ...] | None):
    if keys is None:
        return None
    for k in keys:
        row = row[k]
    return row


def _with(row: dict, keys: tuple[str, ...], value=None, drop: bool = False) -> dict:
    """A copy of `row` with the value at `keys` replaced by `value`, or dropped (`drop`; a nested
    object left empty is dropped with it); the row itself is not changed."""
    k = keys[0]
    out = dict(row)
    if len(keys) > 1:
        inner = _with(row[k], keys[1:], value, drop)
        if inner or not drop:
            out[k] = inner
        else:
            del out[k]
    elif drop:
        del out[k]
    else:
        out[k] = value
    return out


def _describe(value, keys, row: dict) -> str:
    """What a text field held instead of a string, for the quarantine item's detail."""
    if keys is None:
        shown = ", ".join(repr(k)[:60] for k in list(row)[:10]) + (", ..." if len(row) > 10 else "")
        return f"absent (the row's fields: {shown or 'none'})"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({str(value)[:40]})"
    if isinstance(value, dict):
        shown = ", ".join(repr(k)[:60] for k in list(value)[:5]) + (", ..." if len(value) > 5 else "")
        return f"an object with keys {shown}" if value else "an empty object"
    if isinstance(value, list):
        i, bad = next((i, v) for i, v in enumerate(value) if not isinstance(v, str))
        what = "null" if bad is None else type(bad).__name__
        return f"a list of {len(value)} holding a non-string ({what}) at index {i}"
    return f"a {type(value).__name__}"


def _row_doc(opts, src, row, fallback_id: str, offset: int, raw=None, state: ReadState | None = None
             ) -> Iterator[Doc | Quarantined]:
    if not isinstance(row, dict):
        yield Quarantined("bad_row", "row is not an object", offset, fallback_id)
        return
    text_at = field_path(row, opts.text_field)
    text = _get(row, text_at)
    if isinstance(text, list) and all(isinstance(t, str) for t in text):
        # A list of strings (paragraphs, a poem's lines; a Parquet list<string> column): joined,
        # in every row format alike.
        text = "\n".join(text)
    title_field = getattr(opts, "title_field", None)
    if title_field and isinstance(text, str) and isinstance(title := _get(row, field_path(row, title_field)), str) \
            and title.strip():
        text = f"{title.strip()}\n{text}"
    id_at = field_path(row, opts.id_field) if opts.id_field else None
    rid = _row_id(opts, _get(row, id_at), fallback_id, state)
    if not isinstance(text, str):
        yield Quarantined("missing_text", f"field {opts.text_field!r} is {_describe(text, text_at, row)}", offset,
                          rid, sample=(raw or "").encode()[:4096] if isinstance(raw, str) else b"")
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
    url_at = field_path(row, opts.url_field) if opts.url_field else None
    url = _get(row, url_at)
    if url is None and url_at is None and opts.url_field and state is not None \
            and "url_field" in opts.model_fields_set:
        # Named by the recipe (not the default `url`) and not in this row: counted, and a source
        # none of whose documents has it stops the run (checks.py): a misspelt or flat field
        # where the URL is nested (`metadata.url`) must not quietly keep every document.
        state.count("url_field_missing")
    # The fields that became the document's text, id and url leave its metadata (where they were,
    # nested ones too); a url that is not a string (a number, an object) stays there, counted.
    meta = row
    used = [text_at] + ([id_at] if id_at is not None else [])
    if url_at is not None:
        if url is None or isinstance(url, str):
            used.append(url_at)
        elif state is not None:
            state.count("url_not_a_string")
    for keys in sorted(used, key=len, reverse=True):
        if _has(meta, keys):
            meta = _with(meta, keys, drop=True)
    yield Doc(rid, url if isinstance(url, str) else None, text=text, metadata=meta)


def _has(row: dict, keys: tuple[str, ...]) -> bool:
    for k in keys:
        if not isinstance(row, dict) or k not in row:
            return False
        row = row[k]
    return True


def _row_id(opts, value, fallback_id: str, state: ReadState | None) -> str:
    """The row's `id_field` value, else its place in the file; a row without the id_field the
    recipe names is counted (`id_field_missing`): after ingest, a source none of whose rows had it
    stops the run (checks.py), a misspelt field must not quietly number the documents."""
    if opts.id_field:
        if value is not None:
            return str(value)
        if state is not None:
            state.count("id_field_missing")
    return fallback_id


# -- plain text -------------------------------------------------------------------------------
def _read_text(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = read_whole(src, path, state, sniff=True)
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
        with open_utf8(path, state, sniff=True) as f:
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
