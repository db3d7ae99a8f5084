"""WARC framing by hand, for damaged files: where FastWARC stops, this reads on.

The scanner is hand-written because no WARC library recovers from damage: warcio and FastWARC both
stop at the first bad member or header. It reads the decompressed bytes and member ends of
`warc_stream` (which resyncs after a corrupt or cut-off gzip member), reads headers line by line
(LF-only headers, any `WARC/x.y` version in any case - warcio reads `warc/1.0`, FastWARC refuses
it -, a header that begins mid-line after a record cut off; values UTF-8, else Latin-1, as warcio
decodes them), and decides where each record ends:

- one gzip member per record: a record ends where its member ends. If its Content-Length says
  otherwise (too long by 200 bytes or by 10^12, too short), the record's block is the member's
  content and it is KEPT, flagged `length_mismatch` (the caller counts it): the member framing
  proves where the record ends, and the page inside is complete. No neighbour is swallowed or lost.
- uncompressed (or one member for many records): a record ends at its Content-Length when the
  record separator (CRLF CRLF or LF LF) or the next `WARC/` header is there; otherwise at the next
  line that starts a valid WARC header, or an earlier WARC version line at a line start or a
  broken header run into this record's damaged end (kept, flagged `length_mismatch`); with no
  next header before the end of the file it is cut off (`truncated_record`, quarantined). A
  header into which another record's header runs (its end overwritten) is `malformed_record` and
  the other record is read. A declared block that
  holds a whole valid WARC header right after a separator ends there (a wrong length that lands
  on a later separator by chance is likelier than a WARC inside a WARC; a record FastWARC framed
  is sent here when its block ends with whole records, `ends_with_records`, as `warc` explains:
  searching every block there would cost twice FastWARC's reading). Limit: an uncompressed
  record whose wrong length is also over the size cap, with its neighbour further away than the
  cap, is skipped to its declared end.
Gzip members and plain records may alternate in one file (`cat a.warc.gz b.warc`): the stream
hands on plain records after a member (`warc_stream`), and where a gzip member begins at the
boundary of plain records, the scanner has the stream inflate it (a gzip magic inside a record
is page bytes). Blanks (line ends, spaces, NUL padding) between records are not junk.
Damage becomes a `WarcDamage` with the byte offset (gzip member offset when compressed):
`corrupt_gzip`, `truncated_gzip`, `garbage_between_records`, `malformed_record`, `truncated_record`.
"""
from __future__ import annotations

import bisect
import re
import zlib
from dataclasses import dataclass
from typing import Iterator

from pipeline.readers.http import HttpResponse
from pipeline.readers.warc_stream import BLANK, CHUNK, GZIP_MAGIC, version_lines

SAMPLE = 65536
# The record types of WARC 1.0/1.1 (plus ARC's, read as responses). A reader counts a record it does
# not want as `skipped_<type>`; any other type (a writer's own, or a damaged name such as
# "resplase") is `skipped_unknown_type`, so a damaged file cannot mint a counter per typo.
WARC_TYPES = frozenset(("warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion",
                        "continuation"))


def skip_counter(wtype: str) -> str:
    """The counter of a skipped record by its lower-cased WARC-Type ("" when it has none)."""
    return f"skipped_{wtype}" if wtype in WARC_TYPES else "skipped_untyped" if not wtype else "skipped_unknown_type"
MAX_HEADER = 1 << 20
# How much of a gzip member's output is held, at most, waiting for the member to end or fail when
# what follows a record's declared end in it is no next record (see Scanner._record_end).
MEMBER_WAIT = 64 << 20
# Version lines (`version_lines`) are looked for not only at a line start: a record cut off
# mid-line (a writer that crashed, then appended) is followed at once by the next record's header.
# Any version: WARC/0.17 (Heritrix 1.x, 2008) is still in real archives.
_WARC_FIELD = re.compile(rb"\nWARC-[A-Za-z-]+:")


