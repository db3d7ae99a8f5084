"""Row formats: JSON Lines (plain or compressed) and the row handling every row format shares
(`_row_doc`); plain text files. JSON documents are `rows_json`, Parquet and Arrow `rows_columnar`.

How these readers meet published corpora as they are, not as their names say:
- fields are found by dotted paths into nested objects (`url_field: metadata.url` for datatrove's
  and Dolma's rows, `text_field: doc.text` for a Parquet struct column); a key that itself holds
  the dot wins. A path reaches into lists of objects too: `text_field: messages.content` is the
  content of every message of a chat row (`messages: [{role, content}]`, Parquet
  `list<struct<role, content>>`; ShareGPT's `conversations.value`), joined as a list of strings
  is (with newlines); a message without it (null: a tool call) is left out, counted
  (`text_list_nulls_left_out`); `text_field: messages` on such rows says which field to name.
  With `url_field` left at its default (`url`), a row without a `url` (absent or null) takes
  `metadata.url` when that is a string (datatrove's and Dolma's layout: the CCNet/Dolma `cc` rows,
  whose `id` is the URL too), moved out of the metadata as a named `url_field: metadata.url` is;
  a `url_field` the recipe names (even `url`) is read alone, as before.
  A `url_field`/`id_field` the recipe names that a row lacks is counted (`url_field_missing`,
  `id_field_missing`): a source none of whose documents had it stops the run (checks.py), a
  misspelt field must not quietly give url=None (a url_filter removing nothing);
- `html_field` reads rows that hold a page's HTML (Common Crawl-derived datasets) as web pages
  (`Doc.html`, the reader's content column `html`), for `extract`; a text that is a whole page is
  counted `text_looks_like_html`;
- a file is decompressed by what its first bytes say (base.open_decompressed `sniff`): plain JSON
  Lines named .jsonl.gz, zstd named .jsonl.zstd, gzip named .json are read, counted;
- a row whose text is unusable says what it held (absent, null, a number, an object and its keys);
  a url that is not a string stays in the metadata, counted, never dropped;
- a directory in `paths` means the format's files (`Reader.data_suffixes`): a Hugging Face
  snapshot's README.md and LICENSE are counted as skipped, not read as rows;
- Arrow IPC files (`datasets`' save_to_disk `data-*.arrow`, the stream and the file format) are
  read batch by batch with the Parquet reader's row handling (both in `rows_columnar`);
- JSON documents (arrays, objects, values one after another) are read in `rows_json`;
- plain text: a binary file is `binary_file` (not a document of NULs), in line mode a binary line
  `binary_line`; files with CR line ends (classic Mac OS) are read line by line as the others
  (`cr_line_ends`), in JSON Lines too.
"""
from __future__ import annotations

import io
import itertools
import json
import lzma
import re
import zlib
from typing import Iterator, Literal

from pydantic import Field, model_validator

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, open_utf8, read_whole, with_compression
from pipeline.readers.decode_files import binary_bytes, decode_text_bytes
from pipeline.readers.magic import HTML_PAGE


SAMPLE = 65536     # bytes of a quarantined line kept as its sample (a broken line can be huge)


_JSON_NAMES = with_compression(".jsonl", ".json", ".ndjson")


