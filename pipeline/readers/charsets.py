"""Charset labels, and the measures a reading of bytes is judged by: what page decoding
(pipeline.readers.decode), bytes that name no charset (pipeline.readers.decode_files) and the book
readers share.

Labels: `canonical` reads any spelling of a label as browsers do (WHATWG labels: latin-1/ascii are
windows-1252, gb2312/gbk are GB18030, shift_jis is cp932, euc-kr is cp949); WEAK_LABELS are the
spellings of windows-1252, written by default whatever the page held (decode.py, 3., says how
detection may overrule them); WEB_CHARSETS are what a detector may answer (the WHATWG standard's,
not DOS code pages such as cp865); a page declares its charset in an HTTP header
(`charset_from_content_type`) or a `<meta>` (`_meta_charset`); `_tld` is the hint chardetng takes.

Measures: a reading is plausible when charset-normalizer's `mess_ratio` of the page's visible text
stays under MAX_MESS (`_mess`, `_plausible`); `is_utf8` validates in place (`bytes.isascii`, else
Arrow's UTF-8 validation over the bytes, no copy).

Garbage rule (the only reason to quarantine a page as `bad_encoding`): in the decoded text, more
than MAX_BAD_SHARE of the characters are U+FFFD or control characters (C0 other than whitespace,
DEL, C1). Real pages have next to none (0 of the gold pages in shared/data, see
bench/bench_ingest.py); binary payloads decoded as text have 10-15 % (a random byte is a C0/C1
control with probability ~0.24 in windows-1252, more when replaced). NUL bytes at a page's ends are
padding, not text (`nul_padded`): decode.py strips them before the page is judged (unless other NULs
near its start say it may be UTF-16/32).
"""
from __future__ import annotations

import codecs
import re
from urllib.parse import urlsplit

import pyarrow as pa
from charset_normalizer.md import mess_ratio

from pipeline.documents import string_over

MAX_MESS = 0.2
MAX_BAD_SHARE = 0.05
MESS_SAMPLE = 8000

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
# Tags, entities, scripts and styles (each script/style to its first end tag). The script and style
# loops are unrolled (`[^<]*` runs instead of a lazy `.*?`): same matches, ~4x faster.
_TAGS = re.compile(r"<script[^<]*(?:<(?!/script>)[^<]*)*</script>|<style[^<]*(?:<(?!/style>)[^<]*)*</style>"
                   r"|<[^>]*>|&[#\w]+;", re.I)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.I)
# WHATWG: these labels mean the superset browsers actually decode with.
_ALIASES = {
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252",
    "us-ascii": "cp1252", "iso8859-1": "cp1252", "l1": "cp1252", "iso-8859-9": "cp1254", "iso8859-9": "cp1254",
    "latin5": "cp1254", "tis-620": "cp874", "iso-8859-11": "cp874", "iso8859-11": "cp874", "windows-874": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "chinese": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "hz",
    "shift_jis": "cp932", "shift-jis": "cp932", "x-sjis": "cp932", "sjis": "cp932", "ms_kanji": "cp932",
    "windows-31j": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "korean": "cp949",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs", "x-euc-jp": "euc_jp", "euc_jis_2004": "euc_jp",
    "euc_jisx0213": "euc_jp", "shift_jis_2004": "cp932", "shift_jisx0213": "cp932",
    "utf8": "utf-8", "unicode": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "iso-8859-8-i": "iso8859-8", "x-mac-cyrillic": "mac-cyrillic",
}
# Labels written by default whatever the page held (see decode.py, 3.): detection may overrule them. The
# WHATWG labels of windows-1252 (browsers read them all as one charset), and Python's spellings.
WEAK_LABELS = {"ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100",
               "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "latin-1", "us-ascii",
               "windows-1252", "x-cp1252"}
