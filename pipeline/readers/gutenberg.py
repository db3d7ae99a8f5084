"""Project Gutenberg plain-text eBooks: licence header and footer stripped, one document per book.

A PG text is: a header (title, author, release date, the licence), a START marker, the book, an
END marker and the licence again. The header and footer are cut at the marker lines, the
production credits after the START marker dropped, and optionally the table of contents
(gutenberg_text.py: the markers' forms, the rules, and why they are hand-written).

Charsets (`decode_book`): UTF-16/32 with a byte-order mark is transcoded (its NUL bytes had it
quarantined as binary); then strict UTF-8; a declared multi-byte charset (Big5, GBK, Shift_JIS,
EUC-JP, EUC-KR) that reads the book; UTF-8 with stray cp1252 bytes, only when the stray bytes
are rare beside the valid UTF-8 (CJK pairs form valid UTF-8 sequences by chance: a Big5 book,
labelled or not, passed as UTF-8 and came out as cp1252 mojibake, unflagged); then the header's
"Character set encoding:" label read whole ("ISO Latin-1", "ISO-8859-7 (Greek)", "CP-1252",
"windows 1252", "Codepage 850", "MAC": only its first word was looked up, and a book whose label
did not parse, or had none, came out as cp1252 mojibake, unflagged), used only when the book
decodes strictly in it (a multi-byte one: all but a few bytes, lossy) and reads plausibly
(charsets.py's mess ratio over its non-ASCII lines); otherwise the web reader's detection
(decode.decode_html), and when nothing fits, U+FFFD for what does not decode, flagged
`decoded_lossy`. A label that reads plausibly is trusted over detection: detectors read Mac and
DOS code pages as windows-1252. Header field names match in any case (the current header's
"Release date:").

A `.zip` is opened as an archive and its .txt member read (`read_zip_book`): fsspec's
compression inferred from the name read the first member, the empty folder entry of a zip whose
text lies in a folder (17491-8.zip).

A folder in `paths` (a PG mirror) means its books, .txt (compressed or not, .txt.utf8) and .zip:
its RDF, HTML, images, EPUB and HTML zips (-h.zip) are counted `skipped_not_gutenberg_file`, not
quarantined. Editions of one eBook (17489-0.txt, 17489-8.txt, 17489-8.zip; cache/epub's pgN.txt)
are each read; one with a preferred edition beside it (or in the mirror's other tree) is flagged
`other_edition` and counted `gutenberg_other_edition_books` (gutenberg_editions.py: why the
reader does not choose).

An HTML or XML document (named, or matched by a glob) is quarantined at any size: PG's HTML
edition `html_edition`, any other `not_a_book`. A book's id is `gutenberg:<n>`, n from the
header's [EBook #n], else from a PG text's PG file name (123-8.txt, pg123.txt); any other file's
id is its path, without a URL.

Optionally a book is cut at its chapter headings and the chapters packed, in order, into
documents of at most `max_chars` characters (a longer chapter is cut at paragraph breaks).
"""
from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from typing import Iterator

from pydantic import Field

from pipeline.readers.guarded import open_input
from pipeline.readers.base import (WIDE_BOMS, Doc, Quarantined, ReadState, Reader, decode_mixed_utf8, read_document,
                                   with_compression)
from pipeline.readers.gutenberg_editions import preferred_edition
from pipeline.readers.charsets import (MAX_BAD_SHARE, MAX_MESS, MESS_SAMPLE, _MULTIBYTE as _DECODE_MULTIBYTE, _mess,
                                       bad_share, canonical)
from pipeline.readers.decode import NEARLY, _iso2022, decode_html, iso2022_escapes
from pipeline.readers.decode_files import may_be_utf8_with_strays, wide_unicode
# The text rules (markers, credits, contents) live beside this module; strip_boilerplate, drop_toc
# and joined_books stay importable from here.
from pipeline.readers.gutenberg_text import _NUMBER_WORDS, drop_toc, joined_books, strip_boilerplate

