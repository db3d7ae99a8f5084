"""JSON documents: a file that is an array of rows, one object, a wrapper object holding the rows
(`records_field`), or several values one after another (`jq .` output, objects dumped with indent
one by one). JSON Lines is `rows`, whose row handling (`_row_doc`) every row is given to.

Why a parser of our own around json's `raw_decode` rather than a streaming library (ijson): a
damaged file must cost only the rows the damage touches. ijson stops at the first error, so a
file cut short in a download, or one broken row in a hand-edited array, lost every row after it
(and a whole-file json.loads lost all of them, the complete rows before the damage too, and held
a 600 MB value of a 600 KB .json.gz in 1.9 GB). Here:
- an array is read one element at a time from text decoded a piece at a time (`json_text._JsonText`):
  memory is one row's, not the file's; a row too large to be a document is skipped unparsed;
- a file cut short keeps its rows before the cut (`truncated_json`; `corrupt_compression` when
  its compressed stream broke); a broken row costs that row (`bad_json`): reading goes on at the
  next place after the error, in the same line too, where a row starts and parses whole (`{"key":`
  after a comma, or at the start of a line indented as the array's rows; an object that shares
  a key with the rows before, not an object nested in a row's list), or at the array's `]`.
  Before, only at a line's start: a one-line array (json.dump's) lost every row after a broken
  one. What lies between is one item (bytes between two rows, rows that do not parse either:
  counted in its `records`); places are tried once each and parsed in windows, so a file of
  garbage is read in linear time. A row with bytes that are not UTF-8 is `bad_encoding`, as a
  JSON Lines line is; `[a, b,]` loses nothing (`json_trailing_comma`);
- a wrapper object's rows (`{"version": …, "data": [...]}` with `records_field: data`; a dotted
  path enters nested objects) are read as an array's, one at a time, with the same damage
  handling: its keys before the rows are read in order, others' values skipped unparsed, the keys
  after the rows skipped (their damage one item, the rows kept). Where the rows are not an array
  at that key (not a list, absent, through a list of objects) the object is parsed whole as
  before, to say why; a key repeated takes its first array (json.loads kept the last);
- UTF-16/32 files are transcoded (base.open_utf8); an object parsed whole is capped
  (`max_object_bytes`);
- a `.json` file whose first lines are one object each is JSON Lines (`json_read_as_jsonl`), and
  a file given as `format: jsonl` that is a JSON document is read here (`jsonl_read_as_json`);
- collections nested in levels (`nested_collections`: a book of parts of chapters, chinese-poetry's
  蒙学 files) give one document per object holding the text field, at whatever depth
  (`collection_rows`).
"""
from __future__ import annotations

import json
from typing import Iterator

from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, open_utf8
from pipeline.readers.json_text import (_DAMAGE_REACH, _FIRST_KEY, _Held, _JsonText, _KEY_REACH, _LINE_OBJECT, _LOST,
                                        _peek, _RESYNC_TAIL, _ROW_KEYS, _row_start, _skip_value, _skip_ws, _STOP,
                                        _value_at, _value_in_windows, _WS)
from pipeline.readers.rows import (_JSON_NAMES, _SURROGATE, NESTED_COLLECTIONS, SAMPLE, _RowReader, _describe, _get,
                                   _read_jsonl, _row_doc, field_path, without_lone_surrogates)
from pipeline.readers.rows_nested import _is_document, _reaches_text, collection_rows, said_nested


MAX_OBJECT_BYTES = 1 << 30      # JsonReader.max_object_bytes' default: 1 GiB of JSON text


