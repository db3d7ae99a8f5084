"""What one engine returns for one page, and the reasons a page can fail."""
from __future__ import annotations

import re
from typing import NamedTuple

# Reasons (stage-local; the runner prefixes the stage id).
NO_TEXT, TOO_LARGE, TIMEOUT, NOT_HTML, EXTRACT_ERROR = (
    "no_text", "too_large", "timeout", "not_html", "extract_error")
QUARANTINE_REASONS = (TOO_LARGE, TIMEOUT, NOT_HTML, EXTRACT_ERROR)

# When the head has no date: schema.org datePublished (JSON-LD or microdata) or <time datetime>
# in the body, found by a regex instead of parsing the whole page a second time.
BODY_DATE = re.compile(
    r"""(?:"datePublished"\s*:\s*"|itemprop=["']datePublished["'][^>]*?(?:content|datetime)=["']|"""
    r"""<time[^>]+datetime=["'])(\d{4}-\d{2}-\d{2})""", re.I)
# The same search, one branch at a time: each pattern here begins with a literal character ('"',
# "'", '<') that re skips to, where BODY_DATE's alternation (one branch begins with a letter, under
# IGNORECASE) tries a match at nearly every position of the page: ~6x faster on the gold pages.
_DATE = r"(\d{4}-\d{2}-\d{2})"
_BODY_DATE_BRANCHES = (  # (pattern, how many characters before its match BODY_DATE's match starts)
    (re.compile(r'"datePublished"\s*:\s*"' + _DATE, re.I), 0),
    (re.compile(r""""(?<=itemprop=")datePublished["'][^>]*?(?:content|datetime)=["']""" + _DATE, re.I), 9),
    (re.compile(r"""'(?<=itemprop=')datePublished["'][^>]*?(?:content|datetime)=["']""" + _DATE, re.I), 9),
    (re.compile(r"""<time[^>]+datetime=["']""" + _DATE, re.I), 0))


def body_date(html: str) -> str | None:
    """The date of `BODY_DATE.search(html)`: the leftmost match of any branch (no two branches can
    start at one position: their first characters differ)."""
    found = None
    for pattern, back in _BODY_DATE_BRANCHES:
        m = pattern.search(html)
        if m and (found is None or m.start() - back < found[0]):
            found = (m.start() - back, m.group(1))
    return found[1] if found else None


class Page(NamedTuple):
    """One page's outcome: a reason (None = extracted) and, when extracted, text and metadata."""
    reason: str | None
    text: str | None = None
    title: str | None = None
    date: str | None = None
    html_lang: str | None = None
    engine: str | None = None  # which engine produced `text`
    forum_recall: bool = False  # trafilatura ran in recall mode because the page is a forum
    fallback: str | None = None  # auto: the signal that sent the page to trafilatura
    depth_cut: bool = False  # the HTML parser stopped at its depth limit: the text may lack the rest


def clean_lang(lang: str | None) -> str | None:
    lang = (lang or "").strip().split(",")[0].strip().replace("_", "-")
    return lang[:35] or None


def clean_title(title: str | None) -> str | None:
    return " ".join((title or "").split()) or None
