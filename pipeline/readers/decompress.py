"""Decompressed input that gives every byte it can decode, then fails in one way.

Hand-written over each codec's incremental decompressor (zlib/isal, bz2, lzma, zstandard) instead of
the library file objects, which the damage campaign (tests/test_source_fuzz.py) caught at three things:
- BZ2File, GzipFile/IGzipFile and LZMAFile decode through a BufferedReader whose `read(n)` drops
  what it decoded in that call when the stream then turns out damaged: a truncated dump read in
  1 MiB chunks lost up to its last MiB of good pages, uncounted;
- zstandard's `stream_reader` ends at a truncated frame as at a complete file (silent loss);
- each codec raises its own errors (zlib.error, IsalError, LZMAError, ZstdError, EOFError,
  BadGzipFile), and a reader that missed one crashed the run.
Here compressed bytes are fed in FEED-byte pieces (at most OUT decoded bytes a call, zstd ~8 MiB: zstd_feed_end; a
decompression bomb does not blow memory) and what they decode to is returned. Several members
(gzip members, bz2 multistream, zstd frames, xz streams) are read one after another. Damage ends
in one `CorruptStream` (an OSError), raised by the read after the last byte the stream can give:
- a damaged member (flipped bytes, cut short, garbage before it) with members after it: the bytes
  decoded before the damage, then the stream reads on at the next member: its magic bytes (gzip
  1f8b08, bz2 `BZh1-9` then a block's or the end's magic, xz's and zstd's) sought from just past
  the damaged member's start, and its first piece must decode (as warc_members finds WARC
  members). A multi-member .gz (pigz, bgzip, files `cat`-ed) or a multistream .bz2 (Wikipedia's)
  loses only the damaged member: a damaged first stream of a multistream dump took every page.
  The hole is told in the output by a newline where it cuts a line, so that the cut line is not
  glued to the line after the hole (a JSON Lines reader then quarantines the cut row as bad_json and
  keeps the intact row after it). The final error names each hole ("damaged gzip member at
  compressed byte X ... after N decoded bytes: ...; read on at compressed byte Y"; `damage` lists
  them): a row reader that stops at the error has read everything and reports it; a whole-file
  reader quarantines the document (read_whole: a document with a hole is not a document);
- damage with no member after it (a truncated or corrupt last member): "truncated"/"corrupt";
- bytes after the last complete member that decode to nothing and have no member after them (a
  trailing newline or NULs, a next member's header cut off: not the codec's magic, or fewer than
  MIN_MEMBER bytes): `JunkAfterStream`, every member returned whole (read_whole keeps the document
  and counts junk_after_compressed_data). Junk shorter than MIN_MEMBER holds no data: given the
  reader's state, the stream only counts it, for every reader alike. One trailing byte was
  "truncated" and cost a whole-file document. Bytes between two good members are a hole, not junk (they had been junk: a book cut
  at a bad middle member was kept, only counted). NUL stream padding between xz streams is the
  format's own and skipped.
The next member is sought in the last RESYNC_WINDOW compressed bytes read (a decoder notices damage
a little after it: at the member's end, for a bad checksum) and at most RESYNC_SCAN bytes on, so
memory stays bounded and a 20 GB single-stream dump damaged early is not read to its end for
nothing; after MAX_HOLES holes a stream ends at the next.

`sniff_codec` names the codec a file's first bytes say (gzip 1f8b, zstd 28b52ffd or a skippable
frame, bz2 `BZh`, xz fd377a585a00): row files are opened by what they hold, not only by their name,
because published corpora get names wrong (plain JSON Lines saved as .jsonl.gz, zstd named
.jsonl.zstd, gzip named .json), and a name-only choice lost such a file as `corrupt_compression` or
read its compressed bytes as text (`bad_encoding` garbage). base.open_decompressed also uses it on
the decompressed bytes: a file compressed twice is decompressed again (`compressed_twice`).
"""
from __future__ import annotations

import bz2
import io
import lzma
import re
import zlib
from collections import deque

try:                                   # the same fast inflate fsspec uses for .gz when installed
    from isal import isal_zlib as _gzip_zlib
except ImportError:                    # pragma: no cover - isal is a pinned dependency
    _gzip_zlib = zlib