class JsonReader(_RowReader):
    """A JSON file (.json, .json.gz, ...) holding an array of objects, or one object: one document
    per object. Collections published as JSON rather than JSON Lines (chinese-poetry's classics and
    poems: `{"chapter": …, "paragraphs": [...]}`). A text field holding a list of strings (the
    paragraphs, a poem's lines) is joined with newlines. Such a document is parsed whole; a file
    whose first lines are objects one a line (Dolma's and C4's .json.gz, Hugging Face's to_json)
    is JSON Lines and is streamed as such, a bad line costing that line only (`json_read_as_jsonl`).
    Several JSON values one after another (`jq .` output, objects dumped with indent one by one)
    are read value by value (`json_concatenated_values`). An array is read one element at a time,
    whatever its size, and so are a wrapper's rows (`records_field`); damage costs the rows it
    touches (`_json_values`). A collection nested in levels (a book's parts holding its chapters)
    is read with `nested_collections` (`collection_rows`): a document per object holding the text
    field, the levels above it in its metadata."""
    name = "json"
    # 3: JSON Lines told from the file's first lines (a bad first line lost the file)
    # 4: concatenated values; dotted field paths; compression told from the bytes
    # 5: an array read one element at a time: damage costs the rows it touches, not the file;
    #    UTF-16/32 transcoded
    # 6: after a broken row, reading goes on at the next row in the same line too (a one-line
    #    array lost every row after it); rows that fail after it are in its item
    # 7: a wrapper's rows (`records_field`) read one at a time as an array's: damage costs the rows
    #    it touches (the whole object before); valid files' rows unchanged
    # 8: a file of no rows (0 bytes, blank, an empty array) is `skipped_empty_file` (JsonlReader 9)
    # 9: a first line that is an array whole, with objects one a line after it, is JSON Lines
    # (that row one bad_row, the others numbered by line), not the array's elements as rows
    # 10: `nested_collections`; an object without the text field that holds it deeper says so
    version = "10"
    empty_files_are_ordinary = True
    data_suffixes = _JSON_NAMES
    title_field: str | None = Field(default=None, description="field whose value becomes the text's first line "
                                                              "(a chapter's or a poem's title), if any")
    records_field: str | None = Field(default=None, description=(
        "field (dotted path) of the file's one object that holds the rows, for files that wrap them: "
        "`data` for `{\"version\": ..., \"data\": [...]}`, read a row at a time; unset: the file is the rows "
        "(an array, or one object)"))
    nested_collections: bool = Field(default=False, description=NESTED_COLLECTIONS)
    max_object_bytes: int = Field(default=MAX_OBJECT_BYTES, gt=0, description=(
        "largest JSON object parsed whole, in characters (a file that is one object, a `records_field` "
        "wrapper whose rows are not an array at that field; it takes about twice that in memory): more is "
        "quarantined `too_large`, to be converted to JSON Lines. An array's rows are read one at a time, each up to JSON Lines' row limit (6 x "
        "max_doc_bytes), whatever the file's size"))

    def read(self, path, src, state):
        return read_json(self, src, path, state)


def read_json(opts, src, path: str, state: ReadState, sniffed: bool = False) -> Iterator[Doc | Quarantined]:
    if not sniffed and _looks_like_json_lines(src, path):
        # Objects one a line: JSON Lines under a .json name (Dolma's and C4's .json.gz, Hugging
        # Face's to_json), streamed as such (not held whole), a bad line quarantined alone; said.
        state.count("json_read_as_jsonl")
        yield from _read_jsonl(opts, src, path, state)
        return
    try:
        f = open_utf8(path, state, sniff=True)
    except OSError as e:        # CorruptStream included
        yield Quarantined("corrupt_compression", f"{type(e).__name__}: {e}", 0, path)
        return
    rows = 0
    with f:
        for item in _json_values(opts, src, path, _JsonText(f, state), state):
            rows += 1
            yield item
    if not rows:        # whitespace, `[]`, a wrapper of no rows: an empty shard, as a 0-row Parquet file
        state.count("skipped_empty_file")


def _json_values(opts, src, path: str, t: _JsonText, state: ReadState) -> Iterator[Doc | Quarantined]:
    """The rows of a JSON file's values: an array's elements, one at a time (each up to the JSONL
    line limit: the file any size), a wrapper's rows (`records_field`'s array: `wrapped_array`, read
    as an array's), or an object (parsed whole, up to `max_object_bytes`), its rows
    numbered `path#1`, ... across values. Several values one after another (`jq .` output, objects
    dumped with indent one by one) are counted `json_concatenated_values`; a first object on one
    line followed by a line break is JSON Lines whose first line the look-ahead did not show.
    Damage costs what it touches, what came before it is kept: a file cut short (or its compressed
    stream) ends in one `truncated_json` (`corrupt_compression`) item; an element that does not
    parse, or what stands where a `,` should, is one `bad_json` item up to where reading goes on:
    the next row start after the error that parses, on the same line too, or the array's end
    (`resync`); a row holding bytes that are not UTF-8 is quarantined `bad_encoding` as a JSON
    Lines row is. A top-level value that does not parse (values one after another) is read on
    after at the next line that starts with `{`."""
    yield from _JsonValues(opts, src, path, t, state).read()


