"""Source readers: one input file in, documents and quarantine items out.

A source's `format` names a reader. Built-in readers are listed here as name -> "module:Class"
strings (imported only when a recipe uses them); a new format is one module and one line in
READERS, and users add their own with `@register_reader("name")` or `format: package.module:Class`.
"""
from __future__ import annotations

import errno
import fnmatch
import functools
import os
import re
import stat
from typing import Iterator

import fsspec
from fsspec.core import has_magic
from fsspec.utils import glob_translate

from pipeline import storage
from pipeline.readers.base import Doc, DocBatch, Quarantined, ReadState, Reader
from pipeline.readers.guarded import StorageFailed, local_path, open_input

__all__ = ["Doc", "DocBatch", "Quarantined", "ReadState", "Reader", "read_source_file", "expand_paths", "unique_files",
           "register_reader", "resolve_reader", "all_readers", "READERS"]

READERS: dict[str, str] = {
    "warc": "pipeline.readers.web:WarcReader",
    "wet": "pipeline.readers.web:WetReader",
    "html": "pipeline.readers.web:HtmlReader",
    "jsonl": "pipeline.readers.rows:JsonlReader",
    "json": "pipeline.readers.rows_json:JsonReader",
    "parquet": "pipeline.readers.rows_columnar:ParquetReader",
    "arrow": "pipeline.readers.rows_columnar:ArrowReader",
    "text": "pipeline.readers.rows:TextReader",
    "code": "pipeline.readers.code:CodeReader",
    "stackexchange": "pipeline.readers.stackexchange:StackExchangeReader",
    "latex": "pipeline.readers.latex:LatexReader",
    "mediawiki": "pipeline.readers.mediawiki:MediaWikiReader",
    "wikitext": "pipeline.readers.wikitext_files:WikitextReader",
    "gutenberg": "pipeline.readers.gutenberg:GutenbergReader",
}
_registered: dict[str, type[Reader]] = {}


def register_reader(name: str):
    """Class decorator: make a custom reader available to recipes as `format: name`."""
    def deco(cls: type[Reader]) -> type[Reader]:
        if not (isinstance(cls, type) and issubclass(cls, Reader)):
            raise TypeError(f"@register_reader({name!r}) needs a Reader subclass, got {cls!r}")
        cls.name = name
        _registered[name] = cls
        return cls
    return deco


def _load(path: str, trusted: bool = False) -> type[Reader]:
    # Checked to be a Reader from its source before its module runs (see pipeline.registry).
    from pipeline.registry import load_class
    return load_class(path, Reader, "reader", trusted)


def resolve_reader(fmt: str) -> type[Reader]:
    """The reader class for a source's `format:` value."""
    if fmt in _registered:
        return _registered[fmt]
    if fmt in READERS:
        return _load(READERS[fmt], trusted=True)
    if ":" in fmt or "." in fmt:
        return _load(fmt)
    known = ", ".join(sorted(set(READERS) | set(_registered)))
    raise ValueError(f"unknown format {fmt!r}; known formats: {known} (or use 'module:Class')")


def all_readers() -> dict[str, type[Reader]]:
    out = {name: resolve_reader(name) for name in READERS}
    out.update(_registered)
    return out


def is_glob(pattern: str) -> bool:
    """Whether a path pattern has wildcards (`*`, `?`, `[`), as fsspec's glob reads them."""
    return has_magic(pattern)


def static_prefix(pattern: str) -> str:
    """The folder a glob starts at (before its first wildcard, to its last '/'); a path without
    wildcards is itself."""
    if not is_glob(pattern):
        return pattern
    return pattern[:min(pattern.index(c) for c in "*?[" if c in pattern)].rpartition("/")[0]