# A chapter heading (split_chapters), with the number words the TOC rules know a heading by.
_CHAPTER = re.compile(
    r"^[ \t]*(?:(?:CHAPTER|Chapter|CHAP\.|BOOK|Book|PART|Part|STAVE|Stave|LETTER|Letter|CANTO|Canto)[ \t]+"
    r"(?:[0-9]+|[IVXLCDM]+|" + _NUMBER_WORDS + r")\b(?:[.:,—-][^\n]{0,70})?[ \t]*|第[一二三四五六七八九十百千零〇0-9]+[章回卷节節][^\n]{0,40})$", re.M)
# Field names in any case: the current header writes "Release date:", older ones "Release Date:".
_HEADER_FIELD = re.compile(r"^(Title|Author|Release[ \t]+Date|Language|Translator|Editor)[ \t]*:[ \t]*(.+)$",
                           re.M | re.I)
_EBOOK_NO = re.compile(r"\[?\s*E-?(?:Book|Text)\s*#\s*(\d+)", re.I)
# The whole label: "ISO Latin-1", "ISO-8859-7 (Greek)", "Codepage 850", "windows 1252", "MAC".
_DECLARED = re.compile(r"^[ \t]*Cha[a-z]*ter[ \t]+set[ \t]+encoding[ \t]*:[ \t]*([^\r\n]*)", re.I | re.M)
_PARENS = re.compile(r"\(([^)]*)\)?")
# Spellings of a label that codecs.lookup does not know, and the name it knows.
_LABEL_FORMS = [
    (re.compile(r"\b(?:code[ _-]?page|cp|windows|win|ms|ibm|dos)[ _-]*(\d{3,4})\b"), r"cp\1"),  # CP-1252, Codepage 850
    (re.compile(r"\biso[ _-]*latin[ _-]*(\d+)\b"), r"latin\1"),                                  # ISO Latin-1
    (re.compile(r"\blatin[ _-]+(\d+)\b"), r"latin\1"),
    (re.compile(r"\biso[ _-]*(8859|646)[ _-]*"), r"iso-\1-"),                                      # ISO 8859 1
    (re.compile(r"^(?:mac|mac[ _-]*os|apple)(?:[ _-]*roman)?$"), "mac_roman"),                   # MAC
    (re.compile(r"^big[ _-]?5(?=[ _.,;:-]*$)"), "cp950"),                                        # Big5 (see _FALLBACKS)
]
_MARKUP_DOC = re.compile(r"\ufeff?\s*(?:<\?xml\b|<!DOCTYPE\b|<html\b|<rdf:RDF\b)", re.I)
_MARKUP_HTML = re.compile(r"<!DOCTYPE[ \t\r\n]+html\b|<html\b", re.I)
# An HTML edition carries the text edition's markers (in a <span>, a <pre>), where this reader's
# line patterns do not see them.
_PG_MARKER_PHRASE = re.compile(r"\*{3}\s*(?:START|END)\s+OF\s+(?:THE\s+|THIS\s+)?PROJECT\s+GUTENBERG", re.I)


class GutenbergReader(Reader):
    """Project Gutenberg .txt eBooks (plain, compressed or zipped): the book without the PG header and licence."""
    name = "gutenberg"
    # 2: a mirror folder's other files skipped; editions beside a preferred one flagged
    # 3: a Big5 label read as cp950, Big5-HKSCS only where cp950 does not read the book
    version = "3"
    # A folder (a mirror: cache/epub/N/ with pgN.rdf and images, 17489/ with 17489-h/*.htm) means its books.
    data_suffixes = with_compression(".txt", ".txt.utf8") + (".txt.utf8.gzip", ".zip")
    skip_suffixes = ("-h.zip",)
    drop_front_credits: bool = Field(default=True,
                                     description="drop the 'Produced by…' credits and PG notes after the START marker")
    drop_toc: bool = Field(default=True, description="drop the table of contents (a CONTENTS heading and its entries)")
    split_chapters: bool = Field(default=False, description="one document per run of chapters instead of per book")
    max_chars: int = Field(default=100_000, gt=0,
                           description="with split_chapters: chapters are packed into documents of at most this size")

    def read(self, path, src, state):
        return _read_book(self, src, path, state)


