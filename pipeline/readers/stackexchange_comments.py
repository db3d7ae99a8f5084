"""A Stack Exchange dump's comments by post id, for `include_comments`, in a temporary SQLite file.

Why not a dict: the comments table is read whole before the posts (a post's comments may come
anywhere in Comments.xml, which is in comment id order), and Stack Overflow's holds ~90 million
comments: as Python dicts of their rows that is tens of GB in one worker. SQLite (the standard
library's) keeps them on disk beside the worker's other scratch files with a bounded page cache,
and gives each post's comments in the order a reader reads them (creation date, then id) with
one indexed query. Nothing is created for a read without comments.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import tempfile
from typing import NoReturn

from pipeline.readers.guarded import StorageFailed

BATCH = 10_000                          # comments inserted a statement


class CommentStore:
    """Comment texts by post id; `add` them, `finish`, then `texts(post_id)`. A context manager:
    the file is removed on leaving it."""

    def __init__(self) -> None:
        self._dir: str | None = None
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, str, str]] = []

    def __enter__(self) -> "CommentStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, row: dict) -> None:
        """A comment row of the dump (its PostId, CreationDate, Id and Text attributes)."""
        self._pending.append((row["PostId"], row.get("CreationDate", ""), row.get("Id", ""), row.get("Text", "")))
        if len(self._pending) >= BATCH:
            self._flush()

    def finish(self) -> None:
        """All comments are in: index them by post (an index built once is faster than one kept)."""
        self._flush()
        if self._db is not None:
            with _scratch_failing(self._dir):
                self._db.execute("CREATE INDEX by_post ON comments (post, created, id)")
                self._db.commit()

    def texts(self, post_id: str) -> list[str]:
        """The post's comment texts, by creation date then id (as strings, as the dump writes them)."""
        if self._db is None:
            return []
        cur = self._db.execute("SELECT text FROM comments WHERE post = ? ORDER BY created, id", (post_id,))
        return [text for (text,) in cur]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _flush(self) -> None:
        if not self._pending:
            return
        with _scratch_failing(self._dir):
            self._insert()

    def _insert(self) -> None:
        if self._db is None:
            self._dir = tempfile.mkdtemp(prefix="stackexchange-comments-")
            self._db = sqlite3.connect(os.path.join(self._dir, "comments.sqlite"))
            # scratch that dies with the read: no journal, no fsync
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute("CREATE TABLE comments (post TEXT, created TEXT, id TEXT, text TEXT)")
        self._db.executemany("INSERT INTO comments VALUES (?, ?, ?, ?)", self._pending)
        self._pending = []


# SQLite's words for the machine failing under its file (not the dump's damage): the run must stop,
# as when storage fails under an input, not quarantine the dump as `reader_error` and go on.
_MACHINE_FAILURES = ("database or disk is full", "disk i/o error", "unable to open database file")


@contextlib.contextmanager
def _scratch_failing(folder: str | None):
    try:
        yield
    except sqlite3.OperationalError as e:
        if not any(m in str(e).lower() for m in _MACHINE_FAILURES):
            raise
        scratch_failed(e, errno.ENOSPC if "full" in str(e).lower() else errno.EIO, str(e),
                       f"writing the comments' scratch database in {folder or tempfile.gettempdir()}")


def scratch_failed(error: BaseException, code: int | None, said: str, doing: str) -> NoReturn:
    """Raise StorageFailed for the machine failing under a scratch folder (a full disk or quota, an
    I/O error, no file handles left) while the reader writes there: no damage of the input, so the
    run stops, as when storage fails under an input. Its cause: an OSError `code` reading "`said`,
    `doing` (TMPDIR: ...)" (`doing` names the folder), caused by `error`. Called while handling
    `error`; the dump reader's unpacking and this module's database both say their failures so."""
    cause = OSError(code, f"{said}, {doing} (TMPDIR: {tempfile.gettempdir()})")
    cause.__cause__ = error
    raise StorageFailed(cause) from cause
