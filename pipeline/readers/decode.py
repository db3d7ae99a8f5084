"""Page bytes -> text: strict UTF-8, then declarations, then detection; garbage only is dropped.

The order, and why:
1. A byte-order mark decides.
2. Strict UTF-8: text in another charset almost never decodes as valid UTF-8, while pages that
   declare GB2312 or EUC-JP but are really UTF-8 are common (6 of the 40 magic-html pages).
   Two kinds of page do pass as UTF-8 without being it, and are looked for first: UTF-16 or
   UTF-32 without a byte-order mark (NUL bytes; their label or the NULs' positions say which),
   and 7-bit ISO-2022-JP/-KR (escape sequences ESC $ ...; Japanese mail archives). Before,
   the first were quarantined as control characters and the second kept as escape-code text
   (chardet's test corpus, where each file's charset is known: 7 such files).
3. The declared charsets (HTTP header, then `<meta>`), read as browsers do (WHATWG labels:
   latin-1/ascii are windows-1252, gb2312/gbk are GB18030, shift_jis is cp932, euc-kr is cp949).
   A label of windows-1252 (any of its WHATWG spellings: ISO-8859-1, ASCII, cp1252 ...) is
   weak: servers and editors wrote it by default whatever the page held (Apache's
   `AddDefaultCharset ISO-8859-1`, editors' and CMSs' windows-1252), and a Czech or Turkish page
   read as windows-1252 decodes strictly and looks plausible, with the wrong letters. So a page's
   own `<meta>` naming another charset goes before a weak header, and under a weak label detection
   is asked too: its answer wins when it is confident (chardetng's `higher_score`) and decodes
   plausibly. Under an HTTP header saying windows-1252, the pages of bench/charset_stress.py in
   other charsets were read exactly 414 times of 557 while that label was taken as it stood, 551
   since it is weak; its own windows-1252 pages 136 of 137 instead of 137 (a short Catalan page
   that chardetng takes for windows-1250, as it does unlabelled; 135 without the host's domain).
   A specific label can be wrong too, naming a sibling of the page's charset (KOI8-R over
   windows-1251, windows-1250 over ISO-8859-2, GB2312 over EUC-KR): its reading is strict and
   plausible mojibake. So chardetng is asked under a specific label as well, and its sure answer
   wins when its reading is clearly less messy (LABEL_MARGIN), or, where mess_ratio cannot tell
   (Latin letters read as other Latin letters), when uchardet reads the page the same way and the
   readings differ in MIN_DIFFERING characters. A header and a `<meta>` naming different specific
   charsets: the header's, unless the `<meta>`'s reads clearly less messy. On pages of 8 real
   sentences under such wrong labels (32 pairs of a charset and a sibling's label, 20 pages each)
   the reading was right for 339 of 640 before, 613 now: all but Greek (cp1253 and ISO-8859-7
   differ in a letter or two a page: 22 of 40) and Hungarian (11 of 20: chardetng takes it for
   windows-1252); right labels kept their charset (bench/charset_stress.py: 100%).
4. Detection: chardetng (Firefox's detector for unlabelled pages, Rust; given the page's
   top-level domain as browsers give it), then uchardet (resiliparse's `detect_encoding`) and
   charset-normalizer (slower) only when the answer before fails the checks. Only charsets of
   the WHATWG standard are taken from detectors (not DOS code pages such as cp865). On real
   sentences of 38 languages re-encoded in their legacy charsets, unlabelled
   (bench/charset_stress.py), chardetng names the charset of 98% of pages, uchardet 87%,
   charset-normalizer 77%. A single-byte answer for a page whose non-ASCII bytes are all whole
   GB2312 pairs of common Chinese, which that charset reads as no word ("£¨", "¡¢"), is GB18030
   (`_gb2312_pairs`: a GBK comment of a few characters gives detectors too little to go on).
5. The WHATWG-style defaults GB18030 and windows-1252: of those that pass, the less messy text.
A candidate is taken only when it decodes strictly AND the result is plausible: charset-normalizer's
`mess_ratio` of the page's visible text stays under MAX_MESS. Strict decoding alone proves little
for single-byte charsets (windows-1251 decodes nearly any bytes), so a Shift-JIS page labelled
windows-1251 fails the mess check and goes on to detection instead of coming out as mojibake.
   Before 3: a page that is valid UTF-8 but for a few stray bytes (a windows-1252 dash pasted
   in, a cut character) is UTF-8 with U+FFFD for those bytes, flagged `decoded_lossy`, whatever
   its labels say (`_mostly_utf8`). A single-byte reading of a valid multi-byte sequence is always
   mojibake (ü as "Ã¼", ą as "Ä…"): valid sequences are strong evidence, and a label or detector
   would turn every one of them into mojibake to spare a byte or two (a German page of three
   paragraphs with one 0x96 byte, labelled utf-8, came out as windows-1250 throughout). Taken
   when at least 3 valid multi-byte characters (2 when the header or <meta> says utf-8) hold at
   least 4/5 of the non-ASCII bytes, and at least 10/11 when a run of non-ASCII bytes holds both
   valid sequences and broken bytes. Legacy text forms valid sequences by chance (Thai in cp874:
   a vowel before a consonant; GBK and EUC-JP pairs), but not that densely, and its broken bytes
   then lie in the same runs. Measured on windows of 2 to 80 non-ASCII characters cut at random
   from the sentences of bench/charset_stress.py, each in a small page: of ~350,000 windows in the
   languages' legacy charsets none passed (under a utf-8 label, 5 in 1,000 Thai windows of 5
   characters and 1 in 1,000 GBK windows of 3), while of UTF-8 windows with a stray byte or two
   pasted in, 84-99.7% passed from 5 non-ASCII characters on (the rule before: none below 20).
   An encoded U+FFFD (EF BF BD) counts neither way: it is damage done before.
6. Last resort: the candidate with the fewest undecodable bytes, decoded with U+FFFD replacement;
   the page is kept and flagged `decoded_lossy`.

`decode_html_utf8` makes the same decisions but hands the page on as UTF-8 bytes: a page that is
already UTF-8 (nearly all of the web) is validated where it lies (`is_utf8`: `bytes.isascii`, else
Arrow's UTF-8 validation over the bytes, no copy) instead of being copied into a Python str that
the Arrow column would copy back; only pages in other charsets are decoded and re-encoded. Making
a str of every page cost more than FastWARC's whole iteration over the file (bench/bench_ingest.py).

Garbage rule (the only reason to quarantine a page as `bad_encoding`): more than MAX_BAD_SHARE of
the decoded characters are U+FFFD or control characters (pipeline.readers.charsets, which holds the
charset labels and the measures of a reading; bytes that name no charset, such as source and text
files, are decoded by pipeline.readers.decode_files). NUL bytes at a page's ends are padding, not
text: the page is read and judged without them, and flagged `decoded_lossy` (not when other NULs lie
near its start: UTF-16/32 text has them, and its last character may end in one).
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from itertools import islice

from chardetng_py import EncodingDetector
from charset_normalizer import from_bytes
from resiliparse.parse.encoding import detect_encoding

from pipeline.readers import base  # also registers the tokenmill.cp1252 error handler
from pipeline.readers.charsets import (MAX_BAD_SHARE, MAX_MESS, WEB_CHARSETS, _MULTIBYTE, _meta_charset, _mess,
                                       _plausible, _strict, _tld, _utf8_controls, _utf8_garbage, _weak, bad_share,
                                       canonical, is_utf8, nul_padded)

# How much less messy another reading must be than a specific label's to overrule it (labelled in
# decode_html). Same-script mojibake of a wrong sibling label (cp1251 read as KOI8-R, EUC-KR as GBK)
# scores 0.04-0.2, the right reading ~0-0.005. On ~1,500 pages of real sentences (47 language and
# charset pairs; 1, 2 and 8 sentences, and 3 words amid English), chardetng was sure of another
# reading under a right label 143 times, and that reading was never less messy than the label's.
LABEL_MARGIN = 0.01
# ... or, where mess_ratio cannot tell (Latin letters for Latin letters), when uchardet agrees with
# chardetng and their reading differs from the label's in at least this many characters. One is
# not enough: both detectors took an English page in windows-1250 with one Hungarian word for
# windows-1252 ("követően" as "követõen"), a Finnish ISO-8859-15 page for windows-1252.
MIN_DIFFERING = 3
# A multi-byte reading may hold one undecodable sequence per this many non-ASCII characters (decode_html);
# per NEARLY_SURE when chardetng is confident of that charset: a piece in another encoding (a footer or
# an ad in UTF-8 pasted into a Big5 page) fails the strict reading over dozens of characters, and the
# readings that remained were GB18030's, which takes Big5 bytes without an error and gives other hanzi
# (chardetng is shown the first DETECTOR_SAMPLE bytes of non-ASCII text: a piece in them rules Big5 out).
NEARLY = 100
NEARLY_SURE = 10

# Bytes over 0x7f that windows-1252 reads as no letter (quotes, dashes, (c), (R), degrees, NBSP...).
_ASCII = bytes(range(0x80))
_CP1252_NO_LETTER = bytes(b for b in range(0x80, 0x100) if (c := bytes([b]).decode("cp1252", "ignore"))
                          and not unicodedata.category(c).startswith("L"))
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), *base.WIDE_BOMS]
_BOM_STARTS = tuple(bom for bom, _ in _BOMS)


def _differ(a: str, b: str, n: int) -> bool:
    """Whether two readings of one page differ in at least n characters (readings of different
    lengths, from multi-byte charsets, always do)."""
    if len(a) != len(b):
        return True
    return len(list(islice((i for i, (x, y) in enumerate(zip(a, b)) if x != y), n))) == n


def decode_html_utf8(body: bytes, declared: str | None = None, url: str | None = None
                     ) -> tuple[bytes | None, str, bool]:
    """decode_html with the page as UTF-8 bytes: (utf8, charset used, lossy) or (None, why, False).
    A BOM-less page that is already UTF-8 comes back as `body` itself, not copied; the result
    always equals decode_html's text, encoded."""
    bom = body.startswith(_BOM_STARTS)
    utf8 = not bom and is_utf8(body)
    if utf8 and not iso2022_escapes(body):
        garbage = _utf8_garbage(body)
        if garbage is None:
            return body, "utf-8", False
        if not _has_nul(body) and not nul_padded(body):    # NUL bytes: UTF-16 or UTF-32 without a
            return None, garbage, False                       # BOM, or padding? (decode_html)
    text, how, lossy = decode_html(body, declared, _not_utf8=not bom and not utf8, url=url)
    return (None if text is None else text.encode("utf-8")), how, lossy