class _JsonValues:
    """One JSON file's reading (`_json_values`), in steps that share its state: the rows numbered
    so far (`i`: ids path#i run on across values, arrays and damage items), the top-level values
    seen (`nth`: the second is counted, the first may turn out JSON Lines) and `calm`, past which
    values are parsed whole again after damage. The steps that read on return where reading goes
    on: an index in `t.text`, None when the rest of the file was lost after damage (what the file's
    end says still said), or _STOP when reading ended (after an item saying why)."""

    def __init__(self, opts, src, path: str, t: _JsonText, state: ReadState):
        self.opts, self.src, self.path, self.t, self.state = opts, src, path, t, state
        self.decoder = json.JSONDecoder()
        self.row_limit = 6 * src.max_doc_bytes + (1 << 16)     # as a JSON Lines row's (_read_jsonl)
        self.object_limit = getattr(opts, "max_object_bytes", MAX_OBJECT_BYTES)
        self.records_field = getattr(opts, "records_field", None)
        self.i = self.nth = 0       # rows so far (ids path#i), top-level values so far
        self.calm = 0               # file position from which values are parsed whole again, past damage

    def read(self) -> Iterator[Doc | Quarantined]:
        """Value after value to the file's end, then what the end says: the stream broke after the
        last complete value (no value at all: nothing, read_json counts the file empty)."""
        t, pos = self.t, 0
        while (pos := _skip_ws(t, pos)) is not None:
            self.nth += 1
            if self.nth == 2:
                self.state.count("json_concatenated_values")
            pos = yield from self.top_value(pos)
            if pos is _STOP:
                return
            if pos is None:
                break
        if t.error:
            yield self.ended("after its last complete value", len(t.text))

    def top_value(self, pos: int):
        """The rows of the top-level value at `pos`: an array's (or a wrapper's) read one at a time,
        anything else parsed whole."""
        t, depth = self.t, 0
        if t.text[pos] == "{" and self.records_field:
            # A wrapper (`{"version": …, "data": [...]}`): its rows read as an array's, one at a time.
            found, pos, depth = self.wrapped_array(pos)
            if found is not None:
                pos = found
        if t.text[pos] != "[":
            return (yield from self.whole_value(pos))
        pos = yield from self.array_rows(pos)
        if pos is not None and pos is not _STOP and depth:
            pos = yield from self.wrapper_rest(pos, depth)
        return pos

    def parse(self, pos: int, limit: int):
        """`_value_at`, or `_value_in_windows` within `_DAMAGE_REACH` after a broken span (`calm`):
        there garbage failing every few characters made whole-text parses quadratic."""
        parse = _value_at if self.t.start + pos >= self.calm else _value_in_windows
        return parse(self.decoder, self.t, pos, limit)

    def whole_value(self, pos: int):
        """A top-level value parsed whole (up to max_object_bytes): an object's rows
        (`_rows_of_object`), a list's, or the value as one row."""
        t, path = self.t, self.path
        kind, value, pos, end = self.parse(pos, self.object_limit)
        if kind == "cut":
            yield self.ended(f"inside a value ({value})", pos)
            return _STOP
        if kind == "too_large":
            yield Quarantined("too_large", f"{path}: a JSON object of more than max_object_bytes "
                              f"{self.object_limit:,} characters at character {t.start + pos}: convert the file to "
                              f"JSON Lines (one row a line), whose rows are read one at a time", t.start + pos, path)
            return _STOP
        if kind == "bad":
            self.i += 1
            item, pos = self.bad_value(value, pos, end)     # values one after another: at the next `{` line
            yield item
            return pos
        if self.nth == 1 and isinstance(value, dict) and t.text.find("\n", pos, end) < 0:
            # One object on one line, then more after a line break, which the first lines did not
            # show (a first line longer than the look-ahead): JSON Lines still.
            more_lines, pos, end = self.more_lines_follow(pos, end)
            if more_lines:
                self.state.count("json_read_as_jsonl")
                yield from _read_jsonl(self.opts, self.src, path, self.state, count_codec=False)
                return _STOP
        if isinstance(value, dict):
            value = yield from _rows_of_object(self.opts, path, value)
            if value is None:
                return _STOP
        yield from self.rows_of(value if isinstance(value, list) else [value], pos, end)
        return end

    def more_lines_follow(self, pos: int, end: int) -> tuple[bool, int, int]:
        """Whether a line break, then more, follows the value from `pos` to `end`; with `pos` and
        `end` as they are after reading on (the whitespace after it may run past the text held)."""
        t = self.t
        while (gap := _WS.match(t.text, end)).end() == len(t.text) and t.more(pos) is not None:
            end, pos = end - pos, 0
        return "\n" in gap.group() and gap.end() < len(t.text), pos, end

    def ended(self, where: str, at: int) -> Quarantined:
        """The item for a file that ends inside a value (cut short, or its compressed stream)."""
        t, path = self.t, self.path
        if t.error:
            return Quarantined("corrupt_compression", f"{path}: {t.error} ({where}; rows before it were read)",
                               t.start + at, path)
        return Quarantined("truncated_json", f"{path}: the file ends {where}: cut short, rows before it were read",
                           t.start + at, path, len(t.text) - at,
                           t.text[at:at + SAMPLE].encode("utf-8", "surrogateescape"))

    def broken(self, why: str, start: int, end: int) -> tuple[str, str, str]:
        """The reason, detail and sample of the broken value at `start` (its error at `end`):
        `bad_json`, or `bad_encoding` when bytes that are not UTF-8 precede the error."""
        t = self.t
        sample = t.text[start:start + SAMPLE]       # encoded as far as the span goes (span_item)
        if t.bad_bytes and (stray := _SURROGATE.search(t.text, start, max(end, start + 1))):
            # Bytes that are not UTF-8 before the error (GBK's second bytes include `\` and `"`): that is why.
            return "bad_encoding", f"not UTF-8 (byte {ord(stray.group()) - 0xdc00:#04x} at character " \
                f"{t.start + stray.start()}; JSON is UTF-8), then {why}", sample
        return "bad_json", why, sample

    def span_item(self, reason: str, why: str, sample: str, at: int, resume: int | None, then: str,
                  records: int = 1) -> Quarantined:
        """The item for the broken span from file position `at` to `resume` (None: the file's end).
        Values in the next `_DAMAGE_REACH` characters are parsed in windows (`parse`)."""
        t, path = self.t, self.path
        size = (t.start + len(t.text) if resume is None else resume) - at
        self.calm = at + size + _DAMAGE_REACH
        return Quarantined(reason, f"{path}: value at character {at}: {why} ({then})", at, f"{path}#{self.i}", size,
                           sample[:size].encode("utf-8", "surrogateescape"), records)

    def bad_value(self, why: str, start: int, end: int) -> tuple[Quarantined, int | None]:
        """A `bad_json` item for the top-level value at `start` (its error at `end`; values one
        after another), and where reading goes on: the next line that starts with `{` (None:
        nowhere, the rest is lost)."""
        (reason, why, sample), at = self.broken(why, start, end), self.t.start + start
        resume = self.next_line_object(max(start + 1, end))
        return self.span_item(reason, why, sample, at, None if resume is None else self.t.start + resume,
                              "read on at the next row" if resume is not None else _LOST), resume

    def next_line_object(self, pos: int) -> int | None:
        """The index of the `{` that starts the next line from `pos` on, None when none does."""
        t = self.t
        while not (found := _LINE_OBJECT.search(t.text, pos)):
            # The text's last character kept: a line break whose `{` is in the next piece.
            if t.more(pos := max(pos, len(t.text) - 1)) is None:
                break
            pos = 0
        return found.end() - 1 if found else None

    def resync(self, why: str, start: int, end: int, indent: str | None, keys: set, row: bool
               ) -> tuple[Quarantined, int | None]:
        """A `bad_json` item (`broken`) for an array's text from `start` (a broken row, or `row`
        False: what stands where a `,` should) to where reading goes on (`resume_place`), and that
        place (None: nowhere, the rest of the file lost). A row start that does not parse either is
        in the span, counted in its `records` and the row numbers."""
        (reason, why, sample), at = self.broken(why, start, end), self.t.start + start
        if not keys and (first_key := _FIRST_KEY.match(self.t.text, start)):
            # No row read before: the broken row's first key tells rows from objects nested in them.
            try:
                keys = {json.loads(first_key.group(2))}
            except ValueError:
                pass
        resume, then, failed = self.resume_place(start, end, indent, keys)
        if failed:
            then += "; 1 more row in the span that does not parse" if failed == 1 else \
                f"; {failed} more rows in the span that do not parse"
        out = self.span_item(reason, why, sample, at, resume, then, max(1, row + failed))
        self.i += failed
        return out, None if resume is None else resume - self.t.start

    def resume_place(self, start: int, end: int, indent: str | None, keys: set) -> tuple[int | None, str, int]:
        """Where an array's reading goes on after the error at `end` in what starts at `start`: the
        file position (None: nowhere), the detail's words for it, and the rows that failed before it.
        That is at
        - an object that starts like a row (`_row_start`: `{"key":` after a `,`, or at the start of
          a line indented as the array's first row was when that started one), parses whole,
          shares a key with the array's rows before it (or the broken row's first key: an object
          nested in a row seldom does) and is not followed by a `]` that does not end the array
          (a nested list's last element: `try_row`);
        - or a `]` that ends the array (`array_end`);
        - or a row the file's end cuts (the main loop says `truncated_json`).
        Not only at a line's start: a one-line array (json.dump's) lost every row after a broken
        one. Each place is tried once, in windows (`_value_in_windows`), and what a parse read is
        not searched again: a file of garbage is read in linear time, its text a piece at a time."""
        t, row_start = self.t, _row_start(indent)
        # File positions from here (t.start moves as text is read): a place is tried when its
        # `{` is after the last one tried (`after`) and its `{"key":` reaches past where the last
        # parse failed or ended (`floor`). One that parse read whole is inside what it parsed: an
        # object in a list (`[{…}, {"k": …}]`), not a row; one it read into is where a quote the
        # damage added or took took the next row's start into a string (`"id: 10}, {"` then
        # `text": …`, the error at `text`): that row, whole, is tried.
        after, floor = t.start + start, t.start + max(start + 1, end)
        s, resume, then, failed = max(start, end - _KEY_REACH), None, "read on at the next row", 0
        while resume is None:
            if (m := row_start.search(t.text, s)) is None:
                # The piece's tail kept: a row start the piece's end cuts is found whole in the next.
                if t.more(max(s, len(t.text) - _RESYNC_TAIL)) is None:
                    break
                s = 0
                continue
            p = t.start + (m.start(1) if m.group(1) else m.start(3))
            if p <= after or t.start + m.end() <= floor:
                s = m.start() + 1
                continue
            if m.group(3):
                if self.array_end(p, p):
                    resume, then = p, "read on at the array's end"
                stop = p + 1
            else:
                verdict, p, stop = self.try_row(p, m.group(2), keys)
                if verdict in ("row", "cut_row"):
                    resume = p
                if verdict.startswith("cut"):
                    break
                failed += verdict == "failed_row"
            after, floor = p, max(stop, p + 1)
            s = max(p + 1, floor - _KEY_REACH) - t.start     # a later place's `,` is after this one's `{`
        return resume, then if resume is not None else _LOST, failed

    def try_row(self, p: int, key: str, keys: set) -> tuple[str, int, int]:
        """The object at file position `p` (`{`, its first key `key` as JSON text) parsed: "row"
        where reading goes on, "not_row" (it parses but is no row, or fails and starts with no key
        of the rows'), "failed_row" (a row that does not parse either), "cut_row" (a row the file's
        end cuts: read on at, for `truncated_json`) or "cut"; with its start and the end of what
        the parse read, as file positions."""
        t = self.t
        kind, value, pos, stop = _value_in_windows(self.decoder, t, p - t.start, self.row_limit)
        p, stop = t.start + pos, t.start + stop
        if kind == "ok":
            if isinstance(value, dict) and value and (not keys or not keys.isdisjoint(value)):
                nxt = _peek(t, stop, p)     # not a nested list's element: one ends at `]` then `}` or `,`
                if nxt == t.start + len(t.text) or t.text[nxt - t.start] != "]" or self.array_end(nxt, p):
                    return "row", p, stop
            return "not_row", p, stop
        try:
            row_like = not keys or json.loads(key) in keys
        except ValueError:
            row_like = False
        if kind == "cut":
            return ("cut_row" if row_like else "cut"), p, stop
        return ("failed_row" if row_like else "not_row"), p, stop

    def array_end(self, close: int, keep: int) -> bool:
        """Whether the `]` at file position `close` can end the array: the file ends after it,
        or another array of objects or an object follows on a line of its own (`[{"`, `{"`;
        not a `}` or `,`: a nested array's end)."""
        t = self.t
        nxt = _peek(t, close + 1, keep)
        if nxt == t.start + len(t.text):
            return True
        if t.text.find("\n", close + 1 - t.start, nxt - t.start) < 0:
            return False
        for want in ("[{\"" if t.text[nxt - t.start] == "[" else "{\""):
            if nxt == t.start + len(t.text) or t.text[nxt - t.start] != want:
                return False
            nxt = _peek(t, nxt + 1, keep)
        return True

    def rows_of(self, value, start: int, end: int) -> list[Doc | Quarantined]:
        """The documents of the rows in `value`, parsed from the text from `start` to `end`; one
        `bad_encoding` item when that text holds bytes that are not UTF-8. A list, made before any is
        handed on, as the rows' documents always were."""
        t, path = self.t, self.path
        if t.bad_bytes and (m := _SURROGATE.search(t.text, start, end)):
            self.i += 1
            return [Quarantined("bad_encoding", f"{path}: row {self.i} (character {t.start + start}) is not UTF-8: "
                                f"byte {ord(m.group()) - 0xdc00:#04x} at character {t.start + m.start()} (JSON is "
                                f"UTF-8)", t.start + start, f"{path}#{self.i}", end - start,
                                t.text[start:min(end, start + SAMPLE)].encode("utf-8", "surrogateescape"))]
        if t.text.find("\\ud", start, end) >= 0 or t.text.find("\\uD", start, end) >= 0:
            value = without_lone_surrogates(value, self.state)
        out = []
        for row in value:
            for _, leaf in collection_rows(self.opts, row, self.state):
                self.i += 1
                out.extend(said_nested(self.opts, leaf, _row_doc(self.opts, self.src, leaf, f"{path}#{self.i}",
                                                                self.i, state=self.state)))
        return out

    def array_rows(self, pos: int):
        """An array's elements at `pos` (its `[`), one at a time: where reading goes on after its
        `]`, None when the rest of the file was lost after damage, _STOP when the file ended."""
        t = self.t
        # `indent`: what precedes its first element on its line when that starts one
        # (pretty-printed), where to read on after a bad element. `keys`: its rows', to tell a row
        # from an object nested in one there. `first`: a row is next, not a `,`.
        pos, first, indent, keys = pos + 1, True, ..., set()
        while pos is not None:
            if (pos := _skip_ws(t, pos)) is None:
                yield self.ended(f"after row {self.i} without closing the array (`]`)", len(t.text))
                return _STOP
            if t.text[pos] == "]":
                return pos + 1
            if not first:
                if t.text[pos] != ",":
                    item, pos = self.resync(f"',' or ']' expected after row {self.i}, found {t.text[pos]!r}", pos,
                                            pos, indent, keys, row=False)
                    yield item
                    first = True
                    continue
                if (pos := _skip_ws(t, pos + 1)) is None:
                    yield self.ended(f"after row {self.i} and a comma", len(t.text))
                    return _STOP
                if t.text[pos] == "]":          # [a, b,] (JSON5, hand-edited files): nothing lost
                    self.state.count("json_trailing_comma")
                    return pos + 1
            if indent is ...:
                indent = _indent_before(t.text, pos)
            pos, first = yield from self.array_element(pos, indent, keys)
            if pos is _STOP:
                return _STOP
        return None

    def array_element(self, pos: int, indent: str | None, keys: set):
        """The array's element at `pos`: where reading goes on after it (None, _STOP as
        `array_rows`), and whether a row rather than a `,` is next there (after a broken row,
        reading goes on at a row start)."""
        kind, value, pos, end = self.parse(pos, self.row_limit)
        if kind == "ok":
            if len(keys) < _ROW_KEYS and isinstance(value, dict):
                keys.update(value)
            yield from self.rows_of([value], pos, end)
            return end, False
        if kind == "cut":
            yield self.ended(f"inside row {self.i + 1} ({value})", pos)
            return _STOP, False
        if kind == "too_large":
            item, pos = self.too_large_row(pos)
            yield item
            return (_STOP if pos is None else pos), False
        self.i += 1
        item, pos = self.resync(value, pos, end, indent, keys, row=True)
        yield item
        return pos, True

    def too_large_row(self, pos: int) -> tuple[Quarantined, int | None]:
        """The item for a row at `pos` too large to be a document, skipped unparsed (parsing it would
        hold its objects too), and the index after it (None: the file ended inside it)."""
        t, path = self.t, self.path
        self.i += 1
        at, end = t.start + pos, _skip_value(t, pos)
        return Quarantined("too_large", f"{path}: row {self.i}: more than {self.row_limit:,} characters of JSON, "
                           f"more than a row under max_doc_bytes {self.src.max_doc_bytes:,} holds", at,
                           f"{path}#{self.i}", t.start + (len(t.text) if end is None else end) - at), end

    def wrapped_array(self, pos: int) -> tuple[int | None, int, int]:
        """Where the array `records_field` names starts in the object at `pos` (its `[`), found by
        reading the object's keys in order, the values of others skipped unparsed (`_skip_value`),
        entering an object whose key is a dotted path's first part (`meta` of `meta.rows`); the text
        from `pos` is kept meanwhile (`_Held`: the keys before the rows, small). None when the rows
        are not such an array there, or the text before it does not read as JSON, or it holds more
        than max_object_bytes: the object is parsed whole (`_rows_of_object` says why, as before).
        With the objects entered (closed after the rows) and `pos`'s index now."""
        h, name, p, depth, first = _Held(self.t, pos), self.records_field, pos + 1, 1, True
        while True:
            if (p := _skip_ws(h, p)) is None or p - h.keep > self.object_limit:
                break
            if not first and (h.text[p] != "," or (p := _skip_ws(h, p + 1)) is None):
                break
            first = False
            if (member := self.held_key(h, p)) is None:
                break
            key, p = member
            if key == name:             # a key holding the whole path wins (field_path)
                return (p if h.text[p] == "[" else None), h.keep, depth
            if name.startswith(key + ".") and h.text[p] == "{":
                name, p, depth, first = name[len(key) + 1:], p + 1, depth + 1, True
                continue
            if (p := self.skip_held_value(h, p)) is None:
                break
        return None, h.keep, depth

    def held_key(self, h: _Held, p: int) -> tuple[str, int] | None:
        """The key at `p` and the index of its value, after the `:`; None where no key and `:` stand."""
        if h.text[p] != '"':
            return None
        kind, key, p, end = _value_at(self.decoder, h, p, self.object_limit)
        if kind != "ok" or (p := _skip_ws(h, end)) is None or h.text[p] != ":" or (p := _skip_ws(h, p + 1)) is None:
            return None
        return key, p

    def skip_held_value(self, h: _Held, p: int) -> int | None:
        """The index after the value at `p`, another key's: skipped unparsed, but a number, true,
        false or null (no brackets or quotes to skip it by); None where it does not read as JSON."""
        if h.text[p] in '{["':
            return _skip_value(h, p)
        kind, _, p, end = _value_at(self.decoder, h, p, self.object_limit)
        return end if kind == "ok" else None

    def wrapper_rest(self, pos: int, depth: int):
        """The wrapper's keys after its rows (`depth`: the objects entered), skipped unparsed:
        where reading goes on after its `}`, None when the rest of the file was lost after
        damage, _STOP when the file ended. Damage there is one `bad_json` item; the rows are kept."""
        t = self.t
        while True:
            if (pos := _skip_ws(t, pos)) is None:
                yield self.ended("after the rows, inside the object that wraps them", len(t.text))
                return _STOP
            if t.text[pos] == "}":
                pos, depth = pos + 1, depth - 1
                if not depth:
                    return pos
                continue
            pos, why = self.skip_member_after_rows(pos)
            if why is None:
                continue
            self.i += 1
            item, pos = self.bad_value(why, pos, pos)      # read on at the next `{` line, as after a broken value
            yield item
            return pos

    def skip_member_after_rows(self, pos: int) -> tuple[int, str | None]:
        """A wrapper's `, "key": value` at `pos`, after its rows, skipped: the index after it and
        None, or where it does not read as JSON and why. The file's end inside it is the text's end
        (the caller's next `_skip_ws` finds the file ended)."""
        t = self.t
        if (c := t.text[pos]) != ",":
            return pos, f"',' or '}}' expected after the wrapper's rows, found {c!r}"
        if (pos := _skip_ws(t, pos + 1)) is None:
            return len(t.text), None
        if t.text[pos] != '"':
            return pos, f"a key expected after the wrapper's rows and a comma, found {t.text[pos]!r}"
        if (pos := _skip_value(t, pos)) is None or (pos := _skip_ws(t, pos)) is None:
            return len(t.text), None
        if t.text[pos] != ":":
            return pos, f"':' expected after a key after the wrapper's rows, found {t.text[pos]!r}"
        if (pos := _skip_ws(t, pos + 1)) is None:
            return len(t.text), None
        if t.text[pos] in '{["':
            end = _skip_value(t, pos)
            return (len(t.text) if end is None else end), None
        kind, value, pos, end = _value_at(self.decoder, t, pos, self.row_limit)
        if kind == "ok":
            return end, None
        if kind == "cut":
            return len(t.text), None
        return pos, f"{value} after the wrapper's rows" if kind == "bad" else "too large a value"