def expand_paths(pattern: str) -> list[str]:
    """Local paths, globs and fsspec URLs -> sorted list of file URLs/paths (no directories).
    Local paths come absolute and normalised (no `..`, `./` or `//`: a document id may hold its
    file's path, below the source's id_base), each once (`unique_files`); URLs as the store lists them. A directory's
    listing leaves git's own files out: a checkout's `.git/` folder and a submodule's `.git` file.
    A local path named on its own (no glob) that is no regular file (a named pipe, a socket, a
    device) is a ValueError saying what it is: opening a FIFO waits for a writer forever. One that
    a directory or glob turns up is listed, and skipped and counted when read (`read_source_file`).
    A local glob of any shape (`site/**`, `site/**/*.html`, `data/*/x.json`) lists what fsspec's
    glob matches, plus what that dropped without a word: the matches below a symlinked folder (the
    link followed once) and each folder it would have entered but could not (_LocalTree)."""
    from fsspec.core import url_to_fs
    fs, root = url_to_fs(pattern)
    proto = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    local = proto in ("file", "local")
    if local and is_glob(root) and not ("*" not in root and fs.exists(root)):
        # Walked here, not by fsspec's glob, which left out without a word the folders it could not
        # enter and the symlinks to folders (_LocalTree); matched as fsspec matches (_Glob).
        top = static_prefix(root) or "/"
        if not os.path.isdir(top):
            return []                   # as fsspec's glob: no match (checks: "no file matches")
        tree = _LocalTree(_Glob(root))
        tree.walk(top, os.path.realpath(top), state=tree.glob.start)
        return unique_files(tree.listed())
    tree = _LocalTree() if local else None
    fs, _, paths = fsspec.get_fs_token_paths(pattern)
    if "*" not in pattern and is_glob(pattern) and not any(fs.exists(p) for p in paths):
        # fsspec globs a pattern only for `*`: `part-?.jsonl.gz` and `part-[01]` were taken as one
        # file's name, which did not exist (a file whose name holds them is still read as named).
        paths = sorted(fs.glob(paths[0]))
    out = []
    for p in paths:
        if tree is not None and os.path.isdir(p):
            # A directory means its files (_LocalTree: git's own left out, as below); a path with
            # glob characters in its name that links to a folder is followed as a link in a tree is.
            if is_glob(pattern) and os.path.islink(p):
                tree.links.append((p, None))
            else:
                tree.walk(p, os.path.realpath(p), named=not is_glob(pattern))
        elif fs.isdir(p):
            # A directory means its files; a git checkout's own database is not input: its `.git/`
            # folder, or the `.git` file a submodule or linked worktree holds in its place
            # (`gitdir: ../.git/modules/sub/libfoo`).
            out.extend(f for f in fs.find(p) if not is_git_internal(f[len(p):]) and not fs.isdir(f))
            if not local and _is_object(fs, p):
                out.append(p)       # an object store's key may name an object and a folder at once
        else:
            if local and not is_glob(pattern) and (kind := special_file_kind(p)):
                raise ValueError(f"{p} is {kind}, not a regular file: a source reads regular files")
            out.append(p)
    if not local:
        return sorted({p if "://" in p else f"{proto}://{p}" for p in out})
    return unique_files(out + tree.listed())


class _LocalTree:
    """A local directory's files, or a local glob's, listed with os.scandir where fsspec's walk and
    glob dropped two kinds without a word: a folder they could not enter (no permission:
    `on_error="omit"`) and a symlink to a folder (neither followed nor counted). Here such a folder
    is listed itself, for its read to quarantine it `unlisted_folder` naming it (`read_source_file`);
    the folder a path names is refused instead (PermissionError: a recipe error). A symlink to a
    folder is followed once the tree itself is listed, unless its target is a folder already listed
    (the files are there under their own names), one holding a listed tree (`loop -> ..`: a loop)
    or inside a directory listed whole: then the link is listed itself, and its read counts it
    `skipped_symlinked_folder`. A link out of the tree is followed, as `find -L` does: a data folder
    put together from links to other disks (`2024 -> /mnt/disk2/crawl-2024`) is read; its files are
    named through the link. A glob's walk (`glob`) enters only the folders its pattern can match
    below, links included, and lists the files it matches; a state says where in the pattern a
    folder is (_Glob; None: a directory, all of it, git's own left out)."""

    def __init__(self, glob: _Glob | None = None):
        self.glob = glob
        self.files: list[str] = []
        self.links: list[tuple[str, int | None]] = []       # (link, the state its folder is walked in)
        self.visited: set[tuple[str, int | None]] = set()   # (real path, state) of the folders listed
        self.roots: list[tuple[str, bool]] = []     # (real path, listed whole) of each tree walked

    def walk(self, top: str, real: str, named: bool = False, state: int | None = None) -> None:
        self.roots.append((real, state is None))
        stack = [(top, real, state)]
        while stack:
            folder, real, state = stack.pop()
            if (real, state) in self.visited:
                continue
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                if named and folder == top:
                    raise               # the folder the recipe names: its listing's own error
                self.files.append(folder)
                continue
            self.visited.add((real, state))
            for e in entries:
                path = f"{folder.rstrip('/')}/{e.name}"
                if state is None:
                    if e.name == ".git":            # git's own (see is_git_internal)
                        continue
                    wanted, into = True, None
                elif e.name == ".git" and not self.glob.names_git:
                    continue                        # git's own, unless the pattern names it
                else:                               # a glob's: what it matches decides, as fsspec's
                    wanted, into = self.glob.step(state, e.name, path)
                if e.is_symlink():
                    if _is_dir(e):
                        if into != _Glob.OUT:
                            self.links.append((path, into))
                    elif wanted:
                        self.files.append(path)
                elif e.is_dir(follow_symlinks=False):
                    if into != _Glob.OUT:
                        stack.append((path, f"{real.rstrip('/')}/{e.name}", into))
                elif wanted:
                    self.files.append(path)

    def listed(self) -> list[str]:
        """The files, after the links to folders are followed (or listed themselves)."""
        while self.links:
            link, state = self.links.pop(0)
            try:
                real = os.path.realpath(link, strict=True)
            except (OSError, RuntimeError):       # a loop of links: its read says so
                self.files.append(link)
                continue
            below_target = real.rstrip("/") + "/"
            if (real, state) in self.visited or any(
                    r == real or r.startswith(below_target) or (whole and real.startswith(r.rstrip("/") + "/"))
                    for r, whole in self.roots):
                self.files.append(link)
                continue
            self.walk(link, real, state=state)
        return self.files


