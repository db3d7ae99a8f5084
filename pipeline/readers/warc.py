"""WARC record framing: libdeflate and FastWARC for speed, our own scanner wherever the file is damaged.

A gzip WARC is first read member by member (`warc_members`): libdeflate inflates each member; a
member that is exactly one plain record (WARC 1.0, 1.1, or the 0.17/0.18 drafts Heritrix wrote)
is taken as it is, any other member is framed by FastWARC alone. At the first member that does
not inflate cleanly, reading goes on from that member with FastWARC and the scanner as below, as
for an uncompressed file.

FastWARC's `ArchiveIterator` (Rust, strict mode) frames the records. FastWARC stops with
an error at damage (corrupt or truncated gzip member, bytes between records, a header that is not
where the previous record's Content-Length says), but by then it may have handed out one bad
record: the one whose wrong Content-Length made it read into its neighbour. So a record is passed
on only once the NEXT record has been framed cleanly, and a record whose block is shorter than its
Content-Length is never passed on. FastWARC in strict mode also reads LF-only WARC headers as
header-less records of unknown type, silently; such a record counts as damage too. At each sign
of damage, and for the last record of a file unless it is plainly all that is left of the file
(`_ends_file`), reading goes on with our scanner from the start of the last unconfirmed record; once the scanner has read past the damage, FastWARC takes over
again at the first intact record that begins a gzip member (or, uncompressed, at its first byte),
so one bad member does not put the rest of a large file on the slow path. (A file whose every
header FastWARC rejects stays with the scanner after MAX_IDLE_RESTARTS fruitless restarts.)

FastWARC's stream_pos is a record's offset only where the record begins its gzip member: with
several records to a member it may point inside the member or past it. So the scanner resumes
at a stream_pos only once that record's header is seen there (`_starts_at`), and where
stream_pos repeats (records sharing a member, a whole-file gzip) the scanner, which knows the
members, reads the rest of the file from the top of the run, skipping the records already passed
on (a record is passed on only once the next has a greater stream_pos: none with a wrong offset).
A FastWARC record whose header lacks Content-Length, holds mandatory names twice or a damaged line
as a name, is damage for the scanner too.

A file may mix gzip members and plain records (`cat a.warc.gz b.warc`): FastWARC tells the
compression where it starts, and stops where it changes; the scanner reads on across the change
(`warc_stream.WarcStream`), and FastWARC takes over again at the next record start.

A Content-Length that runs over the whole next record (or several), ending in or right at the
CRLF CRLF after it, gives FastWARC no error: it frames by length and skips any CR/LF before a
header, so the next record would come out inside this one's block, uncounted. The scanner looks
for a record inside every block; here that would be a search through every page (about twice
FastWARC's whole reading of an uncompressed file), so a block is looked into only where its end
is in doubt, and one that ends with whole records (`warc_scan.ends_with_records`) is damage, for
the scanner to read (it ends the record at the first one inside, or with its member, flagged
`length_mismatch`, and reads the others):
- uncompressed local files (mapped): when this file's usual separator (CRLF CRLF; node-warc
  writes one CRLF) does not follow the block where declared - two 4-byte reads a record;
- gzip, where a stream_pos may not be a record start, and any file not on local disk: when the
  block ends in CR or CRLF, as it does when its length ends in the swallowed record's CRLF CRLF
  (blocks that do not end so, most pages, cost nothing);
- gzip, one record a member: also when the member before the next record is too small for this
  record (its stored size): the block ran into a later member; the scanner ends it with its own
  when the next one begins a record (a writer that splits records across members: read on).
Limit: uncompressed or several records to a member, a length that ends exactly at the swallowed
record's block end (its separator then where this record's belongs) looks regular and is read as
declared, the records inside with it, as warcio reads it; with several records to a member, so
is one that ends just before the swallowed block's own last line break.

The scanner, and how it decides where a damaged record ends, is `pipeline.readers.warc_scan`;
the gzip decompression under it, which resyncs after a damaged member, `warc_stream`. ARC files
(a `filedesc:` record or another ARC header line first) go to `pipeline.readers.arc`, the same
scanner with ARC's grammar.
"""
from __future__ import annotations

