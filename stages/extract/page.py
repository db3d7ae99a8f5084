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


def clean_lang(lang: str | None) -> str | None:
    lang = (lang or "").strip().split(",")[0].strip().replace("_", "-")
    return lang[:35] or None


def clean_title(title: str | None) -> str | None:
    return " ".join((title or "").split()) or None
