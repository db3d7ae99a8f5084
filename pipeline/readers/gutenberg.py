"""Project Gutenberg plain-text eBooks: licence header and footer stripped, one document per book.

A PG text is: a header (title, author, release date, the licence), a START marker, the book, an
END marker and the licence again. The markers changed over 30 years ("*** START OF THIS PROJECT
GUTENBERG EBOOK X ***", "***START OF THE PROJECT GUTENBERG EBOOK X,\\n…***" over two lines,
"*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*…*END*" in the 1990s, "*** START OF THE
COPYRIGHTED PROJECT GUTENBERG …"); the footer is announced by "End of (the) Project Gutenberg('s)
…" or "*** END OF THE/THIS PROJECT GUTENBERG …". Cleaners such as c-w/gutenberg's
`strip_headers` match ~80 line prefixes anywhere in the first 600 lines; we instead cut at the
marker *lines* (recognised by pattern, so new title wordings still match), then drop the
production credits and PG notes that directly follow the START marker ("Produced by …",
"This etext was produced from …", "Note: … Internet Archive …"), and optionally the table of
contents. A START match that lies in the footer (after the END marker, with none after it: the
old small print at the end closes with the 1990s START wording) is no START: the book is kept
whole, counted as having none. A file holding several books one after another keeps the first.
No maintained library does this (gutenbergpy and c-w/gutenberg are prefix lists tied to their
downloaders), so it is hand-written; the samples' expected texts (c-w's output) are the check.

Optionally a book is cut at its chapter headings and the chapters packed, in order, into
documents of at most `max_chars` characters (a longer chapter is cut at paragraph breaks).
"""
from __future__ import annotations

import codecs
import re
from typing import Iterator

from pydantic import Field

from pipeline.readers.base import Doc, Quarantined, ReadState, Reader, decode_mixed_utf8, read_whole

def _cases(*words: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for w in words for v in (w.upper(), w.title(), w.lower(), w)))


_START = re.compile(
    r"^[ \t]*\*{0,5}[ \t]*(?:START[ \t]+OF[ \t]+(?:THE[ \t]+|THIS[ \t]+)?(?:PROJECT[ \t]+GUTENBERG|COPYRIGHTED)"
    r"|END\*?[ \t]*THE[ \t]+SMALL[ \t]+PRINT)", re.I | re.M)
_END = re.compile(
    r"^[ \t]*\*{0,5}[ \t]*(?:END[ \t]+OF[ \t]+(?:THE[ \t]+|THIS[ \t]+)?(?:PROJECT[ \t]+GUTENBERG|COPYRIGHTED)"
    r"|End[ \t]+of[ \t]+(?:the[ \t]+|this[ \t]+)?Project[ \t]+Gutenberg"
    r"|Ende[ \t]+dieses[ \t]+Proje[ck]t[ \t]+Gutenberg|Fin[ \t]+de[ \t]+(?:Project|ce[ \t]+projet)[ \t]+Gutenberg)",
    re.I | re.M)
_END_RUN_LINES = 5          # "End of the Project Gutenberg EBook of X" then, this close, "*** END OF …"
_START_WORDS = _cases("gutenberg", "copyrighted", "small print")
_END_WORDS = _cases("gutenberg", "copyrighted")
# Paragraphs right after the START marker that are about the e-text, not the book.
_CREDITS = re.compile(
    r"produced[ \t]+by|prepared[ \t]+by|credit[ \t]+for[ \t]+e-?text|transcribed[ \t]+(?:by|from)|digiti[sz]ed[ \t]+by"
    r"|(?:e-?text|e-?book|file)\s+(?:was\s+|is\s+)?(?:produced|prepared)\s+from"   # "This etext was produced from…"
    r"|project[ \t]+gutenberg|pgdp\.net|distributed[ \t]+proofread|internet[ \t]+archive|archive\.org"
    r"|google[ \t]+print|gallica|hathitrust|html[ \t]+version|ibiblio\.org", re.I)
_MAX_CREDIT_PARAGRAPHS = 6
_TOC_HEADING = re.compile(r"^[ \t]*(?:table[ \t]+of[ \t]+)?contents[.:]?[ \t]*$|^[ \t]*(?:inhalt|inhaltsverzeichnis"
                          r"|table[ \t]+des[ \t]+mati[eè]res|目[录錄])[.:]?[ \t]*$", re.I | re.M)
_TOC_WORDS = _cases("contents", "inhalt", "table des", "目录", "目錄")
_MAX_TOC_LINES = 400
# "Chapter One", "BOOK THE FIRST": a number word, so that a paragraph opening "Part of the…" is no heading.
_NUMBER_WORDS = (r"(?i:(?:the[ \t]+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
                 r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|first|second"
                 r"|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last))")
_CHAPTER = re.compile(
    r"^[ \t]*(?:(?:CHAPTER|Chapter|CHAP\.|BOOK|Book|PART|Part|STAVE|Stave|LETTER|Letter|CANTO|Canto)[ \t]+"
    r"(?:[0-9]+|[IVXLCDM]+|" + _NUMBER_WORDS + r")\b(?:[.:,—-][^\n]{0,70})?[ \t]*|第[一二三四五六七八九十百千零〇0-9]+[章回卷节節][^\n]{0,40})$", re.M)
