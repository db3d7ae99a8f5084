"""Where a run's files live: a local disk, `s3://`, `gs://`, `memory://` — one API for all.

Everything a run writes or reads (stage folders, completion records, scratch and spill files,
token shards, manifest, stats, report, quarantine) goes through this module, so the same run
works on a laptop's disk and on object storage shared by the nodes of a Ray cluster.

Paths are `upath.UPath` objects (universal-pathlib: the pathlib API over fsspec). A local path is
a real `pathlib.Path`, so code that only ever ran locally keeps working unchanged; `s3://...`
gets s3fs, `gs://...` gets gcsfs (both dependencies), credentials from the usual environment
(`AWS_*`, `AWS_ENDPOINT_URL`, `GOOGLE_APPLICATION_CREDENTIALS`, `STORAGE_EMULATOR_HOST`).

Commit protocol. Local writes go to a temporary file that is renamed into place, so a reader never
sees half a file. Object stores have no rename, but a PUT is atomic per object: a file appears
whole or not at all. What makes a shard count is its completion record, written after its data;
a rerun lists completion records, never data files, so an object left by a killed run without its
record is simply rewritten (shard names depend only on the input, so it gets the same name).

fsspec's listing caches are turned off for object stores: the driver lists records that worker
processes wrote, which an instance-level cache would never see. Where nothing changes any more (a
finished run's stages while its stats and report are made), `frozen` lists each folder once.

Requests. On an object store every request is latency (~10-50 ms on S3) and money, and a run reads
each record, view and shard several times: reads ask for byte ranges (no HEAD for the size first),
probes are one request, and a missing file is learned by reading it, not by asking first (#15).

Telling storage failing from bad data, and the one line a run stops with then, is
pipeline/storage_failures.py; its names are re-exported here (`storage.failing`, `storage.failure_line`).
"""
from __future__ import annotations

import builtins
import contextlib
import errno
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from pipeline import listings
# Storage failures are told apart and worded in their own module; callers find them here, as
# `storage.failing` and the like, with the rest of the storage layer.
from pipeline.storage_failures import (
    AWS_SETTINGS, GCS_SETTINGS, REFUSED_CODES, STORAGE_ERRNOS, InputUnreadable, bucket_problem,
    credentials_problem, failing, failure_line, input_unreadable, storage_errors,
)

# The storage layer's API. The re-exported names are listed too: that is what tells linters they are
# imported to be used from here.
__all__ = [
    "PARQUET_OPTS", "SAMPLES_LEVEL", "QUARANTINE_LEVEL", "LOCAL_PROTOCOLS", "WHOLE_READ", "PARQUET_TAIL",
    "FOOTER_TAIL", "FOLDER_MARKERS",
    "path", "is_local", "url", "protocol", "join", "is_within",
    "write_bytes_atomic", "create_file", "write_text_atomic", "write_json_atomic", "parquet_bytes",
    "write_parquet_atomic", "write_ipc_atomic", "write_npy_atomic",
    "read_bytes", "read_text", "DamagedFile", "read_json", "read_npy", "read_parquet", "read_parquet_file",
    "parquet_metadata", "read_ipc", "open",
    "exists", "frozen", "is_file", "names", "remove", "remove_file", "remove_files", "is_empty_dir",
    "AWS_SETTINGS", "GCS_SETTINGS", "REFUSED_CODES", "STORAGE_ERRNOS", "InputUnreadable", "bucket_problem",
    "credentials_problem", "failing", "failure_line", "input_unreadable", "storage_errors",
]