import contextlib
import functools
import io
import mmap
import os
import re
import struct
import zlib
from typing import BinaryIO, Collection, Iterator

import fsspec
from fastwarc.warc import ArchiveIterator, WarcRecordType

from pipeline.readers.arc import iter_arc, looks_like_arc
from pipeline.readers.decompress import sniff_codec
from pipeline.readers.guarded import local_path
from pipeline.readers.http import NOT_HTTP, HttpResponse, parse_http_stream, parse_plain_response
from pipeline.readers.warc_members import BlockReader, member_phase
from pipeline.readers.warc_scan import (MAX_HEADER, SAMPLE, Scanner, WarcDamage, WarcRecord, parse_headers,
                                        ends_with_records, find_header, header_end, header_text, starts_record)
from pipeline.readers.warc_stream import CHUNK, GZIP_MAGIC, WarcStream
from pipeline.readers.warc_zstd import FrameTable, WarcZstdStream

__all__ = ["WarcRecord", "WarcDamage", "iter_warc", "open_warc"]
# After this many FastWARC restarts in a row that pass on no record (a file whose every header
# FastWARC rejects), the scanner reads the rest of the file.
MAX_IDLE_RESTARTS = 2
# The last record of a file is checked by hand (see _ends_file) when its stored size is below this.
LAST_RECORD_CHECK = 16 << 20


def _local(path: str) -> str | None:
    """The OS path of a local file that is not zstd (opened without fsspec's overhead)."""
    local = local_path(path)
    return None if local is None or _zstd(path) else local


# Compressions WARC tools do not write, said by name instead of read as "data outside any record".
_UNSUPPORTED = {"bz2": "bzip2", "xz": "xz"}


def _zstd(path: str) -> bool:
    """Is the file zstd, by its first bytes (a frame, or a skippable frame: the WARC-zstd
    dictionary)? A name says it only when the bytes say neither gzip nor a WARC record: a gzip
    WARC named .warc.zst and a zstd one named .warc.gz are read as what they are. (Asked a few
    times a file: looked at once per version of a local file, once per remote path.)"""
    if "://" in path and not path.startswith("file://"):
        return _zstd_head(path, None)
    try:
        st = os.stat(path.removeprefix("file://"))
    except OSError:
        return path.endswith(".zst")
    return _zstd_head(path, (st.st_size, st.st_mtime_ns))


@functools.lru_cache(maxsize=4096)
def _zstd_head(path: str, version) -> bool:
    try:
        with (open(path.removeprefix("file://"), "rb") if "://" not in path or path.startswith("file://")
              else fsspec.open(path, "rb").open()) as f:
            head = f.read(4)
    except (OSError, ValueError):
        return path.endswith(".zst")
    if sniff_codec(head) == "zstd":            # a frame, or a skippable one (the dictionary)
        return True
    return path.endswith(".zst") and not (head.startswith(GZIP_MAGIC[:2]) or head[:4].upper() == b"WARC")


def open_warc(path: str, frames: FrameTable | None = None):
    """A binary file of `path`: a local path, an fsspec URL, or `zip://member::archive`, a WARC
    inside a WACZ or zip (opened here: fsspec's chained zip file closes the archive under it).
    A zstd file comes decompressed; `frames` then learns where its frames begin."""
    local = _local(path)
    if local is not None:
        return open(local, "rb")
    if path.startswith(ZIP_PREFIX) and "::" in path:
        import zipfile
        member, archive = path[len(ZIP_PREFIX):].split("::", 1)
        raw = zipfile.ZipFile(open_warc(archive)).open(member)      # seekable; holds the archive open
        # The zip's CRC covers the whole member and fails only at its end, after every record was
        # read, as an exception that lost them all: the WARC's own framing (gzip CRC per member,
        # record lengths) finds the damaged records and keeps the rest.
        if hasattr(raw, "_expected_crc"):
            raw._expected_crc = None
    else:
        raw = fsspec.open(path, "rb").open()
    if _zstd(path):
        return io.BufferedReader(WarcZstdStream(raw, path, frames), 1 << 16)
    return raw