@dataclass
class WarcRecord:
    offset: int                      # offset of the gzip member (or the record, uncompressed)
    headers: dict[str, str]          # WARC headers, names lower-cased
    block: bytes                     # the record's content block (a prefix if truncated)
    length: int                      # declared Content-Length
    truncated: bool = False          # block is only a sample: the record was too big to hold
    length_mismatch: bool = False    # the record really ends elsewhere than Content-Length says
    http: HttpResponse | None = None  # the block's HTTP response when already parsed (block is b"")
    by_scanner: bool = False         # framed by this scanner (the slow path), not by FastWARC
    index: int = 0                   # records before it that begin in the same member (iter_warc counts)


@dataclass
class WarcDamage:
    offset: int
    reason: str
    detail: str
    sample: bytes = b""


def header_text(raw: bytes) -> str:
    """A WARC header line or value as text: UTF-8, else Latin-1, as warcio decodes them (a URL
    written in a page's 8-bit charset keeps its letters: `stra\xdfe` is `straße`, not U+FFFD)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_headers(head: bytes) -> dict[str, str] | None:
    try:
        lines = head.decode("utf-8").split("\n")
    except UnicodeDecodeError:                    # line by line: the UTF-8 lines stay UTF-8
        lines = [header_text(line) for line in head.split(b"\n")]
    if lines[0].strip()[:5].upper() != "WARC/":
        return None
    headers: dict[str, str] = {}
    last = None
    for line in lines[1:]:
        line = line.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t" and last:          # folded continuation line
            headers[last] = (headers[last] + " " + line.strip()).strip()
            continue
        k, sep, v = line.partition(":")
        if not sep:
            return None
        last = k.strip().lower()
        headers[last] = v.strip()
    return headers


def header_end(buf, start: int = 0, stop: int | None = None) -> int:
    """Index just past the blank line that ends a header block (LF or CRLF lines), or -1."""
    stop = len(buf) if stop is None else stop
    a, b = buf.find(b"\n\r\n", start, stop), buf.find(b"\n\n", start, stop)
    if a < 0 and b < 0:
        return -1
    if b < 0 or (0 <= a < b):
        return a + 3
    return b + 2


def content_length(headers: dict[str, str] | None) -> int | None:
    try:
        n = int(headers["content-length"]) if headers else -1
    except (KeyError, ValueError):
        return None
    return n if n >= 0 else None


class _Broken(Exception):
    def __init__(self, reason: str, offset: int, detail: str):
        self.reason, self.offset, self.detail = reason, offset, detail


_NEED_MORE = object()
_TOO_BIG = object()


class Scanner:
    """Records out of a decompressed byte stream, knowing where gzip members start and end."""

    def __init__(self, events, gz: bool, max_record_bytes: int):
        self.events, self.gz, self.cap = events, gz, max_record_bytes
        self.buf = bytearray()
        self.pos0 = 0                     # stream offset of buf[0]
        self.member_starts: list[int] = []  # stream offsets where members start ...
        self.member_raw: list[int] = []     # ... and their raw offsets
        self.member_ends: list[int] = []
        self.plain_starts: list[int] = []   # stream offsets where runs of plain bytes start ...
        self.plain_raw: list[int] = []      # ... and their raw offsets
        self.eof = False
        self.in_garbage = False           # inside a garbage region already reported

    # stream bookkeeping
    def _pull(self) -> None:
        for kind, off, data in self.events:
            if kind == "data":                    # a gzip member's content
                total = self.pos0 + len(self.buf)
                if not self.member_raw or self.member_raw[-1] != off:
                    self.member_starts.append(total)
                    self.member_raw.append(off)
                self.buf += data
                return
            if kind == "plain":                   # the file's own bytes at `off`
                total = self.pos0 + len(self.buf)
                if not self._plain_at(total) or self.plain_raw[-1] + total - self.plain_starts[-1] != off:
                    self.plain_starts.append(total)
                    self.plain_raw.append(off)
                self.buf += data
                return
            if kind == "end":
                self.member_ends.append(self.pos0 + len(self.buf))
                continue
            raise _Broken(kind, off, data.decode("utf-8", "replace"))
        self.eof = True

    def at_record_start(self) -> bool:
        """Does the record just yielded start where its offset points (a gzip member that begins
        with it, or uncompressed)? Then a reader can restart there."""
        if self._plain_at(self.pos0):
            return True
        i = bisect.bisect_left(self.member_starts, self.pos0)
        return i < len(self.member_starts) and self.member_starts[i] == self.pos0

    def _plain_at(self, stream_pos: int) -> bool:
        """Is the byte at this stream offset a plain byte of the file (not inflated)?"""
        j = bisect.bisect_right(self.plain_starts, stream_pos) - 1
        return j >= 0 and self.plain_starts[j] > self._member_at(stream_pos)

    def _member_at(self, stream_pos: int) -> int:
        """Stream offset where the last member that starts at or before `stream_pos` starts, or -1."""
        i = bisect.bisect_right(self.member_starts, stream_pos) - 1
        return self.member_starts[i] if i >= 0 else -1

    def _raw_offset(self, stream_pos: int) -> int:
        """The file offset to read the byte at `stream_pos` back from: its own (plain), or its
        gzip member's."""
        j = bisect.bisect_right(self.plain_starts, stream_pos) - 1
        i = bisect.bisect_right(self.member_starts, stream_pos) - 1
        if j >= 0 and (i < 0 or self.plain_starts[j] > self.member_starts[i]):
            return self.plain_raw[j] + stream_pos - self.plain_starts[j]
        return self.member_raw[i] if i >= 0 else 0

    def _inflate_here(self) -> bool:
        """buf[0], at a plain record boundary, begins a gzip member: read on from there by
        inflating (the plain bytes held after it are its compressed data)."""
        inflate = getattr(self.events, "inflate_at", None)
        if inflate is None or not inflate(self._raw_offset(self.pos0)):
            return False
        self.buf.clear()
        self.eof = False
        return True

    def _drop(self, n: int) -> None:
        del self.buf[:n]
        self.pos0 += n

    def _skip_line_breaks(self) -> bool:
        """Drop the line breaks (and other blanks: spaces, NUL padding) before the next record;
        False when nothing is left. (At the file's start only line breaks: NULs there may be all
        that is left of a first record.)"""
        i, blank = 0, BLANK if self.pos0 or self._raw_offset(0) else b"\r\n"
        while i < len(self.buf) and self.buf[i] in blank:
            i += 1
        if i:
            self._drop(i)
        return bool(self.buf)

    def items(self) -> Iterator[WarcRecord | WarcDamage]:
        skip = 0                          # bytes of an oversized record still to discard
        while True:
            try:
                if not self.eof:
                    self._pull()
            except _Broken as broken:
                # The damaged member's data is unusable: records before it end where it starts.
                i = bisect.bisect_left(self.member_raw, broken.offset)
                cut = self.member_starts[i] - self.pos0 if i < len(self.member_raw) and \
                    self.member_raw[i] == broken.offset else len(self.buf)
                damaged = bytes(self.buf[max(cut, 0):max(cut, 0) + 4096])
                del self.buf[max(cut, 0):]
                if skip:
                    skip = 0
                yield from self._records(final=True)
                reason = "garbage_between_records" if broken.reason == "garbage_between_records" else broken.reason
                yield WarcDamage(broken.offset, reason, broken.detail, damaged)
                self.pos0 += len(self.buf)
                self.buf.clear()
                self.in_garbage = False
                continue
            if skip:
                n = min(skip, len(self.buf))
                self._drop(n)
                skip -= n
                if skip and self.eof:
                    yield WarcDamage(self._raw_offset(self.pos0), "truncated_record",
                                     f"oversized record cut off, {skip} bytes missing")
                    return
                if skip:
                    continue
            for item in self._records(final=self.eof):
                if isinstance(item, tuple):       # (record, bytes still to skip)
                    yield item[0]
                    skip = item[1]
                    break
                yield item
            if self.eof and not skip:
                return

    def _records(self, final: bool) -> Iterator:
        buf = self.buf
        while True:
            if not self._skip_line_breaks():
                return
            if len(buf) >= 5 and self._member_follows(0) and self._inflate_here():
                return
            if not is_version(buf, 0):
                q = self._find_header(0, len(buf))
                member = self._member_in_plain(1, len(buf) if q < 0 else q)
                q = q if member < 0 else member
                if q < 0:
                    if not self.in_garbage:
                        yield WarcDamage(self._raw_offset(self.pos0), "garbage_between_records",
                                         "data outside any record", bytes(buf[:4096]))
                    self.in_garbage = not final
                    keep = len(buf) if final else max(0, len(buf) - 16)
                    if not final and (m := buf.rfind(GZIP_MAGIC, max(0, len(buf) - 4096))) > 0:
                        keep = min(keep, m)       # a member's start, not whole yet: looked at again
                    yield from self._broken_headers(keep)
                    self._drop(keep)
                    return
                if not self.in_garbage:
                    yield WarcDamage(self._raw_offset(self.pos0), "garbage_between_records",
                                     "data outside any record", bytes(buf[:min(q, 4096)]))
                yield from self._broken_headers(q)
                self._drop(q)
                if member >= 0:
                    self.in_garbage = False
                    continue
            self.in_garbage = False
            h = header_end(buf, 0, MAX_HEADER)
            if h < 0:
                if final or len(buf) > MAX_HEADER:
                    reason = "truncated_record" if final and len(buf) <= MAX_HEADER else "malformed_record"
                    yield WarcDamage(self._raw_offset(self.pos0), reason, "WARC header without its end",
                                     bytes(buf[:4096]))
                    self._drop(len(buf) if final else 1)
                    self.in_garbage = not final
                    continue
                return
            inner = find_header(buf, 1, min(len(buf), h + 16))
            if 0 < inner <= h:      # (at h: this header's blank line was the separator before it)
                # Another record's header begins inside this one (this one's end was cut off or
                # overwritten): this one is lost, the other is read.
                yield WarcDamage(self._raw_offset(self.pos0), "malformed_record",
                                 "WARC header cut off by the next record's header", bytes(buf[:min(inner, 4096)]))
                self._drop(inner)
                continue
            headers = parse_headers(bytes(buf[:h]))
            length = content_length(headers)
            if length is None:
                yield WarcDamage(self._raw_offset(self.pos0), "malformed_record",
                                 "bad WARC header or Content-Length", bytes(buf[:4096]))
                self._drop(1)
                self.in_garbage = True
                continue
            end = self._record_end(h, length, final)
            if end is _NEED_MORE:
                return
            offset = self._raw_offset(self.pos0)
            if end is _TOO_BIG:
                rec = WarcRecord(offset, headers, bytes(buf[h:h + SAMPLE]), length, truncated=True)
                rest = length - (len(buf) - h)
                self._drop(len(buf))
                yield rec, rest
                return
            if end is None:
                yield WarcDamage(offset, "truncated_record",
                                 f"record cut off: {length} bytes declared, {len(buf) - h} present",
                                 bytes(buf[:4096]))
                self._drop(len(buf))
                return
            stop, mismatch = end
            body_end = stop
            if mismatch:
                # Drop the separator before the next record (CRLF CRLF, or LF LF), not a page's own
                # last newline when the separator is missing too.
                body_end -= separator_before(bytes(buf[max(h, stop - 4):stop]))
            body = bytes(buf[h:body_end])
            truncated = len(body) > self.cap
            yield WarcRecord(offset, headers, body[:SAMPLE] if truncated else body, length,
                             truncated=truncated, length_mismatch=mismatch)
            self._drop(stop)

    def _broken_headers(self, stop: int) -> Iterator[WarcDamage]:
        """Each record skipped with the junk before buf[stop]: a WARC version line at a line start
        whose header does not parse is one record lost, counted as such."""
        p = 0
        while (p := _version_line(self.buf, p, stop)) >= 0:
            yield WarcDamage(self._raw_offset(self.pos0 + p), "malformed_record",
                             "WARC header that does not parse", bytes(self.buf[p:p + 4096]))

    def _member_end(self) -> int | None:
        """End (buffer index) of the gzip member that starts at buf[0], if it starts one and has ended."""
        i = bisect.bisect_left(self.member_starts, self.pos0)
        if i >= len(self.member_starts) or self.member_starts[i] != self.pos0:
            return None
        j = bisect.bisect_right(self.member_ends, self.pos0)
        return self.member_ends[j] - self.pos0 if j < len(self.member_ends) else None

    def _sep_ok(self, e: int, stop: int, final: bool) -> bool | None:
        """Is there only a record separator at e, then the next record or the end? None: unknown yet."""
        buf, p = self.buf, e
        while p < stop and p - e < 4 and buf[p] in b"\r\n":
            p += 1
        if p >= stop:
            return True if (final or stop < len(buf) or self._at_member_end(stop)) else None
        if len(buf) - p < 5:
            return None if not final else False
        return is_version(buf, p) or self._member_follows(p)

    def _member_follows(self, p: int) -> bool:
        """Does a gzip member that begins a WARC record begin at buf[p], in plain bytes?"""
        return self.buf.startswith(GZIP_MAGIC, p) and self._plain_at(self.pos0 + p) and \
            member_begins_record(self.buf, p)

    def _member_in_plain(self, start: int, stop: int) -> int:
        """Index of the first gzip member in buf[start:stop] that begins a WARC record in plain
        bytes (junk before it), or -1."""
        p = start
        while (p := self.buf.find(GZIP_MAGIC, p, stop)) >= 0:
            if self._member_follows(p):
                return p
            p += 1
        return -1

    def _inner_record(self, h: int, e: int) -> int:
        return inner_record(self.buf, h, e)

    def _broken_header_at(self, e: int) -> bool:
        """After a line break at e, a header whose version line is damaged (`WARC-` lines follow)?
        Then the record before it ends at e as declared (some writers end a record with one CRLF)
        and the damaged one is counted as garbage instead of swallowed."""
        buf, p = self.buf, e
        while p < len(buf) and p - e < 4 and buf[p] in b"\r\n":
            p += 1
        if p == e:
            return False
        head = bytes(buf[p:p + 4096])
        first = head[:head.find(b"\n") + 1]
        version = first[:4].upper() == b"WARC" and first[4:5] != b"-"
        if not (version or 0 < len(first) <= 16 and b":" not in first):    # not a (damaged) version line
            return False
        end = header_end(head)
        return len(_WARC_FIELD.findall(head, 0, end if end > 0 else len(head))) >= 2

    def _opens_open_member(self) -> bool:
        """Does the record at buf[0] begin a gzip member that has not ended yet?"""
        i = bisect.bisect_left(self.member_starts, self.pos0)
        return i < len(self.member_starts) and self.member_starts[i] == self.pos0 and self._member_end() is None

    def _at_member_end(self, i: int) -> bool:
        k = bisect.bisect_left(self.member_ends, self.pos0 + i)
        return k < len(self.member_ends) and self.member_ends[k] == self.pos0 + i

    def _record_end(self, h: int, length: int, final: bool):
        buf = self.buf
        e = h + length
        limit = self._member_end()
        if limit is not None:
            if e <= limit and self._sep_ok(e, limit, True):
                return e, False
            q = self._find_next(h, limit)
            if q >= 0:
                return q, True
            if e < limit:
                return limit, True
            nxt = self._next_starts_record(limit, final)
            if nxt is None:
                return _NEED_MORE
            if nxt:
                return limit, True
            # The record continues in the next member (a writer that splits records): stream logic.
        if len(buf) >= e + 9 and not final and self._opens_open_member() and len(buf) < MEMBER_WAIT \
                and not self._sep_ok(e, len(buf), final):
            # The record begins a gzip member still being inflated, and what follows its declared
            # end is no next record: that member's end decides. A member that fails to inflate
            # gives what came out before the error, and after damage that is garbage (zeros
            # inflate as back-references, megabytes of them): enough to fill the record, which
            # then goes with the member's damage item instead of passing for a page.
            return _NEED_MORE
        if len(buf) >= e + 9 or (final and len(buf) >= e):
            ok = self._sep_ok(e, len(buf), final)
            if ok or buf.startswith(b"\r\n\r\n", e) or buf.startswith(b"\n\n", e) or self._broken_header_at(e):
                inner = self._inner_record(h, e)
                if inner >= 0:                       # the declared length runs over a whole record:
                    q = self._find_next(h, min(len(buf), inner + 64))      # it ends at the first one
                    return (q if 0 <= q < inner else inner), True
                return e, False                      # a separator where declared: trust the length
            q = self._find_next(h, len(buf))
            if q >= e and not buf.endswith((b"\r\n\r\n", b"\n\n"), h, q):
                # No separator where declared nor before the next record, which lies past the
                # declared end (one before it would be a record cut short): the record lost its
                # trailer and junk follows it (a length too short would leave the record's own
                # separator before the next one). Read as declared, as warcio does; the junk
                # between is reported next, and does not become part of the page.
                return e, False
            if q >= 0:
                return q, True
            if not final and len(buf) - e < CHUNK:
                return _NEED_MORE                    # look further (or learn where the member ends)
            return e, False                          # what follows is garbage, reported next
        q = self._find_next(h, len(buf)) if (final or length > self.cap or len(buf) - h > CHUNK) else -1
        if q >= 0:
            return q, True
        if final:
            return None
        if len(buf) - h > self.cap:
            return _TOO_BIG
        return _NEED_MORE

    def _next_starts_record(self, i: int, final: bool) -> bool | None:
        buf = self.buf
        while i < len(buf) and buf[i] in b"\r\n":
            i += 1
        if len(buf) - i < 5:
            return True if final else None
        return is_version(buf, i) or self._member_follows(i)

    def _find_header(self, start: int, stop: int) -> int:
        return find_header(self.buf, start, stop)

    def _find_next(self, start: int, stop: int) -> int:
        """Where a record whose length is wrong ends: the next valid header, or an earlier WARC
        version line at a line start even when the header it begins is broken (that record is
        then counted as malformed instead of swallowed unseen), or, in plain bytes, an earlier
        gzip member that begins a record."""
        q = find_header(self.buf, start, stop)
        p = _version_line(self.buf, start, q if q >= 0 else stop)
        if p < 0:
            p = _glued_header(self.buf, start, q if q >= 0 else stop)
        found = p if p >= 0 else q
        member = self._member_in_plain(start + 1, found if found >= 0 else stop)   # in plain bytes
        return member if member >= 0 else found