# No dictionary pages: document columns are mostly unique strings and float signals, and zstd packs a
# repeated value (source, language) as well as a dictionary would: 1.9% smaller document shards, 2.5%
# smaller samples on real pages, and a dictionary page less per column and file.
PARQUET_OPTS = dict(compression="zstd", compression_level=3, write_statistics=False, use_dictionary=False)
# zstd levels for files written once and read rarely. Removed samples are bounded (a few dozen rows
# a stage), so the slowest level costs nothing that grows with the input: about 10% smaller than level 3
# on real pages. Quarantine grows with the bad input, so it gets a level that still compresses at
# tens of MB/s per core: about 6% smaller. (Level 3 stays for documents: they are most of what a run writes.)
SAMPLES_LEVEL = 19
QUARANTINE_LEVEL = 9
LOCAL_PROTOCOLS = ("", "file", "local")
# Object-store reads by range (see _read_whole, read_parquet_file). A whole object up to WHOLE_READ
# bytes comes in one GET (s3fs's own size for one GET). A Parquet file is read from its end: the
# last PARQUET_TAIL bytes are the whole of a smaller file (one request, where opening it asked its
# size, footer and columns: three); a larger one then costs what it did (its size and columns), plus
# at most this many bytes more, about a request's latency on S3. FOOTER_TAIL is pyarrow's own guess
# at a footer's size.
WHOLE_READ = 50 * 2**20
PARQUET_TAIL = 2**20
FOOTER_TAIL = 64 * 2**10

# Listings must reflect what other processes wrote (see module docstring).
for _proto in ("s3", "s3a", "gs", "gcs"):
    fsspec.config.conf.setdefault(_proto, {}).setdefault("use_listings_cache", False)

def path(p: str | os.PathLike) -> UPath:
    """A path object for a local path or a URL. Local paths are made absolute (a `pathlib.Path`).

    `s3://bucket/run` stays a URL: it never becomes a local folder named `s3:`. A local path is
    resolved as `Path.resolve()` resolves it (links followed, `..` gone: the same path), through
    `os.path.realpath`, which `Path.resolve()` calls and then, in Python 3.11, raises RuntimeError
    on a symlink loop (`src/loopA -> loopB -> loopA` in a checkout): the run stopped with a
    traceback before reading anything. A looping link keeps its own name here, and opening it is
    an OSError (ELOOP) like a dangling link's, which its reader quarantines."""
    if isinstance(p, UPath):
        return p if not is_local(p) else UPath(_real(p))
    s = os.fspath(p)
    if "://" in s and not s.startswith("file://"):
        return UPath(s)
    return UPath(_real(os.path.expanduser(s.removeprefix("file://"))))


def _real(p) -> Path:
    """`Path(p).resolve()` without its RuntimeError on a symlink loop (see `path`)."""
    return Path(os.path.realpath(p))


def is_local(p) -> bool:
    proto = getattr(p, "protocol", None)
    if proto is None:
        s = os.fspath(p)
        return "://" not in s or s.startswith("file://")
    return proto in LOCAL_PROTOCOLS


def url(p) -> str:
    """The path as a string fsspec and users understand: a local path, or a URL with its scheme."""
    return str(p)


def protocol(p) -> str:
    return "file" if is_local(p) else path(p).protocol


def join(base, *parts: str) -> UPath:
    return path(base).joinpath(*parts)


# -- writing -------------------------------------------------------------------------------------
def _tmp(p: Path) -> Path:
    return p.with_name(f".{p.name}.{uuid.uuid4().hex[:8]}.tmp")


def write_bytes_atomic(p, data: bytes | memoryview) -> None:
    """Write a whole file so that readers see all of it or nothing (temp+rename locally, one PUT on
    an object store)."""
    p = path(p)
    listings.changed(url(p))
    if is_local(p):
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = _tmp(p)
        try:
            with builtins.open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, p)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()            # a disk that filled up keeps no half-written temp file
            if e.filename is None:      # `write` says no space left, not where
                e.filename = url(p)
            raise
    else:
        p.fs.pipe_file(p.path, bytes(data))


