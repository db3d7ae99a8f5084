"""Source code: files of a directory or git checkout, or Stack-style rows (JSONL/Parquet/Arrow).

`layout: files` reads each listed file as one document: a file of git's own is skipped (counted
`code_git_internal_skipped`): one under `.git/`, or the `.git` file of a submodule or linked worktree
(`gitdir: ../.git/modules/sub/libfoo`; a directory's listing leaves both out already, `expand_paths`),
and so are a submodule's files below the tree read (`code_submodule_files_skipped`: another
repository, which a clone leaves out and The Stack has no content of; listed itself, a submodule is
read as its own repository), and so is a file reached through a symbolic link that lies inside
the same tree (`root`, else its checkout), which is read where it lies (`code_symlink_in_tree_skipped`), or outside the tree
(`code_symlink_out_of_tree_skipped`: `src/x -> /etc/passwd` is no code of the repository, and a
link to a home directory's keys must not put them in a corpus; The Stack, from git's blobs, has
only the target's path for a link). A binary file is
quarantined with its reason: a format its first bytes name (`magic.SIGNATURES`: PDF, PNG, ZIP, ELF,
gzip ...), a NUL byte in its first 8 KiB (git's own test) or further on, control bytes in windows
sampled across it, one byte repeated (a flash image of 0xFF) (`decode_files.binary_bytes`). A
file that is not UTF-8 is read (`legacy_charsets`) as UTF-8 with its stray bytes as cp1252 when
its own UTF-8 lines outweigh them (see `decode_unlabelled`), else in the charset that detection names
for an unlabelled page (pipeline.readers.decode: GBK comments in Chinese embedded projects,
Latin-1 in old European code); counted (`code_legacy_charset`) and named in the metadata
(`charset`). A file in UTF-16 or UTF-32 (with a byte-order mark, or NUL bytes where its ASCII
characters are: `decode_files.wide_unicode`) is text, not binary (`code_wide_unicode`). A file no
charset reads as text is quarantined (`bad_encoding`). The repository
is named by the checkout's git remote (or its directory name) or, for a directory holding many
checkouts (`repo_depth: 1`), by the first path component under `root`; without `root`, a tree
with no `.git` (an unpacked GitHub zip, `git archive`, a dataset's snapshot) is the repository of
the listed directory, its files' paths relative to it (`vendor/...`, which code_filter reads). `layout: rows` reads The
Stack's row format (content, path, repo, licence) through the Parquet/Arrow/JSONL readers (the
format its first bytes name, else its name: `.parquet`, `.pq`, `.arrow`, ...; markers such as
`_SUCCESS` and what a directory holds besides row files, a README.md, skipped as those readers
skip them); a row's own language label (`language_field`) is kept, a row without one gets
its language as a file does, and a notebook row is read as a notebook file is.

A checkout's file carries its repository's licence in its metadata (`license`, the field a
Stack-style row has): that of the licence file (LICENSE, COPYING, ... : code_licences) of the
nearest folder from the file's own up to its repository's (`root`, or its `repo_depth` components,
or the checkout's; with neither, the listed directory), each folder looked at once per reading;
none when no such folder has one, or its licence files name no licence code_licences knows.
code_filter reads it as the file's licence where the file's own header names none.

The language (`code_languages.py`) comes from the file name through Pygments' lexer registry (maintained upstream with
every language it highlights), cached per extension so a large tree costs one lookup per
extension, except names that a Pygments pattern matches beyond their extension (Makefile.am,
Kconfig.debug, page.html.j2), looked up whole. A small table (`LANGUAGE_OVERRIDES`) goes first
where Pygments guesses wrong from a name alone (`.S` assembly, go.mod) or has no lexer (`.ipynb`:
"Jupyter Notebook", `.Rmd`, configure.ac, Jenkinsfile). An extension several languages share
(`.h` C/C++/Objective-C, `.m` Objective-C/MATLAB/Mathematica, `.t` Perl/Raku, `.pl`, `.inc`,
`.pro`, `.def`, `.cls`, `.ts`, `.v`, `.m4`) is told by its file's first 16 KB, by GitHub linguist's
heuristics (`CONTENT_RULES`), per file. A file whose name says nothing (`bin/run`, a hook) gets the
language of its shebang line's interpreter (`#!/usr/bin/env python3`: Python; `SHEBANG_INTERPRETERS`).

A Jupyter notebook (`.ipynb`, nbformat 4, and 3's worksheets) is read as the script its cells make
(`notebooks: script`), as The Stack's jupyter-scripts and StarCoder's notebook data turned notebooks
into scripts: code cells' source as code, markdown (and raw) cells as comment lines in the kernel's
language (`# ` for Python, R, Julia; `// ` for C++, Scala, JavaScript; `-- ` for Haskell, SQL;
`% ` for MATLAB: `NOTEBOOK_COMMENTS`; `# ` when the kernel is not known), cells a blank line apart,
outputs (base64 images, tables, tracebacks) dropped: as raw JSON a notebook's code was lost to
code_filter's `max_line_length`. Its `language` is the kernel's (`metadata.kernelspec.language`,
else `language_info.name`, else a kernel name Pygments knows: `python3` is Python), else "Jupyter
Notebook"; `notebook_cells` counts its code and markdown cells (`code_notebook` counts the files).
A notebook that is not one (no valid JSON, no cells) is quarantined `bad_notebook`, never read as
text. `notebooks: raw` reads the JSON as it is.
"""
from __future__ import annotations