def decode_html(body: bytes, declared: str | None = None, _not_utf8: bool = False,
                url: str | None = None) -> tuple[str | None, str, bool]:
    """(text, charset used, lossy) or (None, why, False) when the page would be garbage.
    (`_not_utf8`: the caller has seen that `body` is not strict UTF-8, so that is not tried again;
    `url`: the page's address, whose top-level domain is a hint to detection.)"""
    body = bytes(body)          # a bytearray page (warc_members): the detectors take bytes only
    for bom, enc in _BOMS:
        if body.startswith(bom):
            text = _strict(body, enc)
            if text is not None:
                return text, enc, False
            break
    if _has_nul(body) and (wide := _wide_unicode(body, declared)) is not None:
        return wide[0], wide[1], False
    if nul_padded(body) and (page := body.strip(b"\0")) and not _has_nul(page):
        # NUL padding at an end: the page is read without it, flagged lossy as not all its bytes
        # are in the text. Read with it, 400 NULs after a 57 KB UTF-8 page made it garbage, and
        # 1,000 after a windows-1252 page made every reading implausible (they filled its mess
        # sample). Not when NULs remain near the start: UTF-16/32 that _wide_unicode did not take
        # (CJK text, where its NUL counts fall short), ending in its last character's NUL byte, is
        # found by detection, and a byte cut off would leave no reading.
        text, how, _ = decode_html(page, declared, _not_utf8, url)
        return text, how, text is not None
    if iso2022_escapes(body) and (seven := _iso2022(body)) is not None:
        return seven[0], seven[1], False
    text = None if _not_utf8 else _strict(body, "utf-8")
    if text is not None:
        garbage = _utf8_controls(body)
        return (text, "utf-8", False) if garbage is None else (None, garbage, False)
    tried: list[str] = ["utf-8"]
    mostly = _mostly_utf8(body, labelled=canonical(declared) == "utf-8" or canonical(_meta_charset(body)) == "utf-8")
    if mostly is not None:
        return mostly, "utf-8", True
    guessed: list[tuple[str | None, bool]] = []

    def guess() -> tuple[str | None, bool]:
        """chardetng's (charset, confident), asked once."""
        if not guessed:
            detector = EncodingDetector()
            sample = detector_sample(body)
            # Never the end for chardetng: a sample of a longer page is not its end, and a page
            # the crawler cut (Common Crawl at 1 MiB) ends inside a character, which made
            # chardetng give up Big5 for a "confident" windows-1252: the page came out as mojibake.
            detector.feed(sample, last=False)
            enc, sure = detector.guess_assess(tld=_tld(url), allow_utf8=False)
            if canonical(enc) not in _MULTIBYTE and _UTF8_RUNS.search(sample):
                # chardetng rules a charset out at its first invalid sequence: a piece in UTF-8 in a
                # Big5 page did so, and a single-byte charset won. Asked again without the UTF-8
                # runs, it may be sure of the page's own.
                again = EncodingDetector()
                again.feed(_UTF8_RUNS.sub(b" ", sample), last=False)
                other, other_sure = again.guess_assess(tld=_tld(url), allow_utf8=False)
                if other_sure and canonical(other) in _MULTIBYTE:
                    enc, sure = other, other_sure
            guessed.append((canonical(enc), sure))
        return guessed[0]

    readings: dict[str, tuple[str, float] | None] = {}

    def reading(enc: str | None) -> tuple[str, float] | None:
        """(text, mess) of the strict decode in `enc` when plausible, else None; once an encoding."""
        if not enc:
            return None
        if enc not in readings:
            if enc not in tried:
                tried.append(enc)
            text = _strict(body, enc)
            mess = _mess(text) if text is not None else 1.0
            readings[enc] = (text, mess) if text is not None and mess < MAX_MESS else None
        return readings[enc]

    def attempt(enc: str | None) -> str | None:
        if not enc or enc in tried:
            return None
        return (reading(enc) or (None,))[0]

    uchardet_said: list[str | None] = []

    def uchardet() -> str | None:
        if not uchardet_said:
            uchardet_said.append(canonical(detect_encoding(body, html5_compatible=False)))
        return uchardet_said[0]

    # A page whose only bytes over 0x7f are symbols in windows-1252 (a (c), curly quotes) gives a
    # detector no letters to judge a language by: read as the default, it has no wrong letters.
    no_letters = not body.translate(None, _ASCII).translate(None, _CP1252_NO_LETTER)

    def overrules(other: str | None, text: str, mess: float) -> tuple[str, float] | None:
        """The reading in `other` (a rival label, or a detector's answer), when it is another
        text and clearly less messy than the label's (by LABEL_MARGIN)."""
        if (rival := reading(other)) is None or rival[0] == text:
            return None
        return rival if mess - rival[1] >= LABEL_MARGIN else None

    def labelled(label: str | None, rival: str | None = None) -> tuple[str, str] | None:
        """(text, charset) under a declared label, or None when it does not read; `rival`: the
        <meta> label of a page whose header names another specific charset."""
        enc = canonical(label)
        if (read := reading(enc)) is None:
            return None
        text, mess = read
        if not no_letters and _weak(label):
            other, sure = guess()
            if sure and other in WEB_CHARSETS and (better := attempt(other)) is not None:
                return better, other
            return text, enc
        # A header and <meta> naming different charsets: one of them is wrong. The header's, as
        # browsers read it, unless the <meta>'s reading is clearly less messy.
        if rival and not _weak(rival) and canonical(rival) != enc and \
                (better := overrules(canonical(rival), text, mess)) is not None:
            enc, (text, mess) = canonical(rival), better
        if no_letters:
            return text, enc
        # A specific label that names a sibling of the page's charset (KOI8-R for windows-1251,
        # windows-1250 for ISO-8859-2, GB2312 for EUC-KR) reads strictly and plausibly, as mojibake.
        # chardetng, sure of another charset, overrules it when that reading is clearly less messy;
        # or when uchardet reads the page as chardetng does, the reading is no messier and the two
        # differ in MIN_DIFFERING characters at least: Latin mojibake of a sibling (Czech "š" as
        # "ą", Turkish "ı" as "ý") is letters, which mess_ratio does not score.
        other, sure = guess()
        if not sure or other not in WEB_CHARSETS or other == enc:
            return text, enc
        if (better := overrules(other, text, mess)) is not None:
            return better[0], other
        if (alt := reading(other)) is not None and alt[0] != text and alt[1] <= mess \
                and _differ(alt[0], text, MIN_DIFFERING) and (reading(uchardet()) or (None,))[0] == alt[0]:
            return alt[0], other
        return text, enc

    # The header's label first, as browsers read it; the page's own <meta> first when the header's
    # is weak and the page names another (the author's word over a server's default).
    meta = _meta_charset(body) if declared else None
    labels = [(declared, meta), (None, None)]   # None: the <meta> label, looked for when needed
    if _weak(declared) and meta and not _weak(meta) and canonical(meta) != canonical(declared):
        labels = [(meta, None), (declared, None)]
    for label, rival in labels:
        if (found := labelled(_meta_charset(body) if label is None else label, rival)) is not None:
            return found[0], found[1], False
    def nearly(enc: str, sure: bool) -> str | None:
        """A multi-byte reading with U+FFFD for at most one undecodable sequence in NEARLY
        non-ASCII characters (NEARLY_SURE when chardetng is `sure` of it), when plausible: a
        damaged byte, a character cut where a page was cut, or a piece in another encoding fails
        the strict reading, and the readings after it give mojibake (Big5 as cp1252 or GB18030,
        EUC-KR as cp874)."""
        if enc not in _MULTIBYTE or enc.startswith("utf"):
            return None
        text = body.decode(enc, "replace")
        non_ascii = len(text) - len(text.encode("ascii", "ignore"))
        bound = NEARLY_SURE if sure else NEARLY
        return text if text.count("\ufffd") * bound <= non_ascii and _plausible(text) else None

    detectors = (lambda: ("cp1252" if no_letters else None, False), guess,
                 lambda: (uchardet(), False),
                 lambda: (canonical(getattr(from_bytes(body[:200_000]).best(), "encoding", None)), False))
    for detect in detectors:                     # each asked only when the ones before fail
        enc, sure = detect()
        if enc in WEB_CHARSETS and (text := attempt(enc)) is not None:
            if enc not in _MULTIBYTE and _gb2312_pairs(body, enc) and \
                    bad_share(chinese := body.decode("gb18030")) <= MAX_BAD_SHARE:
                # A single-byte reading of Chinese: the pairs are the evidence, not the mess
                # ratio of a few characters ("测试~~~" scores 0.4, its cp1256 mojibake 0.0).
                return chinese, "gb18030", False
            return text, enc, False
        if enc in WEB_CHARSETS and (text := nearly(enc, sure)) is not None:
            return text, enc, True
    # The defaults: whichever of the two reads as the less messy text.
    fits = [(t, e) for e in ("gb18030", "cp1252") if (t := attempt(e)) is not None]
    if fits:
        text, enc = min(fits, key=lambda te: _mess(te[0]))
        return text, enc, False
    # Last resort: keep the page, with U+FFFD where bytes do not decode.
    decoded = [(body.decode(e, "replace"), e) for e in tried if _strict(b"", e) is not None]
    text, enc = min(decoded, key=lambda te: (bad_share(te[0]), tried.index(te[1])))
    share = bad_share(text)
    if share > MAX_BAD_SHARE:
        return None, f"{share:.0%} replacement/control characters in every candidate ({', '.join(tried)})", False
    return text, enc, True