def declared_charsets(head: str) -> list[str]:
    """The codecs a "Character set encoding:" label names (charsets.canonical's, as browsers decode:
    a Latin-1 or ASCII label is windows-1252, which reads the same bytes but for 0x80-0x9F, where
    it has quotes and dashes instead of control characters), in the label's order: the label, then
    what it says in parentheses ("ISO Latin-7 (Greek)": Latin-7 is ISO-8859-13, Greek ISO-8859-7);
    when none of those is a charset, each of its words ("Unicode UTF-8")."""
    m = _DECLARED.search(head)
    if not m:
        return []

    def codec(part: str) -> str | None:
        part = " ".join(part.lower().split())
        for pattern, repl in _LABEL_FORMS:
            part = pattern.sub(repl, part)
        return canonical(part.strip(" -_.,;:"))

    label = m.group(1)
    parts = [_PARENS.sub(" ", label), *_PARENS.findall(label)]
    found = [c for c in map(codec, parts) if c]
    if not found:
        found = [c for c in map(codec, re.split(r"[\s,;/()]+", label)) if c]
    return list(dict.fromkeys(found))


def _non_ascii_lines(text: str, size: int = MESS_SAMPLE) -> str:
    """The lines that hold non-ASCII characters, evenly spread over the book, about `size`
    characters: what a reading is judged by. charsets.py's mess ratio looks at the first 100,000
    characters only, and a book's letters outside ASCII may all come later (an English header,
    a long English text, then a chapter in Russian), so that any reading of them scored 0."""
    lines = [line for line in text.split("\n") if not line.isascii()]
    total = sum(map(len, lines))
    step = max(1, round(total / size)) if total > size else 1
    return "\n".join(lines[::step])


# Multi-byte charsets (CJK) whose text forms valid UTF-8 sequences by chance; not UTF-16/32 (a
# book in those is transcoded before, by its byte-order mark or NUL bytes).
_MULTIBYTE = frozenset(enc for enc in _DECODE_MULTIBYTE if not enc.startswith("utf")) | {"cp950"}
# The other reading of a Big5 label, tried only when the label's own does not read the book (or,
# with U+FFFD, reads fewer of its bytes). A "Big5" label is Big5 as Windows wrote it, cp950 (its
# euro sign and box-drawing row, its ETEN kana and Cyrillic); Big5-HKSCS, what charsets.canonical
# (and a browser) reads "big5" as, puts other characters on some of the same pairs (cp950's `ы` at
# C7E4 is HKSCS's `ヨ`), and where both decoded a book strictly, the mess ratio tied and the first
# label, HKSCS, won. HKSCS is read when its extra characters are needed (pairs cp950 cannot
# decode) or when the label names it; cp950 then is its fallback. (GB2312 and GBK are read as
# GB18030, Shift_JIS as cp932, EUC-KR as cp949: supersets already.)
_FALLBACKS = {"cp950": ("big5hkscs",), "big5hkscs": ("cp950",)}


def _label_reading(body: bytes, labels: list[str], nearly: bool = False,
                   fallbacks: tuple[str, ...] = ()) -> tuple[str, str, bool] | None:
    """(text, charset, lossy) of the least messy plausible reading in one of `labels` (charsets.py's
    mess ratio over the book's non-ASCII lines): a strict reading, or with `nearly` one with
    U+FFFD for at most one undecodable sequence in NEARLY non-ASCII characters (a damaged byte,
    a character the codec lacks). A reading in one of `fallbacks` (_FALLBACKS) only when no label
    gives one, or (`nearly`) when it has fewer U+FFFD than the labels' best."""
    best = _least_messy(body, labels, nearly)
    if fallbacks and (best is None or best[2]):
        other = _least_messy(body, [enc for enc in fallbacks if enc not in labels], nearly)
        if other is not None and (best is None or other[2] < best[2]):
            best = other
    return None if best is None else (best[0], best[1], best[2] > 0)