class _Glob:
    """A local glob's pattern, matched as fsspec's glob matches (fsspec.utils.glob_translate: `*`
    and `?` within a name, hidden names included, `**` any folders) while _LocalTree walks from
    where it starts: part by part up to its first `**` (a folder no part matches is not entered),
    then as a whole on each file's path. A state is the index of the part a folder's entries are
    matched with, FREE below a `**`. A folder a pattern without `*` matches (`data/202?`) means all
    its files, as fsspec's glob of it did; one a `*` pattern matches is none (fsspec lists files).
    git's own `.git` is left out as a directory's listing leaves it, unless a part of the pattern
    is `.git`. Hand-written rather than fsspec's glob, which stats every entry and drops what
    _LocalTree keeps."""
    FREE, OUT = -1, -2

    def __init__(self, pattern: str):
        self.matches = re.compile(glob_translate(pattern)).match
        rest = pattern[len(static_prefix(pattern).rstrip("/")) + 1:]
        self.parts = [None if part == "**" else re.compile(glob_translate(part)).match for part in rest.split("/")]
        self.matched_folder_is_its_files = "*" not in pattern
        self.names_git = ".git" in pattern.split("/")
        self.start = self._state(0)

    def _state(self, k: int) -> int:
        return self.FREE if self.parts[k] is None else k

    def step(self, state: int, name: str, path: str) -> tuple[bool, int | None]:
        """For an entry of a folder in `state`: whether it is a match (a file there is listed) and
        the state a folder there is walked in (OUT: not entered; None: all its files)."""
        if state == self.FREE:
            return bool(self.matches(path)), self.FREE
        if not self.parts[state](name):
            return False, self.OUT
        if state == len(self.parts) - 1:
            return True, None if self.matched_folder_is_its_files else self.OUT
        return False, self._state(state + 1)


