"""Editions of one Project Gutenberg eBook in a mirror (see gutenberg.py).

A PG mirror keeps an eBook's editions in one folder of its old tree, `1/7/4/8/17489/`:
`17489-0.txt` (UTF-8), `17489.txt` (ASCII), `17489-8.txt` (Latin-1) and their zips (`-0.zip`,
`.zip`, `-8.zip`), beside the HTML edition; and its generated UTF-8 text in `cache/epub/17489/`
(`pg17489.txt`, in older mirrors `pg17489.txt.utf8`). Read all, one eBook became several documents
under its one id `gutenberg:17489`, and the run's note blamed row formats.

Which edition to read is a choice among the source's files, and a reader sees one file per call:
no reader hook sees the file list (checks.list_inputs makes it), and a choice made from a folder's
listing would drop a book whose preferred edition is damaged or not in the run's list
(`max_files`, `paths_file`). So every edition is still read; one that has a preferred edition
which the source's `paths` also take, in its folder or in the other tree's, is flagged
`other_edition`, names that file in `preferred_edition` (its name; the other tree's by its path
from the mirror's root) and is counted (`gutenberg_other_edition_books`). Preferred: UTF-8 text
(`-0.txt`, `pgN.txt`), then `.txt`, `-8.txt`, then the zips in that order; of two UTF-8 texts,
the old tree's (pgcorpus/gutenberg, which reads UTF-8 only, keeps `N-0.txt` over cache/epub's
`pgN.txt.utf8`). A glob over one tree, such as `cache/epub/**/pg*.txt`, reads one edition per eBook.
"""
from __future__ import annotations

import fnmatch
import os
import posixpath
import re

from pipeline.readers.decompress import CODECS
from pipeline.readers.guarded import local_path

# [pg]<number>[-0|-8].<txt|zip>[.utf8], a compression suffix taken off (.gz, ..., cache/epub's .gzip).
_EDITION = re.compile(r"(pg)?(\d+)(-0|-8)?\.(txt|zip)(\.utf-?8)?")
_COMPRESSED = (*CODECS, ".gzip")
# Preference, best first: UTF-8 text, ASCII (or unlabelled) text, Latin-1 text, then the zips alike.
_RANK = {("-0", "txt"): 0, ("", "txt"): 1, ("-8", "txt"): 2, ("-0", "zip"): 3, ("", "zip"): 4, ("-8", "zip"): 5}
OLD_TREE, CACHE_TREE = 0, 1         # of two UTF-8 texts, the old tree's is preferred


def edition(name: str) -> tuple[int, int] | None:
    """(eBook number, preference rank: 0 best) of a PG file name (`17489-8.txt`, `pg2229.txt`,
    `17489-0.zip`, compressed or not), or None for any other name (`17489-h.zip`, `book.txt`)."""
    low = name.lower()
    low = next((low[:-len(s)] for s in _COMPRESSED if low.endswith(s)), low)
    m = _EDITION.fullmatch(low)
    if not m or (m.group(5) and m.group(4) != "txt"):
        return None
    utf8 = m.group(4) == "txt" and (m.group(1) or m.group(5))      # cache/epub's generated texts are UTF-8
    return int(m.group(2)), _RANK[("-0" if utf8 else m.group(3) or "", m.group(4))]


def preferred_edition(src, path: str) -> str | None:
    """A better edition of `path`'s eBook that the source's `paths` also take (named, globbed, or
    under a folder they name), in its folder or in the other tree's, or None: none there, or
    `path` is the best. Looked up in those folders' listings (one or two per book file); a folder
    that cannot be listed has none."""
    folder, name = path.rsplit("/", 1) if "/" in path else ("", path)
    mine = edition(name)
    if mine is None:
        return None
    number = mine[0]
    tree, other = _trees(folder, number)
    found = []
    for where, in_tree in ((folder, tree), *([other] if other else [])):
        for candidate in _listing(where, path):
            e = edition(candidate)
            if e is not None and e[0] == number and (e[1], in_tree, candidate) < (mine[1], tree, name):
                found.append(((e[1], in_tree, candidate), where))
    for (_, _, candidate), where in sorted(found):
        full = f"{where}/{candidate}" if where else candidate
        if _taken(src, full):
            return candidate if where == folder else full[len(_root(folder, number, tree)) + 1:]
    return None


def _trees(folder: str, number: int) -> tuple[int, tuple[str, int] | None]:
    """Which tree a book's folder is in (OLD_TREE for any other folder too), and the folder of the
    same eBook in the other tree of a mirror: `cache/epub/17489` <-> `1/7/4/8/17489` (one folder
    per digit but the last; `0/7` for eBook 7), or None when the folder is in neither."""
    parts = folder.split("/")
    digits = str(number)
    steps = list(digits[:-1]) or ["0"]
    if parts[-3:] == ["cache", "epub", digits]:
        return CACHE_TREE, ("/".join(parts[:-3] + steps + [digits]), OLD_TREE)
    if parts[-len(steps) - 1:] == steps + [digits]:
        return OLD_TREE, ("/".join(parts[:-len(steps) - 1] + ["cache", "epub", digits]), CACHE_TREE)
    return OLD_TREE, None


def _root(folder: str, number: int, tree: int) -> str:
    """The mirror's root above a book's folder in `tree`."""
    depth = 3 if tree == CACHE_TREE else (len(str(number)) - 1 or 1) + 1
    return "/".join(folder.split("/")[:-depth])


def _listing(folder: str, path: str) -> list[str]:
    try:
        local = local_path(folder)
        if local is not None:
            return os.listdir(local or ".")
        import fsspec
        fs = fsspec.core.url_to_fs(path)[0]
        return [posixpath.basename(n.rstrip("/")) for n in fs.ls(folder, detail=False)]
    except (OSError, ValueError):
        return []


def _taken(src, path: str) -> bool:
    """Whether the source's `paths` list `path`: named, matched by a glob, or in a folder named
    (and not skipped there by the reader's name rules, see read_source_file)."""
    from pipeline.readers import _pattern_kinds
    dirs, named, globs = _pattern_kinds(tuple(src.paths))
    if path in named or any(fnmatch.fnmatchcase(path, g) for g in globs):
        return True
    reader = getattr(src.reader, "inner", None) or src.reader       # a trial's reader answers for its inner one
    low = path.lower()
    return any(path.startswith(d) for d in dirs) and not (reader.skip_suffixes and low.endswith(reader.skip_suffixes)) \
        and (not reader.data_suffixes or low.endswith(reader.data_suffixes))
