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
- a line of fewer than `BETWEEN_UNITS` units between two dropped lines: a caption inside chrome;
- a line of fewer than `BETWEEN_UNITS` units alone between two image links (anchors without text
  of their own): a teaser in a thumbnail grid ("Most read", "Popular diets"). Image-link lines
  count only here, not as neighbours for the rule above: forum posts sit between avatar links.
Before the lines are read, the comment form (COMMENT_FORMS: "Leave a Reply", "Your email address
will not be published") is skipped in the extraction itself, and resiliparse's post meta
(bylines, "Posted by X on date") is left out (`auto_drop_post_meta`; resiliparse finds it by class
names, and on one held-out page took every post of a blog with it: such a page, left with too
little text, is extracted again with the post meta).
Units are words in spaced scripts and characters in CJK ones (as text_units counts), so Chinese and
Japanese lines are judged by their characters, not by spaces they do not have; the
punctuation set holds both the ASCII and the full-width CJK marks.

The thresholds were chosen on the dev half of the gold pages (pages split by site,
bench/bench_extract.py) and checked on the held-out half, where F1 moves smoothly around them
(link share 0.2-0.4, short lines 3-5 units, between-lines 10-20 units change F1 by at most 0.01
on either language and half). Link density does most of the work in both languages (without it
auto's F1 drops 0.01-0.07), short lines mostly in Chinese; the repeat and between rules add
little (at most 0.005) but take the chrome the F1 hardly weighs (a label under every comment).
Tried and left out: cutting everything before the <h1> (+0.002 on dev) and `comments=False`
(loses forum posts). Class and id words of page chrome (CHROME_WORDS) handed to resiliparse's
`skip_elements` did little on the 163 gold pages here (+0.003 en, +0.006 zh), but on 1,226 gold
pages of the same benchmarks that the repository does not hold (bench/gold_heldout.py, and
trafilatura's own evaluation pages scored by its snippets) auto trailed trafilatura by 0.020-0.030
F1, and these blocks were much of the chrome it kept. Skipping them, auto minus trafilatura went
from -0.026 to -0.007 on magic-html's articles, -0.022 to -0.016 on its forums, -0.030 to -0.027
on scrapinghub (what is left there is recall: pages the fast engine keeps a fragment of), -0.020
to -0.014 on trafilatura's pages; no word lost on any set. Tried there and left out: "breadcrumb",
"tags" (nothing), "player" (-0.005 en here), "author" (+0.002 at most, and it matched the entries
of a blog whose theme names them by their author). About 5% of auto's time.
The second round, against the English dev gap (auto's F1 minus trafilatura's, en dev / en held-out
/ zh dev / zh held-out, each change on top of the last): comment fallback (hybrid.py)
-0.007/+0.023/-0.001/+0.033; post meta off -0.006/+0.030/+0.004/+0.034; the comment form skipped
+0.001 on en dev, nothing elsewhere; the teaser rule +0.000/+0.030/+0.005/+0.035. The teaser rule
with image links as neighbours for every rule did as well on dev but cost zh held-out 0.004 (posts
between avatars): not kept. Cookie/consent, newsletter and share-button selectors: at most +0.002
on one half and a loss on another: left out.
"""
from __future__ import annotations

import html as html_lib
import re
from typing import NamedTuple

from stages.extract.resiliparse_engine import CJK_CHAR, text_units

# Comment sections by the names comment software and themes give them (WordPress, Disqus, Blogger,
# most CMS themes): the auto engine measures how much of the fast text they hold (hybrid.py).
COMMENT_SECTIONS = ("#comments", "#disqus_thread", "#dsq-comments", ".comments-area", ".comment-list",
                    ".commentlist", ".comments")
# The form under them ("Leave a Reply", "Your email address will not be published"): never content.
COMMENT_FORMS = ("#respond", ".comment-respond", "#commentform", ".comment-form")
# Page chrome by the words themes put in its class or id (trafilatura discards blocks so named):
# related stories, newsletter and subscription boxes, promotions, share bars, bylines, copyright
# footers, cookie consent banners. Skipped in the extraction, with the comment form. Not "author":
# themes name the posts themselves by it (serendipity_entry_author_X took a blog's every entry).
CHROME_WORDS = ("related", "recommend", "newsletter", "subscribe", "promo", "share", "social", "byline",
                "copyright", "footer", "cookie", "consent")
CHROME_BLOCKS = tuple(f'[{attr}*="{word}"]' for word in CHROME_WORDS for attr in ("class", "id"))
SKIPPED = COMMENT_FORMS + CHROME_BLOCKS
_SECTIONS_SELECTOR = ", ".join(COMMENT_SECTIONS)
COMMENT_SELECTOR = ", ".join(COMMENT_SECTIONS + COMMENT_FORMS)
# comment_share scans the sections' text once per line it does not find there: past this many
# characters scanned (lines x section text; 2.1M at most on the gold pages, ~1 ms) a second
# extraction without the sections is the cheaper measure.
MATCH_BUDGET = 4_000_000

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
_ANCHOR = re.compile(r"<a\b[^>]*>")
_OPEN, _CLOSE = "\x01", "\x02"  # link text markers: control characters no page text keeps
_IMAGE = "\x03"  # an anchor without text of its own (an image link, or one resiliparse left open)


class Line(NamedTuple):
    text: str
    units: int
    link_units: int
    punctuated: bool  # holds a punctuation mark (a sentence or clause end)
    code: bool = False  # inside <pre>: kept as written (its indentation), no line rule applies


_PRE_OPEN, _PRE_CLOSE = re.compile(r"<pre\b", re.I), re.compile(r"</pre\s*>", re.I)


def _pre_lines(markup: str) -> list[bool]:
    """Per line of the markup: whether it lies in a <pre> block (code, a shell session), whose
    short lines (`return n`, `$ make`) are no chrome and whose indentation is part of the text."""
    out, inside = [], False
    for line in markup.split("\n"):
        opens = _PRE_OPEN.search(line) is not None
        out.append(inside or opens)
        if opens:
            inside = True
        if inside and _PRE_CLOSE.search(line):
            inside = False
    return out


_NO_TEXT = Line("", 0, 0, False)  # a line of image links only


def lines_of(markup: str) -> list[Line]:
    """The non-empty lines of resiliparse's minimal-HTML output, with their link text measured; a
    line that holds only links without text (an image link: a thumbnail, an avatar) is kept as an
    empty line (0 units) for the teaser rule."""
    # Link text is marked with control characters (per line: a link may span lines); tags go and
    # the units are counted as text_units counts them, with each regex run once over the whole
    # text (constant replacements, no per-match callback) instead of once per line.
    marked = _ANCHOR.sub(_IMAGE, _LINK.sub(_marked_link, markup))  # what is left: anchors left open
    bare = html_lib.unescape(_TAG.sub("", marked))
    plain = bare.replace(_OPEN, "").replace(_CLOSE, "").replace(_IMAGE, "")
    pre = _pre_lines(markup) if _PRE_OPEN.search(markup) else None   # (tags go, line breaks stay)
    if plain.isascii() or not CJK_CHAR.search(plain):
        return _spaced_lines(bare, plain, pre)
    cjk_as_space, without_cjk = CJK_CHAR.sub(" ", plain), CJK_CHAR.sub("", plain)
    out = []
    for i, (raw, text, spaced, rest) in enumerate(zip(bare.split("\n"), plain.split("\n"),
                                                      cjk_as_space.split("\n"), without_cjk.split("\n"))):
        units = len(spaced.split()) + len(text) - len(rest)  # words + CJK characters
        code = pre is not None and pre[i]
        text = text.rstrip() if code else text.strip()
        if not text.strip():
            if _IMAGE in raw:
                out.append(_NO_TEXT)
            continue
        link = text_units(" ".join(_LINK_TEXT.findall(raw))) if _OPEN in raw else 0
        out.append(Line(text, units, min(link, units), _SENTENCE_MARK.search(text) is not None, code))
    return out


def _spaced_lines(bare: str, plain: str, pre: list[bool] | None) -> list[Line]:
    """lines_of for a text without CJK characters, where units are words (the common case, kept
    apart: it needs none of the per-character counting)."""
    out = []
    for i, (raw, text) in enumerate(zip(bare.split("\n"), plain.split("\n"))):
        units = len(text.split())
        if not units:
            if _IMAGE in raw:
                out.append(_NO_TEXT)
            continue
        link = len(" ".join(_LINK_TEXT.findall(raw)).split()) if _OPEN in raw else 0
        code = pre is not None and pre[i]
        text = text.rstrip() if code else text.strip()
        out.append(Line(text, units, min(link, units), _SENTENCE_MARK.search(text) is not None, code))
    return out


def _marked_link(m: re.Match) -> str:
    text = m.group(1)
    if "<" in text:
        text = _TAG.sub("", text)
    if not text.strip():
        return _IMAGE
    if "\n" in text:
        text = text.replace("\n", f"{_CLOSE}\n{_OPEN}")
    return _OPEN + text + _CLOSE


def boilerplate(lines: list[Line]) -> list[bool]:
    """Per line: True where the line is page chrome by the rules in the module docstring (image-link
    lines always are)."""
    texts = [i for i, line in enumerate(lines) if line.units]
    bad = [True] * len(lines)
    for i, chrome in zip(texts, _text_boilerplate([lines[i] for i in texts])):
        # a teaser: a short line alone between two image links (a thumbnail grid of other pages)
        bad[i] = chrome or (0 < i < len(lines) - 1 and not lines[i - 1].units and not lines[i + 1].units
                            and lines[i].units < BETWEEN_UNITS and not lines[i].code)
    return bad


def _text_boilerplate(lines: list[Line]) -> list[bool]:
    """The line rules over the lines that hold text (image-link lines are not neighbours here: an
    avatar beside every forum post must not make the posts captions)."""
    seen: set[str] = set()
    bad = []
    for line in lines:
        if line.code:       # a block of code or a shell session: its short lines are its text
            bad.append(False)
            continue
        bad.append(line.link_units >= LINK_SHARE * line.units
                   or (line.units < SHORT_UNITS and not line.punctuated)
                   or (line.units < REPEAT_UNITS and line.text in seen))
        seen.add(line.text)
    return [b or (0 < i < len(lines) - 1 and bad[i - 1] and bad[i + 1] and lines[i].units < BETWEEN_UNITS
                  and not lines[i].code)
            for i, b in enumerate(bad)]


def clean(markup: str) -> tuple[str, list[int]]:
    """Main text without its boilerplate lines (one line per kept block), and each kept line's units."""
    lines = lines_of(markup)
    kept = [line for line, bad in zip(lines, boilerplate(lines)) if not bad]
    return "\n".join(line.text for line in kept), [line.units for line in kept]


def clean_text(markup: str) -> str:
    return clean(markup)[0]


def comment_share(body, text: str, units: list[int], max_work: int = MATCH_BUDGET) -> float | None:
    """The share of the cleaned text's units on lines that the page's comment sections hold: a
    line counts when its text occurs in a section's DOM text (whitespace collapsed on both sides,
    as resiliparse collapses it; a block boundary adds no space to the DOM text, and a line is
    never cut at one, so a line found there is the section's). Read off the extraction already
    made and one query of the tree: extracting the page a second time without the sections costs
    as much as the first extraction, and the shares agree (tests/test_extract_comments.py). That
    second extraction also counted lines elsewhere whose fate its cut changed (the boilerplate rules
    read neighbours and repeats): on three gold pages it measured up to 0.09 more, none across the
    0.5 threshold. An article line that a comment quotes whole counts as the comment's. None when
    the matching would scan more than `max_work` characters (a long text beside a large section)."""
    if body is None or not units:
        return 0.0
    sections = body.query_selector_all(_SECTIONS_SELECTOR).values()  # indexing the list costs ~0.2 ms an item
    if not sections:
        return 0.0
    held = "\n".join(" ".join(section.text.split()) for section in sections)
    if len(held) * len(units) > max_work:
        return None
    inside = sum(n for line, n in zip(text.split("\n"), units) if " ".join(line.split()) in held)
    return inside / max(sum(units), 1)