def separator_before(tail: bytes) -> int:
    """Length of the record separator that ends `tail` (the last bytes before the next record):
    CRLF CRLF, else LF LF or one CRLF, not a page's own last newline when the separator is missing."""
    return 4 if tail.endswith(b"\r\n\r\n") else 2 if tail.endswith((b"\n\n", b"\r\n")) else 0


def _version_line(buf, start: int, stop: int) -> int:
    """Index of the first `WARC/x.y` line (any case) at a line start in buf[start:stop] (after its
    "\n", which lies in it; the line may end past `stop`), or -1."""
    for p in version_lines(buf, start + 1, min(len(buf), stop + 8)):
        if p + 5 > stop:
            break
        if buf[p - 1] == 10:                      # "\n"
            return p
    return -1


def _glued_header(buf, start: int, stop: int) -> int:
    """Index of a WARC header that does not parse and whose version line is not at a line start
    (the end of the record before it, separator included, overwritten), or -1. Its `WARC-` fields
    tell it from a body that quotes a version line."""
    for p in version_lines(buf, start, stop):
        head = bytes(buf[p:p + 4096])
        end = header_end(head)
        if len(_WARC_FIELD.findall(head, 0, end if end > 0 else len(head))) >= 2:
            return p
    return -1


def inner_record(buf, h: int, e: int) -> int:
    """Index of a valid WARC header right after a record separator inside buf[h:e], or -1: a
    wrong length that lands by chance on a separator further on (the end of the next header
    or HTTP head) would make this record swallow the next. (`buf`: bytes, a bytearray or an mmap.)"""
    for p in version_lines(buf, h + 1, e):
        if bytes(buf[max(h, p - 4):p]).endswith((b"\n\n", b"\n\r\n")) and \
                find_header(buf, p - 1, min(e, p + 16)) == p:
            return p
    return -1