_TLD = re.compile(r"[a-z0-9-]*[a-z][a-z0-9-]*")
# What detection may answer: the charsets of the WHATWG encoding standard (what browsers decode).
# Detectors also name DOS and other code pages (cp865, cp1125 ...) that web pages do not use.
WEB_CHARSETS = {"utf-8", "cp866", *(f"iso8859-{i}" for i in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
                "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874", *(f"cp{i}" for i in range(1250, 1259)),
                "gb18030", "big5hkscs", "euc_jp", "iso2022_jp", "cp932", "cp949", "utf-16-be", "utf-16-le"}
# Charsets with multi-byte characters: their text does form valid UTF-8 sequences by chance.
_MULTIBYTE = frozenset({"gb18030", "big5hkscs", "cp932", "euc_jp", "cp949", "iso2022_jp", "iso2022_jp_ext",
                        "iso2022_jp_2", "iso2022_kr", "hz", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                        "utf-32-le", "utf-32-be"})


def canonical(label: str | None) -> str | None:
    """A charset label (any spelling) -> the Python codec browsers would use, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):    # ValueError: a NUL or a lone surrogate in a damaged label
        return None
    return _ALIASES.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return m.group(1) if m else None


_BAD_CHARS = dict.fromkeys([*range(0x00, 0x09), 0x0b, *range(0x0e, 0x20), *range(0x7f, 0xa0), 0xfffd])
_BAD_BYTES = bytes([*range(0x00, 0x09), 0x0b, *range(0x0e, 0x20), 0x7f])
# The screen of _bad_share_utf8: WINDOWS windows of WINDOW bytes spread evenly over a page (8 KiB in all).
WINDOW = 256
WINDOWS = 32


_BAD_CHAR_RE = re.compile("[%s]" % "".join(re.escape(chr(c)) for c in _BAD_CHARS))


def bad_share(text: str) -> float:
    """Share of the characters that are U+FFFD or control characters (the garbage measure).
    str.translate is fast on ASCII text only (~300 ns a character otherwise); a regex counts the rest."""
    bad = len(text) - len(text.translate(_BAD_CHARS)) if text.isascii() else len(_BAD_CHAR_RE.findall(text))
    return bad / max(1, len(text))


def _bad_share_utf8(body: bytes) -> float:
    """bad_share of a strict UTF-8 decode, counted on bytes over the whole page (share of bytes, a
    little below the share of characters for non-Latin text; C1 controls, rare in real UTF-8, are not
    counted). Counting a whole page costs ~0.8 ns a byte (`translate`), over half the batch reader's
    time for it (sample_pages.warc.gz: 31 ms for 22 MB of pages), so a longer page is screened first:
    its WINDOWS windows spread evenly from its first byte to its last (1 ms for those pages, as the
    three windows before). Real pages have no control bytes there, and 0.0 is their share;
    binary junk has them throughout, and a run of control bytes longer than 1/31 of the page meets
    a window. A page whose windows hold any is counted whole: the share judged is always the page's
    (three 2 KiB windows were judged before: 400 NULs after a 57 KB page made it 7 % garbage)."""
    n = len(body)
    if n > WINDOW * WINDOWS:
        last = n - WINDOW
        sample = b"".join([body[i:i + WINDOW] for i in (k * last // (WINDOWS - 1) for k in range(WINDOWS))])
        if len(sample.translate(None, _BAD_BYTES)) == len(sample):
            return 0.0
    return (n - len(body.translate(None, _BAD_BYTES))) / max(1, n)


def nul_padded(body: bytes) -> bool:
    """Whether a page begins or ends with a NUL byte: padding (a buffer or a file filled with zeros
    past the page: decode.decode_html strips it), or UTF-16/32 text whose first or last character
    holds one (other NULs near the page's start tell the two apart)."""
    return body[:1] == b"\0" or body[-1:] == b"\0"


def _utf8_controls(body: bytes) -> str | None:
    """Why a strict UTF-8 page is garbage (too many control characters), or None."""
    share = _bad_share_utf8(body)
    return None if share <= MAX_BAD_SHARE else f"{share:.0%} control characters in UTF-8"


def _utf8_garbage(body: bytes) -> str | None:
    """Why a strict UTF-8 page cannot be taken as its bytes lie, or None: too many control characters
    (`_utf8_controls`), or a NUL at an end (padding, or UTF-16/32: decode.decode_html decides; the
    batch reader hands such pages to it)."""
    return _utf8_controls(body) or ("NUL at an end" if nul_padded(body) else None)


def _mess(text: str) -> float:
    """charset-normalizer's mess ratio of the visible text where it is not ASCII (1.0: garbage)."""
    visible = " ".join(_TAGS.sub(" ", text[:100_000]).split())
    if visible.isascii():
        return 0.0
    # Sample where the non-ASCII text is, not the ASCII boilerplate around it.
    first = _NON_ASCII.search(visible).start()
    sample = visible[max(0, first - 200):first + MESS_SAMPLE]
    return 1.0 if bad_share(sample) > MAX_BAD_SHARE else mess_ratio(sample, maximum_threshold=1.0)


def _plausible(text: str) -> bool:
    return _mess(text) < MAX_MESS


def _strict(body: bytes, enc: str) -> str | None:
    try:
        return body.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def is_utf8(data: bytes) -> bool:
    """Is `data` strict UTF-8 (what `data.decode("utf-8")` accepts)? Checked in place: ASCII by
    `bytes.isascii`, the rest by Arrow's validator over a one-value string array on the same memory."""
    if data.isascii():
        return True
    try:
        string_over(data, large=True).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _weak(label: str | None) -> bool:
    return bool(label) and label.strip().strip("\"'").lower() in WEAK_LABELS


def _tld(url: str | None) -> bytes | None:
    """The last DNS label of the URL's host, as chardetng takes it (lower-case ASCII letters,
    digits and hyphens, not all digits), or None."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    label = (host or "").rstrip(".").rsplit(".", 1)[-1]
    return label.encode("ascii") if _TLD.fullmatch(label) else None


def _meta_charset(body: bytes) -> str | None:
    m = _META.search(body[:8192])
    return m.group(1).decode("ascii", "replace") if m else None
