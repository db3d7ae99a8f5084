"""Text rules of the Gutenberg reader (pipeline/readers/gutenberg.py): the licence header and footer
cut at PG's marker lines, a PG header block without START line cut, the production credits and the
table of contents dropped, and a file of books joined one after another cut into its books.

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
whole, counted as having none; a PG header block at the top of a book without START line (PG's
title line, licence blurb and fields: `header_block_end`) is cut. Of several books one after
another, `strip_boilerplate` keeps the first; `joined_books`, run before it, cuts such a file into
its books.
No maintained library does this (gutenbergpy and c-w/gutenberg are prefix lists tied to their
downloaders), so it is hand-written; the samples' expected texts (c-w's output) are the check.

Kept apart from the reader so the reader's module stays about files, charsets and ids.
"""
from __future__ import annotations

import re
import unicodedata


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
    # "Produced by" opens a credit line, capitalised; inside a sentence it is the book's own, even
    # where the text wraps before it ("a sketch,\nprepared by the Author", "islands produced by insects")
    r"(?-i:^[ \t]*(?:Credits:[ \t]*)?(?:Produced|Prepared|PRODUCED|PREPARED)[ \t]+(?:by|BY))|credit[ \t]+for[ \t]+e-?text"
    r"|transcribed[ \t]+(?:by|from)|digiti[sz]ed[ \t]+by"
    r"|(?:e-?text|e-?book|file)\s+(?:was\s+|is\s+)?(?:produced|prepared)\s+(?:from|by)"   # "This etext was produced from…"
    r"|project[ \t]+gutenberg|pgdp\.net|distributed[ \t]+proofread|internet[ \t]+archive|archive\.org"
    r"|google[ \t]+print|gallica|hathitrust|html[ \t]+version|ibiblio\.org", re.I | re.M)
_MAX_CREDIT_PARAGRAPHS = 6
_TOC_HEADING = re.compile(r"^[ \t]*(?:table[ \t]+of[ \t]+)?contents[.:]?[ \t]*$|^[ \t]*(?:inhalt|inhaltsverzeichnis"
                          r"|table[ \t]+des[ \t]+mati[eè]res|目[录錄])[.:]?[ \t]*$", re.I | re.M)
_TOC_WORDS = _cases("contents", "inhalt", "table des", "目录", "目錄")
_MAX_TOC_LINES = 400
# "Chapter One", "BOOK THE FIRST": a number word, so that a paragraph opening "Part of the…" is no heading.
_NUMBER_WORDS = (r"(?i:(?:the[ \t]+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
                 r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|first|second"
                 r"|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last))")
_BLANK = re.compile(r"\n[ \t]*\n")
_HEADER_CHARS = 8192             # a PG header's length, at most, when no START marker ends it
# PG's header paragraphs, for a book whose START line is missing: the title line ("The Project
# Gutenberg EBook of X, by Y", "Project Gutenberg's X"), the licence blurb ("This eBook is for the
# use of anyone anywhere…"), then paragraphs of fields ("Title:", "Release Date: … [EBook #5001]",
# an indented "Most recently updated:") and bracketed notes ("[This file was first posted on …]").
_HEADER_OPENER = re.compile(r"(?:The[ \t]+)?Project[ \t]+Gutenberg(?:(?:'s|’s)[ \t]|[ \t]+(?:e-?book|e-?text)\b)",
                            re.I)
_HEADER_LICENCE = re.compile(r"This[ \t]+(?:e-?book|e-?text|etext|file)[ \t]+is[ \t]+for[ \t]+the[ \t]+use[ \t]+of"
                             r"[ \t]+anyone[ \t]+anywhere", re.I)
