"""ARC files (the Internet Archive's format before WARC, and Common Crawl's 2008-2012 crawls),
framed by hand with the WARC scanner's damage handling.

Why not a library: FastWARC does not read ARC, and warcio stops at the first record it cannot
frame. A record not followed by its newline (Heritrix 1.x wrote such files), a wrong length, or a
length that is no number makes it give up, and every record after that is lost.
An ARC record is one header line (`URL IP-address Archive-date Content-type Archive-length`, or
the ten fields of version 2; URL and content type may hold spaces) followed by `length` bytes,
so framing it is short. The care goes into where a record really ends:
- where declared, when only a newline and then the next header line (or the end) follow;
- where declared too when its newline follows but no header: what comes next is garbage (the
  WARC scanner trusts CRLF CRLF the same way);
- otherwise at the next header line after its own: the length was wrong, and the record is
  kept and flagged `length_mismatch`. In a gzip ARC (one member per record, as Heritrix writes)
  a record that begins a member ends with it when the next member begins a record;
- a header line whose length is no number (or negative) is `malformed_record`, bytes between
  records are `garbage_between_records`, a record the end of the file cuts is
  `truncated_record`; reading goes on at the next header line. Corrupt and cut-off gzip members
  are handled by warc_stream, as for WARC.
The stream bookkeeping (members, raw offsets, oversized records) is the WARC scanner's; records
come out as WARC records for web.py: `filedesc` is warcinfo, `dns:` a text/dns response, an
HTTP capture a response whose HTTP head http.py parses, anything else a resource of its type.
"""
from __future__ import annotations

import re
from typing import BinaryIO, Iterator, NamedTuple

from pipeline.readers.warc_scan import _NEED_MORE, _TOO_BIG, SAMPLE, Scanner, WarcDamage, WarcRecord
from pipeline.readers.warc_stream import CHUNK, gzip_stream, plain_stream

MAX_LINE = 64 << 10             # a header line longer than this is not one
# A line that may be a record's header: a URL with a scheme, later a date of 8-18 digits.
_CANDIDATE = re.compile(rb"(?m)^[A-Za-z][A-Za-z0-9+.\-]{0,31}:[^\n]*? \d{8,18} [^\n]*$")
# A header right after a record's last byte (no newline between them, as Heritrix 1.x wrote):
# it begins mid-line, so only a URL of a scheme crawlers store, with no space in it, counts.
_GLUED = re.compile(rb"(?:https?|ftp|dns|filedesc|whois):[^\s]* [^\n]*? \d{8,18} [^\n]*")
_SCHEME = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]{0,31}:")
V1_FIELDS, V2_FIELDS = 5, 10    # URL ... Archive-length, in versions 1 and 2
# A block that begins as http.parse_http_stream reads a status line (after blank lines, spaces, any case).
_STATUS_LINE = re.compile(rb"[ \t\r\n]*+HTTP/", re.IGNORECASE)


class ArcHeader(NamedTuple):
    url: str
    ip: str
    date: str
    mime: str
    length: int | None          # None: the field is no length (a malformed header)


def parse_header(line: bytes, fields: int) -> ArcHeader | None:
    """The header of a record, or None when `line` is not one. Fields are told by place and
    shape, not by counting spaces, as real ARCs hold spaces in two of them: the URL (first) takes
    whatever is left over on the left, and the content type may hold spaces before its
    parameters (`text/html; charset=iso-8859-1`: each further word a `name=value` or `;`). The
    date is the stamp of 8-18 digits after the IP, the length the last field; version 2's result
    code, checksum, location, offset and filename come between type and length. Of the places
    where the date fits, the URL gets the longest. (warcio splits from the right: a type with a
    space shifts every field, the IP going into the URL.)"""
    parts = line.split()
    if len(parts) < fields or not _SCHEME.match(parts[0]):
        return None
    after = len(parts) - (fields - 4)             # where the fields after the content type begin
    for k in range(len(parts) - fields + 1, 0, -1):   # parts[:k]: the URL
        date, mime = parts[k + 1], parts[k + 2:after]
        if date.isdigit() and 8 <= len(date) <= 18 and all(b"=" in w or not w.strip(b";") for w in mime[1:]):
            break
    else:
        return None
    size = parts[-1]
    length = int(size) if size.isdigit() else None
    return ArcHeader(b" ".join(parts[:k]).decode("utf-8", "replace"), parts[k].decode("latin-1"),
                     date.decode("ascii"), b" ".join(mime).decode("latin-1").lower(), length)


