"""Per-record gzip WARCs (Common Crawl's layout) one member at a time, inflated by libdeflate.

Why not FastWARC here: in such a file nearly all of FastWARC's time is inflating, and libdeflate
(the `deflate` package) inflates a whole member in one call ~1.6x faster than FastWARC does. A
member that is exactly one record is also the easiest framing to check: it inflates with a
matching CRC, and holds a `WARC/1.x` line, plain `Name: value` CRLF lines, a blank line,
Content-Length bytes and CRLF CRLF - nothing more, nothing less. Such records are built here.

Everything else goes to the readers that know it, so nothing here decides about damage:
- a member that inflates cleanly but is not that plain (header lines FastWARC folds or decodes,
  LF-only lines, a Content-Length that disagrees with the member, several records in it, or a
  record over the size cap) is handed to FastWARC alone; if FastWARC frames exactly one whole
  record in it, that record is taken (`record_from_fastwarc`), else this phase stops there;
- a member that does not inflate (corrupt, cut off, garbage after it), or whose end is not found
  within WINDOW bytes, stops this phase: the caller (warc.py) reads on from that member's offset
  with FastWARC and the scanner, as for any file.
Gzip members carry no length, so a member ends where the next gzip magic begins and the bytes
before it inflate to the size stored in their last 4 bytes; a magic inside compressed
data (a few per 10 MB) fails that test and the next one is tried. Blanks between members (a
CRLF after each, NUL padding at the end) are no junk: zlib finds the member's end before them.
"""
from __future__ import annotations

import io
import re
import struct
import zlib
from typing import BinaryIO, Callable, Generator

import deflate
from fastwarc.warc import ArchiveIterator, WarcRecordType

from pipeline.readers.warc_scan import (MAX_HEADER, SAMPLE, WarcRecord, content_length, find_header, header_end,
                                        _version_line, parse_headers, separator_before)
from pipeline.readers.warc_stream import BLANK, GZIP_MAGIC

# Compressed bytes held at once; a member longer than this (or than the size cap) goes to FastWARC.
WINDOW = 32 << 20
# Candidate member ends tried for one member before the phase gives up on it (damage). A body
# that is itself gzip (stored as sent) puts its magic inside the member: one false candidate each.
MAX_TRIES = 16
_SIZE = struct.Struct("<I")             # the gzip trailer's last field: the content's size mod 2^32
# A plain WARC head: the version line, `Name: value` CRLF lines with names FastWARC keeps as they
# are and values of printable characters (UTF-8 beyond ASCII: IRIs), then CRLF.
# FastWARC strips spaces and tabs around values. Possessive: no class holds what follows it (~20% faster).
_HEAD_LINES = rb"(?:[A-Za-z][!-9;-~]{0,78}+:[\t -~\x80-\xff]*+\r\n)*+"
_PLAIN_WARC_HEAD = re.compile(rb"WARC/(?:1\.[01]|0\.1[78])\r\n(" + _HEAD_LINES + rb")\r\n")
# The same match, its group with the version line's CRLF: every name then follows a CRLF, and
# the first line of a name is one find of CRLF, name and colon in the lower-cased head.
PLAIN_WARC_HEAD_CRLF = re.compile(rb"WARC/(?:1\.[01]|0\.1[78])(\r\n" + _HEAD_LINES + rb")\r\n")
_GZIP_MAGIC = re.compile(re.escape(GZIP_MAGIC))       # re finds it ~2x faster than bytes.find


class BlockReader:
    """A record's block inside its inflated member (libdeflate's bytearray), read the way warc.py
    reads FastWARC's record reader (readline, read, consume); each part read is one copy, as bytes."""
    __slots__ = ("buf", "view", "pos", "end")

    def __init__(self, buf: bytearray, pos: int, end: int):
        self.buf, self.view, self.pos, self.end = buf, memoryview(buf), pos, end

    def readline(self, limit: int = -1) -> bytes:
        i = self.buf.find(b"\n", self.pos, self.end)
        stop = self.end if i < 0 else i + 1
        if 0 <= limit < stop - self.pos:
            stop = self.pos + limit
        line, self.pos = bytes(self.view[self.pos:stop]), stop
        return line

    def read(self, n: int = -1) -> bytes:
        stop = self.end if n < 0 else min(self.end, self.pos + n)
        out, self.pos = bytes(self.view[self.pos:stop]), stop
        return out

    def consume(self) -> int:
        n, self.pos = self.end - self.pos, self.end
        return n

    def take(self, start: int) -> bytearray:
        """The block from `start` on, cut out of the member where it lies (bytearray deletes at
        its front in O(1)): the page without the one copy `read` makes. The reader is used up."""
        self.view.release()
        del self.buf[self.end:]
        del self.buf[:start]
        self.pos = self.end
        return self.buf


RecordFn = Callable[[int, dict, int, object], "WarcRecord | None"]
TakeFn = Callable[[object], "WarcRecord | None"]
FastFn = Callable[[bytearray, int], "tuple | list | None"]


