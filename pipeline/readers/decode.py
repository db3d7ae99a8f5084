"""Turning page bytes into text: charset from HTTP header, BOM or <meta>, checked strictly.

Strict UTF-8 is tried first: text in another charset almost never decodes as valid UTF-8, while
pages that declare GB2312 or EUC-JP but are really UTF-8 are common (6 of the 40 magic-html
pages), and trusting the label turns them into mojibake. Then the declared charsets, read as
browsers do (WHATWG): latin-1 and ascii are windows-1252, gb2312/gbk are gb18030. Bytes invalid in
all of them are not guessed away: the caller quarantines the page as `bad_encoding`.
"""
from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_ALIASES = {
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252",
    "us-ascii": "cp1252", "iso8859-1": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
    "x-gbk": "gb18030", "shift_jis": "cp932", "x-sjis": "cp932", "sjis": "cp932",
    "euc-kr": "cp949", "x-euc-jp": "euc_jp", "utf8": "utf-8", "unicode": "utf-8",
}
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


def _canonical(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.I)
    return m.group(1) if m else None


def decode_html(body: bytes, declared: str | None = None) -> tuple[str | None, str]:
    """Return (text, charset used), or (None, why) when no candidate decodes strictly."""
    for bom, enc in _BOMS:
        if body.startswith(bom):
            try:
                return body.decode(enc), enc
            except UnicodeDecodeError:
                break
    candidates: list[str] = ["utf-8"]
    for label in (declared, _meta_charset(body)):
        enc = _canonical(label)
        if enc and enc not in candidates:
            candidates.append(enc)
    for enc in candidates:
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    return None, f"not valid in {', '.join(candidates)}"


def _meta_charset(body: bytes) -> str | None:
    m = _META.search(body[:8192])
    return m.group(1).decode("ascii", "replace") if m else None