def iso2022_escapes(body: bytes) -> bool:
    """Whether a page holds an ISO-2022 multibyte designation (ESC $): ISO-2022-JP (mail
    archives, old Japanese pages) and ISO-2022-KR are 7-bit, so they pass as UTF-8 while their
    text is escape sequences. A page with a byte over 0x7F holds none, and `isascii` stops at the
    first such byte (most pages: ~40x cheaper than a memchr over the whole page); in a 7-bit page,
    one memchr for ESC, then a look at what follows each (bounded: a terminal log holds thousands
    of ESC [)."""
    if not body.isascii():
        return False
    i = body.find(b"\x1b")
    for _ in range(64):
        if i < 0:
            return False
        if body[i + 1:i + 2] == b"$":
            return True
        i = body.find(b"\x1b", i + 1)
    return body.find(b"\x1b$") >= 0


def _iso2022(body: bytes) -> tuple[str, str] | None:
    """(text, charset) of a 7-bit page in an ISO-2022 charset, or None: KR when it designates
    KS X 1001 (ESC $ ) C), else the JP family, narrowest first (iso2022_jp_2 adds GB2312 and KS X
    1001 designations, ext the half-width katakana). Taken when it decodes strictly, leaves no ESC
    and reads as plausible text."""
    for enc in ("iso2022_kr",) if b"\x1b$)C" in body else ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2"):
        text = _strict(body, enc)
        if text is not None and "\x1b" not in text and bad_share(text) <= MAX_BAD_SHARE and _plausible(text):
            return text, enc
    return None