def _is_dir(entry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_object(fs, key: str) -> bool:
    """Whether an object is stored under exactly this key (s3fs's isfile says False for a key that
    is also a folder)."""
    try:
        return fs.info(key.rstrip("/")).get("type") == "file"
    except (OSError, ValueError):
        return False


def is_git_internal(path: str) -> bool:
    """Whether a path (below a listed directory: `/sub/libfoo/.git`) is git's own: inside a
    `.git/` folder, or a `.git` file (a submodule's or linked worktree's pointer to its git
    directory): no source of the repository."""
    path = "/" + path.replace(os.sep, "/").lstrip("/")
    return "/.git/" in path or path.endswith("/.git")


_SPECIAL_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def special_file_kind(path: str) -> str | None:
    """What a local path is when it is neither a regular file nor a directory (through symlinks):
    "a named pipe (FIFO)", "a socket", "a character device", "a block device"; None for a regular
    file, a directory, a URL, or a path that cannot be looked at (a dangling symlink: its read says
    why). Never opens the path: opening a FIFO blocks until something writes to it."""
    if "://" in path and not path.startswith("file://"):
        return None
    try:
        mode = os.stat(path.removeprefix("file://")).st_mode
    except (OSError, ValueError):
        return None
    return next((what for test, what in _SPECIAL_KINDS if test(mode)), None)


def symlink_loop(path: str) -> str | None:
    """The links a local path goes through before coming back to one of them (`loopA -> loopB ->
    loopA`), or None when it is no link or its links end (in a file, or nowhere: dangling)."""
    if "://" in path and not path.startswith("file://"):
        return None
    here, names, seen = os.path.abspath(path.removeprefix("file://")), [], set()
    names.append(os.path.basename(here))
    for _ in range(64):
        if here in seen:
            return " -> ".join(names)
        seen.add(here)
        try:
            target = os.readlink(here)
        except (OSError, ValueError):       # no link (a file, nothing there): the chain ends
            return None
        names.append(target)
        here = os.path.normpath(os.path.join(os.path.dirname(here), target))
    return " -> ".join(names[:8] + ["..."])


def unreadable_detail(path: str, e: BaseException) -> str:
    """Why a file of a source cannot be opened, for its `unreadable_file` quarantine item: a
    dangling symlink names what it points to, a symlink loop (ELOOP; RuntimeError from pathlib's
    resolve() in Python 3.11) says so, with its links."""
    local = local_path(path)
    if local and os.path.islink(local):
        if isinstance(e, RuntimeError) or getattr(e, "errno", None) == errno.ELOOP:
            chain = symlink_loop(local)
            return (f"{path}: a symlink loop ({chain}) that cannot be followed" if chain else
                    f"{path}: a symlink to {os.readlink(local)!r} that cannot be followed: a symlink loop "
                    f"(too many levels of symbolic links)")
        why = getattr(e, "strerror", None) or e
        return f"{path}: a symlink to {os.readlink(local)!r} that cannot be followed ({why})"
    return f"{path}: {type(e).__name__}: {e}"


# What Hugging Face `datasets` writes beside its data (save_to_disk, push_to_hub snapshots): JSON, and
# so a row format's name, but a description of the dataset, not rows of it.
DATASETS_METADATA = frozenset({"dataset_info.json", "dataset_infos.json", "dataset_dict.json", "state.json"})


def _from_directory(patterns: tuple[str, ...], path: str) -> bool:
    """Whether `path` is in the listing only because a directory among `patterns` holds it: not
    named itself, not matched by a glob (a glob or a name says which files are meant)."""
    dirs, named, globs = _pattern_kinds(patterns)
    return (any(path.startswith(d) for d in dirs) and path not in named
            and not any(fnmatch.fnmatchcase(path, g) for g in globs))


@functools.lru_cache(maxsize=256)
def _pattern_kinds(patterns: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """A source's `paths` as (directories, each with a trailing /; named paths; globs), normalised
    as expand_paths lists files (local: absolute; URLs: with their protocol)."""
    dirs, named, globs = [], set(), []
    for p in patterns:
        norm = os.path.abspath(os.path.expanduser(p.removeprefix("file://"))) \
            if "://" not in p or p.startswith("file://") else p.rstrip("/")
        if is_glob(p):
            globs.append(norm)
            continue
        named.add(norm)
        try:
            fs, _, (found, *_) = fsspec.get_fs_token_paths(p)
            if fs.isdir(found):
                dirs.append(norm.rstrip("/") + "/")
        except Exception:  # noqa: BLE001 - a path that cannot be listed names no directory here
            pass
    return tuple(dirs), frozenset(named), tuple(globs)


_PARTITION = re.compile(r"([A-Za-z_][\w.\-]*)=([^=/]+)")


@functools.lru_cache(maxsize=1024)
def hive_partitions(path: str) -> dict[str, str]:
    """The `key=value` folder names of a file's path, in order (Hive partitioning, as pyarrow.dataset
    reads it: the value as text, URL-escaped characters decoded)."""
    from urllib.parse import unquote
    folders = path.split("://", 1)[-1].split("/")[:-1]
    return {m.group(1): unquote(m.group(2)) for f in folders if (m := _PARTITION.fullmatch(f))}


def unique_files(paths) -> list[str]:
    """Paths sorted, local ones absolute and normalised (`a/./b.json`, `a/../a/b.json`, a directory
    and a glob over it name one file once). A symlink is a name of its own: readers decide what it
    means (a code tree skips a link to one of its own files, counted)."""
    return sorted({p if "://" in p else os.path.abspath(p) for p in paths})


LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
LFS_POINTER_MAX = 1024      # bytes of a file's start read to tell it is not empty, or a Git LFS pointer


def file_label(path: str, id_base: str | None) -> str:
    """A file's name in ids: its path below `id_base` (checks.id_bases), else the whole path."""
    if id_base is not None and path.startswith(id_base + "/"):
        return path[len(id_base) + 1:]
    return path


def relabel(rid: str, path: str, label: str) -> str:
    """An id a reader made from the file's path, with the path as `file_label` names it."""
    return label + rid[len(path):] if label != path and rid.startswith(path) else rid


def _unlistable(folder: str) -> str | None:
    """Why a local folder cannot be listed, or None."""
    try:
        with os.scandir(folder):
            return None
    except OSError as e:
        return e.strerror or f"{type(e).__name__}: {e}"


def read_source_file(src, path: str, state: ReadState, batches: bool = False, id_base: str | None = None
                     ) -> Iterator[Doc | DocBatch | Quarantined]:
    """Read one file of a source (a recipe SourceConfig) with the source's reader.

    Ids are made unique per run: prefixed with the source name (`web/<reader's id>`), and a
    repeated id within the file gets a `#dup<n>` suffix and is counted (`duplicate_id`). An id a
    reader made from the file's path (`rows.jsonl#12`) names the file below `id_base` (the
    source's, `checks.id_bases`), so that the same input gives the same ids on any machine; so does
    the `file` a document's metadata names (the run's ingest records keep each file's full path).
    `batches`: runs of documents may come as DocBatch (`Reader.read_batches`), for consumers that
    build tables from columns; the same documents in the same order as without.
    A file named as a writer's marker (`Reader.marker_prefixes`: `_SUCCESS`, `.part-0.crc`) is
    counted `skipped_marker_file` and not read; one that a directory in the source's `paths` turned
    up without the format's name ending (`Reader.data_suffixes`: a dataset snapshot's README.md,
    LICENSE), or with one of `Reader.skip_suffixes` (a saved page's .css), is counted
    `skipped_not_<format>_file` and not read; one that is `datasets`' own description of a
    dataset (`dataset_info.json`, `state.json`: DATASETS_METADATA) is `skipped_dataset_metadata`.
    A local file that is no regular
    file (a named pipe, a socket, a device: `special_file_kind`) is never opened: counted
    `skipped_not_regular_file` when a directory or glob turned it up, quarantined
    `not_regular_file` when `paths` names it. A Git LFS pointer is quarantined `lfs_pointer`
    (Reader.lfs_pointers_are_documents). A folder in the listing is one it could not enter
    (quarantined `unlisted_folder`, naming it) or a symlink to a folder it did not follow
    (counted `skipped_symlinked_folder`): see _LocalTree."""
    # a wrapping reader (a trial's `inner`) answers for the reader it wraps
    reader = inner if isinstance(inner := getattr(src.reader, "inner", None), Reader) else src.reader
    if (local := local_path(path)) and os.path.isdir(local):
        # What the listing could not enter, or a link it did not follow (_LocalTree): never silent.
        # (A folder listed now is no file: `unreadable_file` below says so.)
        if os.path.islink(local):
            state.count("skipped_symlinked_folder")
            return
        if (why := _unlistable(local)) is not None:
            yield Quarantined("unlisted_folder", f"{path}: a folder whose files could not be listed ({why}): "
                              f"none of them read", 0, path)
            return
    name = path.rstrip("/").rsplit("/", 1)[-1]
    low = name.lower()
    if reader.skip_suffixes and low.endswith(reader.skip_suffixes) and _from_directory(tuple(src.paths), path):
        state.count(f"skipped_not_{reader.name or 'data'}_file")    # (a saved page's .css; .DS_Store)
        return
    if (reader.marker_prefixes and name.startswith(reader.marker_prefixes)) or name.endswith("_$folder$"):
        state.count("skipped_marker_file")      # (Hadoop's and EMR's folder keys: `logs_$folder$`)
        return
    if reader.data_suffixes and low in DATASETS_METADATA and _from_directory(tuple(src.paths), path):
        state.count("skipped_dataset_metadata")         # a JSON file, but no rows
        return
    if reader.data_suffixes and not low.endswith(reader.data_suffixes) and _from_directory(tuple(src.paths), path):
        state.count(f"skipped_not_{reader.name or 'data'}_file")
        return
    if kind := special_file_kind(path):
        # Never opened (a FIFO's open waits for a writer: the run hung). One a directory or glob
        # turned up is skipped, counted; one named in `paths` is refused at load (expand_paths),
        # and quarantined here if it gets this far (a paths_file line, a trial).
        if path in _pattern_kinds(tuple(getattr(src, "paths", None) or ()))[1]:
            yield Quarantined("not_regular_file", f"{path}: {kind}, not a regular file: not read", 0, path)
        else:
            state.count("skipped_not_regular_file")
        return
    try:
        with open_input(path) as probe:
            head = probe.read(LFS_POINTER_MAX)
            if not head:
                if src.reader.empty_files_are_ordinary:
                    state.count("skipped_empty_file")
                else:
                    yield Quarantined("empty_file", f"{path} is empty")
                return
            if head.startswith(LFS_POINTER) and not reader.lfs_pointers_are_documents:
                size = re.search(rb"\nsize (\d+)", head)
                yield Quarantined("lfs_pointer", f"{path}: a Git LFS pointer, not the file"
                                  f"{f' of {int(size.group(1)):,} bytes' if size else ''}: run `git lfs pull` in "
                                  f"its repository", 0, path, len(head), head)
                return
    except (OSError, RuntimeError) as e:     # RuntimeError: pathlib's resolve() on a symlink loop
        yield Quarantined("unreadable_file", unreadable_detail(path, e))
        return
    except StorageFailed as e:               # an I/O error, the network: no answer, not no file
        raise storage.input_unreadable(path, e.__cause__) from e.__cause__
    seen: dict[str, int] = {}
    prefix = f"{src.name}/"
    label = file_label(path, id_base)

    def unique(rid: str) -> str:
        n = seen.get(rid, 0)
        seen[rid] = n + 1
        if not n:
            return rid
        state.count("duplicate_id")
        while f"{rid}#dup{n}" in seen:          # a real id of the file may already read so
            n += 1
        seen[rid] = n + 1
        seen[out := f"{rid}#dup{n}"] = 1
        return out

    counted = sum(state.counters.values())
    found = False
    partitions = hive_partitions(path) if reader.hive_partitions else None
    read = src.reader.read_batches if batches else src.reader.read
    try:
        for item in read(path, src, state):
            found = True
            if type(item) is DocBatch:
                item.ids[:] = [unique(prefix + relabel(rid, path, label)) for rid in item.ids]
            elif isinstance(item, Doc):
                item.id = unique(prefix + relabel(str(item.id), path, label))
                if label != path and item.metadata and item.metadata.get("file") == path:
                    item.metadata = {**item.metadata, "file": label}     # as the id names it
                if partitions:          # a row's own value wins; a null one does not hide the folder's
                    item.metadata = dict(item.metadata or {})
                    for k, v in partitions.items():
                        if item.metadata.get(k) is None:
                            item.metadata[k] = v
            elif item.id is not None:
                item.id = prefix + relabel(str(item.id), path, label)
            yield item
    except StorageFailed as e:
        raise storage.input_unreadable(path, e.__cause__) from e.__cause__   # stops the run: it is no bad input
    except storage.storage_errors() as e:
        raise storage.input_unreadable(path, e) from e     # storage failing mid-read stops the run: it is no bad input
    except Exception as e:      # noqa: BLE001 - a reader meeting input it was not built for
        # Input no rule foresaw: what was read stays, the rest of the file is quarantined with the
        # reason (the quarantine guard stops a run where this is most of a source), never the run.
        yield Quarantined("reader_error", f"{path}: the {src.format} reader failed here: {type(e).__name__}: "
                          f"{str(e)[:300]}", 0, path)
        return
    if not found and sum(state.counters.values()) == counted:
        # A reader that found nothing and counted nothing (a compressed file holding nothing, a
        # dump with no element of its kind): never silent empty output.
        yield Quarantined("nothing_read", f"{path}: no {src.format} record in it", 0, path)