def iter_warc(path: str, max_record_bytes: int,
              types: Collection[str] | None = None, fast=None) -> Iterator[WarcRecord | WarcDamage]:
    """Every record and every damaged region of one WARC file, in file order. Records whose
    WARC-Type (lower-cased) is not in `types` (None: all are wanted) come with an empty block:
    they are framed and checked, not copied; on the per-member fast path their headers hold only
    `warc-type` and `content-length` (all a reader needs to count them). `fast`: a reader's own
    handling of whole plain gzip members (warc_members.member_phase); what it returns for the
    members it takes comes in their place.

    Offsets are where a reader can seek to read the record back, as a CDX index gives them: the
    record's own (uncompressed), else the gzip member (or zstd frame) in which the record
    begins. Several records that begin in one member (a whole-file gzip) share its offset; their
    `index` tells them apart (0 for the first record read from the member, 1 for the next, ...)."""
    frames = FrameTable() if _zstd(path) else None
    last, index = None, 0
    for item in _iter_warc(path, max_record_bytes, types, fast, frames):
        if frames is not None and isinstance(item, (WarcRecord, WarcDamage)):
            item.offset = frames.file_offset(item.offset)     # readers count decompressed bytes
        if isinstance(item, WarcRecord):
            index = index + 1 if item.offset == last else 0
            last, item.index = item.offset, index
        yield item


def _iter_warc(path: str, max_record_bytes: int, types, fast, frames) -> Iterator[WarcRecord | WarcDamage]:
    def wanted(h: dict[str, str]) -> bool:
        return types is None or (h.get("warc-type") or "").lower() in types
    with open_warc(path) as f:
        head = f.read(1 << 16)
    if head.startswith(ZIP_MAGIC):
        yield from _iter_zip(path, max_record_bytes, types, fast)
        return
    if name := _UNSUPPORTED.get(sniff_codec(head)):
        yield WarcDamage(0, "unsupported_compression", f"{path}: a {name}-compressed file; WARC files are "
                         f"read uncompressed, gzip or zstd (recompress it: {name} -dc FILE | gzip)", head[:64])
        return
    # Gzip also when junk comes before the first member: a member starts before any WARC header
    # (with neither in the first 64 KB, the name says).
    first_member = head.find(GZIP_MAGIC)
    gz = first_member == 0 or (first_member > 0 and find_header(head, 0, first_member) < 0) or \
        (first_member < 0 and path.removesuffix(".zst").endswith(".gz") and find_header(head, 0, len(head)) < 0)
    try:
        start = zlib.decompressobj(31).decompress(head, 4096) if gz else head
    except zlib.error:
        start = b""                               # a corrupt first member: the scanner will say so
    if looks_like_arc(start):
        with open_warc(path) as f:
            yield from iter_arc(f, gz, max_record_bytes, wanted)
        return
    local = _local(path)
    start, idle = 0, 0
    if gz:
        with open_warc(path) as f:
            start = yield from member_phase(
                f, max_record_bytes, None if types is None else frozenset(types),
                lambda offset, headers, length, reader: _record(offset, headers, length, reader, max_record_bytes,
                                                                wanted),
                lambda r: _take(r, max_record_bytes, wanted), fast)
        if start is None:
            return
    while True:
        # A file may mix gzip members and plain records: FastWARC's checks follow what is at `start`.
        here = gz if not start or frames is not None else _gzip_at(path, start)
        resume, emitted, shared = yield from _fast_phase(path, local, start, max_record_bytes, wanted, here,
                                                         frames)
        if resume is None:
            return
        # FastWARC again after the damage, unless restarting it keeps finding nothing to read, or
        # records share gzip members (FastWARC gives no member offsets then: the scanner does).
        idle = 0 if emitted else idle + 1
        start = yield from _scan_phase(path, gz, resume, max_record_bytes, wanted, frames,
                                       restart_after=max(start, resume[0]) if idle < MAX_IDLE_RESTARTS
                                       and not shared else None)
        if start is None:
            return