def _has_nul(body: bytes) -> bool:
    return body.find(b"\0", 0, 4096) >= 0


_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}


def _wide_unicode(body: bytes, declared: str | None) -> tuple[str, str] | None:
    """(text, charset) of a page in UTF-16 or UTF-32 without a byte-order mark, or None. Its
    declared label (an HTTP header naming utf-16le) is tried first, then what the NUL bytes of its
    first 4 KB show: UTF-32 has NUL in two fixed bytes of every four (BMP text), UTF-16 in one
    byte of a pair for every ASCII character (the markup) and almost never in the other. The
    text must decode strictly and hold no more control characters than a page may."""
    head = bytes(body[:4096])
    n = len(head) // 4 * 4
    if n < 16:
        return None
    zeros = [head[k:n:4].count(0) * 4 / n for k in range(4)]
    guesses = []
    if (label := canonical(declared)) in _WIDE:
        guesses.append(label)
    if zeros[2] > 0.9 and zeros[3] > 0.9:
        guesses.append("utf-32-le")
    elif zeros[0] > 0.9 and zeros[1] > 0.9:
        guesses.append("utf-32-be")
    even, odd = (zeros[0] + zeros[2]) / 2, (zeros[1] + zeros[3]) / 2
    if odd >= 0.2 and even < odd / 20:
        guesses.append("utf-16-le")
    elif even >= 0.2 and odd < even / 20:
        guesses.append("utf-16-be")
    for enc in guesses:
        text = _strict(body, enc)
        if text is not None and bad_share(text) <= MAX_BAD_SHARE and _plausible(text):
            return text.removeprefix("\ufeff"), enc
    return None