import configparser
import functools
import os
import re
from typing import Iterator, Literal

from pydantic import Field

from pipeline import storage
from pipeline.readers import is_git_internal
from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, read_whole
from pipeline.readers.code_languages import language_of, shebang_language  # noqa: F401 (language_of: the API)
from pipeline.readers.code_licences import folder_licence
from pipeline.readers.code_notebooks import notebook_script
from pipeline.readers.decode_files import decode_text_bytes
from pipeline.readers.magic import binary_format
from pipeline.readers.guarded import open_input
from pipeline.readers.rows import JsonlReader
from pipeline.readers.rows_columnar import ArrowReader, ParquetReader, sniff_columnar

COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
# git's binary test (xdiff's buffer_is_binary): a NUL byte in the first 8000 bytes.
BINARY_PROBE_BYTES = 8000
# A notebook file may be this many times max_doc_bytes: its outputs (base64 plots, tables) are
# dropped, and the script its cells make is held to max_doc_bytes (a notebook with a few plots
# over 10 MB was quarantined too_large before its cells were read)
NOTEBOOK_OUTPUTS = 10
# A checkout read from an object store (s3://bucket/repos/x/...) is walked with the storage layer:
# its folders are key prefixes, its `.git` a prefix holding `config`.
def _git_remote_name(git_dir: str) -> str | None:
    """owner/name from the checkout's `origin` URL (https or ssh form), if it has one."""
    cfg = configparser.ConfigParser(strict=False)
    try:
        cfg.read_string(storage.read_text(f"{git_dir}/config"))
        url = cfg.get('remote "origin"', "url")
    except (configparser.Error, OSError, UnicodeDecodeError, ValueError):
        return None
    m = re.search(r"[:/]([^/:]+/[^/]+?)(?:\.git)?/?$", url.strip())
    return m.group(1) if m else None


def _has_git(folder: str) -> bool:
    if "://" not in folder:
        return os.path.exists(os.path.join(folder, ".git"))
    try:
        return storage.exists(f"{folder}/.git")
    except OSError:
        return False


@functools.lru_cache(maxsize=1024)
def _repo_of_checkout(root: str) -> str:
    name = root.rstrip("/").rsplit("/", 1)[-1]
    return (_git_remote_name(f"{root}/.git") if _has_git(root) else None) or name


@functools.lru_cache(maxsize=64)
def _abs(path: str) -> str:
    """A local path absolute; a URL as it is, without a trailing slash."""
    return path.rstrip("/") if "://" in path else os.path.abspath(path)


@functools.lru_cache(maxsize=4096)
def _realpath(folder: str) -> str:
    return os.path.realpath(folder)