def _indent_before(text: str, pos: int) -> str | None:
    """What precedes `pos` on its line when only whitespace does and a line break starts it (a
    pretty-printed array's row), else None (a one-line array: rows start after separators)."""
    line_start = text.rfind("\n", 0, pos) + 1
    return text[line_start:pos] if line_start and not text[line_start:pos].strip() else None


def _rows_of_object(opts, path: str, value: dict):
    """The rows a top-level object stands for: itself, or the list under `records_field`; None,
    after a quarantine item saying why, when it wraps rows the reader was not told of."""
    records_field = getattr(opts, "records_field", None)
    if records_field:
        at = field_path(value, records_field)
        if not isinstance(held := _get(value, at), list):
            yield Quarantined("missing_text", f"{path}: records_field {records_field!r} is "
                              f"{_describe(held, at, value)}, not a list of rows", 0, path)
            return None
        return held
    if getattr(opts, "nested_collections", False):
        return [value]          # its levels are entered (collection_rows)
    field = opts.content_field
    if _get(value, field_path(value, field)) is None and \
            (lists := [k for k, v in value.items() if isinstance(v, list) and v and isinstance(v[0], dict)]):
        # One object wrapping the rows (`{"version": 1, "data": [...]}`): the row count it stands
        # for is lost unless the reader is told where they are; said with the field to name. Its
        # objects without the field, holding it deeper (a book's parts of chapters), are levels.
        rows = value[lists[0]]
        if any(isinstance(r, dict) and not _is_document(r, field) and _reaches_text(r, field, 0) for r in rows):
            todo = f"its objects hold {field!r} deeper, in levels: set nested_collections: true to read them"
        else:
            todo = f"set records_field: {lists[0]} to read them as rows"
        yield Quarantined("missing_text", f"{path}: one object without {field!r} whose field "
                          f"{lists[0]!r} holds {len(rows):,} objects: {todo}", 0, path, records=len(rows))
        return None
    return [value]