DETECTOR_SAMPLE = 4096
_CHUNK = 128


def detector_sample(body: bytes, cap: int | None = None) -> bytes:
    """What chardetng is fed: the page's 128-byte chunks that hold non-ASCII bytes, each with 32
    bytes of context on either side (adjacent ones merged), up to `cap` bytes; the page itself when
    it is no longer. chardetng reads ~5-7 MB/s (it scores every byte for each of its candidate
    charsets), ~9 ms for a 70 KB page; its evidence is the non-ASCII bytes and their neighbours,
    while markup, scripts and styles are ASCII. Chunks, not lines: a minified page is one line.
    On the charset stress set and chardet's test files (also made one line behind 23 KB of
    script) it decides as the whole page does.
    The sample never ends inside a multi-byte character: chardetng, told the sample is all there
    is, rules out a charset whose last character is cut (a GBK source file whose 4,096th byte was
    the first of a pair came out as windows-1250). Pieces begin and end in ASCII context; the cap
    cuts after a byte below 0x30 (space, newline, punctuation), which no multi-byte charset of the
    web uses inside a character (trail bytes begin at 0x30 in GB18030, 0x40 in GBK, Big5 and
    Shift_JIS, 0xA1 in the EUC family)."""
    cap = cap or DETECTOR_SAMPLE
    if len(body) <= cap:
        return body
    pieces, n, end = [], 0, -1
    for i in range(0, len(body), _CHUNK):
        if body[i:i + _CHUNK].isascii():
            continue
        a, b = max(0, i - 32), i + _CHUNK + 32
        if pieces and a <= end:
            pieces[-1] = (pieces[-1][0], b)          # adjacent: one piece
        else:
            pieces.append((a, b))
        n += b - max(a, end)
        end = b
        if n >= cap:
            break
    sample = b" ".join(body[a:b] for a, b in pieces)
    if len(sample) <= cap:
        return sample
    cut = _LAST_BOUNDARY.search(sample, cap // 2, cap)
    return sample[:cut.end()] if cut else sample[:cap]      # (no boundary: see guess's `last`)


# The last byte below 0x30 in a sample: no multi-byte character of the web's charsets holds one.
_LAST_BOUNDARY = re.compile(rb"[\x00-\x2f](?=[^\x00-\x2f]*\Z)")


_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
# Four or more UTF-8 multi-byte characters in a row: a piece in UTF-8 (a footer, an ad); legacy CJK
# pairs form two by chance (GBK 目录), rarely four
_UTF8_RUNS = re.compile(rb"(?:[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}){4,}")
# GB2312 (EUC-CN) pairs in the rows that hold characters: symbols, full-width forms, kana, Greek,
# Cyrillic, box drawing (rows 1-9) and hanzi (16-87); the common ones: punctuation (row 1),
# full-width forms (row 3) and the 3,755 level-1 hanzi (rows 16-55), ~99.7 % of Chinese text.
_GB2312_RUN = re.compile(rb"(?:[\xa1-\xa9\xb0-\xf7][\xa1-\xfe])+")
_GB2312_COMMON = re.compile(rb"[\xa1\xa3\xb0-\xd7][\xa1-\xfe]")


def _gb2312_pairs(body: bytes, enc: str) -> bool:
    """Whether a page detection reads in the single-byte `enc` is Chinese in GB2312 instead: a
    short GBK comment gives detectors too few bytes ("（bcdDevice）" came out as "£¨bcdDevice£©",
    "测试" as "²âتش"). Taken when every run of non-ASCII bytes is whole GB2312 pairs, at least half
    of them common Chinese, decoding strictly, and `enc` makes a run into no word (`_no_word`).
    Text in a single-byte charset seldom passes the first test: its runs are mostly one letter
    long (German "für" is f, 0xFC, r). Where it does (Cyrillic or Greek words of even length),
    its own charset reads them as words of one script and it stays."""
    runs, pairs, common = [], 0, 0
    for m in _NON_ASCII_RUN.finditer(body):
        run = m.group()
        if not _GB2312_RUN.fullmatch(run):
            return False
        runs.append(run)
        pairs += len(run) // 2
        common += len(_GB2312_COMMON.findall(run))
    if not runs or common * 2 < pairs or _strict(body, "gb2312") is None:
        return False
    try:
        return any(_no_word(run.decode(enc)) for run in runs)
    except (UnicodeDecodeError, LookupError):
        return True                             # enc cannot even read them


def _no_word(chars: str) -> bool:
    """Whether characters read from one run of non-ASCII bytes can be no part of a word: a symbol
    before another of them, a capital after a small letter, letters of two scripts ("£¨", "¡¢",
    "²âتش" are none; "ÊÔ", "тест", Thai and Arabic with their vowel marks may be)."""
    scripts = set()
    for i, c in enumerate(chars):
        cat = unicodedata.category(c)
        if cat[0] == "M":                       # a combining mark: Thai vowels, Arabic harakat
            continue
        if cat[0] != "L":
            if i < len(chars) - 1:
                return True
            continue                            # punctuation after a word: "أيضاً،"
        if i and chars[i - 1].islower() and c.isupper():
            return True
        name = unicodedata.name(c, "")
        if "LETTER" in name or "CHARACTER" in name:     # not µ, ª, º: signs of no script
            scripts.add(name.split()[0])
    return len(scripts) > 1


def _mostly_utf8(body: bytes, labelled: bool = False) -> str | None:
    """The page as UTF-8 with U+FFFD for its broken bytes, if it is UTF-8 with a few stray bytes (a
    windows-1252 byte pasted in, a cut sequence), else None (see "Before 3" above). `labelled`: a
    label says utf-8, and 2 valid multi-byte characters are enough evidence instead of 3. Counted in
    C (a decode that drops the broken bytes); runs are looked at only when the share is near the line."""
    kept = body.decode("utf-8", "ignore")
    broken = len(body) - len(kept.encode("utf-8"))
    if not broken:
        return None
    non_ascii = len(body.translate(None, _ASCII))
    encoded_fffd = kept.count("\ufffd")            # EF BF BD: earlier damage, no evidence either way
    valid = non_ascii - broken - 3 * encoded_fffd  # bytes in valid multi-byte sequences
    chars = len(kept) - (len(body) - non_ascii) - encoded_fffd
    if chars < (2 if labelled else 3) or valid < 4 * broken:
        return None
    if valid < 10 * broken and _mixed_runs(body):
        return None
    text = body.decode("utf-8", "replace")
    return text if bad_share(text) <= MAX_BAD_SHARE else None


def _mixed_runs(body: bytes) -> bool:
    """Whether a run of non-ASCII bytes holds both valid UTF-8 multi-byte sequences and broken bytes:
    where legacy multi-byte text (GBK, EUC-JP) or Thai forms valid sequences by chance, the bytes
    between them are broken; a stray byte in UTF-8 Latin text stands alone among ASCII."""
    for m in _NON_ASCII_RUN.finditer(body):
        run = m.group()
        if not is_utf8(run) and run.decode("utf-8", "ignore").replace("\ufffd", ""):
            return True
    return False