FEED = 1 << 14                         # compressed bytes per decoder call: the most damage can cost
OUT = 1 << 20                          # decoded bytes per call at most (bounds a decompression bomb)
CODECS = {".gz": "gzip", ".tgz": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "xz", ".zst": "zstd", ".zstd": "zstd"}
ZSTD_FIRST_STEP = 256                  # zstd input bytes a resync candidate is tried on
ZSTD_BLOCKS = 64                       # zstd blocks finished per decoder call (each <= 128 KiB out)
SNIFF = 4096                           # bytes of a file's start that sniff_codec and looks_like_text judge
RESYNC_WINDOW = 1 << 20                # compressed bytes kept behind the read position to seek a member in
RESYNC_SCAN = 256 << 20                # compressed bytes read on past them in that search, at most
# The largest window a zstd frame of a data file may ask for: zstd --long=31's (Pushshift's Reddit
# dumps, large NDJSON dumps), as `zstd -d --memory=2048MB` allows. zstandard's default (128 MiB)
# refused such files whole as corrupt. The decoder allocates what the frame declares (up to the
# content size when the frame says it); HTTP bodies and .warc.zst keep the default.
MAX_ZSTD_WINDOW = 1 << 31
DAMAGE_SHOWN = 3                       # holes the final error names one by one (the rest are counted)
MAX_HOLES = 10_000                     # holes a stream reads past; at the next it ends (bounded work)
# A member's first bytes, where a stream reads on after damage (the module docstring)
_MEMBER_START = {
    "gzip": re.compile(rb"\x1f\x8b\x08"),                               # magic, deflate
    "bz2": re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)"),             # then a block's magic, or the end's
    "xz": re.compile(re.escape(b"\xfd7zXZ\x00")),
    "zstd": re.compile(rb"\x28\xb5\x2f\xfd|[\x50-\x5f]\x2a\x4d\x18"),  # a frame, or a skippable frame
}
_MAGIC_MAX = 10
MIN_MEMBER = 20                        # bytes a member takes at the least (gzip: header, empty block, trailer)
# Zeroed blocks (a sparse file, an interrupted download or copy). A decoder fed a run of zeros in a
# member gives garbage before it notices: deflate inflates zeros as back-references, megabytes of
# earlier lines repeated and glued (an 800-row .jsonl.gz with 1 MiB zeroed gave 3,334 rows, checksum
# failing only at its end). But a codec packs a long run of one byte pattern (a tar's zero-filled
# file) into zeros too. So input holding ZERO_RUN zero bytes (or ending in ZERO_TAIL, a run the
# piece's end may cut) puts the member on probation: what it decodes is held until the member ends
# with its checksum good (deflate may decode on without error past a zeroed block until the
# checksum at the member's end), or PROBATION_MAX bytes are held; then it is given. A member that
# fails on probation loses what it gave since the zeros, and the damage is where they began. So a
# zeroed block is caught in a member of up to PROBATION_MAX decoded bytes after it: every member of
# a multi-member file (bgzip, pigz, concatenated parts), the end of a single-member one.
ZERO_RUN = b"\0" * 1024
ZERO_TAIL = b"\0" * 64
PROBATION_MAX = 8 << 20
ZEROS_TOO_LONG = 256 << 10


def codec_by_name(path: str) -> str | None:
    """The codec a file's name says (case-insensitive: `UP.JSONL.GZ`), else None."""
    low = path.lower()
    return next((c for ext, c in CODECS.items() if low.endswith(ext)), None)


