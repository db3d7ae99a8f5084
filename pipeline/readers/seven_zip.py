"""The members of a .7z archive as streams, decoded as they are read, with bounded memory.

py7zr (the field's pure-Python 7z library) decodes a member whole into memory (`read`) or to disk
(`extract`); a Wikimedia pages-meta-history .7z holds hundreds of GB of XML. Its writer-factory
hook gets the decoded bytes as they come, so py7zr runs in a thread writing into a small queue and
the reader pulls from it: hand-written only for that hand-over (see seven_zip_members).
"""
from __future__ import annotations

import io
import queue
import threading
from typing import Iterator

SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
SEVEN_ZIP_PIECE = 1 << 20       # decoded bytes a hand-over slot holds, and what py7zr decodes a call (_ShortReads)
SEVEN_ZIP_READ = (1 << 12, 1 << 16)   # compressed bytes py7zr reads a call, at least and at most
SEVEN_ZIP_SLOTS = 4             # slots between the decoding thread and the reader


class _Cancelled(Exception):
    """The reader stopped before the archive's end: the decoding thread ends at its next write."""


class _SevenZipPipe:
    """py7zr decoding an archive in a thread, handing each member's bytes over through a queue of
    SEVEN_ZIP_SLOTS pieces of SEVEN_ZIP_PIECE bytes: events ("open", name), ("data", bytes),
    ("end", name), ("error", exception), ("done", None)."""

    def __init__(self, archive, short: "_ShortReads"):
        from py7zr.io import Py7zIO, WriterFactory
        self.events: queue.Queue = queue.Queue(SEVEN_ZIP_SLOTS)
        self.cancel = threading.Event()
        self.finished = False          # the thread has put its last event ("done" or "error")
        pipe = self

        class Writer(Py7zIO):
            def __init__(self, name: str):
                self.name, self.written = name, 0

            def write(self, s) -> int:
                view = memoryview(s)
                for i in range(0, len(view), SEVEN_ZIP_PIECE):
                    pipe.put(("data", bytes(view[i:i + SEVEN_ZIP_PIECE])))
                self.written += len(view)
                short.decoded(len(view))
                return len(view)

            def read(self, size=None) -> bytes:
                return b""

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def flush(self) -> None:
                pass

            def size(self) -> int:
                return self.written

            def close(self) -> None:           # py7zr: the member is complete (its CRC checked)
                pipe.put(("end", self.name))

        class Factory(WriterFactory):
            def create(self, filename: str) -> Py7zIO:
                pipe.put(("open", filename))
                return Writer(filename)

        def run():
            try:
                archive.extractall(factory=Factory())
                pipe.put(("done", None))
            except _Cancelled:
                pass
            except BaseException as e:  # noqa: BLE001 - handed to the reader, raised there
                try:
                    pipe.put(("error", e))
                except _Cancelled:
                    pass

        self.thread = threading.Thread(target=run, name="mediawiki-7z", daemon=True)
        self.thread.start()

    def put(self, event) -> None:
        while not self.cancel.is_set():
            try:
                self.events.put(event, timeout=0.1)
                return
            except queue.Full:
                pass
        raise _Cancelled

    def get(self):
        if self.finished:
            return ("done", None)
        event = self.events.get()
        self.finished = event[0] in ("done", "error")
        return event

    def stop(self) -> None:
        self.cancel.set()
        while self.thread.is_alive():
            try:
                while True:
                    self.events.get_nowait()       # room for a put under way: it returns, the next raises
            except queue.Empty:
                pass
            self.thread.join(0.05)


class _ShortReads(io.RawIOBase):
    """The archive file, read at most `cap` bytes a call once `cap` is set. py7zr decodes what one
    read gives in one call, and reads 1 MiB (its `blocksize` option sizes only its checksum reads):
    1 MiB of a history dump, compressed ~100:1, was one ~100 MB piece. `cap` follows the ratio seen
    so far (`decoded`), so that a call decodes about SEVEN_ZIP_PIECE bytes, within SEVEN_ZIP_READ.
    py7zr takes a short read of packed data as it comes (SevenZipDecompressor._read_data counts what
    it got); its header is read before `cap` is set, whole."""

    def __init__(self, f):
        self.f = f
        self.cap: int | None = None
        self.packed = self.unpacked = 0

    def decoded(self, n: int) -> None:
        self.unpacked += n
        if self.cap is not None and self.packed:
            want = SEVEN_ZIP_PIECE * self.packed // self.unpacked
            self.cap = max(SEVEN_ZIP_READ[0], min(SEVEN_ZIP_READ[1], want))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.f.seek(offset, whence)

    def tell(self) -> int:
        return self.f.tell()

    def read(self, n: int | None = -1) -> bytes:
        if self.cap is None:
            return self.f.read(n)
        data = self.f.read(self.cap if n is None or n < 0 or n > self.cap else n)
        self.packed += len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


class _SevenZipMember(io.RawIOBase):
    """One member's bytes as the thread decodes them; the thread's error is raised as an OSError
    where the data ends (after every byte decoded before it)."""

    def __init__(self, pipe: _SevenZipPipe, name: str):
        self.pipe, self.name = pipe, name
        self.pending = memoryview(b"")
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.pending:
            if self.done:
                return 0
            kind, value = self.pipe.get()
            if kind == "data":
                self.pending = memoryview(value)
            elif kind == "error":
                self.done = True
                raise OSError(f"7z member {self.name}: {type(value).__name__}: {' '.join(str(value).split())}") \
                    from value
            else:                          # "end" (or "done": the thread ended without closing it)
                self.done = True
        n = min(len(b), len(self.pending))
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def seven_zip_members(path: str, chunk: int = 1 << 20) -> Iterator[tuple[str, io.BufferedReader]]:
    """(name, stream) of each member of a .7z, in archive order, streamed: py7zr decodes in a thread
    (its extract with a writer factory) and the reader takes the bytes as they come, so nothing is
    unpacked to disk. Memory holds, besides the archive's LZMA dictionary (what it was packed with:
    16-64 MiB for Wikimedia's) and its index, SEVEN_ZIP_SLOTS pieces of SEVEN_ZIP_PIECE bytes
    (4 MiB) waiting for the reader and what py7zr decodes in one call, a few copies of it while py7zr
    joins its buffers: about SEVEN_ZIP_PIECE (1 MiB), as _ShortReads sizes its reads by the ratio
    seen; at worst SEVEN_ZIP_READ[0] (4 KiB) times the ratio of the data at hand (LZMA's utmost is
    ~7000:1, 28 MB) and never more than py7zr's own cap (get_memory_limit: at most 128 MB). A
    member not read to its end is drained before the next. A listing or decoding error of py7zr is
    raised here (a member's own, by its stream: _SevenZipMember)."""
    import py7zr

    from pipeline.readers.guarded import open_input
    with open_input(path) as f, _ShortReads(f) as short, py7zr.SevenZipFile(short) as archive:
        short.cap = SEVEN_ZIP_READ[0]         # until the ratio is known
        pipe = _SevenZipPipe(archive, short)
        try:
            while True:
                kind, value = pipe.get()
                if kind == "open":
                    member = _SevenZipMember(pipe, value)
                    with io.BufferedReader(member, chunk) as stream:
                        yield value, stream
                        while stream.read1(chunk):      # what the reader left, up to the member's end
                            pass
                elif kind == "error":
                    raise value
                elif kind == "done":
                    return
        finally:
            pipe.stop()