def warc_date(date: str) -> str:
    d = (date + "000000")[:14]                    # 12-digit dates (minutes) are in old files
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"


class ArcScanner(Scanner):
    """The WARC scanner's stream handling with ARC's record grammar."""

    def __init__(self, events, gz: bool, max_record_bytes: int):
        super().__init__(events, gz, max_record_bytes)
        self.fields = V1_FIELDS                   # the version block of `filedesc` says

    def _header(self, line: bytes) -> ArcHeader | None:
        for n in (self.fields, V2_FIELDS if self.fields == V1_FIELDS else V1_FIELDS):
            if (h := parse_header(line, n)) is not None:
                return h
        return None

    def _header_at(self, p: int) -> ArcHeader | None | object:
        """The header whose line begins at buf[p]; _NEED_MORE when the line is not whole yet."""
        e = self.buf.find(b"\n", p, p + MAX_LINE)
        if e < 0:
            return _NEED_MORE if len(self.buf) - p < MAX_LINE and not self.eof else None
        return self._header(bytes(self.buf[p:e]))

    def _next_header(self, start: int, stop: int) -> int:
        """Index of the first header (length or not) in buf[start:stop] that begins a line or
        follows the bytes before it directly, or -1."""
        found = -1
        for m in _CANDIDATE.finditer(self.buf, start, stop):
            if self._header(m.group()) is not None:
                found = m.start()
                break
        for m in _GLUED.finditer(self.buf, start, stop if found < 0 else found):
            if self._header(m.group()) is not None:
                return m.start()
        return found

    def _records(self, final: bool) -> Iterator:
        buf = self.buf
        while True:
            if not self._skip_line_breaks():
                return
            header = self._header_at(0)
            if header is _NEED_MORE and not final:
                return
            if header is None or header is _NEED_MORE:
                q = self._next_header(1, len(buf))
                if not self.in_garbage:
                    yield WarcDamage(self._raw_offset(self.pos0), "garbage_between_records",
                                     "data outside any ARC record", bytes(buf[:4096 if q < 0 else min(q, 4096)]))
                if q < 0 and not final:
                    # Nothing more to read here: keep the last line (a header may begin there).
                    self.in_garbage = True
                    self._drop(max(buf.rfind(b"\n") + 1, len(buf) - MAX_LINE, 0))
                    return
                self._drop(len(buf) if q < 0 else q)
                self.in_garbage = False
                continue
            self.in_garbage = False
            h = buf.index(b"\n") + 1
            if header.length is None:
                yield WarcDamage(self._raw_offset(self.pos0), "malformed_record",
                                 "ARC record length is not a number", bytes(buf[:min(h, 4096)]))
                self._drop(h)
                continue
            end = self._record_end(h, header.length, final)
            if end is _NEED_MORE:
                return
            offset = self._raw_offset(self.pos0)
            if end is _TOO_BIG:
                rec = self._record(offset, header, bytes(buf[h:h + SAMPLE]), truncated=True)
                rest = header.length - (len(buf) - h)
                self._drop(len(buf))
                yield rec, rest
                return
            if end is None:
                yield WarcDamage(offset, "truncated_record", f"ARC record cut off: {header.length} bytes "
                                 f"declared, {len(buf) - h} present", bytes(buf[:4096]))
                self._drop(len(buf))
                return
            stop, body_end, mismatch = end
            body = bytes(buf[h:body_end])
            truncated = len(body) > self.cap
            yield self._record(offset, header, body[:SAMPLE] if truncated else body, truncated, mismatch)
            self._drop(stop)

    def _record_end(self, h: int, length: int, final: bool):
        """(where the next record may begin, where this one's bytes end, length_mismatch), or
        _NEED_MORE, _TOO_BIG, or None (cut off by the end of the file)."""
        buf = self.buf
        e = h + length
        limit = self._member_end()
        if limit is not None:
            if e <= limit and not buf[e:limit].strip(b"\r\n"):
                return limit, e, False
            nxt = self._starts_record(limit, final)
            if nxt is _NEED_MORE:
                return _NEED_MORE
            if nxt:                               # the member is the record
                return limit, limit - _newline_before(buf, h, limit), True
            # The record goes on in the next member (a writer that splits records): as uncompressed.
        if len(buf) > e or (final and len(buf) == e):
            nxt = self._starts_record(e, final)
            if nxt is _NEED_MORE:
                return _NEED_MORE
            if nxt:
                return e, e, False
            q = self._next_header(h, len(buf))
            if (buf[e:e + 1] == b"\n" or buf[e:e + 2] == b"\r\n") and (q < 0 or q > e):
                return e, e, False                # the separator where declared: garbage follows
            if q >= 0:
                return q, q - _newline_before(buf, h, q), True
            if final:
                return len(buf), len(buf) - _newline_before(buf, h, len(buf)), True
            if len(buf) - e < CHUNK:
                return _NEED_MORE                 # look further for the next record
            return e, e, False                    # what follows is garbage, reported next
        q = self._next_header(h, len(buf)) if (final or length > self.cap or len(buf) - h > CHUNK) else -1
        if q >= 0:
            return q, q - _newline_before(buf, h, q), True
        if final:
            return None
        if len(buf) - h > self.cap:
            return _TOO_BIG
        return _NEED_MORE

    def _starts_record(self, p: int, final: bool):
        """Only a separator at buf[p], then a header line or the end? _NEED_MORE: not known yet."""
        buf = self.buf
        k = 0
        while k < 2 and p < len(buf) and buf[p] in b"\r\n":
            p, k = p + 1, k + 1
        if p >= len(buf):
            return True if final else _NEED_MORE
        got = self._header_at(p)
        return got if got is _NEED_MORE else got is not None

    def _record(self, offset: int, hd: ArcHeader, body: bytes, truncated: bool = False,
                mismatch: bool = False) -> WarcRecord:
        scheme = hd.url.split(":", 1)[0].lower()
        if scheme == "filedesc":
            wtype, ctype = "warcinfo", hd.mime
            names = body.split(b"\n", 2)[1:2]     # the version block's second line names the fields
            if names and len(names[0].split()) in (V1_FIELDS, V2_FIELDS):
                self.fields = len(names[0].split())
        elif scheme == "dns":
            wtype, ctype = "response", "text/dns"
        elif scheme in ("http", "https") and _STATUS_LINE.match(body):
            wtype, ctype = "response", "application/http; msgtype=response"
        else:
            wtype, ctype = "resource", hd.mime
        headers = {"warc-type": wtype, "warc-target-uri": hd.url, "warc-date": warc_date(hd.date),
                   "warc-ip-address": hd.ip, "content-type": ctype, "content-length": str(hd.length)}
        rec = WarcRecord(offset, headers, body, hd.length, truncated=truncated, length_mismatch=mismatch)
        rec.by_scanner = True
        return rec


def _newline_before(buf, start: int, p: int) -> int:
    """Length of the record separator just before buf[p] (a newline, or CRLF), not past `start`."""
    if p - 2 >= start and buf[p - 2:p] == b"\r\n":
        return 2
    return 1 if p - 1 >= start and buf[p - 1:p] == b"\n" else 0


def looks_like_arc(head: bytes) -> bool:
    """Does a file that begins with `head` (decompressed) hold ARC records: its `filedesc` record,
    or, in a piece of an ARC without it, a record's header line?"""
    if head.startswith(b"filedesc:"):
        return True
    line = head[:head.find(b"\n")] if b"\n" in head else b""
    return any(parse_header(line, n) is not None for n in (V1_FIELDS, V2_FIELDS))


def iter_arc(f: BinaryIO, gz: bool, max_record_bytes: int, wanted) -> Iterator[WarcRecord | WarcDamage]:
    """Every record and damaged region of an ARC file (`f` at its start), in file order; records
    not `wanted` come with an empty block."""
    scanner = ArcScanner(gzip_stream(f) if gz else plain_stream(f), gz, max_record_bytes)
    for item in scanner.items():
        if isinstance(item, WarcRecord) and not item.truncated and not wanted(item.headers):
            item.block = b""
        yield item