def create_file(p, data: bytes) -> bool:
    """Write a whole file only if nothing is at `p`, in one step no other writer can come between;
    False when something already is (a lease another run just took). Locally a complete temporary
    file is hard-linked to the name (the link fails if the name exists, and a reader never sees the
    file half-written, as it could one made with O_EXCL and then written); a file system without
    hard links gets O_EXCL. On an object store a conditional PUT (`If-None-Match: *` on S3,
    a generation match on GCS; fsspec's `mode="create"`)."""
    p = path(p)
    listings.changed(url(p))
    if not is_local(p):
        try:
            p.fs.pipe_file(p.path, bytes(data), mode="create")
        except FileExistsError:
            return False
        return True
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(p)
    with builtins.open(tmp, "wb") as f:
        f.write(data)
    try:
        os.link(tmp, p)
    except FileExistsError:
        return False
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        try:
            with builtins.open(p, "xb") as f:
                f.write(data)
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return True


def write_text_atomic(p, text: str) -> None:
    write_bytes_atomic(p, text.encode("utf-8"))


def write_json_atomic(obj: Any, p, compact: bool = False) -> None:
    """`compact` for records that programs read (one per shard and stage: the indentation was a
    fifth of their bytes); files people read (stats, plan) stay indented."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False,
                      **({"separators": (",", ":")} if compact else {"indent": 1}))
    write_text_atomic(p, text)


def parquet_bytes(table: pa.Table, compression_level: int = PARQUET_OPTS["compression_level"],
                  compression: str = PARQUET_OPTS["compression"]) -> pa.Buffer:
    """The table as a Parquet file. Arrow's own copy of the schema (`ARROW:schema` in the footer,
    ~3.6 KB for a document table with quality signals, per file) is kept only when the Parquet
    schema alone does not read back as the same Arrow schema (dictionary or large types, time zones,
    schema metadata): reading a file gives the same table either way."""
    opts = {**PARQUET_OPTS, "compression": compression, "compression_level": compression_level}
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, store_schema=False, **opts)
    buf = sink.getvalue()
    if not pq.read_schema(pa.BufferReader(buf)).equals(table.schema, check_metadata=True):
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **opts)
        buf = sink.getvalue()
    return buf


def write_parquet_atomic(table: pa.Table, p, compression_level: int = PARQUET_OPTS["compression_level"],
                         compression: str = PARQUET_OPTS["compression"]) -> None:
    write_bytes_atomic(p, parquet_bytes(table, compression_level, compression))


def write_ipc_atomic(table: pa.Table, p, stream: bool = True) -> bytes:
    """Arrow IPC (stream or file format), written whole; returns the bytes written (to checksum)."""
    sink = pa.BufferOutputStream()
    opener = pa.ipc.new_stream if stream else pa.ipc.new_file
    with opener(sink, table.schema) as w:
        w.write_table(table, max_chunksize=max(1, table.num_rows))
    data = sink.getvalue()
    write_bytes_atomic(p, data)
    return data


def write_npy_atomic(arr, p) -> None:
    import io
    import numpy as np
    buf = io.BytesIO()
    np.save(buf, arr)
    write_bytes_atomic(p, buf.getbuffer())


# -- reading -------------------------------------------------------------------------------------
def read_bytes(p, start: int | None = None, end: int | None = None) -> bytes:
    p = path(p)
    if is_local(p):
        with builtins.open(p, "rb") as f:
            if start:
                f.seek(start)
            return f.read() if end is None else f.read(end - (start or 0))
    if start is None and end is None:
        u = url(p)
        if (kept := listings.read(u)) is not None:
            return kept
        _absent(p)
        data = _read_whole(p)
        listings.keep(u, data)
        return data
    return p.fs.cat_file(p.path, start=start, end=end)


def _read_whole(p: UPath) -> bytes:
    """A whole object. fsspec's cat_file asks its size first (a HEAD before each GET: a third of
    a run's requests went to records and spill files read this way); asking for the first
    WHOLE_READ bytes by range gets a smaller object whole in one GET. A larger one gets its size
    and the rest in parallel ranges, as s3fs does for objects larger than its block size."""
    fs = p.fs
    try:
        head = fs.cat_file(p.path, start=0, end=WHOLE_READ)
    except (FileNotFoundError, PermissionError):
        raise
    except OSError:         # an empty object has no byte 0: S3 answers any range with 416
        return fs.cat_file(p.path)
    if len(head) != WHOLE_READ:         # more: a server that ignored the range sent it whole
        return head
    size = fs.size(p.path)
    starts = list(range(WHOLE_READ, size, WHOLE_READ))
    parts = fs.cat_ranges([p.path] * len(starts), starts, [min(s + WHOLE_READ, size) for s in starts])
    for part in parts:
        if isinstance(part, BaseException):
            raise part
    return b"".join([head, *parts])


def read_text(p) -> str:
    return read_bytes(p).decode("utf-8")


class DamagedFile(ValueError):
    """A file a run wrote that no longer reads as what it was (cut short, overwritten): the run,
    `inspect` or `report` stops with one line naming it instead of a parser's traceback."""