def _gzip_at(path: str, offset: int) -> bool:
    """Does a gzip member begin at `offset`?"""
    with open_warc(path) as f:
        _skip_to(f, offset)
        return f.read(3) == GZIP_MAGIC


ZIP_MAGIC, ZIP_PREFIX = b"PK\x03\x04", "zip://"
_ARCHIVE_MEMBER = re.compile(r"\.(?:warc|arc)(?:\.gz|\.zst)?$", re.I)


def _iter_zip(path: str, max_record_bytes: int, types, fast) -> Iterator[WarcRecord | WarcDamage]:
    """A WACZ (Browsertrix, ArchiveWeb.page: a zip whose `archive/` holds the WARCs, stored or
    deflated, beside its indexes and page lists) or another zip of WARCs: each WARC member is read
    as a file of its own through fsspec's zip filesystem (offsets are within the member); the
    indexes and metadata are not records."""
    import zipfile
    try:
        with open_warc(path) as f:
            names = [i.filename for i in zipfile.ZipFile(f).infolist()
                     if not i.is_dir() and _ARCHIVE_MEMBER.search(i.filename)]
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        # The member list is at a zip's end: a zip cut short (a download stopped) lists nothing.
        why = " (truncated? a zip lists its members at its end)" if "not a zip file" in str(e) else ""
        yield WarcDamage(0, "corrupt_archive", f"zip archive unreadable{why}: {type(e).__name__}: {e}")
        return
    if not names:
        yield WarcDamage(0, "not_a_warc", "zip archive without a WARC or ARC member")
    for name in sorted(names):
        yield from iter_warc(f"{ZIP_PREFIX}{name}::{path}", max_record_bytes, types, fast)


def _fast_phase(path: str, local: str | None, start: int, max_record_bytes: int, wanted, gz: bool = False,
                frames: FrameTable | None = None):
    """FastWARC from `start` (a record start) on; yields the records it confirms and returns
    (where the scanner must take over, records to skip there) or None at a clean end, how
    many records it passed on, and whether it stopped at records sharing a gzip member."""
    resume: tuple[int, int] | None = None     # (offset to rescan from, records to skip there)
    resume_id: tuple | None = None            # (WARC-Record-ID, Target-URI) of the record said to start there
    pending: WarcRecord | None = None
    emitted, shared, last_pos = 0, False, -1
    if local and not start:
        f = contextlib.nullcontext()              # FastWARC's own I/O (faster than calls back into Python)
    else:
        f = open_warc(path, frames)
        _skip_to(f, start)
    # The file's bytes at FastWARC's offsets, to check where each record ends (_RecordEnds); where
    # there are none (a stream), or offsets may not be record starts (gzip), the blocks' ends are.
    raw = _map(local)
    ends = _RecordEnds(raw, gz) if raw is not None else None
    inspect = gz or raw is None
    with f, _closing(raw):
        it = iter(ArchiveIterator(local if local and not start else f, parse_http=False, fsspec_args=False))
        while True:
            try:
                r = next(it)
            except StopIteration:
                # A last record that is exactly the rest of the file needs no second look.
                if pending is not None and _ends_file(local, pending):
                    yield pending
                    return None, emitted + 1, False
                resume = (pending.offset, 0) if pending else (start, 0)
                resume_id = _header_key(pending.headers) if pending else None
                break
            except OSError:
                resume = (pending.offset, 0) if pending else (start, 0)
                resume_id = _header_key(pending.headers) if pending else None
                break
            if r.stream_pos <= last_pos:
                # Several records to a gzip member: offsets repeat, and the one of a record that
                # does not begin its member (the pending one, at least) is no offset of it.
                shared = True
                break
            last_pos = r.stream_pos
            if pending is not None:
                if ends is not None and ends.swallows(pending, r.stream_pos):
                    resume = (pending.offset, 0)      # its length runs over the next record(s)
                    resume_id = _header_key(pending.headers)
                    break
                yield pending
                emitted += 1
                pending = None
            if r.record_type == WarcRecordType.unknown:
                resume = (r.stream_pos, 0)        # headers FastWARC could not read (LF-only lines)
                resume_id = _record_id(r)
                break
            try:
                pending = _take(r, max_record_bytes, wanted, inspect)
            except OSError:
                pending = None
            if pending is None:
                resume = (r.stream_pos, 0)
                resume_id = _record_id(r)
                break
    # A record's stream_pos is where FastWARC's reading of the raw file was when the record began:
    # the record's gzip member only when the record begins its member. Elsewhere (a member holding
    # several records) it may be inside a member, past its end or at the next one, so the scanner
    # starts there only once the record is seen to start there; else it rereads from `start`.
    if shared or (resume[0] != start and not _starts_at(path, resume[0], resume_id, gz)):
        resume = (start, emitted)
    return resume, emitted, shared