@functools.lru_cache(maxsize=64)
def _listed_dirs(paths: tuple[str, ...]) -> tuple[str, ...]:
    """The directories among a source's paths, absolute: local ones, and every URL (a store's
    folder is a key prefix, which only the files below it start with)."""
    return tuple(_abs(p) for p in paths if "://" in p or os.path.isdir(p))


def _outermost_listed(path: str, src) -> str | None:
    """The outermost of the source's listed directories holding `path` (absolute, or a URL)."""
    sep = "/" if "://" in path else os.sep
    held = [d for d in _listed_dirs(tuple(getattr(src, "paths", ()))) if path.startswith(d.rstrip(sep) + sep)]
    return min(held, key=len, default=None)


@functools.lru_cache(maxsize=4096)
def _is_submodule(folder: str) -> bool:
    """Whether the folder's `.git` is a file pointing into a superproject's git directory
    (`gitdir: ../../.git/modules/libs/sub`), as a submodule's is (a linked worktree's points into
    `.git/worktrees/`)."""
    try:
        if "://" in folder:
            head = storage.read_text(f"{folder}/.git")[:4096]
        elif os.path.isfile(os.path.join(folder, ".git")):
            with open(os.path.join(folder, ".git"), encoding="utf-8", errors="replace") as f:
                head = f.read(4096)
        else:
            return False
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    m = re.match(r"gitdir:\s*(\S.*)", head)
    return bool(m and re.search(r"\.git[/\\]modules[/\\]", m.group(1)))


@functools.lru_cache(maxsize=4096)
def _checkout_of(folder: str) -> str:
    """The nearest folder at or above `folder` with a .git entry, else `folder` itself."""
    found = _git_above(folder)
    return folder if found is None else found


@functools.lru_cache(maxsize=4096)
def _git_above(folder: str) -> str | None:
    """One lookup per folder (a store answers each with a request): the parent's answer is shared."""
    if _has_git(folder):
        return folder
    parent = folder.rsplit("/", 1)[0] if "://" in folder else os.path.dirname(folder)
    if parent == folder or parent.endswith(":/") or (("://" in folder) and parent.count("/") < 3):
        return None      # the file system's root, or a bucket's
    return _git_above(parent)


