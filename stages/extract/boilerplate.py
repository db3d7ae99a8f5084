"""Boilerplate lines left in resiliparse's main-content text, dropped by the `auto` engine.

resiliparse's main-content rules drop whole containers by their tag and class names; what they
keep beside the article is the page chrome that carries no such name: link lists (related
stories, "read more", tag clouds, pagination), one-word buttons and labels ("Share", "举报",
"回复"), and the same short line repeated under every comment or teaser. On the gold pages
that is where `resiliparse` loses to trafilatura: precision, not recall (bench/bench_extract.py
prints both per language and half).

No library cleans extracted text by line with link information (jusText classifies blocks of
a page it parses again, with per-language stop-word lists that do not exist for Chinese), so
this is hand-written, on the output of the same extraction: resiliparse writes the main content
as minimal HTML (`preserve_formatting="minimal_html", links=True`: one block per line, links
kept as `<a>`) at the cost of plain text, and each line is judged by what it holds:
- link-dominated: at least `LINK_SHARE` of its units are link text (a menu, a teaser title,
  a tag list) — boilerpipe's and jusText's link density, per line;
- a short line without punctuation (fewer than `SHORT_UNITS` units: "Share", "Read more",
  "5月19日", "回复"): a label, not a sentence;
- a short line the page has had before (fewer than `REPEAT_UNITS` units: "举报这条评论" under
  every comment, "Reply"): its first occurrence stays, as a repeated heading or table label
  of the article is gold once;
- a line of fewer than `BETWEEN_UNITS` units between two dropped lines: a caption inside chrome.
Units are words in spaced scripts and characters in CJK ones (as text_units counts), so Chinese and
Japanese lines are judged by their characters, not by spaces they do not have; the
punctuation set holds both the ASCII and the full-width CJK marks.

The thresholds were chosen on the dev half of the gold pages (pages split by site,
bench/bench_extract.py) and checked on the held-out half, where F1 moves smoothly around them
(link share 0.2-0.4, short lines 3-5 units, between-lines 10-20 units change F1 by at most 0.01
on either language and half). Link density does most of the work in both languages (without it
auto's F1 drops 0.01-0.07), short lines mostly in Chinese; the repeat and between rules add
little (at most 0.005) but take the chrome the F1 hardly weighs (a label under every comment).
Tried and left out: cutting everything before the <h1> (+0.002 on dev), class-name selectors
handed to resiliparse's `skip_elements` (trafilatura's boilerplate vocabulary: no gain, its
main-content rules already hold most of it) and `comments=False` (loses forum posts).
"""
from __future__ import annotations

import html as html_lib
import re
from typing import NamedTuple

from stages.extract.resiliparse_engine import CJK_CHAR, text_units

LINK_SHARE = 0.3
SHORT_UNITS = 5
REPEAT_UNITS = 10
BETWEEN_UNITS = 20

# An <a>...</a> pair without another <a> inside: resiliparse leaves an <a> unclosed when the
# anchor had no text of its own, and such an opening must not swallow what follows.
_LINK = re.compile(r"<a\b[^>]*>((?:(?!<a\b)[\s\S])*?)</a>")
_TAG = re.compile(r"<[^>]*>")
_LINK_TEXT = re.compile("\x01([^\x02]*)\x02?")
_SENTENCE_MARK = re.compile(r"[.!?;,:。！？；，、：]")
_OPEN, _CLOSE = "\x01", "\x02"  # link text markers: control characters no page text keeps


class Line(NamedTuple):
    text: str
    units: int
    link_units: int
    marks: int  # punctuation marks (sentence or clause ends)


def lines_of(markup: str) -> list[Line]:
    """The non-empty lines of resiliparse's minimal-HTML output, with their link text measured."""
    # Link text is marked with control characters (per line: a link may span lines); tags go and
    # the units are counted as text_units counts them, with each regex run once over the whole
    # text (constant replacements, no per-match callback) instead of once per line.
    marked = _LINK.sub(lambda m: _OPEN + _TAG.sub("", m.group(1)).replace("\n", f"{_CLOSE}\n{_OPEN}") + _CLOSE,
                       markup)
    bare = html_lib.unescape(_TAG.sub("", marked))
    plain = bare.replace(_OPEN, "").replace(_CLOSE, "")
    cjk_as_space = without_cjk = plain
    if CJK_CHAR.search(plain):
        cjk_as_space, without_cjk = CJK_CHAR.sub(" ", plain), CJK_CHAR.sub("", plain)
    out = []
    for raw, text, spaced, rest in zip(bare.split("\n"), plain.split("\n"), cjk_as_space.split("\n"),
                                       without_cjk.split("\n")):
        units = len(spaced.split()) + len(text) - len(rest)  # words + CJK characters
        text = text.strip()
        if not text:
            continue
        link = text_units(" ".join(_LINK_TEXT.findall(raw))) if _OPEN in raw else 0
        out.append(Line(text, units, min(link, units), len(_SENTENCE_MARK.findall(text))))
    return out


def boilerplate(lines: list[Line]) -> list[bool]:
    """Per line: True where the line is page chrome by the rules in the module docstring."""
    seen: set[str] = set()
    bad = []
    for line in lines:
        bad.append(line.link_units >= LINK_SHARE * line.units
                   or (line.units < SHORT_UNITS and not line.marks)
                   or (line.units < REPEAT_UNITS and line.text in seen))
        seen.add(line.text)
    return [b or (0 < i < len(lines) - 1 and bad[i - 1] and bad[i + 1] and lines[i].units < BETWEEN_UNITS)
            for i, b in enumerate(bad)]


def clean(markup: str) -> tuple[str, list[int]]:
    """Main text without its boilerplate lines (one line per kept block), and each kept line's units."""
    lines = lines_of(markup)
    kept = [line for line, bad in zip(lines, boilerplate(lines)) if not bad]
    return "\n".join(line.text for line in kept), [line.units for line in kept]


def clean_text(markup: str) -> str:
    return clean(markup)[0]