def _record_id(r) -> tuple[str | None, str | None]:
    """A FastWARC record's WARC-Record-ID and Target-URI, also from headers it could not split
    (LF-only lines). Both, because ids repeat in real files (wget 1.14 gave its two metadata
    resources one id): an id alone took the next record for the one FastWARC could not read."""
    text = "\n".join(f"{k}: {v}" for k, v in r.headers.items())

    def field(name: str) -> str | None:
        value = r.headers.get(name)
        if value and "\ufffd" in value and (raw := r.headers.get_bytes(name.encode())) is not None:
            value = header_text(raw)              # as _take and the scanner decode it
        if value:
            return value.strip()
        m = re.search(rf"(?im)^{name}:[ \t]*(\S+)", text)
        return m.group(1) if m else None
    return field("WARC-Record-ID"), field("WARC-Target-URI")


def _map(local: str | None):
    """The local file, memory-mapped (read only), or None (not local, or not mappable)."""
    if local is None:
        return None
    try:
        with open(local, "rb") as f:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):                 # an empty file, a pipe
        return None


@contextlib.contextmanager
def _closing(raw):
    try:
        yield raw
    finally:
        if raw is not None:
            with contextlib.suppress(BufferError):    # a view still held: the collector closes it
                raw.close()


_CRLF2 = b"\r\n\r\n"
_ISIZE = struct.Struct("<I")


class _RecordEnds:
    """Where a record FastWARC framed in a local file ends, checked against the mapped file `raw`
    at the next record's offset `nxt` (a record start; gzip: one record a member)."""

    def __init__(self, raw, gz: bool):
        self.raw, self.gz = raw, gz
        self.sep = _CRLF2                         # this file's separator (node-warc writes one CRLF)

    def swallows(self, rec: WarcRecord, nxt: int) -> bool:
        """Does `rec`'s declared block run over whole records up to `nxt`? Uncompressed: looked
        for in the block only when the block is not followed by this file's usual separator
        where declared. Gzip: when the member before `nxt` is too short to hold `rec`'s header
        and block (its size, mod 2^32, ends it): the block ran into a later member, damage for
        the scanner to decide (it ends a record with its member when the next begins a record)."""
        raw, length = self.raw, rec.length
        if nxt > len(raw):
            return False
        if self.gz:
            if nxt - 4 < rec.offset + 18 or length + MAX_HEADER >= 1 << 32 or raw[nxt:nxt + 3] != GZIP_MAGIC:
                return False
            return _ISIZE.unpack_from(raw, nxt - 4)[0] < length + 16
        sep = self.sep
        h = nxt - len(sep) - length
        if h - 4 >= rec.offset and raw[nxt - len(sep):nxt] == sep and raw[h - 4:h] == _CRLF2:
            return False                          # the header ends, and the separator follows, as declared
        h = header_end(raw, rec.offset, min(nxt, rec.offset + MAX_HEADER))
        if h <= 0 or h + length > nxt:
            return False
        if ends_with_records(raw, h, h + length):
            return True
        gap = raw[h + length:nxt]
        if gap in (_CRLF2, b"\r\n"):
            self.sep = gap                        # a writer's own separator: the usual one from here
        return False


