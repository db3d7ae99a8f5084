"""Source code: files of a directory or git checkout, or Stack-style rows (JSONL/Parquet).

`layout: files` reads each listed file as one document: a file under `.git/` is skipped (counted),
a binary file (a NUL byte in its first 8 KiB, git's own test) is quarantined with its reason. A
file that is not UTF-8 is read (`legacy_charsets`) as UTF-8 with its stray bytes as cp1252 when
its own UTF-8 lines outweigh them (see `decode_unlabelled`), else in the charset that detection names
for an unlabelled page (pipeline.readers.decode: GBK comments in Chinese embedded projects,
Latin-1 in old European code); counted (`code_legacy_charset`) and named in the metadata
(`charset`). A file in UTF-16 or UTF-32 (with a byte-order mark, or NUL bytes where its ASCII
characters are: `decode.wide_unicode`) is text, not binary (`code_wide_unicode`). A file no
charset reads as text is quarantined (`bad_encoding`). The repository
is named by the checkout's git remote (or its directory name) or, for a directory holding many
checkouts (`repo_depth: 1`), by the first path component under `root`. `layout: rows` reads The
Stack's row format (content, path, repo, licence) through the JSONL/Parquet readers and adds the
language.

The language comes from the file name through Pygments' lexer registry (maintained upstream with
every language it highlights), cached per file name pattern so a large tree costs one lookup per
extension.
"""
from __future__ import annotations

import configparser
import functools
import os
import posixpath
import re
from pathlib import Path
from typing import Iterator, Literal

from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, read_whole
from pipeline.readers.decode import decode_text_bytes
from pipeline.readers.rows import JsonlReader, ParquetReader

COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
# git's binary test (xdiff's buffer_is_binary): a NUL byte in the first 8000 bytes.
BINARY_PROBE_BYTES = 8000


@functools.lru_cache(maxsize=4096)
def _language_for_pattern(name: str) -> str | None:
    from pygments.lexers import find_lexer_class_for_filename
    from pygments.util import ClassNotFound
    try:
        cls = find_lexer_class_for_filename(name)
    except ClassNotFound:
        return None
    return cls.name if cls else None


@functools.lru_cache(maxsize=1)
def _whole_names() -> frozenset[str]:
    """File names Pygments matches whole (Makefile, CMakeLists.txt, ...), not by extension."""
    from pygments.lexers import get_all_lexers
    return frozenset(p for _, _, patterns, _ in get_all_lexers() for p in patterns if not set(p) & set("*?["))


def language_of(path: str) -> str | None:
    """Language of a file from its name (Pygments' registry); None when no lexer claims it."""
    base = posixpath.basename(path.replace("\\", "/"))
    stem, dot, ext = base.rpartition(".")
    # One lookup per extension (a tree has few), except for the names Pygments knows whole.
    key = base if base in _whole_names() or not (dot and stem) else f"x.{ext}"
    return _language_for_pattern(key)


def _git_remote_name(git_dir: Path) -> str | None:
    """owner/name from the checkout's `origin` URL (https or ssh form), if it has one."""
    cfg = configparser.ConfigParser(strict=False)
    try:
        cfg.read(git_dir / "config", encoding="utf-8")
        url = cfg.get('remote "origin"', "url")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    m = re.search(r"[:/]([^/:]+/[^/]+?)(?:\.git)?/?$", url.strip())
    return m.group(1) if m else None


@functools.lru_cache(maxsize=1024)
def _repo_of_checkout(root: str) -> str:
    git = Path(root) / ".git"
    return (_git_remote_name(git) if git.is_dir() else None) or Path(root).name


@functools.lru_cache(maxsize=64)
def _abs(path: str) -> str:
    return os.path.abspath(path)


@functools.lru_cache(maxsize=4096)
def _checkout_of(folder: str) -> str:
    """The nearest folder at or above `folder` with a .git entry, else `folder` itself."""
    d = folder
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return folder
        d = parent