def ends_with_records(buf, h: int, e: int) -> bool:
    """Does the declared block buf[h:e] end with whole WARC records: a valid header right after a
    separator (`inner_record`), its Content-Length bytes, CR/LF, the next one's header, and so on,
    the last one's block ending at e or a few CR/LF bytes (its separator, its own last line
    breaks) before or after it? What a length that runs over the next records leaves, for a
    reader that frames by Content-Length and skips line breaks between records (FastWARC, in
    `pipeline.readers.warc`). Narrower than `inner_record`, which this scanner applies to every
    block: a page that quotes a WARC header after a blank line is not questioned on that fast
    path. (buf[e:] may hold the bytes after the block, or nothing: unseen bytes pass.)"""
    p = inner_record(buf, h, e)
    for _ in range(64):
        if p < 0:
            return False
        q = header_end(buf, p, min(e, p + MAX_HEADER))
        length = content_length(parse_headers(bytes(buf[p:q]))) if q > 0 else None
        if length is None:
            return False
        end = q + length
        if abs(end - e) <= 4 and not bytes(buf[min(end, e):max(end, e)]).strip(b"\r\n"):
            return True
        if end > e:
            return False
        tail = bytes(buf[end:min(e, end + 8)])
        s = end + len(tail) - len(tail.lstrip(b"\r\n"))
        p = s if s - end <= 4 and find_header(buf, s - 1, min(e, s + 16)) == s else -1
    return False


def member_begins_record(buf, p: int) -> bool:
    """Does the gzip member at buf[p] inflate to a WARC header's start?"""
    try:
        return zlib.decompressobj(31).decompress(bytes(buf[p:p + 4096]), 5).upper() == b"WARC/"
    except zlib.error:
        return False


def is_version(buf, p: int) -> bool:
    """Does a WARC version line (`WARC/`, any case) begin at buf[p]?"""
    return buf[p:p + 5].upper() == b"WARC/"


def starts_record(buf) -> bool:
    """Does buf begin with a whole, valid WARC header (a plain record)?"""
    return find_header(buf, 0, 16) == 0


def find_header(buf, start: int, stop: int) -> int:
    """Index of the first valid WARC header (one with a Content-Length) in buf[start:stop], or -1."""
    for p in version_lines(buf, start, stop):
        if p <= start and start > 0:
            continue
        h = header_end(buf, p, min(len(buf), p + 65536))
        if h > 0 and content_length(parse_headers(bytes(buf[p:h]))) is not None:
            return p
    return -1