_HEADER_LINE = re.compile(
    r"(?:Title|Sub-?title|Author|Authors|Editor|Editors|Translator|Translators|Illustrator|Illustrators"
    r"|Contributor|Release[ \t]+Date|Posting[ \t]+Date|Last[ \t]+Updated|Most[ \t]+recently[ \t]+updated"
    r"|First[ \t]+Posted|Original[ \t]+publication|Language|Cha[a-z]*ter[ \t]+set[ \t]+encoding|Credits|Series)"
    r"[ \t]*:"
    r"|\[[ \t]*(?:E-?Book|E-?Text|This[ \t]+file|Most[ \t]+recently|Last[ \t]+updated|Date[ \t]+last)[^\]\n]*\]$",
    re.I)
_HEADER_PARAGRAPH_LINES = 12     # the licence blurb's 7 lines, a long Credits: field


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
    found["header_block"] = False
    if not m:        # no START marker: the header fields (Title:, [EBook #…]) are read from the top
        header = text[:min(body_end, _HEADER_CHARS)]
        cut = header_block_end(text[:body_end])
        if cut:
            found["header_block"] = True
            book = text[cut:body_end]
    if drop_front_credits:
        book = _drop_credits(book)
    return header, book.strip("\n").rstrip(), found


def header_block_end(text: str) -> int:
    """Where the book begins after a PG header at the top of a text that has no START line (0: no
    such header), the header's lines having been kept as the book's first page. Only PG's own
    paragraphs, from the first line on: the title line, the licence blurb, field paragraphs
    (`_HEADER_LINE`, a wrapped value indented) and bracketed notes; it ends at the
    first other paragraph, the production credits included (_drop_credits' part). c-w/gutenberg's
    strip_headers cuts after any of ~80 marker lines in the first 600; a block of known paragraphs
    from the top, one of them PG's title line or licence blurb, cannot cut into a book that only
    quotes one."""
    pos, end, pg = 0, 0, False
    while True:
        while pos < len(text) and text[pos] in "\n \t":
            pos += 1
        m = _BLANK.search(text, pos)
        para_end = m.start() if m else len(text)
        lines = text[pos:para_end].split("\n")
        if pos >= len(text) or len(lines) > _HEADER_PARAGRAPH_LINES:
            break
        if _HEADER_OPENER.match(lines[0]) and len(lines) <= 3 or _HEADER_LICENCE.match(lines[0]):
            pg = True
        elif not _HEADER_LINE.match(lines[0]) or not all(_HEADER_LINE.match(ln) or ln[:1] in " \t" for ln in lines):
            break
        end = pos = para_end
    return end if pg else 0


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


# A chapter heading's label without its title ("CHAPTER IV", "第四回"): a TOC's first entry, met
# again as a heading, is where the text begins.
_CHAPTER_KEY = re.compile(
    r"[ \t]*(?:(?:CHAPTER|CHAP\.|BOOK|PART|STAVE|LETTER|CANTO)[ \t]+(?:[0-9]+|[IVXLCDM]+|" + _NUMBER_WORDS
    + r")\b|第[一二三四五六七八九十百千零〇0-9]+[章回卷节節])", re.I)


def _columns(line: str) -> int:
    """A line's width in columns (Unicode's East Asian Width: CJK, kana, Hangul and full-width forms
    take two), so that the TOC rules see a 40-character Chinese paragraph as long as an 80-character
    English one. (Short lines of a TOC's first 400: a loop over characters costs nothing here.)"""
    if line.isascii():
        return len(line)
    return len(line) + sum(unicodedata.east_asian_width(c) in "WF" for c in line)


# A TOC line's page reference: a number after spaces or dot leaders, or a lower-case Roman number
# after a gap or leaders (front matter's pages: "Preface ..... xi").
_PAGE_REF = re.compile(r"(?:\s*[.·…_]{2,}\s*|\s+)\d{1,4}$|(?:\s*[.·…_]{2,}\s*|\s{2,})[ivxlc]{1,6}$")