_HEADER_FIELD = re.compile(r"^(Title|Author|Release Date|Language|Translator|Editor)[ \t]*:[ \t]*(.+)$", re.M)
_EBOOK_NO = re.compile(r"\[?\s*E-?(?:Book|Text)\s*#\s*(\d+)", re.I)
_DECLARED = re.compile(r"^\s*Cha[a-z]*ter set encoding:\s*([\w.-]+)", re.I | re.M)
_BLANK = re.compile(r"\n[ \t]*\n")
_HEADER_CHARS = 8192             # a PG header's length, at most, when no START marker ends it


def first_line_match(text: str, pattern: re.Pattern, keywords: tuple[str, ...], start: int = 0):
    """The first line at or after `start` that `pattern` matches, trying only lines that hold one
    of the keywords (give each case variant): str.find jumps between candidate lines instead of
    a case-insensitive regex stepping through the whole book."""
    nxt = {kw: text.find(kw, start) for kw in keywords}
    while True:
        live = [(i, kw) for kw, i in nxt.items() if i >= 0]
        if not live:
            return None
        i, kw = min(live)
        line_start = text.rfind("\n", 0, i) + 1
        line_end = text.find("\n", i)
        line_end = len(text) if line_end < 0 else line_end
        if line_start >= start:
            m = pattern.match(text, line_start, line_end)
            if m:
                return m
        for k, j in nxt.items():          # every keyword moves past this line
            if 0 <= j < line_end:
                nxt[k] = text.find(k, line_end)


class GutenbergReader(Reader):
    """Project Gutenberg .txt eBooks (plain or compressed): the book without the PG header and licence."""
    name = "gutenberg"
    drop_front_credits: bool = Field(default=True,
                                     description="drop the 'Produced by…' credits and PG notes after the START marker")
    drop_toc: bool = Field(default=True, description="drop the table of contents (a CONTENTS heading and its entries)")
    split_chapters: bool = Field(default=False, description="one document per run of chapters instead of per book")
    max_chars: int = Field(default=100_000, gt=0,
                           description="with split_chapters: chapters are packed into documents of at most this size")

    def read(self, path, src, state):
        return _read_book(self, src, path, state)


def decode_book(body: bytes) -> tuple[str, str]:
    """Text and how it was decoded: UTF-8; else, if the book is mostly UTF-8, UTF-8 with its stray
    bytes as cp1252 ("utf-8+cp1252"); else the header's declared charset, else cp1252."""
    try:
        return body.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = decode_mixed_utf8(body.removeprefix(b"\xef\xbb\xbf"))
    if mixed is not None:
        return mixed[0], "utf-8+cp1252"
    m = _DECLARED.search(body[:8192].decode("ascii", "replace"))
    if m:
        try:
            codecs.lookup(m.group(1))
            return body.decode(m.group(1)), m.group(1).lower()
        except (LookupError, UnicodeDecodeError):
            pass
    return body.decode("cp1252", "replace"), "cp1252"


def strip_boilerplate(text: str, drop_front_credits: bool = True) -> tuple[str, str, dict]:
    """(header, book, what was found) of one PG text with LF line ends."""
    found = {"start_marker": False, "end_marker": False}
    body_start, header = 0, ""
    m = first_line_match(text, _START, _START_WORDS)
    if m and _end_marker(text, m.end()) is None and _end_marker(text, 0) is not None:
        # The START pattern matched a line of the footer: a book of the early 2000s whose START line
        # is missing keeps its small print at the end, closed by "*END THE SMALL PRINT! FOR PUBLIC
        # DOMAIN EBOOKS*…*END*" (the 1990s START wording). Cutting there emptied the book.
        m = None
    if m:
        found["start_marker"] = True
        header = text[:m.start()]
        end = text.find("\n", m.start())
        end = len(text) if end < 0 else end
        line = text[m.start():end].rstrip()
        # "***START OF … EBOOK TITLE,\nREST OF TITLE***": the marker runs on until its closing stars
        if line.lstrip("* \t")[:3].upper() == "STA" and not line.endswith("*"):
            for _ in range(3):
                nxt = text.find("\n", end + 1)
                nxt = len(text) if nxt < 0 else nxt
                if text[end + 1:nxt].rstrip().endswith("*"):
                    end = nxt
                    break
                end = nxt
        body_start = end + 1
    e = _end_marker(text, body_start)
    body_end = len(text)
    if e:
        found["end_marker"] = True
        body_end = e.start()
    book = text[body_start:body_end]
    if not m:        # no START marker: the header fields (Title:, [EBook #…]) are read from the top
        header = text[:min(body_end, _HEADER_CHARS)]
    if drop_front_credits:
        book = _drop_credits(book)
    return header, book.strip("\n").rstrip(), found


