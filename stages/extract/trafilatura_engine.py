"""trafilatura: main text exactly as `trafilatura.extract` returns it, metadata from the page head.

Title, language hint and date come from parsing only the page's `<head>` (og:title/<title>,
<html lang>, date meta tags and JSON-LD via htmldate's quick mode, plus the URL): a few per cent
of the extraction's cost. trafilatura's own metadata (`bare_extraction(with_metadata=True)`)
parses the same tree but runs every metadata extractor over the whole page, ~1.5x the cost of
the extraction, so the head parse stays. (Handing trafilatura a parsed tree does not help: it
copies the tree, which costs as much as parsing.)

trafilatura parses with its own `lxml.html.HTMLParser`, whose element class lookup is a Python
method called for every element proxy lxml makes (1.6M calls for 363 pages, ~5% of the
extraction's time). `fast_class_lookup` gives the same classes from lxml's C lookups (form
controls by tag name, `HtmlElement` for the rest); trafilatura's text is unchanged (a test
compares it with `trafilatura.extract` in a process that never loaded this module).

On pages made by forum software (when `forum_recall` is on) the posts are the content, and
trafilatura's recall mode keeps them (Discuz boards go from F1 0.05-0.33 to 0.65-0.78 on the
magic-html benchmark).

An HTML fragment (a Q&A row's body: `<p>为什么 <code>[] == ![]</code> 是 true？</p>`) is no page to
trafilatura's `load_html` when it has no "html" in its first 50 characters and fewer than two
top-level elements: it returned nothing and the row was quarantined `not_html` (61 of 376
coffee.stackexchange bodies). When trafilatura finds nothing in a fragment, it is asked again with
the fragment wrapped in `<html><body>…</body></html>` (counted: `fallback_fragment_wrapped`); a
page's text stays exactly `trafilatura.extract`'s, and a feed or JSON stays `not_html`.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from stages.extract.page import NO_TEXT, NOT_HTML, Page, body_date, clean_lang, clean_title

# Forum software announces itself in <meta name="generator">; thread URLs have tell-tale paths.
_FORUM_GENERATOR = re.compile(
    r'<meta[^>]+name=["\']?generator["\']?[^>]+content=["\']?\s*(?:discuz|phpbb|vbulletin|xenforo|'
    r'discourse|mybb|invision|ip\.board|smf|simple machines|nodebb|flarum|phpwind|homeland|vanilla)',
    re.I)
_FORUM_URL = re.compile(r"(?:viewthread|showthread|viewtopic|showtopic|/forum\.php|/thread-\d+)", re.I)
_HEAD_CHARS = 65536  # the generator tag lives in <head>; do not scan whole pages
_HEAD_END = re.compile(r"</head\s*>", re.I)
_HEAD_MAX_CHARS = 512 * 1024
# A fragment: no <html> or <body> tag, not a feed or JSON (those stay not_html), and some element
# of a page's body in it.
_DOCUMENT_TAG = re.compile(r"<(?:html|body)[\s/>]", re.I)
_NOT_A_FRAGMENT = re.compile(r"\s*(?:[{\[]|<\?xml|<rss[\s>]|<feed[\s>]|<rdf:rdf[\s>])", re.I)
_BODY_ELEMENT = re.compile(r"<(?:p|div|span|a|code|pre|ul|ol|li|dl|br|hr|em|strong|b|i|u|s|sup|sub|blockquote|"
                           r"h[1-6]|table|img|section|article|figure)[\s/>]", re.I)


def html_fragment(html: str) -> bool:
    """Markup of a page's body without the page around it (see the module docstring)."""
    return (not _DOCUMENT_TAG.search(html) and not _NOT_A_FRAGMENT.match(html)
            and bool(_BODY_ELEMENT.search(html)))


# libxml2's HTML parser stops nesting at 256 levels (without XML_PARSE_HUGE): a page that never closes
# its containers (a CMS opening <div class="row"> for every paragraph, old pages' <font> per line)
# loses every element past that depth, in trafilatura as in lxml, silently. Such a page is found by
# a cheap count (far more of the tags that such pages repeat opened than closed: <div>, and <font> of
# old pages, in the case they write it), then confirmed by the parser's own error. Three counts a
# page (~0.25 ms on 120 KB pages; each tag more costs as much again).
_UNCLOSED_TAGS = ("<div", "<font", "<FONT")
_UNCLOSED_MIN = 200


def unclosed_containers(html: str) -> bool:
    """More than _UNCLOSED_MIN of <div> or <font> opened and never closed."""
    for tag in _UNCLOSED_TAGS:
        opened = html.count(tag)
        if opened > _UNCLOSED_MIN and opened - html.count(f"</{tag[1:]}") > _UNCLOSED_MIN:
            return True
    return False


# lxml.html's own table (HtmlElementClassLookup's defaults; a test holds the two equal)
FORM_CLASSES = {"form": "FormElement", "textarea": "TextareaElement", "select": "SelectElement",
                "input": "InputElement", "label": "LabelElement"}


