"""The text of a JSON document read a piece at a time, and the primitives rows_json parses it
with: a value at a position (json's raw_decode, in growing windows after damage), a value
skipped unparsed, whitespace, and where a row may start again after a broken one (`{"key":`
after a separator, or at a line indented as the array's rows). Split out of rows_json.py, which
holds the reader and its rules for rows, wrappers and damage.
"""
from __future__ import annotations

import codecs
import json
import lzma
import re
import zlib

from pipeline.readers.base import ReadState
from pipeline.readers.decompress import JunkAfterStream
from pipeline.readers.rows import _SURROGATE


class _JsonText:
    """The text of a JSON file, read and decoded a piece at a time as parsing needs it: `text`
    holds the file's characters from character `start` on, what was parsed before it forgotten (an
    array of rows is read one row at a time, never held whole: 1.9 GB of memory for a 600 MB
    value in a 600 KB .json.gz before). UTF-16/32 files come transcoded (open_utf8), a UTF-8 BOM
    is dropped. A byte that is not UTF-8 becomes a lone surrogate (surrogateescape; text decoded
    from UTF-8 holds none), for the row holding it to be quarantined (`bad_bytes`: one was seen).
    A stream that fails (truncated or corrupt compression) ends there, `error` saying why."""

    def __init__(self, f, state: ReadState):
        self.f, self.state = f, state
        self.text, self.start, self.eof, self.error, self.bad_bytes = "", 0, False, None, False
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")

    def more(self, pos: int) -> int | None:
        """Read on, the text before `pos` forgotten: `pos`'s new index, or None at the file's end.
        At least as much as is held from `pos` is read (a value growing over pieces is parsed again
        a few times, not once a piece)."""
        if self.eof:
            return None
        want, pieces, n, raw = max(1 << 20, len(self.text) - pos), [], 0, b""
        try:
            while n < want and (raw := self.f.read1(want - n)):
                pieces.append(raw)
                n += len(raw)
        except JunkAfterStream:         # bytes after the last compressed member: all before them read
            self.state.count("junk_after_compressed_data")
            raw = b""
        except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
            self.error, raw = f"{type(e).__name__}: {e}", b""
        self.eof = not raw
        new = self._decoder.decode(b"".join(pieces), final=self.eof)
        if not new and self.eof:
            return None
        if not self.start and not self.text and new.startswith("\ufeff"):
            new = new[1:]
        if not self.bad_bytes and not new.isascii() and _SURROGATE.search(new):
            self.bad_bytes = True
        self.text, self.start = self.text[pos:] + new, self.start + pos
        return 0


_WS = re.compile(r"[ \t\r\n]*")
_NOT_A_CUT = re.compile(r'[\s,:\[\]{}"]')


def _skip_ws(t: _JsonText, pos: int) -> int | None:
    """The index of the next character that is not whitespace, None at the file's end."""
    while (pos := _WS.match(t.text, pos).end()) == len(t.text):
        if (pos := t.more(pos)) is None:
            return None
    return pos


def _value_at(decoder: json.JSONDecoder, t: _JsonText, pos: int, limit: int):
    """The JSON value at `pos`, read on until it is complete: ("ok", value, pos, end), ("bad",
    why, pos, where), ("cut", why, pos, end) when the file ends inside it, ("too_large", None,
    pos, end) when it is not complete within `limit` characters. (`pos` moves as text before it
    is forgotten.)"""
    while True:
        try:
            value, end = decoder.raw_decode(t.text, pos)
            if end - pos > limit:
                return "too_large", None, pos, end
            if end < len(t.text) or t.eof:          # a number at the text's end may go on in the next piece
                return "ok", value, pos, end
            why = "the file ends after it"
        except json.JSONDecodeError as e:
            # An error where the text ends (an unterminated string; a literal, a number or nothing
            # after a key) may be the piece's end; anything before it is a syntax error.
            if not e.msg.startswith("Unterminated string") and \
                    (len(t.text) - e.pos > 6 or _NOT_A_CUT.search(t.text, e.pos)):
                return "bad", f"{e.msg} at character {t.start + e.pos}", pos, e.pos
            why = f"{e.msg} character {t.start + e.pos}" if e.msg.endswith(" at") else e.msg
        except (ValueError, RecursionError) as e:   # an int of >4,300 digits, deep nesting
            return "bad", f"{type(e).__name__}: {e}", pos, pos
        if len(t.text) - pos > limit:
            return "too_large", None, pos, len(t.text)
        if (moved := t.more(pos)) is None:
            if why == "the file ends after it":     # a number ending the file: complete
                return "ok", value, pos, end
            return "cut", why, pos, len(t.text)
        pos = moved


_STRUCTURE = re.compile(r'["\[\]{}]')