def _least_messy(body: bytes, labels: list[str], nearly: bool) -> tuple[str, str, int] | None:
    """(text, charset, its U+FFFD count) of the least messy plausible reading in one of `labels`
    (`_label_reading`); a tie goes to the first label."""
    readings = []
    for enc in labels:
        try:
            text = body.decode(enc, "replace" if nearly else "strict")
        except (UnicodeDecodeError, LookupError):
            continue
        bad = text.count("\ufffd") if nearly else 0
        if bad * NEARLY > len(text) - len(text.encode("ascii", "ignore")):
            continue
        if (mess := _mess(_non_ascii_lines(text))) < MAX_MESS:
            readings.append((mess, len(readings), text, enc, bad))
    if not readings:
        return None
    return min(readings)[2:]


def decode_book(body: bytes) -> tuple[str | None, str, bool, str]:
    """(text, charset, lossy, what decided: "bom", "utf-8", "label" or "detection"), or (None, why,
    False, "binary" or "garbage") when the bytes are no text in any charset.

    1. UTF-16/32 with a byte-order mark (or without one, by its NUL bytes: decode_files.wide_unicode);
       with a BOM but damaged, decoded with U+FFFD (lossy). Any other file with a NUL byte in its
       first 64 KiB is binary.
    2. UTF-8, but for a 7-bit book in ISO-2022-JP (escape sequences: decode.iso2022_escapes),
       which is read in it.
    3. A declared multi-byte charset (`declared_charsets`; Big5 as cp950, and as Big5-HKSCS only
       where cp950 does not read it: _FALLBACKS), when the book decodes strictly with it and the
       text is plausible (`_label_reading`): CJK pairs form valid UTF-8 sequences by chance, so
       the UTF-8 reading with stray bytes is no evidence against it (latex.py reads a file under
       a CJK inputenc so).
    4. A book that is UTF-8 but for stray bytes, rare beside its valid UTF-8
       (`decode_files.may_be_utf8_with_strays`), is UTF-8 with those bytes as cp1252 ("utf-8+cp1252", decode_mixed_utf8).
    5. The other declared charsets, only when the book decodes strictly with one and the text is
       plausible (charsets.py's mess ratio): of several readings of one label, the least messy;
       then a multi-byte label that reads all but one sequence in NEARLY non-ASCII characters,
       with U+FFFD (lossy). A label is trusted over detection when both read plausibly:
       chardetng reads DOS and Mac code pages (MAC, Codepage 850) and Estonian windows-1257 as
       windows-1252; and detection, finding no charset that decodes a Big5 book with one damaged
       byte strictly, took windows-1252 for it.
    6. Otherwise the web reader's detection (decode.decode_html without the label's reading:
       chardetng, uchardet, charset-normalizer, then GB18030/windows-1252, each taken only when
       plausible); when nothing fits, the least damaged reading with U+FFFD (lossy), and None when
       even that is garbage (more than 5 % replacement or control characters)."""
    wide = wide_unicode(body)
    if wide is not None:
        return wide[0], wide[1], False, "bom"
    for bom, enc in WIDE_BOMS:
        if body.startswith(bom):
            text = body.decode(enc, "replace")
            if bad_share(text) <= MAX_BAD_SHARE:
                return text, enc, True, "bom"
            break
    if b"\x00" in body[:65536]:
        return None, "NUL bytes, not a text eBook", False, "binary"
    # ISO-2022-JP is 7-bit: it passes as UTF-8 with its text as escape sequences
    if iso2022_escapes(body) and (seven := _iso2022(body)) is not None:
        return seven[0], seven[1], False, "detection"
    try:
        return body.decode("utf-8-sig"), "utf-8", False, "utf-8"
    except UnicodeDecodeError:
        pass
    labels = declared_charsets(body[:8192].decode("latin-1"))
    multibyte = [enc for enc in labels if enc in _MULTIBYTE]
    fallbacks = tuple(dict.fromkeys(alt for enc in multibyte for alt in _FALLBACKS.get(enc, ())))
    # A declared multi-byte charset that reads the book first: its pairs form valid UTF-8 sequences
    # by chance (latex.py reads a file under a CJK inputenc so, too).
    if (found := _label_reading(body, multibyte, fallbacks=fallbacks)) is not None:
        return *found, "label"
    if may_be_utf8_with_strays(body) and (mixed := decode_mixed_utf8(body.removeprefix(b"\xef\xbb\xbf"))) is not None:
        return mixed[0], "utf-8+cp1252", False, "utf-8"
    if (found := _label_reading(body, [enc for enc in labels if enc not in _MULTIBYTE])) is not None:
        return *found, "label"
    # A multi-byte label that reads all but a few bytes: detection read a Big5 book with one damaged
    # byte as windows-1252 (which decodes it strictly, into mojibake the mess ratio let pass).
    if (found := _label_reading(body, multibyte, nearly=True, fallbacks=fallbacks)) is not None:
        return *found, "label"
    # Not the label: decode_html judges a reading by the first 100,000 characters, which may all be
    # ASCII (see _non_ascii_lines); it would take back the label rejected here.
    text, how, lossy = decode_html(body, None, _not_utf8=True)
    return text, how, lossy, "detection" if text is not None else "garbage"


