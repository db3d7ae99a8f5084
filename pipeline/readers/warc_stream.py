"""The bytes under the scanner (warc_scan.py): gzip members decompressed one by one, damage marked.

Hand-written because Python's gzip module (and every WARC library) stops at the first corrupt or
cut-off member; here decompression resyncs at the next gzip magic, looking again from just after
the damaged member's start (a damaged deflate stream runs on into the members after it), and
keeps what a member decompresses to before the damage (in a member of many records, the whole
records before it, as warcio gives them). Junk between members is reported where it begins;
line ends, spaces and NUL padding between or after members are not junk (writers and copies
leave them), and are passed over silently (before the first member they are).

A file may mix the two framings (`cat a.warc.gz b.warc > c.warc.gz`, or a plain file with gzip
members appended): with `plain_records`, bytes after a member that begin (after blanks) with a
whole WARC header are plain records, handed on as `plain` events to the end of the file, unless the
scanner, at a record boundary where a gzip member begins, asks `WarcStream.inflate_at` to inflate
from there. Junk after a member ends at whichever comes first, a gzip member or a whole WARC
header (any case of its version line, as the scanner reads plain bytes): `cat a.warc.gz junk
b.warc`, or a .tar of .warc.gz and .warc files (its member headers are the junk), loses no record
of b.warc. (Not after a damaged member: its compressed bytes are no junk to look into.) Only the
scanner knows where a plain record ends: a gzip magic inside a plain record (a gzip-encoded page)
is no member.
"""
from __future__ import annotations

import re
import zlib
from typing import BinaryIO, Callable, Iterator

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 20
# Bytes between records that are no junk: line ends, spaces, form feeds, NUL padding.
BLANK = b" \t\r\n\x0b\x0c\x00"
# Bytes looked at, at most, to tell whether plain records follow a member (a whole WARC header).
PEEK = 1 << 16
# The end of a WARC version line (`WARC/1.0`, any case: warcio reads `warc/1.0`), led by the
# slash: a regex that ignores case is ~10x slower than one led by a literal; this one ~1.5x.
_VERSION_END = re.compile(rb"/\d\.\d{1,2}\r?\n")


def version_lines(buf, start: int, stop: int) -> Iterator[int]:
    """Indexes of the WARC version lines (`WARC/x.y` and its line end, any case) that lie in
    buf[start:stop], at a line start or not. (`buf`: bytes, a bytearray or an mmap.)"""
    for m in _VERSION_END.finditer(buf, start + 4, stop):
        p = m.start() - 4
        if buf[p:p + 4].upper() == b"WARC":
            yield p