def _holds_next(block) -> bool:
    """Does a block FastWARC read end as a length that runs over the next record(s) leaves it: in
    part or all of their CRLF CRLF (a whole WARC record inside, `ends_with_records`)?"""
    return block.endswith((b"\r\n", b"\r")) and ends_with_records(block, 0, len(block))


def _header_key(headers: dict) -> tuple[str | None, str | None]:
    """(WARC-Record-ID, Target-URI) of one of our parsed records (lower-case names)."""
    rid, uri = headers.get("warc-record-id"), headers.get("warc-target-uri")
    return (rid.strip() if rid else None), (uri.strip() if uri else None)


def _starts_at(path: str, offset: int, key: tuple | None, gz: bool) -> bool:
    """Does the record with this (WARC-Record-ID, Target-URI) begin at `offset` (its gzip member's
    start, or its own when uncompressed)? In a gzip file, a plain copy of its header there (junk
    that is a piece of it) is no start."""
    rid, uri = key or (None, None)
    if not rid:
        return False
    with open_warc(path) as f:
        _skip_to(f, offset)
        raw = f.read(1 << 16)
    if gz != raw.startswith(GZIP_MAGIC):
        return False
    if gz:
        try:
            raw = zlib.decompressobj(31).decompress(raw, MAX_HEADER)
        except zlib.error:
            return False
    h = header_end(raw, 0)
    headers = parse_headers(raw[:h]) if h > 0 else None
    return bool(headers) and _header_key(headers) == (rid.strip(), uri)


def _ends_file(local: str | None, rec: WarcRecord) -> bool:
    """Is `rec`, the last record FastWARC framed in a local file, all that is left of it: its gzip
    member (or, uncompressed, the rest of the file) holds its header, exactly Content-Length bytes
    and CRLF CRLF, and nothing follows? Anything else goes to the scanner, which knows the cases."""
    if local is None or rec.truncated:
        return False
    with open(local, "rb") as f:
        f.seek(rec.offset)
        raw = f.read(LAST_RECORD_CHECK + 1)
    if len(raw) > LAST_RECORD_CHECK:
        return False
    if raw.startswith(GZIP_MAGIC):
        d = zlib.decompressobj(31)
        try:
            raw = d.decompress(raw)
        except zlib.error:
            return False
        if not d.eof or d.unused_data:
            return False
    h = header_end(raw, 0, MAX_HEADER)
    return h > 0 and len(raw) == h + rec.length + 4 and raw.endswith(b"\r\n\r\n")


def _scan_phase(path: str, gz: bool, resume: tuple[int, int], max_record_bytes: int, wanted,
                frames: FrameTable | None, restart_after: int | None):
    """Our scanner from `resume` on; yields records and damage, and returns the offset of the first
    intact record after `restart_after` that starts where a gzip member (or, uncompressed, nothing
    but the record) starts, for FastWARC to take over there; None when it read to the end."""
    start, skip = resume
    with open_warc(path, frames) as f:
        if gz:
            f.seek(start)
        else:
            _skip_to(f, start)
        scanner = Scanner(WarcStream(f, start, gz, starts_record), gz, max_record_bytes)
        for item in scanner.items():
            if isinstance(item, WarcDamage) and skip:
                # Damage among the records FastWARC passed on: the scanner lost those after it
                # (a member it must drop whole); nothing it reads from here was passed on.
                skip = 0
            if isinstance(item, WarcRecord):
                if skip:
                    skip -= 1
                    continue
                if restart_after is not None and item.offset > restart_after and not item.truncated \
                        and not item.length_mismatch and scanner.at_record_start():
                    return item.offset            # FastWARC reads this record again, and on
                item.by_scanner = True
                if not item.truncated and not wanted(item.headers):
                    item.block = b""
            if not skip:
                yield item
    return None


def _skip_to(f: BinaryIO, offset: int) -> None:
    try:
        f.seek(offset)
    except (OSError, ValueError):                 # a decompressing stream: read up to the offset
        while offset > 0:
            got = f.read(min(CHUNK, offset))
            if not got:
                break
            offset -= len(got)