def _end_marker(text: str, start: int):
    """The line where the footer begins: the first starred END marker ("*** END OF THE PROJECT
    GUTENBERG EBOOK…"), or the "End of the Project Gutenberg EBook of…" line a few lines before it.
    An "End of…" line further up is the book's (a collection of several e-texts keeps each one's
    closing line; a quotation): cutting there lost the rest of the book. Without a starred
    marker, the first END line."""
    ends = []
    while (m := first_line_match(text, _END, _END_WORDS, start)) is not None:
        if m.group(0).lstrip(" \t").startswith("*"):
            while ends and text.count("\n", ends[-1].start(), m.start()) <= _END_RUN_LINES:
                m = ends.pop()
            return m
        ends.append(m)
        start = text.find("\n", m.start()) + 1 or len(text)
    return ends[0] if ends else None


def _drop_credits(book: str) -> str:
    pos = 0
    for _ in range(_MAX_CREDIT_PARAGRAPHS):
        para = pos
        while para < len(book) and book[para] in "\n \t":
            para += 1
        m = _BLANK.search(book, para)
        para_end = m.start() if m else len(book)
        if para >= len(book) or not _CREDITS.search(book[para:para_end]):
            break
        pos = para_end
    # keep the blank lines after the credits (the expected output does), drop the credits themselves
    return book[pos:] if pos else book


def drop_toc(book: str) -> tuple[str, int]:
    """The book without its table(s) of contents, and how many non-blank lines were removed.

    A TOC is a CONTENTS heading followed by entries: short lines (titles, "I. …", page numbers),
    single blank lines between them allowed; it ends at a run of 3 or more blank lines or at the
    first paragraph of prose (a block of 3+ lines of 50+ characters none ending in a page number).
    Only the text after a heading is scanned, so a book without one costs one regex search."""
    out: list[str] = []
    removed, pos = 0, 0
    pos_ = 0
    while True:
        m = first_line_match(book, _TOC_HEADING, _TOC_WORDS, pos_)
        if m is None:
            break
        pos_ = m.end()
        if m.start() < pos:
            continue
        extent = _toc_extent(book, m.end())
        if extent is None:
            continue
        out.append(book[pos:m.start()])
        pos, n = extent
        removed += n + 1
    out.append(book[pos:])
    return "".join(out), removed


def _toc_extent(book: str, after_heading: int) -> tuple[int, int] | None:
    """(offset where the text resumes, non-blank entry lines) of the TOC whose heading ends at
    after_heading, or None if what follows is not a list of entries."""
    lines = book[after_heading:].split("\n", _MAX_TOC_LINES + 1)[1:_MAX_TOC_LINES + 1]
    j, entries, blanks = 0, 0, 0
    while j < len(lines):
        if not lines[j].strip():
            blanks += 1
            if blanks >= 3 and entries:
                break
            j += 1
            continue
        block_end = j
        while block_end < len(lines) and lines[block_end].strip():
            block_end += 1
        block = [ln.strip() for ln in lines[j:block_end]]
        prose = sum(len(b) >= 50 and not b[-1].isdigit() for b in block)
        if prose >= 3 or any(len(b) > 120 for b in block):
            break
        entries += len(block)
        blanks = 0
        j = block_end
    if entries < 2 or (j >= len(lines) and after_heading + sum(map(len, lines)) + len(lines) < len(book)):
        return None          # too few entries, or still going after _MAX_TOC_LINES: not a TOC
    resume = after_heading + 1 + sum(len(ln) + 1 for ln in lines[:j])
    return min(resume, len(book)), entries


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


def _read_book(opts: GutenbergReader, src, path: str, state: ReadState) -> Iterator[Doc | Quarantined]:
    body = read_whole(src, path, state)
    if isinstance(body, Quarantined):
        yield body
        return
    if len(body) > src.max_doc_bytes:
        yield Quarantined("too_large", f"{path}: more than {src.max_doc_bytes} bytes", 0, path, len(body), body[:65536])
        return
    if b"\x00" in body[:65536]:
        yield Quarantined("binary_file", f"{path}: NUL bytes, not a text eBook", 0, path, len(body), body[:4096])
        return
    text, encoding = decode_book(body)
    if encoding == "utf-8+cp1252":
        state.count("gutenberg_stray_non_utf8_books")
    text = text.replace("\r\n", "\n")
    if "\r" in text:                     # old Mac line ends
        text = text.replace("\r", "\n")
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
    file_no = re.search(r"(?:pg)?(\d+)[^/]*$", path.rsplit("/", 1)[-1])
    ebook_id = meta.get("ebook_id") or (int(file_no.group(1)) if file_no else None)
    meta.update({"ebook_id": ebook_id, "encoding": encoding, "file": path})
    url = f"https://www.gutenberg.org/ebooks/{ebook_id}" if ebook_id else None
    book_id = f"gutenberg:{ebook_id}" if ebook_id else path
    if not opts.split_chapters:
        yield Doc(book_id, url, text=book, metadata=meta)
        return
    pieces = split_chapters(book, opts.max_chars)
    for i, piece in enumerate(pieces):
        yield Doc(f"{book_id}#{i}", url, text=piece, metadata={**meta, "part": i, "parts": len(pieces)})