def split_chapters(book: str, max_chars: int) -> list[str]:
    """Consecutive chapters packed into pieces of at most max_chars (paragraph cuts inside a longer one)."""
    starts = [0] + [m.start() for m in _CHAPTER.finditer(book) if m.start() > 0 and book[m.start() - 1] == "\n"
                    and (m.start() < 2 or book[m.start() - 2] == "\n")]
    chapters = [book[a:b] for a, b in zip(starts, starts[1:] + [len(book)])]
    units: list[str] = []
    for ch in chapters:
        if len(ch) <= max_chars:
            units.append(ch)
            continue
        buf = ""
        for para in re.split(r"(?<=\n\n)", ch):
            while len(para) > max_chars:       # one giant paragraph: hard cut
                units.append(buf) if buf else None
                buf = ""
                units.append(para[:max_chars])
                para = para[max_chars:]
            if buf and len(buf) + len(para) > max_chars:
                units.append(buf)
                buf = ""
            buf += para
        if buf:
            units.append(buf)
    pieces: list[str] = []
    for u in units:
        if pieces and len(pieces[-1]) + len(u) <= max_chars:
            pieces[-1] += u
        else:
            pieces.append(u)
    return [p.strip("\n").rstrip() for p in pieces if p.strip()]


def header_fields(header: str) -> dict:
    """Title, author, language, release date and eBook number from the PG header (continuation
    lines of a field are indented or follow without a blank line)."""
    meta: dict = {}
    for m in _HEADER_FIELD.finditer(header):
        key = m.group(1).lower().replace(" ", "_")
        value = m.group(2).strip()
        rest = header[m.end():].split("\n")[1:]
        for ln in rest:          # wrapped value: next lines until a blank line or another field
            if not ln.strip() or _HEADER_FIELD.match(ln):
                break
            value += " " + ln.strip()
        meta.setdefault(key, value)
    n = _EBOOK_NO.search(header)
    if n:
        meta["ebook_id"] = int(n.group(1))
    if "release_date" in meta:
        meta["release_date"] = _EBOOK_NO.split(meta["release_date"])[0].strip(" [")
    return meta


_HTML_NAMES = (".htm", ".html", ".xhtml")


def book_member(names: list[str], path: str) -> str | None:
    """The book's text among a zip's member names (folders left out): its .txt member; of several,
    the one named as the zip is (17491-8.zip: 17491-8/17491-8.txt), else the largest (given
    `names` largest first). PG ships 12-0.zip flat, 17491-8.zip with the text in a folder."""
    texts = [n for n in names if n.lower().endswith(".txt")]
    stem = posixpath.basename(path).rsplit(".", 1)[0].lower()
    named = [n for n in texts if posixpath.basename(n).rsplit(".", 1)[0].lower() == stem]
    return (named or texts or [None])[0]


