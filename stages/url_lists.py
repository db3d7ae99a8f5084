"""Reading the list files of url_filter: block lists and allowlists (domains, hosts, URLs in the
forms the public lists use) and word lists, compressed or not.

Lines: `#` comments (a trailing `# comment` too), Adblock `!` comments, `[Adblock ...]` headers,
`@@` exceptions and `example.com##.ad` element-hiding rules name no block and are skipped; a
hosts-file line (`0.0.0.0 a.com b.com`) gives every host on it; any other line its first field.
What each entry then means is url_filter's (its module docstring).
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterator

from pipeline.readers.decompress import DecompressedStream, looks_like_tar, sniff_codec
from pipeline.stage import StageError

_ELEMENT_HIDING = re.compile(r"#[@?$%]?#")      # Adblock cosmetic rules: `example.com##.ad`, `#@#`, `#?#`
_IP_ADDRESS = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:]*(?:%\w+)?)$", re.I)


def line_entries(line: str) -> list[str]:
    """The entries of one list line: none for a blank or comment line (`#`; Adblock `!` comments,
    `[Adblock ...]` headers, `@@` exceptions and `example.com##.ad` element-hiding rules, which
    name no block), every host of a hosts-file line, else its first field (a trailing `# comment`
    dropped)."""
    if _ELEMENT_HIDING.search(line):
        return []
    line = line.lstrip("\ufeff").split("#", 1)[0].strip()
    if not line or line[0] == "!" or line.startswith("@@") or line[:8].lower() == "[adblock":
        return []
    fields = line.split()
    if len(fields) >= 2 and _IP_ADDRESS.match(fields[0]):   # hosts-file line: 0.0.0.0 a.com b.com
        return fields[1:]
    return fields[:1]


def _open_list(path: Path):
    """The file's bytes, decompressed when its first bytes say gzip, bz2, xz or zstd (the readers'
    DecompressedStream); refused when it is a tar archive (compressed or not): a list inside an
    archive must be extracted and named."""
    with open(path, "rb") as f:
        head = f.read(512)
    codec = sniff_codec(head)
    raw = open(path, "rb")
    stream = io.BufferedReader(DecompressedStream(raw, codec, str(path))) if codec else raw
    if looks_like_tar(stream.peek(512)[:512]):
        stream.close()
        raise StageError(f"url_filter: list {path} is a tar archive, not a list: extract it and name the file "
                         f"inside (UT1's blacklists.tar.gz: adult/domains, adult/urls)")
    return stream


def _list_lines(path: str | Path) -> Iterator[str]:
    """The lines of a list file (compressed or not, UTF-8 with bad bytes replaced). A file that
    cannot be read or decompressed raises StageError naming it."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"url_filter: list {path} not found")
    try:
        with _open_list(path) as raw:
            yield from io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)
    except StageError:
        raise
    except Exception as e:          # a damaged compressed file: BadGzipFile, EOFError, zlib.error, ZstdError...
        raise StageError(f"url_filter: list {path} cannot be read: {type(e).__name__}: {e}") from e


def read_list_file(path: str | Path) -> list[str]:
    """The entries of a block-list or allowlist file (`line_entries` of each line)."""
    return [e for line in _list_lines(path) for e in line_entries(line)]


def read_word_file(path: str | Path) -> list[str]:
    """The words of a word-list file: one a line, `#` comments and blank lines skipped (datatrove's
    banned_words.txt form)."""
    return [w for line in _list_lines(path) if (w := line.split("#", 1)[0].strip())]


def first_entry(path: str, words: bool) -> str | None:
    for line in _list_lines(path):
        if words and (w := line.split("#", 1)[0].strip()):
            return w
        if not words and (found := line_entries(line)):
            return found[0]
    return None
