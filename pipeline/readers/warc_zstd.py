"""`.warc.zst`: Zstandard WARCs as the IIPC WARC-zstd specification writes them, read past damage.

The specification (warcprox, the Internet Archive): one zstd frame per record, and, usually, a
dictionary in a skippable frame (magic 0x184D2A5D) at the start of the file, itself raw or
zstd-compressed, that every record frame needs. A plain zstd stream (one frame for the whole
file, `zstd file.warc`) is read the same way.

Why not fsspec's zstd file (zstandard's `stream_reader`): it knows no dictionary frame (every
record of such a file failed with "Dictionary mismatch"), it raised ZstdError at the first
damaged frame (a flipped byte, junk appended after the last frame) and so ended the whole read,
and it ends at a truncated frame as at the end of the file. Here frames are decoded one after
another with zstandard's decompressobj; at a frame that does not decode (or bytes that are no
frame) reading goes on at the next frame magic, and the gap is marked in the decompressed WARC
by one line, `[WARC-zstd damage …]` between blank lines, where the lost bytes were: the WARC
scanner then reports the record that was cut, or the marker itself, as damage with its reason
(data outside any record), so nothing is lost uncounted and every intact record frame is read.

Readers see decompressed offsets; a `FrameTable` given to the stream maps them back to the file
offset of the frame each byte came out of (where a reader can seek to, as a CDX index gives it).
"""
from __future__ import annotations

import bisect
import io

import zstandard

from pipeline.readers.decompress import zstd_feed_end, zstd_first_block

FRAME = b"\x28\xb5\x2f\xfd"             # a zstd frame's magic number, as stored (little-endian)
DICTIONARY_FRAME = b"\x5d\x2a\x4d\x18"  # the specification's skippable frame holding the dictionary
FEED = 1 << 16                          # compressed bytes per decoder call
READ = 1 << 20
MAX_DICTIONARY = 64 << 20
KEEP = 8 << 20                          # a frame's bytes kept to go back to its start after damage


class FrameTable:
    """Where each frame's output begins in the decompressed WARC, and where the frame begins in
    the file. Filled as streams decompress; every stream of one file decompresses alike, so one
    table serves several (one that starts over adds nothing new until it passes the others)."""

    def __init__(self):
        self._out: list[int] = []                 # decompressed offsets, increasing ...
        self._at: list[int] = []                  # ... and the file offsets of their frames

    def add(self, out: int, at: int) -> None:
        if self._out and out < self._out[-1]:
            return                                # known already
        if self._out and out == self._out[-1]:
            self._at[-1] = at                     # the frame before gave nothing (skippable, empty)
        else:
            self._out.append(out)
            self._at.append(at)

    def file_offset(self, out: int) -> int:
        """File offset of the frame holding decompressed offset `out` (`out` itself before any)."""
        i = bisect.bisect_right(self._out, out) - 1
        return self._at[i] if i >= 0 else out