def _take(r, max_record_bytes: int, wanted, inspect: bool = False) -> WarcRecord | None:
    """FastWARC record -> WarcRecord, or None when its block is shorter than declared (damage), or,
    `inspect`, holds the next record(s) whole (`_holds_next`: damage too)."""
    # All headers in one call, names lower-cased (the first of repeated names wins, as in get()):
    # a quarter of the cost of fetching the few readers use one by one.
    items = r.headers.items()
    headers = {k.lower(): v for k, v in reversed(items)}
    if "content-length" not in headers or "warc-record-id" not in headers or \
            len(headers) < len(items) and _merged(items) or \
            not (names := ":".join(headers)).isprintable() or "  " in names or \
            "\x00" in (values := "".join(headers.values())):
        # A header cut off by the end of a gzip stream (no Content-Length or WARC-Record-ID, both
        # mandatory), run into the next record's, or overwritten: a "name" that is a damaged line
        # (FastWARC takes whatever comes before a colon: NULs, line breaks, runs of spaces; real
        # names are printable words, `X Odd` too), NULs in a value. ~3 us a record.
        return None
    if "\ufffd" in values:
        _undo_replacement(r.headers, items, headers)
    return _record(r.stream_pos, headers, r.content_length, r.reader, max_record_bytes, wanted, inspect)


def _record(offset: int, headers: dict[str, str], length: int, reader, max_record_bytes: int,
            wanted, inspect: bool = False) -> WarcRecord | None:
    """A record from its headers and a reader of its block (FastWARC's, or warc_members'), or
    None when the block is shorter than declared, or, `inspect`, holds the next record(s) (damage)."""
    if not wanted(headers):
        if inspect and length <= max_record_bytes:
            block = reader.read()
            return WarcRecord(offset, headers, b"", length) if len(block) == length and not _holds_next(block) \
                else None
        n = reader.consume()
        return WarcRecord(offset, headers, b"", length) if n == length else None
    if length <= max_record_bytes:
        if (headers.get("warc-type") or "").lower() == "response" and \
                "application/http" in headers.get("content-type", "").lower():
            resp, n = _http(reader)
            if n != length or inspect and _holds_next(resp.body):
                return None
            if resp.status == NOT_HTTP:
                return WarcRecord(offset, headers, resp.body, length)
            return WarcRecord(offset, headers, b"", length, http=resp)
        block = reader.read()
        return WarcRecord(offset, headers, block, length) if len(block) == length and \
            not (inspect and _holds_next(block)) else None
    sample = reader.read(SAMPLE)
    n = len(sample) + reader.consume()
    return WarcRecord(offset, headers, sample, length, truncated=True) if n == length else None


def _http(reader) -> tuple[HttpResponse, int]:
    """The HTTP response in a record's block and the bytes read; a plain head inside an inflated
    member is read at once, any other head line by line."""
    if isinstance(reader, BlockReader):
        plain = parse_plain_response(reader.buf, reader.pos, reader.end)
        if plain is not None:
            status, headers, body = plain
            n = reader.end - reader.pos
            return HttpResponse(status, headers, reader.take(body)), n
    return parse_http_stream(reader)


def _undo_replacement(fields, items, headers: dict[str, str]) -> None:
    """FastWARC decodes header values as UTF-8 with U+FFFD for what is not: such values of
    `headers` are decoded again from their bytes as warcio (and our scanner) decode them,
    UTF-8 else Latin-1 (a URL in a page's 8-bit charset keeps its letters)."""
    for name, value in items:
        low = name.lower()
        if "\ufffd" in value and headers[low] is value and (raw := fields.get_bytes(name.encode("utf-8"))) is not None:
            headers[low] = header_text(raw.strip(b" \t"))


def _merged(items) -> bool:
    """Two records' headers read as one (the first one's end overwritten): names that a record
    has once are there twice."""
    names = [k.lower() for k, _ in items]
    return any(names.count(k) > 1 for k in ("warc-record-id", "content-length", "warc-type"))