class _Held:
    """A `_JsonText` read on with its text from index `keep` on kept (the keys of a wrapper
    object before its rows, for it to be parsed whole if they are not found): `_skip_ws`,
    `_skip_value` and `_value_at` take it in place of the text."""

    def __init__(self, t: _JsonText, keep: int):
        self.t, self.keep = t, keep

    @property
    def text(self) -> str:
        return self.t.text

    @property
    def start(self) -> int:
        return self.t.start

    @property
    def eof(self) -> bool:
        return self.t.eof

    def more(self, pos: int) -> int | None:
        if self.t.more(self.keep) is None:
            return None
        pos, self.keep = pos - self.keep, 0
        return pos


_STOP = object()        # an array's or a wrapper's reading ended the file's (after an item saying so)


def _skip_value(t: _JsonText, pos: int) -> int | None:
    """The index just past the JSON object, array or string at `pos`, found by its brackets and
    quotes without parsing it (a row too large to be a document, skipped); None at the file's end.
    Inside strings by str.find (a regex took 1.4 s of 1.8 for a 200 MB string), the next quote
    kept while escapes before it are skipped."""
    depth, in_string, quote = 0, False, -1
    while True:
        if in_string:
            if quote < pos:
                quote = t.text.find('"', pos) % (len(t.text) + 1)       # not found: len(t.text)
            escape = t.text.find("\\", pos, quote)
            if 0 <= escape < len(t.text) - 1:
                pos = escape + 2
                continue
            if escape < 0 and quote < len(t.text):
                in_string, pos = False, quote + 1
                if depth == 0:
                    return pos
                continue
            pos = len(t.text) if escape < 0 else escape     # read on (an escape cut at the piece's end kept)
        elif m := _STRUCTURE.search(t.text, pos):
            pos = m.end()
            if m.group() == '"':
                in_string = True
                continue
            depth += 1 if m.group() in "[{" else -1
            if depth <= 0:
                return pos
            continue
        else:
            pos = len(t.text)
        if (pos := t.more(pos)) is None:
            return None
        quote = -1


# Where an array's reading may go on after a broken row: an object that starts after a `,` (or a
# `}`: a comma lost with the damage) with a key, or, in an array with a row a line, at the start
# of a line indented as its first row was; or the array's end (`]`).
_KEYED = r'(\{)[ \t\r\n]*("(?:[^"\\\r\n]|\\.)*")[ \t\r\n]*:'     # `{"key":`, the key its group 2
_ARRAY_END = r'|(\])(?=[ \t\r\n]|\Z)'      # then whitespace or the text's end (`array_end` decides)
_ROW_AFTER_SEPARATOR = re.compile(r'[,}][ \t\r\n]*' + _KEYED + _ARRAY_END)
_FIRST_KEY = re.compile(_KEYED)
_LINE_OBJECT = re.compile("\n{")   # where values one after another go on after a broken one
_LOST = "no next row found: the rest of the file lost"
_DAMAGE_REACH = 1 << 20  # characters after a broken span whose values are parsed in windows
_KEY_REACH = 512        # characters before a failed parse's end a row start reaching past it is looked for
_RESYNC_TAIL = 4096     # characters kept at a piece's end for a row start the piece's end cuts
_ROW_KEYS = 1024        # keys of an array's rows kept to tell a row from an object nested in one


def _row_start(indent: str | None) -> re.Pattern:
    if indent is None:
        return _ROW_AFTER_SEPARATOR
    return re.compile("\n" + re.escape(indent) + _KEYED + _ARRAY_END)


def _peek(t: _JsonText, at: int, keep: int) -> int:
    """The file position (t.start-based, as `at` and `keep`) of the next character that is not
    whitespace from `at` on, reading on with the text from `keep` on kept; the text's end at the
    file's end."""
    pos, keep = at - t.start, keep - t.start
    while (pos := _WS.match(t.text, pos).end()) == len(t.text):
        if t.more(keep) is None:
            break
        pos, keep = pos - keep, 0
    return t.start + pos


def _value_in_windows(decoder: json.JSONDecoder, t: _JsonText, pos: int, limit: int):
    """`_value_at`, tried first on windows of the text growing 16-fold from 256 characters, for
    where damage is: a JSONDecodeError counts the lines of all the text before its position (up
    to 2 MB held), and garbage that fails every few characters was quadratic (2 MB of noise took
    a minute). A failure found in a window is its own; a value not complete in the largest window
    the held text allows is read by `_value_at`. A value nested past the recursion limit ends
    ("bad") at the window's end: nothing a thousand deep in it is a row."""
    w = 256
    while w <= limit and pos + w < len(t.text):
        window = t.text[pos:pos + w]
        try:
            value, end = decoder.raw_decode(window)
            if end < w:
                return "ok", value, pos, pos + end
        except json.JSONDecodeError as e:
            if not e.msg.startswith("Unterminated string") and (w - e.pos > 6 or _NOT_A_CUT.search(window, e.pos)):
                return "bad", f"{e.msg} at character {t.start + pos + e.pos}", pos, pos + e.pos
        except RecursionError as e:
            return "bad", f"{type(e).__name__}: {e}", pos, pos + w
        except ValueError as e:         # an int of >4,300 digits
            return "bad", f"{type(e).__name__}: {e}", pos, pos
        w <<= 4
    return _value_at(decoder, t, pos, limit)