def _entry_keys(line: str) -> set[str]:
    """A TOC line as its heading would repeat it: its chapter label, else the line itself, with and
    without a page reference ("Song of the Sea      12" is headed "SONG OF THE SEA"; "Psalm 23"
    keeps its number either way), in any case and without closing punctuation (the contents'
    "The Tyger" is headed "THE TYGER.": the TOC ran on through the first poem)."""
    m = _CHAPTER_KEY.match(line)
    if m:
        return {_key(m.group(0))}
    return {_key(key) for key in (line, _PAGE_REF.sub("", line))}


def _key(text: str) -> str:
    return " ".join(text.split()).rstrip(_KEY_PUNCTUATION).casefold()


_KEY_PUNCTUATION = " .,:;!?-–—。："
# A play's list of persons, which may follow its contents after blank lines alone: it ran into the
# TOC (its lines are as short as entries) until the first act's heading repeated the first entry.
_CAST_HEADING = re.compile(
    r"(?:dramatis[ \t]+person(?:ae|æ|e)|persons[ \t]+represented|(?:the[ \t]+)?persons[ \t]+of[ \t]+the[ \t]+"
    r"(?:drama|play|dialogue|comedy|tragedy)|(?:the[ \t]+)?characters(?:[ \t]+(?:represented|of[ \t]+the[ \t]+play))?"
    r"|cast(?:[ \t]+of[ \t]+characters)?|personen(?:[ \t]+der[ \t]+handlung)?|personnages|interlocutors)"
    r"[ \t]*[.:]?[ \t]*$",
    re.I)


def _toc_extent(book: str, after_heading: int) -> tuple[int, int] | None:
    """(offset where the text resumes, non-blank entry lines) of the TOC whose heading ends at
    after_heading, or None if what follows is not a list of entries. The list ends where its
    first entry comes again (the first chapter's heading: Chinese books, whose paragraphs are
    one line each, give the prose rules below nothing to see), at a play's list of persons
    (`_CAST_HEADING` opening a later block), at three blank lines, or at prose:
    a block of three long lines, or one very long line (lengths in columns: CJK counts double)."""
    lines = book[after_heading:].split("\n", _MAX_TOC_LINES + 1)[1:_MAX_TOC_LINES + 1]
    j, entries, blanks = 0, 0, 0
    first = None
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
        if first is None:
            first = _entry_keys(block[0])
        elif _CAST_HEADING.match(block[0]):
            break
        else:
            again = next((i for i, b in enumerate(block) if _entry_keys(b) & first), None)
            if again is not None:
                entries += again
                j += again
                break
        prose = sum(_columns(b) >= 50 and not b[-1].isdigit() for b in block)
        if prose >= 3 or any(_columns(b) > 120 for b in block):
            break
        entries += len(block)
        blanks = 0
        j = block_end
    resume = after_heading + 1 + sum(len(ln) + 1 for ln in lines[:j])
    if entries < 2 or (j >= len(lines) and (resume < len(book) or 4 * (resume - after_heading) > len(book))):
        # Too few entries, or still going after _MAX_TOC_LINES: not a TOC. One that runs to the
        # book's end is the book's last page only if the book lies before it: a short book of verse
        # or a play, all short lines, went whole as "TOC lines".
        return None
    return min(resume, len(book)), entries


def joined_books(text: str) -> list[str]:
    """A text cut where a book follows another's END marker (files joined with `cat`: the second
    book, with its own header and START marker, was dropped with the first one's licence, uncounted).
    Each part but the last ends before the next book's START line; each after the first begins at
    the END marker before it (so its header holds that book's Title: and [EBook #] lines)."""
    parts, start = [], 0
    while (m := first_line_match(text, _START, _START_WORDS, start)) is not None:
        end = _end_marker(text, m.end())
        nxt = first_line_match(text, _START, _START_WORDS, end.end()) if end is not None else None
        if nxt is None or _end_marker(text, nxt.end()) is None:
            break
        parts.append(text[start:nxt.start()])
        start = end.start()
    if not parts:
        return [text]
    return parts + [text[start:]]