def fast_class_lookup():
    """lxml.html's element classes resolved in C: what `HtmlElementClassLookup` returns for every
    tag the HTML parser makes (it lowercases tag names), without a Python call per element."""
    from lxml import etree
    from lxml import html as lxml_html
    lookup = etree.ElementNamespaceClassLookup(etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction, entity=lxml_html.HtmlEntity))
    tags = lookup.get_namespace(None)
    for name, cls in FORM_CLASSES.items():
        tags[name] = getattr(lxml_html, cls)
    return lookup


def looks_like_forum(html: str, url: str | None) -> bool:
    return bool((url and _FORUM_URL.search(url)) or _FORUM_GENERATOR.search(html, 0, _HEAD_CHARS))


class TrafilaturaEngine:
    name = "trafilatura"

    def __init__(self, extract_kwargs: dict[str, Any], forum_recall: bool, extract_date: bool):
        # Fail loudly: a stage that cannot import its extractor must not emit empty documents.
        try:
            import lxml.html
            import trafilatura
            from htmldate import find_date
            from trafilatura.deduplication import LRUCache
            from trafilatura.metadata import extract_opengraph, extract_title
            from trafilatura.utils import HTML_PARSER, load_html
        except Exception as e:  # ImportError, or a broken native dependency (lxml)
            raise RuntimeError(f"extract: cannot import trafilatura ({e!r}); install trafilatura") from e
        self._extract, self._load_html, self._find_date = trafilatura.extract, load_html, find_date
        self._parser = HTML_PARSER
        self._opengraph, self._title = extract_opengraph, extract_title
        self._parse_html = lxml.html.document_fromstring
        self._lru = LRUCache
        HTML_PARSER.set_element_class_lookup(fast_class_lookup())
        self.kwargs = dict(extract_kwargs)
        self.use_forum = forum_recall and not (self.kwargs["favor_precision"] or self.kwargs["favor_recall"])
        self.extract_date = extract_date
        # htmldate and trafilatura log a line per odd page at WARNING/ERROR: too chatty for a crawl.
        for noisy in ("trafilatura", "htmldate"):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)

    def new_batch(self) -> None:
        """trafilatura's `deduplicate` cache is per batch, so output does not depend on batch order."""
        if self.kwargs["deduplicate"] is not False:
            self.kwargs["deduplicate"] = self._lru(maxsize=4096)

    def text(self, html: str, url: str | None) -> tuple[str | None, bool]:
        """(main text or None, whether forum recall mode was used)."""
        forum = self.use_forum and looks_like_forum(html, url)
        kwargs = {**self.kwargs, "favor_recall": True} if forum else self.kwargs
        return self._extract(html, url=url, **kwargs), forum

    def failure(self, html: str) -> str:
        return NOT_HTML if self._load_html(html) is None else NO_TEXT  # reparse only on failure

    def __call__(self, html: str, url: str | None) -> Page:
        text, forum = self.text(html, url)
        wrapped = False
        if not text and html_fragment(html):
            text, forum = self.text(f"<html><body>{html}</body></html>", url)
            wrapped = bool(text)
        if not text:
            reason = self.failure(html)
            # a page that never closes its containers can come out empty at the parser's depth
            # limit (10,000 <div>s around 30 paragraphs): counted, not told apart from an empty page
            return Page(reason, depth_cut=reason == NO_TEXT and self._depth_cut(html))
        title = lang = date = None
        head = self._head_tree(html)
        if head is not None:
            title = clean_title(self._opengraph(head).get("title") or self._title(head))
            lang = _html_lang(head)
        if self.extract_date:
            if head is not None:
                date = self._find_date(head, url=url, extensive_search=False, original_date=True)
            if date is None:
                date = body_date(html)
        # `fallback` is auto's signal for a second engine; here it says the second try was the wrapped fragment
        return Page(None, text, title, date, lang, self.name, forum, "fragment_wrapped" if wrapped else None,
                    depth_cut=self._depth_cut(html))

    def _depth_cut(self, html: str) -> bool:
        """Did the parser stop at its depth limit on this page (counted: `html_depth_limit`)? The
        text is trafilatura's all the same; a reparse only for the rare page the count picks."""
        if not unclosed_containers(html):
            return False
        self._load_html(html)
        return any("Excessive depth" in e.message for e in self._parser.error_log)

    def _head_tree(self, html: str):
        m = _HEAD_END.search(html, 0, _HEAD_MAX_CHARS)
        fragment = html[:m.end()] if m else html[:_HEAD_CHARS]
        try:
            return self._parse_html(fragment)
        except ValueError:  # "Unicode strings with encoding declaration": parse the UTF-8 bytes
            try:
                return self._parse_html(fragment.encode("utf-8"))
            except Exception:
                return None
        except Exception:  # lxml's ParserError on an empty/odd head: no metadata, text is kept
            return None


def _html_lang(tree) -> str | None:
    """The page's own language claim: <html lang>, else Content-Language, else og:locale."""
    lang = tree.get("lang") or tree.get("xml:lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for meta in tree.iterfind(".//head/meta[@content]"):
            key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
            if key in ("content-language", "og:locale", "language", "dc.language"):
                lang = meta.get("content")
                break
    return clean_lang(lang)