JSON_HEAD = 1 << 16     # bytes of a .json file's start that decide whether it is JSON Lines
_HEAD_LINES = 4         # ... from its first this many non-empty lines


def _looks_like_json_lines(src, path: str) -> bool:
    """Whether a .json file is JSON Lines, from its first non-empty lines (two, and more within
    JSON_HEAD bytes; each up to the JSONL reader's line limit): the first is an object on a line
    of its own and another line follows, or the first does not parse (a damaged row) and every
    line after it in the head is an object, or the first is an array whole on its line (a bad row:
    `["not","an","object"]`) and every line after it is an object. A JSON document (an array, an
    object over several lines, minified on one line) is never that: its first line is `[` or an
    object's opening that does not parse alone, or it has one line, and its inner lines end in
    commas. Unreadable or undecidable: False (the whole-file path says why)."""
    limit = 6 * src.max_doc_bytes + (1 << 16)
    lines: list[bytes] = []
    try:
        with open_utf8(path, sniff=True) as f:
            head = f.peek(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
            if head[:1] not in (b"{", b"["):
                return False            # a bare value, nothing: a JSON document
            if not _second_line(f, limit):
                return False            # one line (a wrapper json.dump wrote): not held to be told so
        with open_utf8(path, sniff=True) as f:
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

    def parsed(raw: bytes, kind: type) -> bool:
        try:
            return isinstance(json.loads(raw.lstrip(b"\xef\xbb\xbf").decode("utf-8")), kind)
        except (ValueError, RecursionError):
            return False
    rows_follow = all(parsed(line, dict) for line in lines[1:])
    if lines[0].lstrip(b"\xef\xbb\xbf" + _SPACE)[:1] == b"[":
        # arrays one a line (`jq -c` output) stay a JSON document: their elements are its rows
        return rows_follow and parsed(lines[0], list)
    return parsed(lines[0], dict) or rows_follow


_SPACE = b" \t\r\n\x0b\x0c"


def _second_line(f, limit: int) -> bool:
    """Whether a non-empty line follows the file's first non-empty one, that one within `limit`
    bytes: read a piece at a time, nothing held (a 600 MB wrapper on one line was read whole, to
    find it has no second line)."""
    where, run = "before", 0        # before the first line's text, in that line, after it
    while chunk := f.read(1 << 20):
        i = 0
        if where == "before":
            rest = chunk.lstrip(_SPACE)
            if not rest:
                continue
            where, i = "in", len(chunk) - len(rest)
        if where == "in":
            nl = chunk.find(b"\n", i)
            run += (len(chunk) if nl < 0 else nl) - i
            if run > limit:
                return False
            if nl < 0:
                continue
            where, i = "after", nl + 1
        if chunk[i:].strip(_SPACE):
            return True
    return False


def looks_like_json_document(src, path: str) -> bool:
    """Whether a file named as JSON Lines holds a JSON document instead: it begins with `[` (an
    array, pretty-printed or on one line) or with a line that is only `{` (objects dumped with
    indent), and is not JSON Lines by `_looks_like_json_lines`. A damaged first row, or a first
    row that is an array, followed by rows one a line stays JSON Lines; unreadable: False (the
    JSONL path says why)."""
    try:
        with open_utf8(path, sniff=True) as f:
            head = f.peek(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
    except Exception:  # noqa: BLE001 - damage is the JSONL path's to name
        return False
    if head[:1] == b"[":        # an array; or JSON Lines whose first row is one (a bad row)
        return not _looks_like_json_lines(src, path)
    return head[:1] == b"{" and head[1:].lstrip(b" \t\r")[:1] == b"\n" and not _looks_like_json_lines(src, path)
