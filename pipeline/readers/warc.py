"""A WARC reader that survives real crawls: per-record or whole-file gzip, or none.

Damage is located and reported rather than fatal: a corrupt gzip member, a record whose header
is garbage, a record cut off by the end of the file. Each becomes a quarantine item with its
byte offset, and reading resumes at the next gzip member or the next `WARC/1.` header. Giant
records are skipped without being held in memory.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 20


@dataclass
class WarcRecord:
    offset: int                      # offset of the gzip member (or the record, uncompressed)
    headers: dict[str, str]
    block: bytes                     # the record's content block (may be a prefix if skipped)
    length: int                      # declared Content-Length
    truncated: bool = False          # block is only a sample: the record was too big to hold


@dataclass
class WarcDamage:
    offset: int
    reason: str                      # corrupt_gzip | malformed_record | truncated_record
    detail: str
    sample: bytes = b""


def _gzip_stream(raw: BinaryIO) -> Iterator[tuple[str, int, bytes]]:
    """Decompress concatenated gzip members; yields ('data', member_offset, bytes),
    ('end', offset, b'') after each member and ('error', offset, detail) on damage, after which it
    skips to the next member header."""
    pos = 0                 # offset in the raw file of buf[0]
    buf = b""
    eof = False
    resyncing = False       # after damage, skipping to the next member is expected, not news
    while True:
        if not buf and eof:
            return
        if len(buf) < 3 and not eof:
            more = raw.read(CHUNK)
            eof = not more
            buf += more
            continue
        if not buf.startswith(GZIP_MAGIC):
            i = buf.find(GZIP_MAGIC, 1)
            if i < 0:
                if eof:
                    if not resyncing:
                        yield "error", pos, f"{len(buf)} trailing bytes are not gzip".encode()
                    return
                keep = 2
                pos += len(buf) - keep
                buf = buf[-keep:]
                more = raw.read(CHUNK)
                eof = not more
                buf += more
                continue
            if not resyncing:
                yield "error", pos, f"{i} bytes that are not a gzip member".encode()
            resyncing = False
            pos += i
            buf = buf[i:]
            continue
        member_start = pos
        resyncing = False
        d = zlib.decompressobj(wbits=31)
        try:
            while True:
                out = d.decompress(buf)
                if out:
                    yield "data", member_start, out
                if d.eof:
                    consumed = len(buf) - len(d.unused_data)
                    pos += consumed
                    buf = d.unused_data
                    yield "end", member_start, b""
                    break
                pos += len(buf)
                buf = raw.read(CHUNK)
                if not buf:
                    eof = True
                    yield "truncated", member_start, b"gzip member cut off by end of file"
                    return
        except zlib.error as e:
            yield "error", member_start, str(e).encode()
            resyncing = True
            # Resync: skip past this member's magic and look for the next one.
            skip = 1 if buf.startswith(GZIP_MAGIC) and pos == member_start else 0
            pos += skip
            buf = buf[skip:]


def _plain_stream(raw: BinaryIO) -> Iterator[tuple[str, int, bytes]]:
    pos = 0
    while True:
        chunk = raw.read(CHUNK)
        if not chunk:
            return
        yield "data", pos, chunk
        pos += len(chunk)


def _parse_headers(head: bytes) -> dict[str, str] | None:
    lines = head.decode("utf-8", "replace").split("\n")
    if not lines[0].strip().startswith("WARC/"):
        return None
    headers: dict[str, str] = {}
    last = None
    for line in lines[1:]:
        line = line.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t" and last:          # folded continuation line
            headers[last] += " " + line.strip()
            continue
        k, sep, v = line.partition(":")
        if not sep:
            return None
        last = k.strip().lower()
        headers[last] = v.strip()
    return headers


def iter_warc(raw: BinaryIO, max_record_bytes: int) -> Iterator[WarcRecord | WarcDamage]:
    head = raw.read(3)
    rest = raw

    class _Prefixed:
        def __init__(self):
            self.first = head

        def read(self, n: int) -> bytes:
            if self.first:
                b, self.first = self.first, b""
                return b + rest.read(max(0, n - len(b)))
            return rest.read(n)

    stream = (_gzip_stream if head.startswith(GZIP_MAGIC) else _plain_stream)(_Prefixed())
    yield from _records(stream, max_record_bytes, head.startswith(GZIP_MAGIC))


def _records(stream, max_record_bytes: int, gzipped: bool) -> Iterator[WarcRecord | WarcDamage]:
    buf = bytearray()
    buf_off = 0          # offset attributed to the start of buf (member offset or raw offset)
    gz_member = None
    resync = False
    skipping = 0         # bytes of an oversized block still to discard
    pending: WarcRecord | None = None
    consumed = 0         # bytes of the decompressed stream already parsed

    def drop(n: int) -> None:
        nonlocal consumed
        del buf[:n]
        consumed += n

    def here() -> int:
        # A gzip member offset is what a reader can seek to; uncompressed, the byte offset is.
        return buf_off if gzipped else consumed

    def emit_pending():
        nonlocal pending
        p, pending = pending, None
        return p

    for kind, off, data in stream:
        if kind in ("error", "truncated"):
            if pending is not None:
                yield emit_pending()
            sample = bytes(buf[:4096])
            reason = "corrupt_gzip" if kind == "error" else "truncated_gzip"
            yield WarcDamage(off, reason, data.decode("utf-8", "replace"), sample)
            buf.clear()
            skipping = 0
            resync = True
            continue
        if kind == "end":
            continue
        if not buf and gz_member != off:
            buf_off = off
        gz_member = off
        buf += data
        while True:
            if skipping:
                n = min(skipping, len(buf))
                drop(n)
                skipping -= n
                if skipping:
                    break
                if pending is not None:
                    yield emit_pending()
                continue
            # Skip blank separator lines between records.
            i = 0
            while i < len(buf) and buf[i] in b"\r\n":
                i += 1
            if i:
                drop(i)
            if not buf:
                break
            if resync or not buf.startswith(b"WARC/"):
                j = buf.find(b"\nWARC/1.")
                if not buf.startswith(b"WARC/1."):
                    if j < 0:
                        if not resync:
                            yield WarcDamage(here(), "malformed_record", "data outside any record",
                                             bytes(buf[:4096]))
                            resync = True
                        drop(max(0, len(buf) - 8))
                        break
                    if not resync:
                        yield WarcDamage(here(), "malformed_record", "data outside any record",
                                         bytes(buf[:4096]))
                    drop(j + 1)
                resync = False
            end = buf.find(b"\r\n\r\n")
            sep = 4
            if end < 0:
                end, sep = buf.find(b"\n\n"), 2
            if end < 0:
                if len(buf) > 1 << 20:
                    yield WarcDamage(here(), "malformed_record", "header longer than 1 MiB", bytes(buf[:4096]))
                    drop(len(buf))
                    resync = True
                break
            headers = _parse_headers(bytes(buf[:end]))
            length = None
            if headers is not None:
                try:
                    length = int(headers.get("content-length", ""))
                except ValueError:
                    length = None
            if headers is None or length is None or length < 0:
                yield WarcDamage(here(), "malformed_record", "bad WARC header or Content-Length",
                                 bytes(buf[:4096]))
                drop(1)
                resync = True
                continue
            start = end + sep
            if length > max_record_bytes:
                sample = bytes(buf[start:start + 65536])
                pending = WarcRecord(here(), headers, sample, length, truncated=True)
                have = len(buf) - start
                if have >= length:
                    drop(start + length)
                    yield emit_pending()
                    continue
                skipping = length - have
                drop(len(buf))
                break
            if len(buf) - start < length:
                break                                       # need more bytes
            yield WarcRecord(here(), headers, bytes(buf[start:start + length]), length)
            drop(start + length)
            buf_off = gz_member
    if pending is not None:
        pending.truncated = True
        yield WarcDamage(pending.offset, "truncated_record",
                         f"record cut off: {pending.length} bytes declared", pending.block[:4096])
    elif skipping == 0 and buf.strip():
        yield WarcDamage(here(), "truncated_record", "record cut off by end of file", bytes(buf[:4096]))


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def parse_http(block: bytes) -> HttpResponse | None:
    end = block.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end, sep = block.find(b"\n\n"), 2
    if end < 0:
        return None
    lines = block[:end].decode("latin-1").split("\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].upper().startswith("HTTP/"):
        return None
    try:
        status = int(parts[1])
    except ValueError:
        return None
    headers = {}
    for line in lines[1:]:
        k, s, v = line.partition(":")
        if s:
            headers[k.strip().lower()] = v.strip()
    return HttpResponse(status, headers, block[end + sep:])


def dechunk(body: bytes) -> bytes | None:
    out = bytearray()
    pos = 0
    while True:
        nl = body.find(b"\r\n", pos)
        if nl < 0:
            return None
        try:
            size = int(body[pos:nl].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return bytes(out)
        out += body[nl + 2: nl + 2 + size]
        pos = nl + 2 + size + 2