def read_json(p) -> Any:
    data = read_bytes(p)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:     # JSONDecodeError, UnicodeDecodeError
        raise DamagedFile(f"{url(p)}: not valid JSON ({e}): damaged or cut short") from None


_NPY_HEADER = re.compile(r"\{'descr': '([<>|=]?[a-zA-Z]\d*)', 'fortran_order': (True|False), "
                         r"'shape': \(((?:\d+, ?)*\d*)\), \}")


def read_npy(p):
    """A .npy array. Its header is parsed here: numpy parses it with `ast.literal_eval`, and
    CPython 3.11's AST state races with other threads compiling (`SystemError: AST constructor
    recursion depth mismatch` when offsets files were read by a thread pool). Only headers
    `write_npy_atomic` writes for plain dtypes are read this way; anything else goes to numpy."""
    import io
    import numpy as np
    data = read_bytes(p)
    if data[:6] == b"\x93NUMPY" and data[6] in (1, 2, 3):
        size_bytes = 2 if data[6] == 1 else 4
        start = 8 + size_bytes
        header = data[start:start + int.from_bytes(data[8:start], "little")]
        if m := _NPY_HEADER.match(header.decode("latin1")):
            shape = tuple(int(d) for d in m[3].replace(" ", "").split(",") if d)
            arr = np.frombuffer(data, dtype=np.dtype(m[1]), offset=start + len(header),
                                count=int(np.prod(shape, dtype=np.int64)))
            return arr.reshape(shape, order="F" if m[2] == "True" else "C")
    return np.load(io.BytesIO(data))


def read_parquet(p, columns: list[str] | None = None) -> pa.Table:
    p = path(p)
    if is_local(p):
        if p.is_file():
            return _read_parquet_file(str(p), columns)
        return pq.read_table(str(p), columns=columns)    # a folder of files: a dataset
    if p.name.endswith(".parquet"):
        # One object: its footer and columns by range. The dataset layer asks ~7 requests of an
        # object store for the same file (~5x the time on a loopback S3), and a run reads each
        # shard several times (dedup phases, views, mix, stats).
        try:
            return read_parquet_file(p, columns)
        except (FileNotFoundError, IsADirectoryError):
            pass                                      # a folder named *.parquet: a dataset
    return pq.read_table(p.path, columns=columns, filesystem=p.fs)


