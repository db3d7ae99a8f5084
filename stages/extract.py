"""`extract`: HTML page -> main text with trafilatura, plus title, date and the page's language hint.

The text is exactly what `trafilatura.extract` returns for the same options (a test holds us to
that), except on pages made by forum software when `forum_recall` is on (see below). Title,
language hint and date come from parsing only the page's `<head>` (og:title/<title>, <html lang>,
date meta tags and JSON-LD via htmldate's quick mode, plus the URL): a few per cent of the
extraction's cost, where trafilatura's own `with_metadata` costs ~1.5x. (Parsing the page once
and handing trafilatura the tree does not help: it copies the tree, which costs as much.)

Bad input never stops the run: pages over `max_html_bytes` are quarantined as `too_large`, pages
that take longer than `timeout_seconds` as `timeout`, input lxml cannot read as HTML as
`not_html`, and an unexpected exception inside trafilatura as `extract_error`. Pages trafilatura
finds no main text in are removed as `no_text`.

Timeouts use SIGALRM (`signal.setitimer`) when running on the main thread, which is where Ray runs
task code (checked: Ray tasks execute on the worker's MainThread). Elsewhere a watchdog thread
injects the exception into the extracting thread instead. Either way the exception is raised
between Python bytecodes, so a single long C call (one huge lxml parse) finishes first: that is
what `max_html_bytes` bounds.
"""
from __future__ import annotations

import ctypes
import logging
import re
import signal
import threading
from contextlib import contextmanager
from typing import Any, ClassVar, Iterator

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, PrivateAttr

from pipeline.stage import Result, Stage

log = logging.getLogger("pipeline.extract")

# Reasons (stage-local; the runner prefixes the stage id).
NO_TEXT, TOO_LARGE, TIMEOUT, NOT_HTML, EXTRACT_ERROR = (
    "no_text", "too_large", "timeout", "not_html", "extract_error")
QUARANTINE_REASONS = (TOO_LARGE, TIMEOUT, NOT_HTML, EXTRACT_ERROR)

# Forum software announces itself in <meta name="generator">; thread URLs have tell-tale paths.
# On such pages the posts are the content, and trafilatura's recall mode keeps them (Discuz
# boards go from F1 0.05-0.33 to 0.65-0.78 on the magic-html benchmark).
_FORUM_GENERATOR = re.compile(
    r'<meta[^>]+name=["\']?generator["\']?[^>]+content=["\']?\s*(?:discuz|phpbb|vbulletin|xenforo|'
    r'discourse|mybb|invision|ip\.board|smf|simple machines|nodebb|flarum|phpwind|homeland|vanilla)',
    re.I)
_FORUM_URL = re.compile(r"(?:viewthread|showthread|viewtopic|showtopic|/forum\.php|/thread-\d+)", re.I)
_HEAD_CHARS = 65536  # the generator tag lives in <head>; do not scan whole pages
_HEAD_END = re.compile(r"</head\s*>", re.I)
_HEAD_MAX_CHARS = 512 * 1024
# When the head has no date: schema.org datePublished (JSON-LD or microdata) or <time datetime>
# in the body, found by a regex instead of parsing the whole page a second time.
_BODY_DATE = re.compile(
    r"""(?:"datePublished"\s*:\s*"|itemprop=["']datePublished["'][^>]*?(?:content|datetime)=["']|"""
    r"""<time[^>]+datetime=["'])(\d{4}-\d{2}-\d{2})""", re.I)


class ExtractionTimeout(BaseException):
    """Raised inside the extraction of one page when its time is up.

    A BaseException so that trafilatura's own `except Exception` fallbacks cannot swallow it."""


def looks_like_forum(html: str, url: str | None) -> bool:
    return bool((url and _FORUM_URL.search(url)) or _FORUM_GENERATOR.search(html, 0, _HEAD_CHARS))


