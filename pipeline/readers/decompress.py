"""Decompressed input that gives every byte decoded before damage, then fails in one way.

Hand-written over each codec's incremental decompressor (zlib/isal, bz2, lzma, zstandard) instead of
the library file objects, which the damage campaign (tests/test_source_fuzz.py) caught at three things:
- BZ2File, GzipFile/IGzipFile and LZMAFile decode through a BufferedReader whose `read(n)` drops
  what it decoded in that call when the stream then turns out damaged: a truncated dump read in
  1 MiB chunks lost up to its last MiB of good pages, uncounted;
- zstandard's `stream_reader` ends at a truncated frame as at a complete file (silent loss);
- each codec raises its own errors (zlib.error, IsalError, LZMAError, ZstdError, EOFError,
  BadGzipFile), and a reader that missed one crashed the run.
Here compressed bytes are fed in FEED-byte pieces; what they decode to is returned; the read after
the last good byte raises `CorruptStream` (an OSError) saying truncated or corrupt, where. Several
members (gzip members, bz2 multistream, zstd frames, xz streams) are read one after another; bytes
after the last member that do not start a new one are an error too (the data before them is kept).

`sniff_codec` names the codec a file's first bytes say (gzip 1f8b, zstd 28b52ffd or a skippable
frame, bz2 `BZh`, xz fd377a585a00): row files are opened by what they hold, not only by their name,
because published corpora get names wrong (plain JSON Lines saved as .jsonl.gz, zstd named
.jsonl.zstd, gzip named .json), and a name-only choice lost such a file as `corrupt_compression` or
read its compressed bytes as text (`bad_encoding` garbage).
"""
from __future__ import annotations

import bz2
import io
import lzma
import zlib

try:                                   # the same fast inflate fsspec uses for .gz when installed
    from isal import isal_zlib as _gzip_zlib
except ImportError:                    # pragma: no cover - isal is a pinned dependency
    _gzip_zlib = zlib

FEED = 1 << 14                         # compressed bytes per decoder call: the most damage can cost
OUT = 1 << 20                          # decoded bytes per call at most (bounds a decompression bomb)
CODECS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "xz", ".zst": "zstd", ".zstd": "zstd"}
ZSTD_FIRST_STEP = 256                  # zstd input bytes per call at first, and at the least (<= ~8 MiB out)
SNIFF = 4096                           # bytes of a file's start that sniff_codec and looks_like_text judge


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


class CorruptStream(OSError):
    """A compressed stream that is truncated or damaged; everything decoded before it was returned."""


class JunkAfterStream(CorruptStream):
    """Bytes after the last complete member that do not start a valid one (appended junk, or a
    member whose header is damaged): every complete member before them was returned whole."""


def _decoder(codec: str):
    if codec == "gzip":
        return _gzip_zlib.decompressobj(wbits=31)
    if codec == "bz2":
        return bz2.BZ2Decompressor()
    if codec == "xz":
        return lzma.LZMADecompressor()
    import zstandard
    return zstandard.ZstdDecompressor().decompressobj()


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
    """A raw binary stream of `raw` decompressed with `codec` (gzip, bz2, xz, zstd)."""

    def __init__(self, raw, codec: str, name: str = ""):
        self._raw, self._codec, self._name = raw, codec, name
        self._dec = None               # the current member's decoder; None between members
        self._pending = b""            # compressed bytes read but not fed
        self._out = memoryview(b"")
        self._error: CorruptStream | None = None
        self._consumed = 0             # compressed bytes fed to finished members and the current one
        self._decoded = 0
        self._catch = _errors()
        self._ended = False
        self._fresh = False            # the current decoder has decoded nothing yet after a finished member
        self._members = 0
        # zstd's decompressobj has no output limit and a 4-byte block can stand for 128 KiB: its
        # input goes in pieces sized by the last piece's ratio, so that one call gives about OUT
        # (a 10 KB file of 300 MB of spaces gave 300 MB in one call)
        self._zstd_step = ZSTD_FIRST_STEP

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._out:
            if self._error is not None:
                raise self._error
            if self._ended:
                return 0
            try:
                self._out = memoryview(self._step())
            except self._catch as e:
                truncated = isinstance(e, EOFError)
                after_member = self._fresh and not truncated
                self._error = (JunkAfterStream if after_member else CorruptStream)(
                    f"{self._name}: {'junk after' if after_member else 'truncated' if truncated else 'corrupt'} "
                    f"{self._codec} stream after "
                    f"{self._decoded} decoded bytes (compressed offset ~{self._consumed}): {type(e).__name__}: {e}")
        n = min(len(b), len(self._out))
        b[:n] = self._out[:n]
        self._out = self._out[n:]
        self._decoded += n
        return n

    def _input(self) -> bytes:
        # FEED bytes from where the member started (the rest of the last piece topped up), so that
        # what damage costs does not depend on where the previous member ended
        if len(self._pending) < FEED:
            self._pending += self._raw.read(FEED - len(self._pending))
        data, self._pending = self._pending[:FEED], self._pending[FEED:]
        self._consumed += len(data)
        return data

    def _step(self) -> bytes:
        d = self._dec
        if d is None:                  # between members: the end, or a new member
            data = self._input()
            if not data:
                self._ended = True
                return b""
            d = self._dec = _decoder(self._codec)
            self._fresh = self._members > 0
        elif self._codec in ("bz2", "xz") and not d.needs_input:
            data = b""                 # output held back by OUT: no new input yet
        elif self._codec == "gzip" and d.unconsumed_tail:
            data = d.unconsumed_tail
        else:
            data = self._input()
            if not data:
                raise EOFError("the file ends inside a compressed member")
        if self._codec == "zstd":
            if len(data) > self._zstd_step:
                self._pending = data[self._zstd_step:] + self._pending
                self._consumed -= len(data) - self._zstd_step
                data = data[:self._zstd_step]
            out = d.decompress(data)
            ratio = max(1.0, len(out) / max(1, len(data)))
            self._zstd_step = int(max(ZSTD_FIRST_STEP, min(FEED, OUT / ratio)))
        else:
            out = d.decompress(data, OUT)
        self._fresh = self._fresh and not out
        if d.eof:
            self._members += 1
            rest = d.unused_data
            self._pending = rest + self._pending
            self._consumed -= len(rest)
            self._dec = None
        return out

    def close(self) -> None:
        self._raw.close()
        super().close()