def gzip_stream(raw: BinaryIO, base: int = 0, plain_records: Callable[[bytes], bool] | None = None
                ) -> Iterator[tuple[str, int, bytes]]:
    """Decompress concatenated gzip members. Yields ('data', member_offset, bytes), ('end',
    member_offset, b'') after each member, ('corrupt_gzip' | 'truncated_gzip' |
    'garbage_between_records', offset, detail) on damage, then resumes at the next gzip magic.
    `plain_records(buf)`, given, says whether buf begins with a plain record (a whole WARC
    header): then the file is read on as `plain_stream` from there (see the module docstring)."""
    pos = base              # offset in the raw file of buf[0]
    buf = b""
    eof = False
    resyncing = False       # after a corrupt member, bytes up to the next member are part of it
    junk_at = None          # offset of junk not yet reported, read past without a member in it
    while True:
        if not buf and eof:
            return
        if len(buf) < 3 and not eof:
            more = raw.read(CHUNK)
            eof = not more
            buf += more
            continue
        if not buf.startswith(GZIP_MAGIC):
            if not resyncing and junk_at is None:
                blank = len(buf) - len(buf.lstrip(BLANK)) if pos else 0
                if blank:                         # between members, or padding at the end: no junk
                    # (before the first record, NULs may be all that is left of it: junk)
                    pos += blank
                    buf = buf[blank:]
                    continue
                if plain_records is not None:
                    if len(buf) < PEEK and not eof:
                        more = raw.read(CHUNK)
                        eof = not more
                        buf += more
                        continue
                    if plain_records(buf):
                        yield "plain", pos, buf
                        yield from plain_stream(raw, pos + len(buf))
                        return
            i = buf.find(GZIP_MAGIC, 1)
            in_junk = not resyncing and plain_records is not None
            j = _plain_record_in(buf, len(buf) if i < 0 else i, plain_records) if in_junk else -1
            if j >= 0:                            # plain records end the junk: read on as plain
                at = pos if junk_at is None else junk_at
                yield "garbage_between_records", at, \
                    f"{pos + j - at} bytes that are neither a gzip member nor a WARC record".encode()
                yield "plain", pos + j, buf[j:]
                yield from plain_stream(raw, pos + len(buf))
                return
            if i < 0:
                if eof:
                    if not resyncing and (junk_at is not None or buf.strip(b"\r\n\x00 ")):
                        at = pos if junk_at is None else junk_at
                        yield "garbage_between_records", at, f"{pos + len(buf) - at} trailing bytes are not gzip".encode()
                    return
                # Kept for the next chunk: a magic's first bytes, or a WARC header not whole yet.
                keep = min(len(buf), PEEK) if in_junk else 2
                if junk_at is None and buf[:-keep].strip(b"\r\n\x00 "):
                    junk_at = pos                 # reported where it ends, however long it is
                pos += len(buf) - keep
                buf = buf[-keep:]
                more = raw.read(CHUNK)
                eof = not more
                buf += more
                continue
            if not resyncing:
                at = pos if junk_at is None else junk_at
                yield "garbage_between_records", at, f"{pos + i - at} bytes that are not a gzip member".encode()
            resyncing, junk_at = False, None
            pos += i
            buf = buf[i:]
            continue
        member_start = pos
        resyncing = False
        d = zlib.decompressobj(wbits=31)
        try:
            while True:
                saved = d.copy()
                try:
                    out = d.decompress(buf)
                except zlib.error:
                    # Keep what decompresses before the damage: in a member of many records the
                    # records before it are whole (warcio reads them too). The scanner still drops
                    # the part of a record that the damage cuts.
                    out = _until_error(saved, buf)
                    if out:
                        yield "data", member_start, out
                    raise
                if out:
                    yield "data", member_start, out
                if d.eof:
                    pos += len(buf) - len(d.unused_data)
                    buf = d.unused_data
                    yield "end", member_start, b""
                    break
                pos += len(buf)
                buf = raw.read(CHUNK)
                if not buf:
                    raise _MemberCut
        except (zlib.error, _MemberCut) as e:
            cut = isinstance(e, _MemberCut)
            yield ("truncated_gzip" if cut else "corrupt_gzip"), member_start, \
                b"gzip member cut off by end of file" if cut else str(e).encode()
            resyncing = True
            if pos == member_start:               # skip this member's magic, look for the next one
                pos += 1
                buf = buf[1:]
                continue
            # Found chunks after the member began: a member damaged or cut off runs on into the
            # members after it, so the next one may start in a chunk already read.
            try:
                raw.seek(member_start + 1)
                pos, buf, eof = member_start + 1, b"", False
            except (OSError, ValueError, AttributeError):
                if cut:
                    return


def _plain_record_in(buf: bytes, stop: int, plain_records: Callable[[bytes], bool]) -> int:
    """Index of the first WARC version line in buf[1:stop] that begins a whole plain record, or -1."""
    return next((p for p in version_lines(buf, 1, stop) if plain_records(buf[p:p + PEEK])), -1)


class _MemberCut(Exception):
    """A gzip member still open at the end of the file."""


def _until_error(d, data: bytes, step: int = 4096) -> bytes:
    """What decompressor `d` outputs for `data` before it fails, fed a few KB at a time."""
    out = []
    for i in range(0, len(data), step):
        try:
            out.append(d.decompress(data[i:i + step]))
        except zlib.error:
            break
    return b"".join(out)


def plain_stream(raw: BinaryIO, base: int = 0) -> Iterator[tuple[str, int, bytes]]:
    """The bytes of an uncompressed file as ('plain', raw_offset, bytes) events."""
    pos = base
    while chunk := raw.read(CHUNK):
        yield "plain", pos, chunk
        pos += len(chunk)


class WarcStream:
    """The events of a WARC file that may mix gzip members and plain records, from `base` on:
    `gz`, the file began as gzip (bytes up to the next member are junk unless a plain record
    begins them: `starts_record(buf)`); else plain. The scanner calls `inflate_at(offset)` where
    a gzip member begins at a plain record boundary."""

    def __init__(self, raw: BinaryIO, base: int, gz: bool, starts_record: Callable[[bytes], bool]):
        self.raw, self.starts_record = raw, starts_record
        self._events = gzip_stream(raw, base, starts_record) if gz else plain_stream(raw, base)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[str, int, bytes]:
        return next(self._events)

    def inflate_at(self, offset: int) -> bool:
        """Read on from the gzip member at file offset `offset` (a plain stream read past it);
        False when the file cannot go back there."""
        try:
            self.raw.seek(offset)
        except (OSError, ValueError, AttributeError):
            return False
        self._events = gzip_stream(self.raw, offset, self.starts_record)
        return True