def read_zip_book(src, path: str) -> bytes | Quarantined:
    """The text of a zipped eBook (`book_member`), opened through fsspec as any file (a local path
    or an object store: zipfile seeks to the member list at the end and then to the member).
    fsspec's compression inferred from the name read the zip's first member, which in 17491-8.zip
    is the folder the text lies in: the book came out empty (`empty_document`). A zip of an HTML
    edition (PG's -h.zip) or of no text at all is `no_text_member`; one that zipfile cannot read
    (cut short, damaged, encrypted) `corrupt_archive`; a text over max_doc_bytes `too_large`."""
    try:
        with open_input(path) as f, zipfile.ZipFile(f) as z:
            infos = sorted((i for i in z.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")),
                           key=lambda i: -i.file_size)
            name = book_member([i.filename for i in infos], path)
            if name is None:
                html = [i.filename for i in infos if i.filename.lower().endswith(_HTML_NAMES)]
                what = (f"an HTML edition ({html[0]}), which this reader does not read" if html else
                        f"members: {', '.join(i.filename for i in infos[:5]) or 'none'}"
                        + (f" and {len(infos) - 5} more" if len(infos) > 5 else ""))
                return Quarantined("no_text_member", f"{path}: no .txt member in the zip; {what}", 0, path)
            with z.open(name) as member:
                body = member.read(src.max_doc_bytes + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error,
            OSError) as e:   # damaged or cut short (BadZipFile; a bad CRC too), encrypted (RuntimeError)
        return Quarantined("corrupt_archive", f"{path}: not a readable zip archive: {type(e).__name__}: {e}", 0, path)
    if len(body) > src.max_doc_bytes:
        return Quarantined("too_large", f"{path}: {name}: more than {src.max_doc_bytes} bytes", 0, path, len(body),
                           body[:65536])
    return body


# A PG file name's number: PG's names (gutenberg_editions.edition's), and copies named after them
# (123-variant.txt); not "Volume 1.txt".
_NAME_NUMBER = re.compile(r"(?:pg)?(\d+)(?=[-_.]|$)", re.I)
_ERROR_PAGE = re.compile(r"\s*(?:<|\{)")
ERROR_PAGE_MAX = 16384           # an error page (HTML, an S3 XML error, JSON) is short; an HTML edition is long


def markup_document(path: str, text: str) -> Quarantined | None:
    """The verdict on markup in a book's place, None for a text. An HTML or XML document (a
    declaration or root element first), at any size: `html_edition` for PG's HTML edition (named by
    a glob or a path: pg2701-images.html was read as a book of <p> markup, and one without blank
    lines came out empty), as the zip path and a mirror folder leave HTML editions out; any other
    (an RDF record, an error page) `not_a_book`. Else a short text that opens with a tag or a brace
    and has no Gutenberg marker (an S3 error's <Error>, a JSON error, a <p> page saved in the
    book's place) `not_a_book`: measured with LF line ends, as the book is read."""
    if _MARKUP_DOC.match(text):
        html = _MARKUP_HTML.search(text, 0, 4096) is not None
        if html and _PG_MARKER_PHRASE.search(text):
            return Quarantined("html_edition", f"{path}: a Project Gutenberg HTML edition, which this reader does "
                               f"not read (read the eBook's .txt edition)", 0, path, len(text), text[:4096].encode())
        return Quarantined("not_a_book", f"{path}: an {'HTML' if html else 'XML'} document without Gutenberg "
                           f"markers, not a text eBook", 0, path, len(text), text[:4096].encode())
    if not _ERROR_PAGE.match(text):
        return None
    text = _lf(text)
    if len(text) > ERROR_PAGE_MAX:
        return None
    found = strip_boilerplate(text, drop_front_credits=False)[2]
    if found["start_marker"] or found["end_marker"]:
        return None
    return Quarantined("not_a_book", f"{path}: a short HTML/XML/JSON text without Gutenberg markers (an error "
                       f"page saved in the book's place?)", 0, path, len(text), text[:4096].encode())


def _lf(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return text.replace("\r", "\n") if "\r" in text else text       # old Mac line ends


def _read_book(opts: GutenbergReader, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    if path.lower().endswith(".zip"):
        body = read_zip_book(src, path)
    else:
        body = read_document(src, path, state)     # compression by content (compression_by_content)
    if isinstance(body, Quarantined):
        yield body
        return
    text, encoding, lossy, decided = decode_book(body)
    if text is None:
        binary = decided == "binary"
        yield Quarantined("binary_file" if binary else "bad_encoding", f"{path}: {encoding}", 0, path, len(body),
                          body[:4096 if binary else 65536])
        return
    if decided == "bom":
        state.count("gutenberg_wide_unicode_books")         # UTF-16/32, transcoded
    elif decided == "detection":
        state.count("gutenberg_charset_detected_books")     # not UTF-8; no label, or none that reads it
    if encoding == "utf-8+cp1252":
        state.count("gutenberg_stray_non_utf8_books")
    if lossy:
        state.count("gutenberg_decoded_lossy_books")
    if markup := markup_document(path, text):
        yield markup
        return
    books = joined_books(_lf(text))
    if len(books) > 1:
        state.count("gutenberg_joined_books", len(books))
    preferred = preferred_edition(src, path)     # another edition of this eBook beside it (gutenberg_editions)
    for i, part in enumerate(books):
        yield from _book(opts, src, path, state, part, encoding, lossy, f"#{i}" if len(books) > 1 else "", preferred)


def _book(opts, src, path: str, state: ReadState, text: str, encoding: str, lossy: bool, part: str,
          preferred: str | None = None) -> Iterator[Doc | Quarantined]:
    """One book's text (LF line ends) as its document(s); `part`: its place among joined books;
    `preferred`: the better edition beside this file that the source reads too."""
    header, book, found = strip_boilerplate(text, opts.drop_front_credits)
    if not found["start_marker"]:
        state.count("gutenberg_no_start_marker")
    if not found["end_marker"]:
        state.count("gutenberg_no_end_marker")
    if opts.drop_toc:
        book, toc_lines = drop_toc(book)
        if toc_lines:
            state.count("gutenberg_toc_lines_dropped", toc_lines)
        book = book.strip("\n").rstrip()
    if not book.strip():
        yield Quarantined("empty_document", f"{path}: no text between the Gutenberg markers", 0, path)
        return
    meta = header_fields(header)
    # The header's eBook number, else the file name's, only for a PG text (a marker, PG's header)
    # named as PG names its files (gutenberg_editions.edition: 123-8.txt, pg123.txt; or a copy's
    # 123-variant.txt): any name with a digit gave one ("Volume 1.txt" in two folders both became
    # gutenberg:1, with that eBook's URL; a 1984.txt eBook 1984). Else the path is the id.
    base = posixpath.basename(path)
    is_pg = found["start_marker"] or found["end_marker"] or found["header_block"]
    file_no = _NAME_NUMBER.match(base) if is_pg else None
    ebook_id = meta.get("ebook_id") or (int(file_no.group(1)) if file_no else None)
    meta.update({"ebook_id": ebook_id, "encoding": encoding, "file": path})
    flags = ["decoded_lossy"] * lossy
    if preferred and not is_pg:
        preferred = None        # no PG text: not an edition of the eBook its name's number is
    if preferred:
        state.count("gutenberg_other_edition_books")
        flags.append("other_edition")
        meta["preferred_edition"] = preferred
    if flags:
        meta["flags"] = flags
    url = f"https://www.gutenberg.org/ebooks/{ebook_id}" if ebook_id else None
    book_id = f"gutenberg:{ebook_id}" if ebook_id else path + part
    if not opts.split_chapters:
        yield Doc(book_id, url, text=book, metadata=meta)
        return
    pieces = split_chapters(book, opts.max_chars)
    for i, piece in enumerate(pieces):
        yield Doc(f"{book_id}#{i}", url, text=piece, metadata={**meta, "part": i, "parts": len(pieces)})