class CodeReader(Reader):
    """Source files of a directory/git checkout (`layout: files`) or Stack-style rows (`layout: rows`)."""
    name = "code"
    version = "6"      # 2: a checkout's file carries its repository's licence (`license`); 3: more licence-file layouts;
    # 4: PSF, Python, curl, Khronos MIT and reworded GNU notices known; 5: a tree without .git is the listed
    # directory's repository, languages of shared extensions told by content, submodules' files skipped;
    # 6: a proprietary notice is no pointer to the parent's licence, a dual offer after a GNU notice counts

    @property
    def empty_files_are_ordinary(self) -> bool:
        """In a checkout an empty file is ordinary (`__init__.py`, `.gitkeep`); an empty rows file is not."""
        return self.layout == "files"

    @property
    def marker_prefixes(self) -> tuple[str, ...]:
        """rows: a writer's markers (`_SUCCESS`, `.part-0.crc`) skipped as the row readers skip them
        (read_source_file, `skipped_marker_file`); files: none (`__init__.py`, `.github/` are code)."""
        return _ROWS_MARKERS if self.layout == "rows" else ()

    @property
    def data_suffixes(self) -> tuple[str, ...]:
        """rows: the row readers' data file names (Parquet, Arrow, JSON Lines, each in all their
        names): what else a directory turns up (a dataset card's README.md, LICENSE) is skipped and
        counted (`skipped_not_code_file`); files: every file is code."""
        return _ROWS_SUFFIXES if self.layout == "rows" else ()

    @property
    def lfs_pointers_are_documents(self) -> bool:
        """In a checkout an LFS pointer is a file of the tree, which code_filter marks `lfs_pointer`."""
        return self.layout == "files"

    layout: Literal["files", "rows"] = Field(
        "files", description="files: each listed file is one document; "
                             "rows: JSONL/Parquet/Arrow rows with content, path, repo, licence (The Stack), "
                             "the format told from the first bytes, else the name; in a directory, files not "
                             "named as row files (README.md) and markers (_SUCCESS) are skipped, counted")
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
    notebooks: Literal["script", "raw"] = Field(
        "script", description="a Jupyter notebook (a file or a row named .ipynb) as the script its cells make (code "
                              "cells as code, markdown cells as comments in the kernel's language, outputs dropped; "
                              "one that is no notebook is quarantined bad_notebook); raw: its JSON as stored")
    content_field: str = Field("content", description="rows: field holding the file content")
    path_field: str = Field("path", description="rows: field holding the file path in its repository")
    repo_field: str = Field("repo", description="rows: field holding the repository name")
    license_field: str = Field("license", description="rows: field holding the repository licence(s)")
    language_field: str = Field(
        "language", description="rows: field holding the file's language label (The Stack v1: lang), kept as it is; "
                                "a row without one gets the language of its file name, else of its shebang line")

    def read(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        if self.layout == "rows":
            return self._read_rows(path, src, state)
        return self._read_file(path, src, state)

    # -- files of a checkout ---------------------------------------------------------------
    def _locate(self, path: str, src) -> tuple[str, str]:
        """(repository, path inside it) of a file (local or on a store); ValueError if it is not
        under `root`. Without `root`: its git checkout (the nearest folder above with a `.git`), else
        the outermost listed directory holding it (an unpacked GitHub zip, a `git archive`, a
        dataset's snapshot: `paths: repos/go-tail/` is one repository, `go-tail`, whose
        `vendor/...` paths code_filter's `vendored` rule sees), else its own folder."""
        p = _abs(path)
        if self.root is not None:
            rel = _below(p, _abs(self.root))
            parts = rel.split("/")
            if self.repo_depth and len(parts) > self.repo_depth:
                return self.repo or "/".join(parts[:self.repo_depth]), "/".join(parts[self.repo_depth:])
            return self.repo or _repo_of_checkout(_abs(self.root)), rel
        folder = p.rsplit("/", 1)[0] if "://" in p else os.path.dirname(p)
        top = _git_above(folder) or _outermost_listed(p, src) or folder
        return self.repo or _repo_of_checkout(top), _below(p, top)

    def _in_submodule(self, path: str, src) -> bool:
        """Whether a file lies in a submodule (`libs/sub/`, whose `.git` file points into the
        superproject's `.git/modules/`) below the tree read (`root`, else the outermost listed
        directory, else the superproject's checkout): another repository, which a clone leaves
        out (The Stack has no submodule content) and which is read as its own when listed."""
        p = _abs(path)
        sub = _git_above(p.rsplit("/", 1)[0] if "://" in p else os.path.dirname(p))
        if sub is None or not _is_submodule(sub):
            return False
        sep = "/" if "://" in p else os.sep
        above = sub.rsplit("/", 1)[0] if "://" in sub else os.path.dirname(sub)
        top = _abs(self.root) if self.root is not None else _outermost_listed(p, src) or _git_above(above)
        return top is not None and sub.startswith(top.rstrip(sep) + sep)

    def _symlink(self, path: str, src) -> str | None:
        """For a local file reached through a symbolic link (itself or a folder on its way): "in"
        when it really lies inside the same tree (`root`, else the outermost of its checkout and
        the listed directories holding it), where it is read, so reading it here too would make a
        second document; "out" when it lies outside the tree (`/etc/passwd`, a home directory's
        keys, another project): not the repository's content, as The Stack, which reads git's
        blobs, has only the link's target path for it. None: no link, or one within the tree's
        own path (a listed folder that is itself a link)."""
        p = os.path.abspath(path)
        folder, name = os.path.split(p)
        real = os.path.realpath(p) if os.path.islink(p) else os.path.join(_realpath(folder), name)
        if self.root is not None:
            top = _abs(self.root)
        else:
            tops = [d for d in _listed_dirs(tuple(getattr(src, "paths", ()))) if p.startswith(d.rstrip(os.sep) + os.sep)]
            top = min([*tops, _checkout_of(folder)], key=len)
        try:
            unlinked = os.path.join(_realpath(top), _below(p, top))     # where no link leads
        except ValueError:
            return None
        if real == unlinked:
            return None
        return "in" if real.startswith(_realpath(top).rstrip(os.sep) + os.sep) else "out"

    @staticmethod
    def _licence_folders(path: str, rel: str) -> tuple[str, str]:
        """(the file's folder, the folder up to which its licence file is looked for): its
        repository's folder as _locate found it (`root`, root's first `repo_depth` components, the
        checkout, the listed directory), as a licence file above a repository is not its licence."""
        p = _abs(path)
        return (p.rsplit("/", 1)[0] if "://" in p else os.path.dirname(p)), p[:len(p) - len(rel) - 1]

    def _read_file(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        if is_git_internal(path):
            state.count("code_git_internal_skipped")
            return
        if "://" not in path and (link := self._symlink(path, src)):
            state.count(f"code_symlink_{link}_of_tree_skipped" if link == "out" else "code_symlink_in_tree_skipped")
            return
        if self._in_submodule(path, src):
            state.count("code_submodule_files_skipped")
            return
        compressed = path.endswith(COMPRESSED_SUFFIXES)
        if compressed and not self.decompress:
            yield Quarantined("binary_file", f"{path}: compressed file (decompress: false)", 0, path)
            return
        # a file named compressed is read by what its first bytes say (plain source named .gz,
        # bzip2 named .gz: compression_by_content); one not named so is read as stored (a gzip
        # file named .go is a binary file)
        # A notebook's outputs (base64 plots) are dropped: its cap is its script's, judged below
        notebook_file = self.notebooks == "script" and not compressed and path.lower().endswith(".ipynb")
        body = read_whole(src, path, state, sniff=True) if compressed else \
            _read_plain(src, path, src.max_doc_bytes * (NOTEBOOK_OUTPUTS if notebook_file else 1))
        if isinstance(body, Quarantined):
            yield body
            return
        if len(body) > src.max_doc_bytes * (NOTEBOOK_OUTPUTS if notebook_file else 1):
            yield Quarantined("too_large", f"{path}: more than {src.max_doc_bytes} bytes", 0, path, len(body),
                              body[:4096])
            return
        if (fmt := binary_format(body)) is not None:
            yield Quarantined("binary_file", f"{path}: {fmt}", 0, path, len(body), body[:256])
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
            repo, rel = self._locate(path, src)
        except ValueError:
            yield Quarantined("outside_root", f"{path} is not under root {self.root}", 0, path)
            return
        licence = folder_licence(*self._licence_folders(path, rel), state.memo)
        if compressed:
            rel = rel.rsplit(".", 1)[0]
        language = language_of(rel, text) or shebang_language(text)
        notebook = None
        if self.notebooks == "script" and rel.lower().endswith(".ipynb"):
            notebook = _notebook(text, state, path, 0, len(body), body[:4096])
            if isinstance(notebook, Quarantined):
                yield notebook
                return
            text, language = notebook.text, notebook.language or language
            if len(text.encode("utf-8")) > src.max_doc_bytes:
                yield Quarantined("too_large", f"{path}: a notebook whose cells hold more than {src.max_doc_bytes} "
                                  f"bytes", 0, path, len(body), body[:4096])
                return
        if not text.strip():
            what = "a notebook whose cells hold no source" if notebook else "only whitespace"
            yield Quarantined("empty_document", f"{path}: {what}", 0, path)
            return
        meta = {"repo": repo, "path": rel, "language": language, "size": len(body)}
        if licence:
            meta["license"] = licence             # the repository's, as a Stack row's `license` is
        if notebook:
            meta["notebook_cells"] = _cells(notebook)
        if charset:
            meta["charset"] = charset
        yield Doc(f"{repo}/{rel}", None, text=text, metadata=meta)

    # -- Stack-style rows ------------------------------------------------------------------
    def _read_rows(self, path: str, src, state: ReadState) -> Iterator[Doc | Quarantined]:
        """A row's own language label is kept (`include/a.h` labelled C++ stays C++); the file name,
        else its shebang, names the language of a row without one. A notebook row is read as the
        script its cells make, as a checkout's notebook file is."""
        row_reader = _rows_reader_for(path)(text_field=self.content_field, id_field=None, url_field=None)
        for item in row_reader.read(path, src, state):
            if not isinstance(item, Doc):
                yield item
                continue
            md = item.metadata
            rel, repo = md.pop(self.path_field, None), md.pop(self.repo_field, None)
            if not isinstance(rel, str) or not rel:
                yield Quarantined("missing_path", f"{item.id}: field {self.path_field!r} missing", -1, item.id)
                continue
            doc_id = f"{repo}/{rel}" if repo else item.id
            lic, label = md.pop(self.license_field, None), md.pop(self.language_field, None)
            label = label.strip() if isinstance(label, str) and label.strip() else None
            size = len(item.text.encode("utf-8"))
            language = label
            if self.notebooks == "script" and rel.lower().endswith(".ipynb"):
                notebook = _notebook(item.text, state, doc_id, -1, size, item.text[:4096].encode("utf-8"))
                if isinstance(notebook, Quarantined):
                    yield notebook
                    continue
                if not notebook.text.strip():
                    yield Quarantined("empty_document", f"{doc_id}: a notebook whose cells hold no source", -1, doc_id)
                    continue
                item.text, language = notebook.text, notebook.language or label
                md["notebook_cells"] = _cells(notebook)
            language = language or language_of(rel, item.text) or shebang_language(item.text)
            md.update(repo=repo, path=rel, language=language, size=size, license=lic)
            item.id = doc_id
            yield item


def _notebook(text: str, state: ReadState, where: str, offset: int, size: int, sample: bytes):
    """The script a notebook's cells make (counted `code_notebook`), or the quarantine item of one
    that is no notebook: the same for a checkout's file and a Stack-style row."""
    try:
        notebook = notebook_script(text)
    except ValueError as e:
        return Quarantined("bad_notebook", f"{where}: {e}", offset, where, size, sample)
    state.count("code_notebook")
    return notebook


def _cells(notebook) -> dict[str, int]:
    return {"code": notebook.code_cells, "markdown": notebook.markdown_cells}


_ROW_READERS = (ParquetReader, ArrowReader, JsonlReader)
_ROWS_MARKERS = tuple(dict.fromkeys(p for r in _ROW_READERS for p in r.marker_prefixes))
_ROWS_SUFFIXES = tuple(dict.fromkeys(s for r in _ROW_READERS for s in r.data_suffixes))


def _rows_reader_for(path: str) -> type:
    """The row reader of a `layout: rows` file: the columnar format its first bytes name (`PAR1`,
    `ARROW1`, an IPC stream, Feather v1: whatever the name), else the one its name says (the row
    readers' `data_suffixes`, a compression suffix taken off: `.parquet`, `.pq`, `.arrow`,
    `.feather`, ...), else JSON Lines (which tells compression and JSON documents from the bytes)."""
    found = sniff_columnar(path)
    if found is not None:
        return ParquetReader if found == "parquet" else ArrowReader
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    bare = name.rsplit(".", 1)[0] if name.endswith(COMPRESSED_SUFFIXES) else name
    return next((r for r in (ParquetReader, ArrowReader) if bare.endswith(r.data_suffixes)), JsonlReader)


def _below(path: str, folder: str) -> str:
    """`path` relative to `folder` (both absolute, or both URLs), with / separators."""
    prefix = folder.rstrip("/") + "/" if "://" in folder else folder.rstrip(os.sep) + os.sep
    if not path.startswith(prefix):
        raise ValueError(f"{path} is not under {folder}")
    return path[len(prefix):].replace(os.sep, "/")


def _read_plain(src, path: str, cap: int | None = None) -> bytes | Quarantined:
    """A file's bytes as stored (no decompression by extension), up to one byte past the cap
    (`max_doc_bytes` unless given)."""
    try:
        with open_input(path) as f:
            return f.read((src.max_doc_bytes if cap is None else cap) + 1)
    except OSError as e:
        return Quarantined("unreadable_file", f"{path}: {type(e).__name__}: {e}", 0, path)
