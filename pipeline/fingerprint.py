"""What a stage's output depends on, as one hash: part of its cache key.

A cached stage output is reused only while everything that could change it is unchanged:
  - the source of every project module the stage's class comes from, followed through its
    imports (module level and inside functions, relative or absolute) as long as they stay in the
    project, i.e. outside the standard library and installed packages;
  - the data files those modules name next to themselves (`Path(__file__).parent / "data" / ...`
    chains of string constants, and the non-Python files in a package's own directory, such as
    `stages/profiles/*.yaml`; only paths inside the module's own directory), files or directories
    the stage declares in `data_files()`, and the files and directories its options name (a model,
    a tokenizer; see `_option_files`), each by content hash, but for the limits below;
  - its options, its class and version;
  - the versions of the installed distributions those modules import (tokenizers, datasketch,
    ...), and the Python version.
The input's key and the seed are added by the planner. Imports are found by parsing the source
(`ast`), not by running it, so a fingerprint never executes stage code. A source's reader gets the
same treatment of its code and libraries (`code_fingerprint`), in ingest's key.

Limits, so that planning stays cheap whatever an option names:
  - a directory is keyed by its files' contents while they total at most DIR_CONTENT_BYTES, else
    (a model's weights) by their names, sizes and modification times, as local inputs are; past
    MAX_DIR_FILES files (an option naming a whole dataset) by the names, sizes and times of the
    first MAX_DIR_FILES only, with a warning that edits to the others are not seen;
  - a remote file (a URL an option names, see `_option_files`) is keyed as ingest keys a remote
    input (`readers.fingerprint.file_fingerprint`: size and ETag, generation or checksum), but one
    the store gives no such sign for (a plain HTTP server) by its content when it is at most
    REMOTE_CONTENT_BYTES (one read a plan), else by its size, last-modified time and first and
    last 64 KiB. A URL that cannot be read stops planning with one line naming the option.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import stat
import sys
import sysconfig
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from pipeline.registry import import_base

# Files hashed once per (path, size, mtime): a model is read once per process, an edit is seen.
_file_hashes: dict[tuple[str, int, int], str] = {}
# Directories are listed up to this many files (a model directory, not a dataset; see the module doc).
MAX_DIR_FILES = 10_000
# A directory whose files total more is keyed by names, sizes and mtimes, not contents (model weights
# would be read whole at every plan).
DIR_CONTENT_BYTES = 64 << 20
# A remote option file with no ETag (or generation, checksum) is read whole up to this size.
REMOTE_CONTENT_BYTES = 8 << 20
# The last word of an option's name that makes its URL a file (`tokenizer.path`, `model_path`,
# `blocklist_files`, `words_dir`): a URL under another name may be data (url_filter's `blocked`,
# `allowlist`), never to be fetched at planning.
FILE_OPTION_WORDS = frozenset({"path", "paths", "file", "files", "dir", "dirs", "directory", "model", "tokenizer"})
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S+")
_capped_warned: set[str] = set()
log = logging.getLogger("pipeline")


def file_digest(path: str | os.PathLike) -> str:
    p = str(path)
    st = os.stat(p)
    key = (p, st.st_size, st.st_mtime_ns)
    if key not in _file_hashes:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _file_hashes[key] = h.hexdigest()
    return _file_hashes[key]


def _tree_digest(path: Path, skip_python: bool = True) -> str:
    """A file's hash, or a directory's: names and hashes of its files (Python sources aside, which
    the code part covers, unless `skip_python` is off), or their names, sizes and mtimes past
    DIR_CONTENT_BYTES or MAX_DIR_FILES (see the module doc)."""
    if path.is_file():
        return file_digest(path)
    files, more = _dir_files(path, skip_python)
    h = hashlib.sha256()
    if more:
        if str(path) not in _capped_warned:
            _capped_warned.add(str(path))
            log.warning(f"cache key: {path} holds more than {MAX_DIR_FILES:,} files; its key covers the names, "
                        f"sizes and modification times of the first {MAX_DIR_FILES:,} only (an edit to another "
                        f"file is not seen)")
        h.update(f"more than {MAX_DIR_FILES} files\n".encode())
    if more or sum(st.st_size for _, st in files) > DIR_CONTENT_BYTES:
        for rel, st in files:
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        h.update(b"by=stat")
    else:
        for rel, _ in files:
            h.update(f"{rel}\0{file_digest(path / rel)}\n".encode())
    h.update(f"files={len(files)}".encode())
    return h.hexdigest()


def _dir_files(path: Path, skip_python: bool) -> tuple[list[tuple[Path, os.stat_result]], bool]:
    """The regular files under `path` (relative, stat'ed, sorted), at most MAX_DIR_FILES of them
    (those an ordered walk meets first), and whether there are more: the walk stops there."""
    found: list[tuple[Path, os.stat_result]] = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            if skip_python and name.endswith((".py", ".pyc")):
                continue
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:          # a dangling link: nothing a stage can read
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if len(found) == MAX_DIR_FILES:
                return sorted(found, key=lambda f: f[0]), True
            found.append((Path(root, name).relative_to(path), st))
    return sorted(found, key=lambda f: f[0]), False


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    import site
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    return tuple(sorted(os.path.realpath(p) + os.sep for p in paths if p))


def is_project_file(path: str) -> bool:
    real = os.path.realpath(path)
    return not any(real.startswith(root) for root in _library_roots())


def _find(name: str):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk_runtime(tree: ast.AST) -> list[ast.AST]:
    """ast.walk's nodes, minus `if TYPE_CHECKING:` bodies (imports for annotations only). A list:
    one walk serves both `_imports` and `_path_constants` (walking is most of a fingerprint)."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return out


def _imports(nodes: list[ast.AST], module: str, is_package: bool) -> list[tuple[str, str | None]]:
    """(module, name imported from it or None) for every import statement among `_walk_runtime`'s nodes."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = import_base(node, package)
            out += [(base, a.name) for a in node.names]
    return out


def _path_constants(nodes: list[ast.AST]) -> list[str]:
    """Relative paths spelled as string constants among `_walk_runtime`'s nodes: 'x.yaml',
    Path(...) / "data" / "lists", os.path.join(..., "data", "lists")."""
    out = []
    for node in nodes:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts, cur = [], node
            while isinstance(cur, ast.BinOp) and isinstance(cur.op, ast.Div):
                if isinstance(cur.right, ast.Constant) and isinstance(cur.right.value, str):
                    parts.append(cur.right.value)
                else:
                    parts = []
                cur = cur.left
            if parts:
                out.append("/".join(reversed(parts)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
            parts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if parts:
                out.append("/".join(parts))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 200 \
                and "\n" not in node.value and ("/" in node.value or "." in node.value):
            out.append(node.value)
    return out


# (file, size, mtime, module, is_package) -> (imports, path constants): parsed once per process.
_analysed: dict[tuple, tuple[list, list[str]] | None] = {}


def _analyse(origin: str, module: str, is_package: bool):
    try:
        st = os.stat(origin)
    except OSError:
        return None
    key = (origin, st.st_size, st.st_mtime_ns, module, is_package)
    if key not in _analysed:
        try:
            nodes = _walk_runtime(ast.parse(Path(origin).read_bytes(), origin))
            _analysed[key] = (_imports(nodes, module, is_package), _path_constants(nodes))
        except (OSError, SyntaxError, ValueError):
            _analysed[key] = None
    return _analysed[key]


def project_modules(roots: Iterable[str]) -> tuple[dict[str, str], set[str], set[Path]]:
    """From the given module names: {project module: file}, top-level names of the libraries
    they import, and the data paths they name next to themselves."""
    files: dict[str, str] = {}
    libraries: set[str] = set()
    data: set[Path] = set()
    todo = list(roots)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if not name or name in seen:
            continue
        seen.add(name)
        top = name.split(".")[0]
        if not _in_project(top):
            if top not in sys.stdlib_module_names and (top in sys.modules or _find(top) is not None):
                libraries.add(top)
            continue
        spec = _find(name)
        origin = spec.origin if spec is not None else getattr(sys.modules.get(name), "__file__", None)
        if not origin or not origin.endswith(".py") or not is_project_file(origin):
            continue
        files[name] = origin
        is_package = spec is not None and spec.submodule_search_locations is not None
        analysed = _analyse(origin, name, is_package)
        if analysed is None:
            continue
        imports, constants = analysed
        here = Path(origin).parent
        if is_package:   # a package's own data files (stages/profiles/*.yaml)
            data.update(p for p in here.iterdir() if p.is_file() and p.suffix not in (".py", ".pyc"))
        for rel in constants:
            cand = here / rel
            try:
                if "\0" in rel or ".." in Path(rel).parts or not cand.exists():
                    continue
                real = cand.resolve()
                if real == here.resolve() or not real.is_relative_to(here.resolve()):
                    continue   # only data kept beside the module, never the module's own directory
                data.add(cand)
            except OSError:
                continue
        for mod, attr in imports:
            if not mod:
                continue
            if attr is not None and attr != "*" and _in_project(mod.split(".")[0]) and _is_module(f"{mod}.{attr}"):
                todo.append(f"{mod}.{attr}")
            elif attr is not None and attr != "*" and _in_project(mod.split(".")[0]) and \
                    (source := _reexported_from(mod, attr)) is not None:
                # `from pipeline import Filter`: pipeline.stage, where Filter is defined, not the
                # package's __init__ and all it imports (a custom stage's key covered the runner,
                # the CLI and the report: every framework edit recomputed it; built-in stages,
                # importing from pipeline.stage, were unaffected)
                todo.append(source)
            else:
                todo.append(mod)
    return files, libraries, data


def _reexported_from(package: str, name: str) -> str | None:
    """The module a package's __init__ takes `name` from at its top level (`from .stage import
    Filter`), or None (defined there, or not a package)."""
    spec = _find(package)
    if spec is None or spec.submodule_search_locations is None or not spec.origin:
        return None
    try:
        st = os.stat(spec.origin)
    except OSError:
        return None
    key = (spec.origin, st.st_size, st.st_mtime_ns)
    if key not in _exports:
        found: dict[str, str] = {}
        try:
            for node in ast.parse(Path(spec.origin).read_bytes(), spec.origin).body:
                if isinstance(node, ast.ImportFrom) and node.names[0].name != "*":
                    base = import_base(node, package)
                    found.update({a.asname or a.name: base for a in node.names})
        except (OSError, SyntaxError, ValueError):
            found = {}
        _exports[key] = found
    return _exports[key].get(name)


_exports: dict[tuple, dict[str, str]] = {}


@lru_cache(maxsize=None)
def _in_project(top: str) -> bool:
    """Whether a top-level module or package lives in the project (not stdlib, not installed)."""
    mod = sys.modules.get(top)
    spec = getattr(mod, "__spec__", None) if mod is not None else _find(top)
    places = list(getattr(spec, "submodule_search_locations", None) or []) if spec is not None else []
    origin = getattr(spec, "origin", None) if spec is not None else None
    origin = origin or getattr(mod, "__file__", None)   # a script run as __main__ has no spec
    if origin and origin.endswith(".py"):
        places.append(origin)
    return any(is_project_file(p) for p in places)


def _is_module(name: str) -> bool:
    parent = name.rpartition(".")[0]
    pspec = sys.modules[parent].__spec__ if parent in sys.modules else _find(parent)
    if pspec is None or pspec.submodule_search_locations is None:
        return False
    return _find(name) is not None


@lru_cache(maxsize=1)
def _top_levels() -> list[tuple[importlib.metadata.Distribution, list[str]]] | None:
    """Each installed distribution with the top-level names it provides, found as
    `packages_distributions()` finds them (its own helpers), but without parsing every
    distribution's metadata for its name, which is most of its cost (~0.2 CPU-s of every run's
    start on a full environment): `_distributions_of` reads the name of those it needs only.
    None where this Python lacks the helpers (then packages_distributions() itself)."""
    declared = getattr(importlib.metadata, "_top_level_declared", None)
    inferred = getattr(importlib.metadata, "_top_level_inferred", None)
    if declared is None or inferred is None:
        return None
    return [(d, list(declared(d) or inferred(d))) for d in importlib.metadata.distributions()]


@lru_cache(maxsize=1)
def _all_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@lru_cache(maxsize=None)
def _distributions_of(top: str) -> tuple[str, ...]:
    """`packages_distributions().get(top, [])`: the same names in the same order."""
    tops = _top_levels()
    if tops is None:
        return tuple(_all_distributions().get(top, []))
    return tuple(d.metadata["Name"] for d, names in tops for name in names if name == top)


def library_versions(tops: Iterable[str]) -> dict[str, str]:
    out = {}
    for top in sorted(tops):
        for d in _distributions_of(top):
            try:
                out[d] = importlib.metadata.version(d)
            except importlib.metadata.PackageNotFoundError:
                continue
    return out


def _option_files(value: Any, name: str = "") -> Iterator[tuple[str, Path | str]]:
    """(option, local path or URL) for what the options name: every string naming an existing
    local file; a local directory when spelled as a path (with a `/`, or `~`), as a bare name may
    be a directory that happens to sit in the working directory (code_filter's `vendored_dirs`
    holds `.venv`); a URL when the option's name says it holds files (FILE_OPTION_WORDS)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _option_files(v, f"{name}.{k}" if name else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _option_files(v, f"{name}[{i}]")
    elif isinstance(value, str) and value and len(value) < 4096 and "\0" not in value:
        if "://" in value and not value.startswith("file://"):
            if _URL.fullmatch(value) and _names_files(name):
                yield name, value
            return
        spelled = value.removeprefix("file://")
        try:
            p = Path(spelled).expanduser()
            if p.is_file() or (p.is_dir() and (os.sep in spelled or spelled.startswith("~"))):
                yield name, p
        except OSError:
            return


def _names_files(option: str) -> bool:
    last = re.sub(r"(\[\d+\])+$", "", option).rpartition(".")[2]
    return last.lower().rpartition("_")[2] in FILE_OPTION_WORDS


def remote_fingerprint(url: str) -> dict:
    """What identifies a remote file's (or directory's) content, as the module doc says."""
    from pipeline import storage
    from pipeline.readers.fingerprint import ETAG_KEYS, file_fingerprint   # ingest's rule, kept in one place
    p = storage.path(url)
    fs = p.fs
    info = fs.info(p.path)
    if info.get("type") == "directory":
        listing = sorted(fs.find(p.path, detail=True).items())
        if len(listing) > MAX_DIR_FILES:
            log.warning(f"cache key: {url} holds more than {MAX_DIR_FILES:,} files; its key covers the first "
                        f"{MAX_DIR_FILES:,} only (an edit to another file is not seen)")
        # each file as the store describes it: name, size, ETag or time (a listing costs no read)
        return {"files": len(listing), "listing": json.dumps(listing[:MAX_DIR_FILES], default=str)}
    size = info.get("size")
    if size is not None and size <= REMOTE_CONTENT_BYTES and not any(info.get(k) for k in ETAG_KEYS):
        return {"size": size, "sha256": hashlib.sha256(fs.cat_file(p.path)).hexdigest()}
    return file_fingerprint(fs, p.path, info)


def _class_code(cls: type) -> tuple[dict[str, str], dict[str, str], set[Path]]:
    """A class's project modules (followed through their imports) by content hash, the versions of
    the libraries they import, and the data files they name."""
    roots = [k.__module__ for k in cls.__mro__ if k.__module__ not in ("builtins",)]
    files, libraries, data = project_modules(roots)
    return {m: file_digest(f) for m, f in sorted(files.items())}, library_versions(libraries), data


def fingerprint_parts(stage) -> dict[str, Any]:
    """Everything stage_fingerprint hashes, readable (for a person asking why a stage reran)."""
    cls = type(stage)
    code, libraries, data = _class_code(cls)
    options = stage.options()
    declared = [Path(p) for p in stage.data_files()]
    from pipeline.stage import StageError
    data_hashes: dict[str, Any] = {}
    for p in sorted({*data, *declared}, key=str):
        if not p.exists():
            raise StageError(f"{cls.__name__}: data file {p} (from data_files()) does not exist")
        data_hashes[str(p.resolve())] = _tree_digest(p)
    for option, target in _option_files(options):
        if isinstance(target, Path):
            data_hashes[str(target.resolve())] = _tree_digest(target, skip_python=False)
            continue
        try:
            data_hashes[target] = remote_fingerprint(target)
        except Exception as e:  # noqa: BLE001 - whatever the store's client raises, said in one line
            # fsspec's HTTP says FileNotFoundError for a refused connection too: its cause says which
            cause = e.__cause__ or e
            why = "not found" if isinstance(cause, FileNotFoundError) else \
                f"{type(cause).__name__}: {' '.join(str(cause).split())[:200]}"
            raise StageError(f"{cls.__name__}: option {option}: cannot read {target} to key the stage's "
                             f"cache ({why})") from None
    return {
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "version": getattr(cls, "version", ""),
        "options": options,
        "code": code,
        "data": data_hashes,
        "libraries": libraries,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def stage_fingerprint(stage) -> str:
    """One hash of the stage's code, data, options and libraries (see the module docstring)."""
    body = json.dumps(fingerprint_parts(stage), sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def code_fingerprint(cls: type) -> str:
    """One hash of a class's project code and the libraries it imports (`_class_code`): for a
    source's reader, what its output depends on besides its options and input files. A reader
    changed in place (a fix to a dump's markup) thus re-reads cached input."""
    code, libraries, _ = _class_code(cls)
    body = json.dumps({"code": code, "libraries": libraries}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:32]
