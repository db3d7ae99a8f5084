"""Charsets on a corpus of real files whose charset is known: chardet's test files.

chardet's source distribution holds ~420 real feeds, pages and texts (2000s web, one directory
per charset: Big5, EUC-JP, windows-1251-russian, UTF-16LE, iso-2022-jp ...). They are the
publishers' copyright, so they are not in this repository; the row runs where you fetched them:

    pip download --no-deps --no-binary :all: chardet==5.2.0 && tar xzf chardet-5.2.0.tar.gz
    CHARSET_CORPUS=chardet-5.2.0/tests python -m bench --only ingest

A file counts as read when `decode_html`'s text equals the file decoded as a browser decodes
its charset (WHATWG: GB2312 as GB18030, Shift_JIS as windows-31J, TIS-620 as windows-874,
EUC-KR as windows-949, ISO-8859-1 and ASCII as windows-1252), unlabelled and with the right
label. Charsets that are no web encoding (IBM855, Johab, MacCyrillic ...) stay in the count:
there the reader keeps the page flagged or reads a near charset, which counts as a miss.
At a1b1fe2 (before ISO-2022 and BOM-less UTF-16/32 were looked for) the reader read 375 of 424
unlabelled and 416 labelled.
"""
from __future__ import annotations

import codecs
import os
from collections import Counter
from pathlib import Path

# chardet's directory names -> the codec a browser decodes that charset with
WHATWG = {"gb2312": "gb18030", "shift_jis": "cp932", "tis-620": "cp874", "euc-kr": "cp949", "big5": "big5hkscs",
          "iso-8859-1": "cp1252", "ascii": "cp1252", "iso-8859-9": "cp1254", "cp932": "cp932", "cp949": "cp949"}


def label_and_codec(directory: str) -> tuple[str, str] | None:
    """The charset label of one of chardet's test directories and the codec a browser decodes it
    with ('windows-1250-czech' -> ('windows-1250', 'cp1250'), 'GB2312' -> ('gb2312', 'gb18030'))."""
    parts = directory.lower().split("-")
    for n in range(len(parts), 0, -1):
        label = "-".join(parts[:n])
        if label in WHATWG:
            return label, WHATWG[label]
        try:
            return label, codecs.lookup(label).name
        except LookupError:
            continue
    return None


def score(root: Path) -> dict[str, Counter]:
    from pipeline.readers.decode import decode_html
    out = {"unlabelled": Counter(), "labelled": Counter()}
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        found = label_and_codec(d.name)
        if found is None:
            continue
        label, codec = found
        for f in sorted(d.iterdir()):
            body = f.read_bytes()
            try:
                truth = body.decode(codec).removeprefix("\ufeff")
            except UnicodeDecodeError:
                continue                     # a test file that is not what its directory says
            for way, declared in (("unlabelled", None), ("labelled", label)):
                text = decode_html(body, declared)[0]
                out[way]["files"] += 1
                out[way]["read"] += text is not None and text.removeprefix("\ufeff") == truth
    return out


def rows(quick: bool = False) -> list[dict]:
    root = os.environ.get("CHARSET_CORPUS")
    if not root or not Path(root).is_dir():
        return []
    got = score(Path(root))
    return [dict(what=f"charset corpus (chardet's test files, real pages of known charset): decode_html, {way}",
                 ours=c["read"] / max(1, c["files"]), baseline=None, ratio=None, unit="share read exactly",
                 notes=f"{c['read']} of {c['files']} files; not in the repository (CHARSET_CORPUS={root}); "
                       f"see bench/charset_corpus.py") for way, c in got.items()]


if __name__ == "__main__":
    for row in rows():
        print(row)
