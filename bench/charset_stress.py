"""Charset stress: real sentences re-encoded in the legacy charsets of their language, as pages.

The gold pages of ../shared/data hold few pages in legacy charsets (a few windows-1252 English
pages, some GB2312-era Chinese), so they cannot tell detectors apart. Here the real sentences
of 38 languages (`text/multilingual_sentences.tsv`; the Chinese and Japanese magic-html gold
texts, Traditional made with OpenCC) become pages in the charsets those languages used before
UTF-8 (windows-125x, ISO-8859-x, KOI8, GBK, Big5, Shift-JIS, EUC-JP, EUC-KR): short (2
sentences or 150 characters) and long (20 sentences or 2,500 characters), each with no
declaration, the right one, a weak ISO-8859-1 one and a wrong UTF-8 one. A page counts as read
when the decoded text holds the original text exactly. `rows()` compares the reader's
`decode_html` (with and without the host's top-level domain) with each detector alone. The
reader before chardetng (uchardet first, every label trusted) read 89.7% of these pages.
"""
from __future__ import annotations

import csv
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CHARSETS = {
    **{lang: ["cp1252"] for lang in ("en", "fr", "de", "es", "pt", "it", "nl", "sv", "da", "fi", "is", "ca")},
    "pl": ["cp1250", "iso8859-2"], "cs": ["cp1250", "iso8859-2"], "sk": ["cp1250"], "hu": ["cp1250", "iso8859-2"],
    "ro": ["cp1250"], "hr": ["cp1250"], "sl": ["cp1250"], "ru": ["cp1251", "koi8-r"], "uk": ["cp1251", "koi8-u"],
    "bg": ["cp1251"], "be": ["cp1251"], "mk": ["cp1251"], "sr": ["cp1251"], "el": ["cp1253", "iso8859-7"],
    "tr": ["cp1254"], "he": ["cp1255", "iso8859-8"], "ar": ["cp1256"], "fa": ["cp1256"], "lt": ["cp1257"],
    "lv": ["cp1257"], "et": ["cp1257"], "th": ["cp874"], "zh": ["gb18030", "gbk"], "zh-Hant": ["big5"],
    "ja": ["shift_jis", "euc_jp"], "ko": ["euc-kr"]}
TLDS = {"cs": "cz", "sl": "si", "et": "ee", "el": "gr", "uk": "ua", "he": "il", "ar": "eg", "fa": "ir",
        "ja": "jp", "ko": "kr", "zh": "cn", "zh-Hant": "tw", "ca": "cat", "sv": "se", "da": "dk", "en": "uk"}
DECLARATIONS = ("none", "right", "weak latin-1", "wrong utf-8")
NAV = '<div class="nav"><a href="/">Home</a> | <a href="/about">About</a> | <a href="/contact">Contact</a></div>'


