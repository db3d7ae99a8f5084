"""Object-store listings (and small reads) made once while a folder holds still.

Once a run's stages are over, building its stats and report asks the same questions of the same
folders many times: which shards are done, is there a view, a manifest, a removed-ids file, what
does this completion record say. On an object store each answer is a request. Inside
`frozen(root)` (the caller promises that no other process changes anything under `root`), each
folder under it is listed once and answers `storage.names`, `exists`, `is_file` and a read of a
file it does not hold; small files read whole are kept. Writes and removals under the root
through the storage layer forget everything kept. Local folders are never kept: a local listing
is a system call.

Hand-written: fsspec's own listings cache is per instance and global (off for object stores in
storage.py, since the driver must see what workers write); this one is scoped to a block.
"""
from __future__ import annotations

import contextlib
import threading

# Small files read whole (completion records and views, ~0.3 KB; small shards, read by several
# sections of the report for other columns) are kept, up to a total.
SMALL_FILE = 2**20
SMALL_TOTAL = 64 * 2**20

_lock = threading.Lock()
_roots: list[str] = []
_folders: dict[str, dict[str, str]] = {}     # folder URL -> {name: "file" | "directory"}
_reads: dict[str, bytes] = {}
_read_bytes = 0


@contextlib.contextmanager
def frozen(root: str):
    """Within the block, nothing under the folder URL `root` changes but through this process's
    storage calls."""
    root = root.rstrip("/")
    with _lock:
        _roots.append(root)
    try:
        yield
    finally:
        with _lock:
            _roots.remove(root)
        forget()


def _covered(u: str) -> bool:
    return any(u == r or u.startswith(r + "/") for r in _roots)


def folder(u: str, ls) -> dict[str, str] | None:
    """The entries of folder `u` ({name: type}), listed once by `ls()` (fsspec detail entries),
    if `u` lies under a frozen root; None otherwise."""
    u = u.rstrip("/")
    if not _roots or not _covered(u):
        return None
    got = _folders.get(u)
    if got is None:
        try:
            entries = ls()
        except FileNotFoundError:
            entries = []
        got = {e["name"].rstrip("/").rsplit("/", 1)[-1]: e.get("type", "file") for e in entries}
        with _lock:
            _folders[u] = got
    return got


def entries(d) -> dict[str, str] | None:
    """The entries of folder `d` (a remote UPath) from a frozen listing, or None. A folder its
    parent's listing does not hold is empty without asking (s3fs lists the parent too when a
    folder is empty)."""
    if not _roots:
        return None
    parent = d.parent
    up = folder(str(parent), lambda: parent.fs.ls(parent.path, detail=True)) if parent != d else None
    if up is not None and up.get(d.name) != "directory":
        return {}
    return folder(str(d), lambda: d.fs.ls(d.path, detail=True))


def kind(p) -> str | None:
    """What a frozen listing of p's folder says of `p` (a remote UPath): "file", "directory", ""
    (nothing there), or None (not frozen: ask the store)."""
    got = entries(p.parent)
    return None if got is None else got.get(p.name, "")


def read(u: str) -> bytes | None:
    return _reads.get(u) if _roots else None


def keep(u: str, data: bytes) -> None:
    global _read_bytes
    if _roots and len(data) <= SMALL_FILE and _covered(u):
        with _lock:
            if _read_bytes + len(data) <= SMALL_TOTAL and u not in _reads:
                _reads[u] = data
                _read_bytes += len(data)


def changed(u: str) -> None:
    """`u` was written or removed: if it lies under a frozen root (or holds one), nothing kept
    is trusted any more. (A lease's heartbeat, beside the stages, changes nothing kept.)"""
    u = u.rstrip("/")
    if _roots and any(_covered(u) or r.startswith(u + "/") for r in _roots):
        forget()


def forget() -> None:
    global _read_bytes
    if _folders or _reads:
        with _lock:
            _folders.clear()
            _reads.clear()
            _read_bytes = 0