class _RowReader(Reader):
    # 2: a text value that is a list of strings is joined with newlines in every row format; a
    # 0-row Parquet file is skipped (counted); marker files (`_SUCCESS`, `.x.crc`) are skipped.
    # 3: dotted field paths; compression told from the bytes; a non-string url kept in metadata.
    # 4: Hive partition folders (key=value) into metadata.
    # 5: dotted paths reach into lists of objects (`messages.content`); Feather v1 files read.
    # 6: the default url_field (`url`) falls back to `metadata.url` (datatrove, Dolma).
    # 7: `html_field`: rows as web pages; a text that is a whole HTML page counted (text_looks_like_html)
    version = "7"
    marker_prefixes = (".", "_")
    hive_partitions = True
    text_field: str = Field(default="text", description="field holding the document's text; a dotted path "
                                                        "(`meta.content`) reaches into nested objects, and into "
                                                        "lists of objects: `messages.content` (chat rows, Parquet "
                                                        "list<struct>; ShareGPT: `conversations.value`) is every "
                                                        "message's content, joined with newlines as a list of "
                                                        "strings is")
    id_field: str | None = Field(default=None, description="field holding the document id (default: file#line, the file "
                                                           "named below the source's id_base); "
                                                           "dotted paths reach into nested objects (and lists of "
                                                           "them, as text_field)")
    url_field: str | None = Field(default="url", description="field holding the document URL, if any; a dotted path "
                                                             "reaches into nested objects (datatrove, Dolma: "
                                                             "`metadata.url`). Left at its default, a row with no "
                                                             "`url` (absent or null) takes a string `metadata.url` "
                                                             "(datatrove's and Dolma's layout); named, the field "
                                                             "alone is read")
    html_field: str | None = Field(default=None, description="field holding a page's HTML (Common Crawl-derived "
                                                             "rows: `html`, `content`): each row becomes a web page "
                                                             "whose `html` is that field, as a WARC record's is, for "
                                                             "`extract` to turn into text (a stage reading `text` "
                                                             "must come after it); `text_field` is then not read. "
                                                             "A dotted path as text_field's; a binary column is "
                                                             "decoded as a page (its <meta charset>, detection)")

    @model_validator(mode="after")
    def _one_content_field(self):
        if self.html_field and "text_field" in self.model_fields_set:
            raise ValueError(f"text_field {self.text_field!r} and html_field {self.html_field!r}: a row is read "
                             f"either as text or as a page to extract; name one of them")
        return self

    @property
    def content_field(self) -> str:
        """The field a row's document is made of: `html_field`, else `text_field`."""
        return self.html_field or self.text_field

    @property
    def content_column(self) -> str:        # (a class's `text`; rows of pages give `html`, as WARC pages)
        return "html" if self.html_field else "text"


NESTED_COLLECTIONS = (
    "read collections nested in levels (a book holding parts holding chapters: chinese-poetry's 蒙学 files "
    "`{\"title\": …, \"content\": [{\"title\": …, \"content\": [{\"chapter\": …, \"paragraphs\": [...]}]}]}`): "
    "an object without the text field is a level, and each object under it (in its lists or objects, at any "
    "depth) that holds the text field is a document, numbered in file order (`file#n`; in JSON Lines "
    "`file#line.n`). The levels' own fields (titles, authors, an abstract; not what was entered) are the "
    "document's metadata `collection_levels`, outermost first, kept there rather than as heading lines of its "
    "text (`title_field` names its own title line), and where it was its `collection_pointer` (a JSON Pointer: "
    "`/content/0/content/3`). An object with nothing holding the text field under it is quarantined "
    "`missing_text`, as a row without it is. Files of any depth read alike: one source reads a folder of them")


class JsonlReader(_RowReader):
    """JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst, ...): one object per line."""
    name = "jsonl"
    # 5: a JSON document (an array, indented objects) is read as JSON
    # 6: CR line ends are lines (lf_lines); a JSON document read as JsonReader 5 reads it
    # 7: dotted paths reach into lists of objects (`messages.content`)
    # 8: the default url_field falls back to `metadata.url` (_RowReader 6)
    # 9: a file of no rows (0 bytes, a compressed empty stream, blank lines only) is counted
    # `skipped_empty_file`, as a 0-row Parquet file is: writers leave such shards (a filter that
    # kept nothing, an empty partition), and quarantined they stopped runs as "files lost whole"
    # 10: a first row that is an array (`["a","b"]`) with rows one a line after it is one bad_row
    # (JsonReader 9): read as a JSON document, it was a bad_row per element and every id shifted
    # 11: `nested_collections` (JsonReader 10)
    version = "11"
    data_suffixes = _JSON_NAMES
    empty_files_are_ordinary = True
    nested_collections: bool = Field(default=False, description=NESTED_COLLECTIONS)

    def read(self, path, src, state):
        from pipeline.readers.rows_json import looks_like_json_document, read_json   # it imports this module
        if looks_like_json_document(src, path):
            # A JSON array (or pretty-printed objects) under format: jsonl: every line of it would
            # be a bad row and the run would stop on them; read as JSON, said.
            state.count("jsonl_read_as_json")
            return read_json(self, src, path, state, sniffed=True)
        return _read_jsonl(self, src, path, state)


class TextReader(Reader):
    """One text document per file; the file path is its id. A file that is not UTF-8 is read in the
    charset detection names (a GBK novel; `text_legacy_charset`, `charset` in the metadata), or as
    UTF-8 with its stray bytes as cp1252 when it has lines of its own in UTF-8 (decode_unlabelled).
    Line ends are LF, CRLF and lone CR converted (as the gutenberg and latex readers do): the same
    novel saved on Windows was another document byte for byte, and CRs in the text.
    With `documents: line`, each non-empty line is a document (`path#line`), the file streamed."""
    name = "text"
    # 2: marker files (`_SUCCESS`, `.part-0.crc`) skipped; 3: compression told from the bytes
    # 4: binary files and lines quarantined (`binary_file`, `binary_line`); CR line ends are lines
    # 5: `documents: file` text has LF line ends (CRLF and lone CR converted)
    version = "5"
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