def sniff_codec(head: bytes) -> str | None:
    """The codec a stream's first bytes say, else None (plain, or a format this does not decode)."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd" or (head[1:4] == b"\x2a\x4d\x18" and head[:1] and head[0] & 0xF0 == 0x50):
        return "zstd"                  # a frame, or a skippable frame first (pzstd, seekable zstd)
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[3:4] \
            and head[4:10] in (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90"):
        return "bz2"                   # block size digit, then a block's (or the end's) magic
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    return None


def looks_like_tar(head: bytes) -> bool:
    """Whether a file's first bytes are a tar header (POSIX `ustar` magic at offset 257): plain,
    though its NUL bytes do not look like text (a tar named .tar.gz that was never compressed)."""
    return head[257:262] == b"ustar"


def looks_like_text(head: bytes) -> bool:
    """Whether a file's first bytes are text, not a compressed stream whose magic bytes are damaged:
    no NUL (UTF-16/32 text, which has them, starts with a BOM) and next to no other control bytes;
    compressed data has ~12% of its bytes below 0x20."""
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13)) + head.count(b"\x7f")
    return controls <= len(head) // 100


def zstd_first_block(buf, i: int) -> int | None:
    """The index in `buf` of the first block header of the zstd frame at buf[i]; None for a
    skippable frame or a header `buf` does not hold (no output to bound)."""
    if buf[i:i + 4] != b"\x28\xb5\x2f\xfd" or len(buf) <= i + 4:
        return None
    fhd = buf[i + 4]                        # the frame header descriptor
    single = fhd >> 5 & 1
    content_size = (single, 2, 4, 8)[fhd >> 6]
    return i + 5 + (1 - single) + (0, 1, 2, 4)[fhd & 3] + content_size


def zstd_feed_end(buf, i: int, stop: int, block: int | None) -> tuple[int, int | None]:
    """Where a zstd decoder's next input, buf[i:stop], should end, and the index of the frame's
    next block header after that (None: past the frame's last block, or unknown). zstd's
    decompressobj has no output limit and a 4-byte block can stand for 128 KiB, so 10 KB of one
    frame were 400 MB from one call (a decompression bomb). Block headers say where each block ends:
    the input stops after the ZSTD_BLOCKS-th block it finishes, so a call gives ~8 MiB at most
    whatever came before (a feed sized by the last piece's ratio is no bound: a frame's first
    incompressible bytes made it large). Never past a header's start: the bytes before `i` may be
    gone by the next call. `block` is where the frame's next header is (`zstd_first_block`)."""
    if block is None:
        return stop, None
    n = 1 if block > i else 0               # a block (or the frame header) begun in an earlier call
    while n < ZSTD_BLOCKS and block + 3 <= stop:
        h = int.from_bytes(buf[block:block + 3], "little")
        block += 3 + (1 if h >> 1 & 3 == 1 else h >> 3)     # an RLE block stores one byte
        n += 1
        if h & 1:                           # the last block: the decoder stops at the frame's end
            return stop, None
    return min(block, stop), block


class CorruptStream(OSError):
    """A compressed stream that is truncated or damaged; everything that could be decoded (before
    the damage, and from the members after it) was returned."""


class JunkAfterStream(CorruptStream):
    """Bytes after the last complete member that start no member and have no member after them
    (appended junk, a cut-off header): every member was returned whole."""


def _decoder(codec: str):
    if codec == "gzip":
        return _gzip_zlib.decompressobj(wbits=31)
    if codec == "bz2":
        return bz2.BZ2Decompressor()
    if codec == "xz":
        return lzma.LZMADecompressor()
    import zstandard
    return zstandard.ZstdDecompressor(max_window_size=MAX_ZSTD_WINDOW).decompressobj()


def _zeroed(e: BaseException, at: int) -> BaseException:
    """The error of a member that failed on probation: where its zeros began, then the decoder's."""
    what = (f"zero bytes from compressed byte {at} on (a zeroed block: a sparse file, an interrupted download "
            f"or copy; what the member gave after them was dropped), then {type(e).__name__}: {e}")
    try:
        return type(e)(what)
    except Exception:  # noqa: BLE001 - an error type that takes other arguments
        return ValueError(what)


def _errors() -> tuple[type[BaseException], ...]:
    errs: list[type[BaseException]] = [EOFError, OSError, ValueError, zlib.error, lzma.LZMAError]
    if _gzip_zlib is not zlib:
        errs.append(_gzip_zlib.error)
    try:
        import zstandard
        errs.append(zstandard.ZstdError)
    except ImportError:                # pragma: no cover
        pass
    return tuple(errs)


class DecompressedStream(io.RawIOBase):
    """A raw binary stream of `raw` decompressed with `codec` (gzip, bz2, xz, zstd). `damage`: each
    hole read past, as (compressed offset of the damaged member, decoded bytes before it, compressed
    offset the stream read on at); the stream's last read raises the error that names them."""

    def __init__(self, raw, codec: str, name: str = "", state=None):
        # `state` (a reader's ReadState): junk too short to be a member (a trailing newline, a next
        # header cut off) holds no data and is only counted there (junk_after_compressed_data), not
        # raised: every reader then treats it alike. Longer junk may be a member whose header was
        # damaged: raised, for the reader to report.
        self._raw, self._codec, self._name, self._state = raw, codec, name, state
        self._dec = None               # the current member's decoder; None between members
        self._pending = b""            # compressed bytes read but not fed
        self._out = memoryview(b"")
        self._error: CorruptStream | None = None
        self._consumed = 0             # compressed bytes fed to finished members and the current one
        self._decoded = 0
        self._catch = _errors()
        self._ended = False
        self._fresh = False            # the current decoder has decoded nothing yet after a complete member
        self._clean_end = False        # the last member ended complete (not at damage)
        self._member_start = 0         # compressed offset of the current member's first byte
        self._last = b""               # the last decoded byte: does a hole cut a line?
        # the last ~RESYNC_WINDOW compressed bytes read, in pieces: a decoder notices damage a little
        # after it (at a member's end, for a bad checksum), so the next member's start is sought there first
        self._hist: deque[bytes] = deque()
        self._hist_len = 0
        self._raw_pos = 0              # compressed bytes read from `raw`
        self._raw_error: CorruptStream | None = None   # `raw` itself failed (a file compressed twice)
        self._failure: tuple[type[CorruptStream], str] | None = None   # how a stream ended early
        self._junk_bytes: int | None = None   # compressed bytes after the last complete member
        self.damage: list[tuple[int, int, int]] = []
        self._damage_text: list[str] = []
        self._zstd_block: int | None = None   # compressed offset of the zstd frame's next block header
        self._probation: int | None = None    # compressed offset of the zeros that put the member on probation
        self._held: deque[bytes] = deque()    # what the member decoded since (given piece by piece after)
        self._held_size = 0
        self._giving = False                  # `_held` is being given
        self._fatal: str | None = None        # why the member on probation fails unless it ends at once

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._out:
            if self._error is not None:
                raise self._error
            if self._ended:            # after the last byte: the damage read past, or how it ended
                self._error = self._final_error()
                if self._error is None:
                    return 0
                continue
            if self._giving:
                if self._held:
                    self._out = memoryview(self._held.popleft())
                    continue
                self._giving, self._held_size = False, 0
            try:
                out = self._step()
                if self._probation is not None:
                    self._held.append(out)
                    self._held_size += len(out)
                    if self._fatal is not None and self._dec is not None:
                        raise ValueError(self._fatal)
                    if self._dec is None or self._held_size > PROBATION_MAX:
                        self._probation = self._fatal = None
                        self._giving = True
                    continue
                self._out = memoryview(out)
            except self._catch as e:
                if self._probation is not None:        # garbage since the zeros: dropped
                    at = self._probation
                    self._held.clear()
                    self._held_size, self._probation = 0, None
                    e = ValueError(self._fatal) if self._fatal is not None else _zeroed(e, at)
                    self._fatal = None
                self._recover(e)
        n = min(len(b), len(self._out))
        b[:n] = self._out[:n]
        self._out = self._out[n:]
        self._decoded += n
        return n

    def _recover(self, e: BaseException) -> None:
        """The current member failed with `e`: read on at the next member that decodes, or end."""
        at, decoded, codec = self._member_start, self._decoded, self._codec
        # Right after a complete member, before anything decoded: junk (bytes appended to the file,
        # a member whose header is damaged, a next header cut off), whatever error the decoder gave
        # (a lone trailing byte is an incomplete header, EOFError, not a truncated member) - unless
        # they are a member: its magic and more bytes than a header (a small last member damaged is
        # decoded in one call, and the call that fails returns nothing), told after the search below
        junk = self._fresh
        window = b"".join(self._hist)
        head = window[at - (self._raw_pos - len(window)):][:_MAGIC_MAX] if at >= self._raw_pos - len(window) else b""
        what = (f"{codec} member at compressed byte {at} (noticed by ~{self._consumed}), after {decoded} "
                f"decoded bytes: {type(e).__name__}: {e}")
        self._dec, self._fresh = None, False
        resumed = self._resync(at + 1) if len(self.damage) < MAX_HOLES else None
        if resumed is not None:
            self.damage.append((at, decoded, resumed))
            if len(self._damage_text) < DAMAGE_SHOWN:
                # (damaged, or garbage where a member should start: between good members both are a hole)
                self._damage_text.append(f"damaged {what}; read on at compressed byte {resumed}")
            if self._last not in (b"", b"\n"):
                # the hole ends the line it cuts: not glued to the line after the hole into one record
                self._out = memoryview(b"\n")
            return
        self._ended = True
        if junk and _MEMBER_START[codec].match(head) and self._raw_pos - at >= MIN_MEMBER:
            junk = False               # (the search read to the file's end, or RESYNC_SCAN bytes on)
        if junk:
            self._junk_bytes = self._raw_pos - at
            self._failure = (JunkAfterStream, f"junk after the {codec} stream: the bytes from compressed byte "
                                              f"{at} on start no member ({decoded} decoded bytes before them): "
                                              f"{type(e).__name__}: {e}")
        else:
            self._failure = (CorruptStream, f"{'truncated' if isinstance(e, EOFError) else 'corrupt'} {what}")

    def _final_error(self) -> CorruptStream | None:
        """One error for everything that went wrong, raised after the last byte; None: no damage.
        JunkAfterStream only when all of it is junk after complete members."""
        parts = list(self._damage_text)
        if len(self.damage) > len(parts):
            parts.append(f"and {len(self.damage) - len(parts)} more damaged members read past")
        junk = not parts
        if self._failure is not None:
            parts.append(self._failure[1])
            junk = junk and self._failure[0] is JunkAfterStream
        if self._raw_error is not None:
            if not parts:
                return self._raw_error
            parts.append(f"and under it: {self._raw_error}")
            junk = junk and isinstance(self._raw_error, JunkAfterStream)
        if not parts:
            return None
        if junk and self._raw_error is None and self._state is not None and self._junk_bytes < MIN_MEMBER:
            self._state.count("junk_after_compressed_data")
            return None
        return (JunkAfterStream if junk else CorruptStream)(f"{self._name}: " + "; ".join(parts))

    def _read_raw(self, n: int, keep: bool = True) -> bytes:
        if self._raw_error is not None:
            return b""
        try:
            data = self._raw.read(n)
        except CorruptStream as e:     # `raw` is a DecompressedStream (compressed twice): its damage ends ours
            self._raw_error = e
            return b""
        self._raw_pos += len(data)
        if keep and data:
            self._hist.append(data)
            self._hist_len += len(data)
            while self._hist_len - len(self._hist[0]) >= RESYNC_WINDOW:
                self._hist_len -= len(self._hist.popleft())
        return data

    def _resync(self, start: int) -> int | None:
        """Set the stream to read on at the first member start at or after compressed offset
        `start` that decodes (its magic bytes, then a first piece decoded without error), looked
        for in the window of bytes read and then at most RESYNC_SCAN bytes on; its offset, or None."""
        buf = b"".join(self._hist)
        base = self._raw_pos - len(buf)
        if start > base:
            buf, base = buf[start - base:], start
        self._hist.clear()
        self._hist_len = 0
        self._pending = b""            # the end of buf
        magic, i, eof = _MEMBER_START[self._codec], 0, False
        while True:
            m = magic.search(buf, i)
            if m is None:
                if eof or base + len(buf) - start > RESYNC_SCAN:
                    return None
                keep = max(i, len(buf) - _MAGIC_MAX + 1)     # a magic cut by the piece's end
                buf, base, i = buf[keep:], base + keep, 0
                more = self._read_raw(1 << 20, keep=False)
                eof, buf = not more, buf + more
                continue
            p = m.start()
            while len(buf) - p < FEED and not eof:           # a whole first piece to judge it by
                more = self._read_raw(FEED, keep=False)
                eof, buf = not more, buf + more
            if self._verify(buf[p:p + FEED]):
                self._pending = buf[p:]
                self._consumed = base + p
                self._hist.append(self._pending)
                self._hist_len = len(self._pending)
                self._clean_end = False
                return base + p
            i = p + 1

    def _verify(self, data: bytes) -> bool:
        """Whether a member starts at `data`: its first piece decodes without error and gives bytes or
        ends the member (a cut-off header at a file's end does neither). bz2, xz and zstd may decode
        a whole first piece to nothing yet (a bz2 block is read whole first); their magic is 4 to
        10 bytes, gzip's 3, so a gzip member must give bytes. Bounded like _step."""
        d = _decoder(self._codec)
        step = ZSTD_FIRST_STEP if self._codec == "zstd" else FEED
        try:
            out = d.decompress(data[:step]) if self._codec == "zstd" else d.decompress(data, OUT)
        except self._catch:
            return False
        return bool(out) or d.eof or (self._codec != "gzip" and len(data) >= step)

    def _input(self) -> bytes:
        # FEED bytes from where the member started (the rest of the last piece topped up), so that
        # what damage costs does not depend on where the previous member ended
        if len(self._pending) < FEED:
            self._pending += self._read_raw(FEED - len(self._pending))
        data, self._pending = self._pending[:FEED], self._pending[FEED:]
        self._consumed += len(data)
        return data

    def _step(self) -> bytes:
        d = self._dec
        if d is None:                  # between members: the end, or a new member
            data = self._input()
            if self._codec == "xz" and self._clean_end:
                data = self._skip_xz_padding(data)
            if not data:
                self._ended = True
                return b""
            self._member_start = self._consumed - len(data)
            data = self._watch_zeros(data, 1)
            d = self._dec = _decoder(self._codec)
            self._fresh = self._clean_end
            if self._codec == "zstd":
                first = zstd_first_block(data, 0)
                self._zstd_block = None if first is None else self._member_start + first
        elif self._codec in ("bz2", "xz") and not d.needs_input:
            data = b""                 # output held back by OUT: no new input yet
        elif self._codec == "gzip" and d.unconsumed_tail:
            data = d.unconsumed_tail
        else:
            data = self._input()
            if not data:
                raise EOFError("the file ends inside a compressed member")
            data = self._watch_zeros(data)
        if self._codec == "zstd":
            start = self._consumed - len(data)
            block = None if self._zstd_block is None else self._zstd_block - start
            end, block = zstd_feed_end(data, 0, len(data), block)
            self._zstd_block = None if block is None else start + block
            if 0 < end < len(data):    # the rest is the next call's input
                self._pending = data[end:] + self._pending
                self._consumed -= len(data) - end
                data = data[:end]
            out = d.decompress(data)
        else:
            out = d.decompress(data, OUT)
        if out:
            self._fresh = False
            self._last = out[-1:]
        if d.eof:
            self._clean_end = True
            rest = d.unused_data
            self._pending = rest + self._pending
            self._consumed -= len(rest)
            self._dec = None
        return out

    def _watch_zeros(self, data: bytes, start: int = 0) -> bytes:
        """The input to feed: up to a run of zeros in it (ZERO_RUN, or ZERO_TAIL at its end), the
        rest going back to the pending bytes, so that the good bytes before the run are given as
        ever; input that begins with the run puts the member on probation."""
        if self._probation is None:
            z = data.find(ZERO_RUN, start)
            if z < 0 and data.endswith(ZERO_TAIL):
                z = len(data.rstrip(b"\0"))
            if z > start:
                self._pending = data[z:] + self._pending
                self._consumed -= len(data) - z
                return data[:z]
            if z == start == 0:
                self._probation = self._consumed - len(data)
                self._zeros_to_the_end(data)
        return data

    def _zeros_to_the_end(self, data: bytes) -> None:
        """Sets `_fatal` when the zeros that begin `data` run to the file's end (a preallocated file
        whose download stopped) or for ZEROS_TOO_LONG bytes: no codec ends its stream so, and that
        many would stand for ~256 MB of one repeated byte pattern at deflate's best ratio (~1,000 to
        1); the decoder would turn them into more garbage than probation holds. Then the member must
        end in this piece (its trailer may hold the first zeros: a size under 16 MiB ends in zero
        bytes) or it fails here. Bytes read to see it stay pending (a member after them is read on)."""
        if data.strip(b"\0"):
            return
        while not self._pending.strip(b"\0"):
            if len(data) + len(self._pending) >= ZEROS_TOO_LONG:
                self._fatal = (f"{ZEROS_TOO_LONG:,} or more zero bytes from compressed byte {self._probation} on "
                               f"(a zeroed block: a sparse file, an interrupted download or copy)")
                return
            more = self._read_raw(FEED)
            if not more:
                self._fatal = (f"zero bytes from compressed byte {self._probation} to the end of the file "
                               f"(a preallocated file whose download or copy stopped)")
                return
            self._pending += more

    def _skip_xz_padding(self, data: bytes) -> bytes:
        # Stream padding, NUL bytes between xz streams (allowed by the xz format, section 2.2): no junk
        while data[:1] == b"\0":
            rest = data.lstrip(b"\0")
            self._pending, self._consumed = rest + self._pending, self._consumed - len(rest)
            data = self._input()
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()