class WarcZstdStream(io.RawIOBase):
    """The decompressed WARC of a `.warc.zst` file object `raw` (see the module docstring);
    `frames`, given, learns where each frame's output begins."""

    def __init__(self, raw, name: str = "", frames: FrameTable | None = None):
        self._raw, self._name, self._frames = raw, name, frames
        self._start()

    def _start(self) -> None:
        self._pos = 0                    # decompressed bytes handed out
        self._buf = b""                  # compressed bytes; _buf[0] is at file offset _base
        self._base = 0
        self._i = 0                      # the next byte to feed
        self._eof = False
        self._dctx = zstandard.ZstdDecompressor()
        self._dec = None                 # the current frame's decoder
        self._frame = 0                  # file offset where the current frame starts
        self._block = None               # file offset of the current frame's next unread block header
        self._out = memoryview(b"")
        self._first = True
        self._ended = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        """FastWARC asks where it is; the readers skip forward. Going back starts over."""
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self._pos + offset if whence == io.SEEK_CUR else None
        if target is None:
            raise io.UnsupportedOperation("seek from the end of a compressed stream")
        if target < self._pos:
            self._raw.seek(0)
            self._start()
        sink = bytearray(READ)
        while self._pos < target and self.readinto(memoryview(sink)[:min(READ, target - self._pos)]):
            pass
        return self._pos

    def readinto(self, b) -> int:
        while not self._out:
            if self._ended:
                return 0
            self._out = memoryview(self._step())
        n = min(len(b), len(self._out))
        b[:n] = self._out[:n]
        self._out = self._out[n:]
        self._pos += n
        return n

    def _fill(self, n: int) -> None:
        """At least n bytes after _i, unless the file ends; the current frame's start is kept
        (while it is at most KEEP bytes back) to go back to after damage."""
        while len(self._buf) - self._i < n and not self._eof:
            chunk = self._raw.read(READ)
            if not chunk:
                self._eof = True
                break
            keep = self._i
            if self._dec is not None and self._base + self._i - self._frame <= KEEP:
                keep = self._frame - self._base
            self._buf = self._buf[keep:] + chunk
            self._base += keep
            self._i -= keep

    def _step(self) -> bytes:
        buf, i = self._buf, self._i
        if self._dec is None:                     # between frames
            self._fill(8)
            buf, i = self._buf, self._i
            if i == len(buf):
                self._ended = True
                return b""
            if self._first and buf.startswith(DICTIONARY_FRAME, i):
                return self._dictionary()
            self._first = False
            if not (buf.startswith(FRAME, i) or _skippable(buf, i)):
                return self._resync(self._base + i, "bytes that start no zstd frame")
            self._dec, self._frame = self._dctx.decompressobj(), self._base + i
            if self._frames is not None:
                self._frames.add(self._pos, self._frame)
            self._fill(18)                        # the longest frame header
            first = zstd_first_block(self._buf, self._i)
            self._block = None if first is None else self._base + first
        self._fill(FEED)
        buf, i = self._buf, self._i
        block = None if self._block is None else self._block - self._base
        end, block = zstd_feed_end(buf, i, min(len(buf), i + FEED), block)
        self._block = None if block is None else self._base + block
        data = memoryview(buf)[i:end]
        if not data:                              # no frame can follow: the rest is gone
            self._dec, self._ended = None, True
            return self._mark(self._frame, "the file ends inside a frame")
        self._i += len(data)
        try:
            out = self._dec.decompress(data)
        except zstandard.ZstdError as e:
            self._dec = None
            if self._frame >= self._base:         # back to the frame's start: the next frames
                self._i = self._frame - self._base  # may have come in the same piece
            return self._resync(self._frame, f"{type(e).__name__}: {e}")
        if self._dec.eof:
            self._i -= len(self._dec.unused_data)
            self._dec = None
        return out

    def _dictionary(self) -> bytes:
        self._first = False
        at = self._base + self._i
        size = int.from_bytes(self._buf[self._i + 4:self._i + 8], "little")
        if size > MAX_DICTIONARY:
            return self._resync(at, f"a dictionary frame of {size} bytes")
        self._fill(8 + size)
        frame = self._buf[self._i + 8:self._i + 8 + size]
        self._i = min(len(self._buf), self._i + 8 + size)
        if len(frame) < size:
            self._ended = True
            return self._mark(at, "the file ends inside the dictionary frame")
        try:
            if frame.startswith(FRAME):           # the specification allows it compressed
                frame = zstandard.ZstdDecompressor().decompress(frame, max_output_size=MAX_DICTIONARY)
            self._dctx = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(frame))
        except zstandard.ZstdError as e:
            return self._mark(at, f"unusable dictionary frame: {e}")
        return b""

    def _resync(self, offset: int, why: str) -> bytes:
        """On at the next frame magic after _buf[_i] (the damaged frame's start, or bytes that
        start no frame); the gap is marked."""
        pos = self._i + 1
        while True:
            j = self._buf.find(FRAME, pos)
            if j >= 0:
                self._i = j
                break
            if self._eof:
                self._i = len(self._buf)
                break
            self._i = max(self._i, len(self._buf) - (len(FRAME) - 1))   # a magic may straddle reads
            self._fill(len(self._buf) - self._i + 1)
            pos = self._i
        return self._mark(offset, why)

    def _mark(self, offset: int, why: str) -> bytes:
        what = f"[WARC-zstd damage at compressed offset {offset} of {self._name or 'the file'}: {why}]"
        if self._frames is not None:
            self._frames.add(self._pos, offset)
        return b"\r\n\r\n" + what.encode("utf-8", "replace") + b"\r\n\r\n"

    def close(self) -> None:
        self._raw.close()
        super().close()


def _skippable(buf: bytes, i: int) -> bool:
    """A skippable frame (magic 0x184D2A50-5F) at buf[i]: zstandard passes over it."""
    return len(buf) >= i + 4 and 0x50 <= buf[i] <= 0x5f and buf[i + 1:i + 4] == b"\x2a\x4d\x18"