@contextmanager
def _alarm_deadline(seconds: float) -> Iterator[None]:
    def on_alarm(signum, frame):
        raise ExtractionTimeout()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _watchdog_deadline(seconds: float) -> Iterator[None]:
    # Off the main thread signals cannot be used: a timer thread raises asynchronously in ours.
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    finished = False

    def fire() -> None:
        with lock:
            if not finished:  # never inject once the block is left
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(ExtractionTimeout))
    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            finished = True
            # fired but not delivered yet: the work is done anyway, drop the pending exception
            ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)


def deadline(seconds: float):
    """Context manager raising ExtractionTimeout in this thread after `seconds` (<= 0: none)."""
    if seconds <= 0:
        return _no_deadline()
    if threading.current_thread() is threading.main_thread():
        return _alarm_deadline(seconds)
    return _watchdog_deadline(seconds)


@contextmanager
def _no_deadline() -> Iterator[None]:
    yield


class Extract(Stage):
    """Main text of HTML pages with trafilatura; adds `title`, `date`, `html_lang` columns."""
    name: ClassVar[str] = "extract"
    version: ClassVar[str] = "1"

    # -- trafilatura's own options (same names and defaults as trafilatura.extract) ------------
    favor_precision: bool = False  # less text, fewer boilerplate lines
    favor_recall: bool = False  # more text when unsure
    include_tables: bool = True  # keep text inside <table>
    include_comments: bool = True  # keep the page's comment section (trafilatura's default)
    include_links: bool = False  # keep links as markdown [text](target)
    include_formatting: bool = False  # keep bold/italic/headings as markdown
    deduplicate: bool = False  # drop repeated segments; the cache is per batch, so output is deterministic
    target_language: str | None = None  # ISO 639-1: trafilatura drops pages whose html lang differs
    fast: bool = False  # skip the readability/justext fallback comparison (about 2x faster)
    # -- ours ---------------------------------------------------------------------------------
    forum_recall: bool = True  # pages made by forum software are extracted with favor_recall
    extract_date: bool = True  # publication date via htmldate (quick mode, ~7% of the stage's time)
    keep_html: bool = False  # keep the `html` column after extraction
    max_html_bytes: int = Field(5_000_000, gt=0)  # larger pages are quarantined as too_large
    timeout_seconds: float = Field(10.0, ge=0)  # per page; slower pages are quarantined (0 = no limit)

    _trafilatura: Any = PrivateAttr(default=None)

    def setup(self) -> None:
        # Fail loudly: a stage that cannot import its extractor must not emit empty documents.
        try:
            import trafilatura
            from trafilatura.metadata import extract_opengraph, extract_title
            from trafilatura.utils import load_html
            import lxml.html
            from htmldate import find_date
        except Exception as e:  # ImportError, or a broken native dependency (lxml)
            raise RuntimeError(f"extract: cannot import trafilatura ({e!r}); install trafilatura") from e
        self._trafilatura = (trafilatura.extract, load_html, extract_opengraph, extract_title, find_date)
        self._parse_html = lxml.html.document_fromstring
        # htmldate and trafilatura log a line per odd page at WARNING/ERROR: too chatty for a crawl.
        for noisy in ("trafilatura", "htmldate"):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)

    def _extract_kwargs(self, dedup_cache: Any) -> dict[str, Any]:
        return dict(
            favor_precision=self.favor_precision, favor_recall=self.favor_recall,
            include_tables=self.include_tables, include_comments=self.include_comments,
            include_links=self.include_links, include_formatting=self.include_formatting,
            deduplicate=dedup_cache if self.deduplicate else False,
            target_language=self.target_language, fast=self.fast)

    def process(self, table: pa.Table) -> Result:
        n = table.num_rows
        if "html" not in table.column_names:
            raise ValueError("extract needs an `html` column (run it right after a reader of HTML)")
        html_col = table.column("html")
        # Size cap vectorised: binary_length counts UTF-8 bytes of the str column.
        too_large = pc.fill_null(pc.greater(pc.binary_length(html_col), self.max_html_bytes), False)
        too_large = too_large.to_pylist()
        htmls = html_col.to_pylist()
        urls = table.column("url").to_pylist() if "url" in table.column_names else [None] * n
        old_text = table.column("text").to_pylist() if "text" in table.column_names else [None] * n

        from trafilatura.deduplication import LRUCache
        kwargs = self._extract_kwargs(LRUCache(maxsize=4096))
        recall_kwargs = {**kwargs, "favor_recall": True}
        use_forum = self.forum_recall and not (self.favor_precision or self.favor_recall)

        texts: list[str | None] = [None] * n
        titles: list[str | None] = [None] * n
        dates: list[str | None] = [None] * n
        langs: list[str | None] = [None] * n
        reasons: list[str | None] = [None] * n
        counters = {"forum_recall": 0}
        for i in range(n):
            html = htmls[i]
            if html is None:
                # Documents that arrive as text (a JSONL source mixed into an HTML recipe) pass through.
                texts[i] = old_text[i]
                reasons[i] = None if old_text[i] else NO_TEXT
                continue
            if too_large[i]:
                reasons[i] = TOO_LARGE
                continue
            forum = use_forum and looks_like_forum(html, urls[i])
            counters["forum_recall"] += forum
            try:
                with deadline(self.timeout_seconds):
                    reasons[i] = self._one(i, html, urls[i], recall_kwargs if forum else kwargs,
                                           texts, titles, dates, langs)
            except ExtractionTimeout:
                reasons[i] = TIMEOUT
            except Exception as e:  # a trafilatura/lxml bug on one page must not stop the run
                log.warning("extract failed on %s: %r", urls[i], e)
                reasons[i] = EXTRACT_ERROR
            if reasons[i] is not None:
                texts[i] = titles[i] = dates[i] = langs[i] = None

        out = table
        for col, values in (("text", texts), ("title", titles), ("date", dates), ("html_lang", langs)):
            arr = pa.array(values, pa.string())
            if col in out.column_names:
                out = out.set_column(out.column_names.index(col), col, arr)
            else:
                out = out.append_column(col, arr)
        result = Result.split(out, reasons, quarantine=QUARANTINE_REASONS,
                              counters={k: v for k, v in counters.items() if v})
        if not self.keep_html:
            # Quarantined and removed rows keep their html: that is what a person needs to look at.
            result.kept = result.kept.drop_columns(["html"])
        return result

    def _one(self, i: int, html: str, url: str | None, kwargs: dict[str, Any],
             texts: list, titles: list, dates: list, langs: list) -> str | None:
        extract, load_html, extract_opengraph, extract_title, find_date = self._trafilatura
        text = extract(html, url=url, **kwargs)
        if not text:
            return NOT_HTML if load_html(html) is None else NO_TEXT  # reparse only on failure
        texts[i] = text
        head = self._head_tree(html)
        if head is not None:
            titles[i] = _title(head, extract_opengraph, extract_title)
            langs[i] = _html_lang(head)
        if self.extract_date:
            if head is not None:
                dates[i] = find_date(head, url=url, extensive_search=False, original_date=True)
            if dates[i] is None and (m := _BODY_DATE.search(html)):
                dates[i] = m.group(1)
        return None

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


def _title(tree, extract_opengraph, extract_title) -> str | None:
    title = extract_opengraph(tree).get("title") or extract_title(tree) or ""
    return " ".join(title.split()) or None


def _html_lang(tree) -> str | None:
    """The page's own language claim: <html lang>, else Content-Language, else og:locale."""
    lang = tree.get("lang") or tree.get("xml:lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for meta in tree.iterfind(".//head/meta[@content]"):
            key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
            if key in ("content-language", "og:locale", "language", "dc.language"):
                lang = meta.get("content")
                break
    lang = (lang or "").strip().split(",")[0].strip().replace("_", "-")
    return lang[:35] or None