class CodeReader(Reader):
    """Source files of a directory/git checkout (`layout: files`) or Stack-style rows (`layout: rows`)."""
    name = "code"

    layout: Literal["files", "rows"] = Field(
        "files", description="files: each listed file is one document; "
                             "rows: JSONL/Parquet rows with content, path, repo, licence")
    root: str | None = Field(
        None, description="files: directory the paths are relative to "
                          "(default: each file's git checkout, else its directory)")
    repo_depth: int = Field(
        0, ge=0, description="files: path components under root naming the repository "
                             "(0: root itself is one checkout)")
    repo: str | None = Field(
        None, description="files: repository name for every file (default: from git remote or directory)")
    decompress: bool = Field(
        True, description="files: read .gz/.bz2/.xz/.zst files decompressed and name them without the suffix; "
                          "false: they are binary files")
    legacy_charsets: bool = Field(
        True, description="files: read a file that is not UTF-8 in the charset detection names (GBK, Latin-1, ...) "
                          "instead of quarantining it")
    content_field: str = Field("content", description="rows: field holding the file content")
    path_field: str = Field("path", description="rows: field holding the file path in its repository")
    repo_field: str = Field("repo", description="rows: field holding the repository name")
    license_field: str = Field("license", description="rows: field holding the repository licence(s)")

    def read(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        if self.layout == "rows":
            return self._read_rows(path, src, state)
        return self._read_file(path, src, state)

    # -- files of a checkout ---------------------------------------------------------------
    def _locate(self, path: str) -> tuple[str, str]:
        """(repository, path inside it) of a local file; ValueError if it is not under `root`."""
        p = os.path.abspath(path)
        if self.root is not None:
            rel = _below(p, _abs(self.root))
            parts = rel.split("/")
            if self.repo_depth and len(parts) > self.repo_depth:
                return self.repo or "/".join(parts[:self.repo_depth]), "/".join(parts[self.repo_depth:])
            return self.repo or _repo_of_checkout(_abs(self.root)), rel
        top = _checkout_of(os.path.dirname(p))
        return self.repo or _repo_of_checkout(top), _below(p, top)

    def _read_file(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        if "/.git/" in "/" + path.replace(os.sep, "/"):
            state.count("code_git_internal_skipped")
            return
        compressed = path.endswith(COMPRESSED_SUFFIXES)
        if compressed and not self.decompress:
            yield Quarantined("binary_file", f"{path}: compressed file (decompress: false)", 0, path)
            return
        body = read_whole(src, path, state) if compressed else _read_plain(src, path)
        if isinstance(body, Quarantined):
            yield body
            return
        if len(body) > src.max_doc_bytes:
            yield Quarantined("too_large", f"{path}: more than {src.max_doc_bytes} bytes", 0, path, len(body),
                              body[:4096])
            return
        text, charset, kind = decode_text_bytes(body, self.legacy_charsets, BINARY_PROBE_BYTES)
        if text is None:
            binary = kind == "binary"
            yield Quarantined("binary_file" if binary else "bad_encoding", f"{path}: {charset}", 0, path, len(body),
                              body[:256 if binary else 4096])
            return
        if kind:
            state.count(f"code_{kind}")         # code_wide_unicode, code_legacy_charset
        try:
            repo, rel = self._locate(path)
        except ValueError:
            yield Quarantined("outside_root", f"{path} is not under root {self.root}", 0, path)
            return
        if compressed:
            rel = rel.rsplit(".", 1)[0]
        if not text.strip():
            yield Quarantined("empty_document", f"{path}: only whitespace", 0, path)
            return
        meta = {"repo": repo, "path": rel, "language": language_of(rel), "size": len(body)}
        if charset:
            meta["charset"] = charset
        yield Doc(f"{repo}/{rel}", None, text=text, metadata=meta)

    # -- Stack-style rows ------------------------------------------------------------------
    def _read_rows(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        bare = path.rsplit(".", 1)[0] if path.endswith(COMPRESSED_SUFFIXES) else path
        row_reader = (ParquetReader if bare.endswith(".parquet") else JsonlReader)(
            text_field=self.content_field, id_field=None, url_field=None)
        for item in row_reader.read(path, src, state):
            if isinstance(item, Doc):
                md = item.metadata
                rel, repo = md.pop(self.path_field, None), md.pop(self.repo_field, None)
                if not isinstance(rel, str) or not rel:
                    yield Quarantined("missing_path", f"{item.id}: field {self.path_field!r} missing", -1, item.id)
                    continue
                lic = md.pop(self.license_field, None)
                md.update(repo=repo, path=rel, language=language_of(rel),
                          size=len(item.text.encode("utf-8")), license=lic)
                item.id = f"{repo}/{rel}" if repo else item.id
            yield item


def _below(path: str, folder: str) -> str:
    """`path` relative to `folder` (both absolute), with / separators."""
    prefix = folder.rstrip(os.sep) + os.sep
    if not path.startswith(prefix):
        raise ValueError(f"{path} is not under {folder}")
    return path[len(prefix):].replace(os.sep, "/")


def _read_plain(src, path: str) -> bytes | Quarantined:
    """A file's bytes as stored (no decompression by extension), up to one byte past the cap."""
    import fsspec
    try:
        with (open(path, "rb") if "://" not in path else fsspec.open(path, "rb").open()) as f:
            return f.read(src.max_doc_bytes + 1)
    except OSError as e:
        return Quarantined("unreadable_file", f"{path}: {type(e).__name__}: {e}", 0, path)