def read_parquet_file(p, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file (never a folder of them); a missing file is FileNotFoundError."""
    p = path(p)
    if is_local(p):
        return _read_parquet_file(str(p), columns)
    tail = _tail(p, PARQUET_TAIL)
    if len(tail) < PARQUET_TAIL:                    # the whole object: one request
        return _read_parquet_file(pa.BufferReader(tail), columns, name=url(p))
    with p.fs.open(p.path, "rb") as source:
        return _read_parquet_file(source, columns, name=url(p), metadata=_footer(p, tail))


def _footer(p: UPath, tail: bytes) -> pq.FileMetaData:
    """The metadata of a remote Parquet file from its last bytes (fetching more if the footer is
    longer than `tail`): a file's end is its footer, its length, then `PAR1`."""
    need = int.from_bytes(tail[-8:-4], "little") + 8 if len(tail) >= 8 else 0
    if need > len(tail):
        tail = _last(p, need)
    return pq.read_metadata(pa.BufferReader(tail))


def _read_parquet_file(p, columns: list[str] | None, name: str | None = None,
                       metadata: pq.FileMetaData | None = None) -> pa.Table:
    """One file (a local path, or an open file), the table pq.read_table gives, without its
    dataset layer: importing pyarrow.dataset imports pandas, ~0.4 CPU-s in every process that
    reads a shard (the driver and each worker). A missing column is an error, as it is for
    pq.read_table."""
    name = name or p
    with _damage_named(name):
        f = pq.ParquetFile(p, metadata=metadata)
    with f:
        if columns is not None:
            names = f.schema_arrow.names
            missing = [c for c in columns if c not in names]
            if missing:
                raise pa.ArrowInvalid(f"{name}: no column {missing[0]!r} (columns: {', '.join(names)})")
        with _damage_named(name):
            return f.read(columns=columns)


@contextlib.contextmanager
def _damage_named(name):
    """Arrow's errors for a file that is no (longer a whole) Parquet file, as DamagedFile naming it."""
    try:
        yield
    except FileNotFoundError:
        raise
    except (pa.ArrowInvalid, OSError) as e:
        raise DamagedFile(f"{name}: not a readable Parquet file ({' '.join(str(e).split())}): damaged or "
                          f"cut short") from None


def parquet_metadata(p) -> pq.FileMetaData:
    """Row counts and schema (`.schema.to_arrow_schema()`) without reading the data: on an object
    store, the file's last bytes by range (one request; the whole file if it is small)."""
    p = path(p)
    with _damage_named(url(p)):
        if is_local(p):
            return pq.read_metadata(str(p))
        return _footer(p, _tail(p, FOOTER_TAIL))


def _last(p: UPath, n: int) -> bytes:
    """The last n bytes of an object (all of a smaller one) by a suffix range. A server that
    ignores suffix ranges (GCS's emulator; some S3-compatible stores) answers with the whole
    object: its end is taken here, or every footer read there would be misread."""
    tail = p.fs.cat_file(p.path, start=-n)
    return tail[-n:] if len(tail) > n else tail


def _tail(p: UPath, n: int) -> bytes:
    """The last n bytes of an object by range (no HEAD), the whole object if it is smaller
    (kept for the next read inside a `frozen` block)."""
    u = url(p)
    if (kept := listings.read(u)) is not None:
        return kept if len(kept) <= n else kept[-n:]
    _absent(p)
    tail = _last(p, n)
    if len(tail) < n:
        listings.keep(u, tail)
    return tail


def read_ipc(p) -> pa.Table:
    """An Arrow IPC file or stream: memory-mapped locally, read whole from an object store."""
    p = path(p)
    source = pa.memory_map(str(p), "r") if is_local(p) else pa.BufferReader(read_bytes(p))
    try:
        return pa.ipc.open_file(source).read_all()
    except pa.ArrowInvalid:
        source.seek(0)
        return pa.ipc.open_stream(source).read_all()


def open(p, mode: str = "rb"):  # noqa: A001 - the storage layer's open, like fsspec.open
    """A file object for reading (or streaming a large write) anywhere fsspec reaches."""
    p = path(p)
    if "r" not in mode:
        listings.changed(url(p))
    if is_local(p) and "w" in mode:
        p.parent.mkdir(parents=True, exist_ok=True)
    return p.open(mode)


# -- listing and removing ------------------------------------------------------------------------
def exists(p) -> bool:
    p = path(p)
    if (kind := _listed(p)) is not None:
        return bool(kind)
    return p.exists()


@contextlib.contextmanager
def frozen(root):
    """A block in which nothing under `root` changes but through this process (a finished run's
    stages, while its stats and report are made): on an object store each folder under it is
    listed once for names(), exists(), is_file() and reads of missing files (pipeline/listings.py)."""
    root = path(root)
    if is_local(root):
        yield
        return
    with listings.frozen(url(root)):
        yield


def _listed(p: UPath) -> str | None:
    """What a frozen listing of p's folder says of p: "file", "directory", "" (nothing there),
    or None (not frozen: ask the store)."""
    return None if is_local(p) else listings.kind(p)


def _absent(p: UPath) -> None:
    """Raise what a read of a file a frozen listing does not hold would raise, without asking."""
    kind = _listed(p)
    if kind == "":
        raise FileNotFoundError(url(p))
    if kind == "directory":
        raise IsADirectoryError(url(p))


def is_file(p) -> bool:
    """Is there a file at `p`? On an object store one request, where `exists` asks a HEAD and,
    for a missing key, a listing too (is it a folder?)."""
    p = path(p)
    if is_local(p):
        return p.is_file()
    if (kind := _listed(p)) is not None:
        return kind == "file"
    try:
        p.fs.cat_file(p.path, start=-1)           # the last byte, by range: a GET
    except FileNotFoundError:
        return False
    except PermissionError:
        raise
    except OSError:         # an empty object has no last byte (416): ask the usual way
        return p.fs.isfile(p.path)
    return True


def names(directory, suffix: str = "") -> list[str]:
    """Sorted names of the files directly in `directory` that end with `suffix` (hidden temp
    files of unfinished local writes are never listed)."""
    d = path(directory)
    kept = None if is_local(d) else listings.entries(d)
    try:
        entries = list(kept) if kept is not None else os.listdir(d) if is_local(d) else d.fs.ls(d.path, detail=False)
    except FileNotFoundError:
        return []
    out = []
    for e in entries:
        name = str(e).rstrip("/").rsplit("/", 1)[-1]
        if name.endswith(suffix) and not name.startswith("."):
            out.append(name)
    return sorted(out)


def remove(p, recursive: bool = True) -> None:
    """Remove a file or a folder; nothing there is not an error."""
    p = path(p)
    listings.changed(url(p))
    if is_local(p):
        import shutil
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        return
    try:
        p.fs.rm(p.path, recursive=recursive)
    except FileNotFoundError:
        pass


def remove_file(p) -> None:
    """Remove one file; nothing there is not an error. On an object store one DELETE, where
    `remove` lists the key as a folder first to find what lies under it."""
    remove_files([p])


def remove_files(paths) -> None:
    """Remove these files (not folders, all on one store: a folder's files); missing ones are not
    an error. On an object store one request a thousand keys (a bulk delete), not a listing and a
    delete each."""
    paths = [path(p) for p in paths]
    for p in paths:
        listings.changed(url(p))
    remote = [p for p in paths if not is_local(p)]
    for p in paths:
        if is_local(p):
            p.unlink(missing_ok=True)
    if len(remote) == 1:
        try:
            remote[0].fs.rm_file(remote[0].path)
        except FileNotFoundError:
            pass
    elif remote:
        try:
            remote[0].fs.rm([p.path for p in remote], recursive=False)
        except FileNotFoundError:
            pass


def is_empty_dir(p) -> bool:
    """True if nothing is stored at or under `p`. On an object store, folder markers hold nothing:
    the zero-byte `folder/` key the S3 console creates, Hadoop's `_$folder$` keys."""
    p = path(p)
    if is_local(p):
        return not p.exists() or (p.is_dir() and not any(p.iterdir()))
    try:
        entries = p.fs.ls(p.path, detail=True)
    except FileNotFoundError:
        return True
    return all(not e.get("size") and e.get("type") != "directory" and e["name"].endswith(FOLDER_MARKERS)
               for e in entries)


FOLDER_MARKERS = ("/", "_$folder$")      # object-store keys that only say a folder exists


def is_within(inner, outer) -> bool:
    """Is `inner` the same location as `outer` or below it (same filesystem)?"""
    a, b = path(inner), path(outer)
    if protocol(a) != protocol(b):
        return False
    sa, sb = str(a).rstrip("/"), str(b).rstrip("/")
    return sa == sb or sa.startswith(sb + "/")