class _CrAsLf(io.RawIOBase):
    """A stream with its CR bytes read as LF, byte for byte (offsets hold)."""

    def __init__(self, stream):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._stream.read1(len(b)).replace(b"\r", b"\n")
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def lf_lines(f, state: ReadState):
    """`f`, or when its first block holds CR line ends and no LF (classic Mac OS files) `f` with
    each CR read as LF, counted `cr_line_ends`: read by LF alone, such a file was one line (one
    document of a one-a-line corpus, every JSON Lines row one bad_json item)."""
    head = f.peek(1 << 16)
    if b"\r" not in head or b"\n" in head:
        return f
    state.count("cr_line_ends")
    return io.BufferedReader(_CrAsLf(f), 1 << 16)


def _read_jsonl(opts, src, path: str, state: ReadState, count_codec: bool = True) -> Iterator[Doc | Quarantined]:
    from pipeline.readers.rows_columnar import columnar_format      # they import this module
    from pipeline.readers.rows_nested import collection_rows, said_nested
    nested = getattr(opts, "nested_collections", False)
    lineno = 0
    rows = 0                    # non-blank lines: a file of none holds no rows (skipped_empty_file)
    # A row's JSON holds its text escaped (\uXXXX: up to 6 bytes a character) plus its other
    # fields: a longer line is over max_doc_bytes whatever it holds (skipped by capped_lines).
    limit = 6 * src.max_doc_bytes + (1 << 16)
    try:
        with open_utf8(path, state if count_codec else None, sniff=True) as f:
            for lineno, (raw, over) in enumerate(capped_lines(lf_lines(f, state), limit), 1):
                if over is not None:
                    yield Quarantined("too_large", f"line {lineno}: {over} bytes, more than {limit}",
                                      lineno, size=over, sample=raw[:SAMPLE])
                    continue
                if raw.startswith(b"\xef\xbb\xbf"):   # a BOM, as Windows tools write (mid-file: files cat-ed together)
                    raw = raw[3:]
                if lineno == 1 and (fmt := columnar_format(raw[:8]) or ("warc" if raw.startswith(b"WARC/") else None)):
                    # A Parquet, Arrow or WARC file under format: jsonl: one item saying so, not a bad
                    # row per line (1,658 of them for 800 Parquet rows; 69,472 for a crawl's WARC).
                    yield Quarantined("wrong_format", f"{path}: a {fmt} file, not JSON Lines: use format: {fmt}",
                                      0, path, sample=raw[:SAMPLE])
                    return
                if not raw.strip():
                    continue
                rows += 1
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
                if not nested:
                    yield from said_nested(opts, row, _row_doc(opts, src, row, f"{path}#{lineno}", lineno, line, state))
                    continue
                for n, (at, leaf) in enumerate(collection_rows(opts, row, state), 1):
                    # a line that is a collection: its documents numbered within it
                    yield from _row_doc(opts, src, leaf, f"{path}#{lineno}" if at is None else f"{path}#{lineno}.{n}",
                                        lineno, line, state)
    except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
        # A truncated or corrupt compressed stream: what was read so far stands.
        yield Quarantined("corrupt_compression", f"after line {lineno}: {type(e).__name__}: {e}", lineno)
        return
    if not rows:
        state.count("skipped_empty_file")


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
class _Each:
    """In a field path: the value here is a list, the rest of the path is taken in each of its items."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "[]"


EACH = _Each()


def field_path(row: dict, name: str) -> tuple | None:
    """Where the field `name` is in a row, as the keys leading to it: the top-level key `name`
    (a key holding a dot wins), else a dotted path into nested objects (`metadata.url`: datatrove's
    and Dolma's rows, Parquet struct columns), a key with a dot inside at any level found too, and
    into lists of objects (`messages.content`: chat rows, Parquet list<struct>): `EACH` in the
    path stands for the list, the rest being found in the first of its items that has it (an empty
    list has it). None when absent."""
    if name in row:
        return (name,)
    at = name.find(".")
    while at > 0:
        inner = row.get(name[:at])
        if isinstance(inner, dict) and (rest := field_path(inner, name[at + 1:])) is not None:
            return (name[:at], *rest)
        if isinstance(inner, list) and (rest := _path_in_items(inner, name[at + 1:])) is not None:
            return (name[:at], EACH, *rest)
        if inner == []:             # a chat of no messages: its text is empty, not absent
            return (name[:at], EACH, name[at + 1:])
        at = name.find(".", at + 1)
    return None


def _path_in_items(items: list, name: str) -> tuple | None:
    for item in items:
        if isinstance(item, dict) and (found := field_path(item, name)) is not None:
            return found
    return None


def _get(row: dict, keys: tuple | None):
    """The value at `keys` (field_path's), None where it is not; through a list (`EACH`) the list of
    the values in its items (None for an item without it), nested lists flattened."""
    if keys is None:
        return None
    for i, k in enumerate(keys):
        if k is EACH:
            if not isinstance(row, list):
                return None
            rest, out = keys[i + 1:], []
            for item in row:
                got = _get(item, rest)
                if isinstance(got, list) and EACH in rest:
                    out.extend(got)
                else:
                    out.append(got)
            return out
        if not isinstance(row, dict) or k not in row:
            return None
        row = row[k]
    return row


def _with(row: dict, keys: tuple, value=None, drop: bool = False) -> dict:
    """A copy of `row` with the value at `keys` replaced by `value`, or dropped (`drop`; a nested
    object left empty is dropped with it, and a list whose items are all left empty; through a
    list, `EACH`, the value is dropped from each item having it); the row itself is not changed."""
    k = keys[0]
    out = dict(row)
    if len(keys) > 1 and keys[1] is EACH:
        rest = keys[2:]
        inner = [_with(item, rest, value, drop) if isinstance(item, dict) and _has(item, rest) else item
                 for item in row[k]]
        if not drop or any(item != {} for item in inner):
            out[k] = inner
        else:
            del out[k]
    elif len(keys) > 1:
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


def _describe(value, keys, row: dict, name: str | None = None) -> str:
    """What a text field (named `name`) held instead of a string, for the quarantine item's detail."""
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
        objects = [v for v in value if isinstance(v, dict)]
        if objects and all(isinstance(v, dict) or v is None for v in value):
            # Chat rows (`messages: [{role, content}]`), ShareGPT's `conversations: [{from, value}]`:
            # the field inside the objects is to be named.
            inner = _field_to_name(objects)
            path = name or ".".join(str(k) for k in keys if k is not EACH)
            example = f", e.g. {path}.{inner}" if inner else ""
            keys_shown = ", ".join(repr(k)[:60] for k in list(objects[0])[:5])
            return (f"a list of {len(value)} objects (keys {keys_shown or 'none'}): name the field inside them"
                    f"{example}")
        i, bad = next((i, v) for i, v in enumerate(value) if not isinstance(v, str))
        what = "null" if bad is None else type(bad).__name__
        return f"a list of {len(value)} holding a non-string ({what}) at index {i}"
    return f"a {type(value).__name__}"


_TEXT_KEYS = ("content", "value", "text", "body", "message")


def _field_to_name(objects: list[dict]) -> str | None:
    """The key of a list's objects that most likely holds their text: a usual name holding a string
    (`content`, ShareGPT's `value`), else the first key holding a string, else None."""
    first = objects[0]
    strings = [k for k in first if isinstance(k, str) and isinstance(first[k], str)]
    return next((k for k in _TEXT_KEYS if k in strings), strings[0] if strings else None)


def _row_doc(opts, src, row, fallback_id: str, offset: int, raw=None, state: ReadState | None = None
             ) -> Iterator[Doc | Quarantined]:
    if not isinstance(row, dict):
        yield Quarantined("bad_row", "row is not an object", offset, fallback_id)
        return
    field = opts.content_field
    as_html = bool(getattr(opts, "html_field", None))
    text_at = field_path(row, field)
    text = _get(row, text_at)
    if isinstance(text, list) and EACH in text_at:
        # Gathered from a list of objects (`messages.content`): an item without it, or null there
        # (a tool call's message), is left out, counted.
        if None in text:
            kept = [t for t in text if t is not None]
            if state is not None:
                state.count("text_list_nulls_left_out", len(text) - len(kept))
            text = kept
    if isinstance(text, list) and all(isinstance(t, str) for t in text):
        # A list of strings (paragraphs, a poem's lines; a Parquet list<string> column): joined,
        # in every row format alike.
        text = "\n".join(text)
    title_field = None if as_html else getattr(opts, "title_field", None)
    if title_field and isinstance(text, str) and isinstance(title := _get(row, field_path(row, title_field)), str) \
            and title.strip():
        text = f"{title.strip()}\n{text}"
    id_at = field_path(row, opts.id_field) if opts.id_field else None
    rid = _row_id(opts, _get(row, id_at), fallback_id, state)
    if not isinstance(text, str):
        yield Quarantined("missing_text", f"field {field!r} is "
                          f"{_describe(text, text_at, row, field)}", offset,
                          rid, sample=(raw or "").encode()[:4096] if isinstance(raw, str) else b"")
        return
    if not text.strip():
        yield Quarantined("empty_document", "empty html" if as_html else "empty text", offset, rid)
        return
    if not as_html and state is not None and text[:1] in _SPACE_OR_LT and HTML_PAGE.match(text[:512]):
        # A whole page read as text (`text_field: html` on Common Crawl-derived rows): its markup
        # would be the document's words; `html_field` reads it as a page for `extract`.
        state.count("text_looks_like_html")
    if "\0" in text and ((nul := text.count("\0")) * 100 >= len(text) or "\0" * 8 in text):
        # Zeroed data (a block of a Parquet or Arrow file overwritten with zeros reads as rows of
        # NUL characters) or binary, not text; a stray NUL in a long text is left as it is.
        yield Quarantined("bad_encoding", f"{nul} NUL characters in {len(text)}: zeroed or binary data, not text",
                          offset, rid, len(text), text[:4096].encode("utf-8", "replace"))
        return
    # Bytes of UTF-8, as every reader counts them (a character is 1 to 4 of them: encoded only
    # when the count of characters leaves it open). More characters than max_doc_bytes are over
    # it whatever their bytes: not encoded (a text of 60M CJK characters is 180 MB more), the
    # detail says characters and the size is that lower bound of its bytes.
    chars = len(text)
    size = chars if chars > src.max_doc_bytes or 4 * chars <= src.max_doc_bytes or text.isascii() \
        else len(text.encode("utf-8", "surrogatepass"))
    if size > src.max_doc_bytes:
        what = f"{size} bytes" if size != chars or text.isascii() else f"{chars} characters (as many bytes or more)"
        yield Quarantined("too_large", f"{what} > max_doc_bytes {src.max_doc_bytes}", offset, rid, size,
                          text[:65536].encode("utf-8", "replace"))
        return
    url_at = field_path(row, opts.url_field) if opts.url_field else None
    url = _get(row, url_at)
    null_url_at = None
    if url is None and opts.url_field == _DEFAULT_URL_FIELD and "url_field" not in opts.model_fields_set \
            and isinstance(_get(row, nested := field_path(row, _NESTED_URL_FIELD)), str):
        # The default `url` not in the row: datatrove's and Dolma's rows hold it in `metadata.url`
        # (a `url: null` beside it leaves the metadata too).
        null_url_at, url_at, url = url_at, nested, _get(row, nested)
    if url is None and url_at is None and opts.url_field and state is not None \
            and "url_field" in opts.model_fields_set:
        # Named by the recipe (not the default `url`) and not in this row: counted, and a source
        # none of whose documents has it stops the run (checks.py): a misspelt or flat field
        # where the URL is nested (`metadata.url`) must not quietly keep every document.
        state.count("url_field_missing")
    # The fields that became the document's text, id and url leave its metadata (where they were,
    # nested ones too); a url that is not a string (a number, an object) stays there, counted.
    meta = row
    used = [text_at] + ([id_at] if id_at is not None else []) + ([null_url_at] if null_url_at is not None else [])
    if url_at is not None:
        if url is None or isinstance(url, str):
            used.append(url_at)
        elif state is not None:
            state.count("url_not_a_string")
    for keys in sorted(used, key=len, reverse=True):
        if _has(meta, keys):
            meta = _with(meta, keys, drop=True)
    if as_html:
        yield Doc(rid, url if isinstance(url, str) else None, html=text, metadata=meta)
    else:
        yield Doc(rid, url if isinstance(url, str) else None, text=text, metadata=meta)


_SPACE_OR_LT = frozenset("< \t\r\n\ufeff")


_DEFAULT_URL_FIELD = "url"
_NESTED_URL_FIELD = "metadata.url"      # where datatrove and Dolma put it; the default url_field's fallback


def _has(row: dict, keys: tuple) -> bool:
    for k in keys:
        if k is EACH:
            return isinstance(row, list)
        if not isinstance(row, dict) or k not in row:
            return False
        row = row[k]
    return True


def _row_id(opts, value, fallback_id: str, state: ReadState | None) -> str:
    """The row's `id_field` value, else its place in the file; a row without the id_field the
    recipe names is counted (`id_field_missing`): after ingest, a source none of whose rows had it
    stops the run (checks.py), a misspelt field must not quietly number the documents."""
    if opts.id_field:
        if isinstance(value, (dict, list)):
            # An object or list as id (a nested `{"$oid": ...}`, an id split in parts): its JSON,
            # the same from every reader, not Python's repr; counted, as the field may be wrong.
            if state is not None:
                state.count("id_field_not_scalar")
            return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
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
    # UTF-8, UTF-16/32, a GBK novel, a Latin-1 note; binary (NUL bytes, control bytes throughout):
    # the code reader's test (git's over the first 8000 bytes, and more), a file of NULs was a document.
    text, charset, kind = decode_text_bytes(body, binary_probe=8000)
    if text is None:
        binary = kind == "binary"
        yield Quarantined("binary_file" if binary else "bad_encoding", f"{path}: {charset}", 0, path, len(body),
                          body[:4096] if binary else body)
        return
    if kind:
        state.count(f"text_{kind}")             # text_wide_unicode, text_legacy_charset
        meta["charset"] = charset
    if not text.strip():
        yield Quarantined("empty_document", "empty text", 0, path)
        return
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    yield Doc(path, None, text=text, metadata=meta)


def _read_text_lines(opts, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    """`documents: line`: each non-empty line a document, id `path#line` (1-based), the file read
    line by line. A line over max_doc_bytes is quarantined `too_large` without being held whole; a
    line that is not UTF-8 is read as a text file is (`decode_text_bytes`, counted), else
    quarantined `bad_encoding`; a line with NUL bytes or control bytes throughout (decode_files.binary_bytes)
    is `binary_line`, a file whose first lines are mostly such lines `binary_file` (random bytes
    split at their 0x0A bytes made documents). UTF-16/32 files are transcoded as they are read
    (open_utf8); CR line ends are lines too (lf_lines)."""
    lineno = 0
    cap = src.max_doc_bytes + 2         # the longest line that fits, with its CR LF
    try:
        with open_utf8(path, state, sniff=True) as raw_file:
            lines = capped_lines(lf_lines(raw_file, state), cap)
            head, failed = [], None
            try:
                head.extend(itertools.islice(lines, _HEAD_LINES_TEXT))
            except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
                failed = e              # raised below, after the lines read before it
            if (why := _binary_head(head)) is not None:
                yield Quarantined("binary_file", f"{path}: {why}", 0, path, sample=head[0][0][:4096])
                return
            for lineno, (raw, over) in enumerate(itertools.chain(head, () if failed else lines), 1):
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
                if (len(line.translate(None, _CONTROL_BYTES)) < len(line) or not line.strip(line[:1])) \
                        and (why := binary_bytes(line)) is not None:
                    yield Quarantined("binary_line", f"line {lineno}: {why}", lineno, f"{path}#{lineno}", len(line),
                                      line[:4096])
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
            if failed:
                raise failed
    except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
        # A truncated or corrupt compressed stream: what was read so far stands.
        yield Quarantined("corrupt_compression", f"after line {lineno}: {type(e).__name__}: {e}", lineno, path)


# The bytes decode_files.binary_bytes counts as binary (C0 controls but whitespace, form feed and ESC;
# DEL): a line without them (nearly all) is not binary unless it is one byte repeated, which is
# what binary_bytes is then asked about (its price on every line doubled the reading time;
# bytes.translate finds them 5x faster than a regex).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0b, *range(0x0e, 0x1b), *range(0x1c, 0x20), 0x7f])
_HEAD_LINES_TEXT = 64      # lines of a text file read a line a document that decide whether it is binary


def _binary_head(head: list[tuple[bytes, int | None]]) -> str | None:
    """Why a file read a line a document is binary, from its first lines (capped_lines' items):
    most of those not blank are binary (decode_files.binary_bytes). A NUL run or a binary line in a text
    file costs that line only (`binary_line`)."""
    found = [binary_bytes(raw[:1 << 16]) for raw, _ in head if raw.strip()]
    binary = [why for why in found if why is not None]
    return binary[0] if 2 * len(binary) > len(found) else None