def _texts(shared: Path) -> dict[str, list[str]]:
    import opencc
    by: dict[str, list[str]] = defaultdict(list)
    with open(shared / "text/multilingual_sentences.tsv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            by[r["lang_iso639_1"]].append(r["text"])
    base = shared / "zh/html/magic_html"
    gold = json.loads((base / "ground-truth.json").read_text())
    with open(base / "pages.tsv", encoding="utf-8") as f:
        pages = list(csv.DictReader(f, delimiter="\t"))
    by["ja"] = [gold[p["id"]]["content"] for p in pages if p["script"] == "ja"]
    by["zh"] = [gold[p["id"]]["content"] for p in pages if p["script"] == "zh-Hans"]
    by["zh-Hant"] = [opencc.OpenCC("s2t").convert(t) for t in by["zh"]]
    return by


def cases(shared: Path = SHARED, per: int = 8, seed: int = 1) -> list[dict]:
    """One dict a page: lang, charset, size, declaration, text, body (bytes), url."""
    by, rnd, out = _texts(shared), random.Random(seed), []
    label = {"iso8859-2": "iso-8859-2", "iso8859-7": "iso-8859-7", "iso8859-8": "iso-8859-8", "euc_jp": "euc-jp"}
    for lang, charsets in CHARSETS.items():
        for charset in charsets:
            for size in ("short", "long"):
                for k in range(per):
                    if lang in ("ja", "zh", "zh-Hant"):
                        text = by[lang][k % len(by[lang])][:150 if size == "short" else 2500]
                    else:
                        text = " ".join(rnd.sample(by[lang], 2 if size == "short" else 20))
                    text = text.encode(charset, "ignore").decode(charset)   # what the charset can hold
                    if sum(ord(c) > 127 for c in text) < 3:
                        continue
                    for decl in DECLARATIONS:
                        meta = {"none": "", "right": f'<meta charset="{label.get(charset, charset)}">',
                                "weak latin-1": '<meta charset="iso-8859-1">',
                                "wrong utf-8": '<meta charset="utf-8">'}[decl]
                        html = f"<html><head>{meta}<title>Page</title></head><body>{NAV}<p>{text}</p></body></html>"
                        out.append(dict(lang=lang, charset=charset, size=size, declaration=decl, text=text,
                                        body=html.encode(charset), url=f"http://www.example.{TLDS.get(lang, lang)}/"))
    return out


def rows(quick: bool = False) -> list[dict]:
    from chardetng_py import EncodingDetector
    from charset_normalizer import from_bytes
    from resiliparse.parse.encoding import detect_encoding

    from pipeline.readers.charsets import canonical
    from pipeline.readers.decode import decode_html

    def chardetng(body: bytes) -> str | None:
        d = EncodingDetector()
        d.feed(body, last=True)
        return canonical(d.guess(tld=None, allow_utf8=False))

    def read(enc: str | None, case: dict) -> str | None:
        try:
            return case["body"].decode(enc) if enc else None
        except (UnicodeDecodeError, LookupError):
            return None

    ways = {
        "decode_html with the host's TLD": lambda c: decode_html(c["body"], None, url=c["url"])[0],
        "decode_html without a URL": lambda c: decode_html(c["body"])[0],
        "chardetng alone": lambda c: read(chardetng(c["body"]), c),
        "charset-normalizer alone":
            lambda c: read(canonical(getattr(from_bytes(c["body"]).best(), "encoding", None)), c),
        "uchardet alone": lambda c: read(canonical(detect_encoding(c["body"], html5_compatible=False)), c),
    }                                     # the last is the baseline: measured, not a row of its own
    all_cases = cases(per=3 if quick else 8)
    score: dict[str, Counter] = {}
    seconds: dict[str, float] = {}
    misses: dict[str, Counter] = {}
    for name, way in ways.items():
        score[name], misses[name] = Counter(), Counter()
        t = time.process_time()
        for c in all_cases:
            ok = (text := way(c)) is not None and c["text"] in text
            score[name][c["declaration"]] += ok
            score[name]["all"] += ok
            if not ok:
                misses[name][f'{c["lang"]}/{c["charset"]}'] += 1
        seconds[name] = time.process_time() - t
    n, per_decl = len(all_cases), len(all_cases) // len(DECLARATIONS)
    base = score["uchardet alone"]["all"] / n
    out = []
    for name in list(ways)[:-1]:
        share = score[name]["all"] / n
        by_decl = ", ".join(f"{d} {score[name][d] / per_decl:.1%}" for d in DECLARATIONS)
        out.append(dict(what=f"charset stress ({len(CHARSETS)} languages): {name} vs uchardet alone",
                        ours=round(share, 4), baseline=round(base, 4), ratio=share / base, unit="share read exactly",
                        notes=f"{n} pages ({per_decl} per declaration: {by_decl}); {1e3 * seconds[name] / n:.2f} ms "
                              f"CPU a page; most missed: {dict(misses[name].most_common(4))}; bench/charset_stress.py"))
    return out


if __name__ == "__main__":
    for row in rows(quick=False):
        print(row)