def member_phase(f: BinaryIO, max_record_bytes: int, types: frozenset[str] | None, record: RecordFn,
                 take: TakeFn, fast: FastFn | None = None) -> Generator[WarcRecord, None, int | None]:
    """Yield the records of `f` (a gzip WARC, read from its start) while its members are one
    whole record each; return the offset where the caller must read on, or None at a clean end.
    warc.py's rules build the records: `record(offset, headers, length, reader)` from a plain
    member's block, `take(fastwarc_record)` from a record FastWARC framed. A plain record whose
    WARC-Type is not in `types` is built here with only the headers that frame it.
    `fast(content, offset)`, given, sees each inflated member first: None leaves the member to
    the rules above (the member unchanged), else what it returns is yielded instead of a record."""
    buf, base, eof = b"", 0, False       # buf[0] is at file offset `base`
    a = 0                                # start of the current member in buf
    cap = max_record_bytes + MAX_HEADER
    need_more = False
    while True:
        if not eof and (need_more or len(buf) - a < WINDOW // 2):
            if len(buf) - a >= WINDOW:
                return base + a                    # a member longer than the window
            more = f.read(WINDOW // 2)
            eof, need_more = not more, False
            buf, base, a = buf[a:] + more, base + a, 0
            continue
        if a == len(buf):
            return None
        if not buf.startswith(GZIP_MAGIC, a):
            return base + a
        got = _next_member(buf, a, eof, cap)
        if got is _MORE:
            need_more = True
            continue
        if got is None:
            return base + a
        c, content = got
        if fast is not None and (out := fast(content, base + a)) is not None:
            yield from out
            a = c
            continue
        rec = _plain_record(content, base + a, record, types) or \
            record_from_fastwarc(buf[a:c], content, base + a, take)
        if rec is None and _next_begins_record(buf, c, eof):
            rec = _record_cut_by_member(content, base + a, types, max_record_bytes)
        if rec is None:
            return base + a
        yield rec
        a = c


def _next_begins_record(buf: bytes, c: int, eof: bool) -> bool | None:
    """Does the gzip member at buf[c] begin a WARC record (True at the end of the file)? None
    when buf does not hold enough of it to say."""
    if c >= len(buf):
        return True if eof else None
    if not buf.startswith(GZIP_MAGIC, c):
        return False
    try:
        head = zlib.decompressobj(31).decompress(buf[c:c + 1024], 5)
    except zlib.error:
        return False
    return head.upper() == b"WARC/" if len(head) == 5 or eof or c + 1024 <= len(buf) else None


def _record_cut_by_member(content: bytearray, offset: int, types: frozenset[str] | None,
                          max_record_bytes: int) -> WarcRecord | None:
    """The record of a member that holds one plain WARC header and less than its Content-Length,
    when the next member begins a record: it ends with its member, kept and flagged
    `length_mismatch`, as the scanner decides for per-record gzip. FastWARC would read on into
    the next member and swallow the records there. None for any other member."""
    m = _PLAIN_WARC_HEAD.match(content)
    if m is None:
        return None
    headers = parse_headers(bytes(content[:m.end()]))
    length = content_length(headers)
    if length is None or m.end() + length <= len(content) or find_header(content, m.end(), len(content)) >= 0 \
            or _version_line(content, m.end(), len(content)) >= 0:
        return None     # another record in the member, perhaps with a broken header: the scanner counts it
    end = len(content) - separator_before(bytes(content[max(m.end(), len(content) - 4):]))
    body = bytes(content[m.end():end])
    if types is not None and headers.get("warc-type", "").lower() not in types:
        body = b""
    truncated = len(body) > max_record_bytes
    return WarcRecord(offset, headers, body[:SAMPLE] if truncated else body, length, truncated=truncated,
                      length_mismatch=True)


_MORE = object()


def _next_member(buf: bytes, a: int, eof: bool, cap: int):
    """(end, inflated content) of the member at buf[a]; _MORE when its end may lie past buf;
    None when no end is found (damage, or a member over `cap`)."""
    view = memoryview(buf)
    c, tries, skipped = a, 0, False
    while tries < MAX_TRIES:
        found = _GZIP_MAGIC.search(buf, c + 18)    # 18 bytes: the smallest gzip member
        c = found.start() if found else -1
        if c < 0:
            if not eof:
                return _MORE
            c = len(buf)
        size = _SIZE.unpack_from(buf, c - 4)[0] if c - a >= 18 else cap + 1   # shorter: no member
        content = None
        if size <= cap:
            tries += 1
            try:
                content = deflate.gzip_decompress(view[a:c])
            except (deflate.DeflateError, ValueError):    # ValueError: "Invalid gzip data" (too short)
                content = None
            # libdeflate checks the CRC and size of the stream's own trailer but ignores bytes
            # after it, so the size in the last 4 bytes before `c` must be the inflated size:
            # then nothing follows the member. Garbage whose last 4 bytes spell the size exactly
            # does not occur: text has no NUL byte (any size under 16 MB has one), zero padding
            # spells 0 (no record is empty; libdeflate then gives b"": it sizes its output by
            # those 4 bytes), and binary junk matches by chance 1 in 2^32.
            if content is not None and len(content) == size and size:
                # Past a magic that was no end (junk after this member, or a magic inside its
                # compressed data), a later member's size matches by chance whenever its record
                # is as long as this one (requests, revisits; a copy of this member): the members
                # between would be this one's trailing bytes, lost uncounted. zlib says where
                # this member really ends.
                if skipped and not _ends_at(view[a:c]):
                    return None
                return c, content
        if c - a >= 18 and buf[c - 1] in BLANK:
            tries += 1
            content = _before_blanks(view[a:c], cap)
            if content is not None:
                return c, content
        skipped = True
        if c == len(buf):
            return None
    return None


def _before_blanks(member, cap: int) -> bytearray | None:
    """The content of a gzip member followed by blanks only (a line end, NUL padding: no junk,
    see warc_stream), else None. zlib says where the member ends."""
    d = zlib.decompressobj(31)
    try:
        content = d.decompress(member, cap + 1)
    except zlib.error:
        return None
    if not d.eof or d.unused_data.strip(BLANK):
        return None
    return bytearray(content)


def _ends_at(member) -> bool:
    """Does this gzip member end exactly at the end of `member` (inflated by zlib, dropped)?"""
    d = zlib.decompressobj(31)
    try:
        d.decompress(member)
    except zlib.error:
        return False
    return d.eof and not d.unused_data


def _plain_record(content: bytes, offset: int, record: RecordFn, types: frozenset[str] | None
                  ) -> WarcRecord | None:
    """The record of a member that is exactly one plain record, or None."""
    m = _PLAIN_WARC_HEAD.match(content)
    if m is None:
        return None
    start = m.end()
    if types is not None and (skipped := _skipped(m.group(1), types)) is not None:
        # A record the reader only counts (requests, metadata, revisits: most records of a
        # crawl): its type and length, not a dict of every header (a third of its cost).
        wtype, length = skipped
        if len(content) != start + length + 4 or not content.endswith(b"\r\n\r\n"):
            return None
        return WarcRecord(offset, {"warc-type": wtype, "content-length": str(length)}, b"", length)
    try:
        lines = m.group(1).decode("utf-8").split("\r\n")[:-1]
    except UnicodeDecodeError:                    # FastWARC's lossy decoding applies
        return None
    headers = {}
    for line in reversed(lines):                  # the first of a name wins
        name, _, value = line.partition(":")
        headers[name.lower()] = value.strip(" \t")
    try:
        length = int(headers["content-length"])
    except (KeyError, ValueError):
        return None
    if len(content) != start + length + 4 or not content.endswith(b"\r\n\r\n") or "warc-type" not in headers:
        return None
    return record(offset, headers, length, BlockReader(content, start, start + length))


def _skipped(lines: bytes, types: frozenset[str]) -> tuple[str, int] | None:
    """(WARC-Type, Content-Length) of a plain ASCII head whose type is not in `types`; None when
    the record is wanted or its head is anything else (then the full path decides)."""
    if not lines.isascii():
        return None
    low = None
    if lines.startswith(b"WARC-Type:"):           # where writers put it: the first line, the first of its name
        wtype = lines[10:lines.index(b"\r\n")].strip(b" \t")
    else:
        low = lines.lower()
        wtype = _first(lines, low, b"warc-type:")
    if wtype is None or (wtype := wtype.decode("ascii")).lower() in types:
        return None
    length = _first(lines, lines.lower() if low is None else low, b"content-length:")
    if length is None or not length.isdigit():
        return None
    return wtype, int(length)


def _first(lines: bytes, low: bytes, name: bytes) -> bytes | None:
    """The value of the first line of `lines` (CRLF-terminated header lines) whose lower-cased
    name is `name` (with its colon), stripped as the full path strips it; None without one."""
    if low.startswith(name):
        i = len(name)
    else:
        i = low.find(b"\r\n" + name)
        if i < 0:
            return None
        i += 2 + len(name)
    return lines[i:lines.index(b"\r\n", i)].strip(b" \t")


def field(head: bytes, low: bytes, key: bytes) -> bytes | None:
    """`_first` on a head from PLAIN_WARC_HEAD_CRLF (`low` lower-cased), `key` CRLF, the
    lower-cased name and its colon: one find, no prefix test and no key built a call."""
    i = low.find(key)
    if i < 0:
        return None
    i += len(key)
    return head[i:head.index(b"\r\n", i)].strip(b" \t")


def record_from_fastwarc(member: bytes, content: bytes, offset: int, take: TakeFn) -> WarcRecord | None:
    """The one record FastWARC frames in a whole gzip member (inflated: `content`) that holds
    its header, exactly Content-Length bytes and CRLF CRLF, checked as warc.py checks every
    FastWARC record (`take`); None for anything else."""
    out = None
    try:
        for r in ArchiveIterator(io.BytesIO(member), parse_http=False):
            if out is not None or r.record_type == WarcRecordType.unknown:
                return None
            h = header_end(content, 0, MAX_HEADER)
            if h <= 0 or len(content) != h + r.content_length + 4 or not content.endswith(b"\r\n\r\n"):
                return None
            out = take(r)
            if out is None:
                return None
            out.offset = offset                   # FastWARC counts from the member's start
    except OSError:
        return None
    return out
