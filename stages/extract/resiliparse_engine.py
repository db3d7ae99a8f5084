"""resiliparse: main text with `extract_plain_text(main_content=True)` (what DCLM uses), ~10x
faster than trafilatura, a few points of token F1 lower on news articles.

One parse (`HTMLTree.parse`, lexbor) gives the text, the metadata (og:title or <title>, <html
lang> or Content-Language, publication date from the usual meta tags, else schema.org
datePublished / <time datetime> by regex) and, for the `auto` engine, the measurements the
fallback decision needs (see hybrid.py).

`alt_texts=False` by default: image alt texts ("Photo: Getty Images") are captions the
human gold of both the English and the Chinese benchmark pages leave out; dropping them raised
token F1 on both dev and held-out pages (bench/bench_extract.py --signals).
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

from stages.extract.page import NO_TEXT, NOT_HTML, Page, body_date, clean_lang, clean_title

# <meta> keys that carry a publication date, by name/property/itemprop (lower case).
_DATE_KEYS = frozenset((
    "article:published_time", "og:published_time", "og:release_date", "datepublished", "pubdate",
    "publishdate", "publish-date", "publish_date", "date", "dc.date", "dc.date.issued",
    "dcterms.created", "dcterms.date", "sailthru.date", "parsely-pub-date", "article.published",
    "og:article:published_time", "weibo: article:create_at", "article_date_original", "cxenseparse:recs:publishtime"))
_LANG_KEYS = frozenset(("content-language", "og:locale", "language", "dc.language"))
# One CSS query for just the <meta> tags we read: walking every node of the head through
# resiliparse's Python objects costs more than the extraction (~10 ms a page), this ~0.2 ms.
# One `meta:is(...)` instead of a list of 140 `meta[...]` selectors: the same elements, in
# half the time of the list (lexbor parses the selector on every call, and tries each on each node).
_META_SELECTOR = "meta:is(" + ",".join(
    f'[{attr}="{key}" i]' for key in sorted({"og:title", *_LANG_KEYS, *_DATE_KEYS})
    for attr in ("property", "name", "itemprop", "http-equiv")) + ")"
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
# Han, kana, Hangul: one unit per character. Elsewhere a unit is a whitespace-separated word.
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def text_units(text: str) -> int:
    """Words in spaced scripts plus characters in CJK ones (a CJK run is not one word)."""
    without_cjk = CJK_CHAR.sub(" ", text)
    return (len(text) - len(CJK_CHAR.sub("", text))) + len(without_cjk.split())


class Measures(NamedTuple):
    """What the fast result looks like, against the page it came from (hybrid.py decides)."""
    units: int  # words/CJK characters in the main text
    visible_share: float  # main text chars / all visible text chars of the page
    short_lines: float  # share of main-text lines under SHORT_LINE_UNITS units (menus, captions)
    comment_share: float = 0.0  # share of the main text's units inside comment sections


SHORT_LINE_UNITS = 8


class ResiliparseEngine:
    name = "resiliparse"

    def __init__(self, options: dict[str, Any], extract_date: bool):
        try:
            from resiliparse.extract.html2text import extract_plain_text
            from resiliparse.parse.html import HTMLTree
        except Exception as e:
            raise RuntimeError(f"extract: cannot import resiliparse ({e!r}); install resiliparse") from e
        self._parse, self._extract = HTMLTree.parse, extract_plain_text
        self.options = dict(options)
        self.extract_date = extract_date

    def parse(self, html: str):
        tree = self._parse(html)
        return tree if tree.body is not None or tree.head is not None else None

    def text(self, tree) -> str:
        return self._extract(tree, main_content=True, **self.options).strip()

    def markup(self, tree, skip: list[str] | None = None, post_meta: bool = True) -> str:
        """The same main content as minimal HTML: one block per line, links kept as <a> (what
        boilerplate.py reads; about the cost of `text`), without the elements `skip` selects and,
        with `post_meta=False`, without what resiliparse takes for post meta (bylines, dates)."""
        return self._extract(tree, main_content=True, preserve_formatting="minimal_html", links=True,
                             skip_elements=skip or None, **{**self.options, "post_meta": post_meta})

    def __call__(self, html: str, url: str | None) -> Page:
        tree = self.parse(html)
        if tree is None:
            return Page(NOT_HTML)
        text = self.text(tree)
        return self.page(tree, html, text) if text else Page(NO_TEXT)

    def page(self, tree, html: str, text: str | None, engine: str | None = None) -> Page:
        title, lang, date = self.metadata(tree, html)
        return Page(None, text, title, date, lang, engine or self.name)

    def metadata(self, tree, html: str) -> tuple[str | None, str | None, str | None]:
        """(title, html_lang, date) from the tree already parsed for the text."""
        og_title = lang = date = None
        root = tree.document.document_element
        if root is not None:
            lang = root.getattr("lang") or root.getattr("xml:lang")
        head = tree.head
        if head is not None:
            # .values(): indexing resiliparse's node list costs ~0.2 ms an item, values() ~10 us
            for meta in head.query_selector_all(_META_SELECTOR).values():
                key = (meta.getattr("property") or meta.getattr("name") or meta.getattr("itemprop")
                       or meta.getattr("http-equiv") or "").lower()
                if not key:
                    continue
                if key == "og:title" and og_title is None:
                    og_title = meta.getattr("content")
                elif key in _LANG_KEYS and not lang:
                    lang = meta.getattr("content")
                elif self.extract_date and key in _DATE_KEYS and date is None:
                    date = _iso_date(meta.getattr("content"))
        # The body search scans the whole page: only where it can match.
        if self.extract_date and date is None and ("atePublished" in html or "datetime" in html):
            date = body_date(html)
        return clean_title(og_title or tree.title), clean_lang(lang), date

    def measure(self, tree, text: str, visible_share: bool = True, line_units: list[int] | None = None,
                comment_share: float = 0.0) -> Measures:
        """The fallback rule's inputs. `visible_share` costs a second pass over the tree (all
        visible text, ~15% of the fast path); without it the share is reported as 1.
        `line_units`: the units of each non-empty line of `text` when the caller counted them."""
        visible = (self._extract(tree, main_content=False, preserve_formatting=False, alt_texts=False)
                   if visible_share else text)
        if line_units is None:
            line_units = [text_units(line) for line in text.split("\n") if line.strip()]
        short = sum(1 for units in line_units if units < SHORT_LINE_UNITS)
        return Measures(sum(line_units), min(len(text) / max(len(visible), 1), 1.0),
                        short / max(len(line_units), 1), comment_share)


def _iso_date(value: str | None) -> str | None:
    m = _ISO_DATE.search(value or "")
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31 else None
