"""Input files opened so that storage failing under a reader is never taken for damaged input.

Readers catch `OSError` (gzip's BadGzipFile, our CorruptStream) and, around pyarrow, py7zr and
mwparserfromhell, any `Exception`, and quarantine the rest of the file as damage. An I/O error of
the storage itself (EIO from a disk or NFS, a connection reset under s3fs, a timeout) is also an
OSError, so it was quarantined the same way: the run went on, the file's completion record made
the loss permanent, and a rerun did not read it again.

`open_input` is the one way a reader opens an input file. Whatever the bytes' source raises while
they are read comes out as `StorageFailed`, a `BaseException` as `KeyboardInterrupt` is: it says
nothing about the input, so no damage handler may take it. `read_source_file` turns it into
`storage.InputUnreadable`, which stops the run with one line naming the file. Errors from opening
the file (no such file, permission denied) are raised as they are: those are the input's, and are
quarantined as before.
"""
from __future__ import annotations

import contextlib
import io

import fsspec

from pipeline import storage


class StorageFailed(BaseException):
    """Storage failed while an input file was read; `__cause__` is what it raised."""


@contextlib.contextmanager
def reading():
    """A block that reads an input's bytes: what storage raises in it comes out as StorageFailed."""
    try:
        yield
    except io.UnsupportedOperation:       # an OSError too: seeking a pipe says what the file is
        raise
    except storage.storage_errors() as e:
        raise StorageFailed(e) from e


class _Guarded(io.RawIOBase):
    """A file whose reads and seeks raise StorageFailed for what its storage raises."""

    def __init__(self, raw):
        super().__init__()
        self._raw = raw
        self._readinto = getattr(raw, "readinto", None)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def readinto(self, b) -> int:
        with reading():
            if self._readinto is not None:
                return self._readinto(b)
            data = self._raw.read(len(b))
        b[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        with reading():
            return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


BUFFER = 1 << 16


def local_path(path: str) -> str | None:
    """The OS path of a local input (a plain path or file://), or None for any other URL."""
    return path.removeprefix("file://") if "://" not in path or path.startswith("file://") else None


def open_input(path: str, buffer: int = BUFFER) -> io.BufferedReader:
    """A buffered binary file of `path` (a local path or any fsspec URL) for a reader. An error
    opening it is raised as it is, unless it is the storage's (`storage.failing`)."""
    try:
        local = local_path(path)
        raw = open(local, "rb", buffering=0) if local is not None else fsspec.open(path, "rb").open()
    except Exception as e:
        if storage.failing(e):
            raise StorageFailed(e) from e
        raise
    return io.BufferedReader(_Guarded(raw), buffer)
