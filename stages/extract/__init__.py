"""`extract`: HTML page -> main text, plus title, date and the page's language hint.

Engines (`engine` option):
- `trafilatura` (default): exactly what `trafilatura.extract` returns for the same options (a
  test holds us to that), except on pages made by forum software when `forum_recall` is on;
  metadata from a parse of the page head (trafilatura_engine.py).
- `resiliparse`: resiliparse's main-content extraction, ~10x faster, a few points of F1 lower;
  metadata from the same parse (resiliparse_engine.py).
- `auto`: resiliparse with its boilerplate lines dropped (link lists, labels, repeated short
  lines, thumbnail teasers, the comment form: boilerplate.py), and trafilatura only on pages where
  the fast result looks wrong or is mostly comment section (hybrid.py); metadata from resiliparse's
  parse either way.
Each kept document says which engine produced its text (`extract_engine` column), and the
stage counts both (`engine_trafilatura`, `engine_resiliparse`) and each fallback signal.

Bad input never stops the run: pages over `max_html_bytes` are quarantined as `too_large`, pages
whose extraction uses more than `timeout_seconds` of CPU time as `timeout`, input that is not
HTML as `not_html`, and an unexpected exception (or a crash) inside an engine as
`extract_error`. Pages with no main text are removed as `no_text`.

The time limit holds for every engine: with `isolation: process` (default) pages are extracted in
a forked child that is killed when a page overruns, which also stops a page stuck inside C code
(sandbox.py); `isolation: signal` uses a timer signal (or a watchdog thread off the main thread)
in the worker itself, which is cheaper but fires only between Python bytecodes (deadline.py).
The limit counts CPU time (`timeout_clock: cpu`), so the same recipe keeps the same pages on a
quiet or a loaded machine; a wall-clock backstop (`timeout_wall_factor` times the limit) still
ends a page that is blocked. `timeout_clock: wall` restores a limit on elapsed time.
"""
from __future__ import annotations

import logging
import re
from typing import Any, ClassVar, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, PrivateAttr, field_validator, model_validator

from pipeline.stage import Result, Stage, StageError
from stages.extract.boilerplate import CHROME_BLOCKS, COMMENT_SELECTOR, SKIPPED, clean, comment_share
from stages.extract.deadline import ExtractionTimeout, deadline
from stages.extract.hybrid import FallbackRule
from stages.extract.page import (EXTRACT_ERROR, NO_TEXT, NOT_HTML, QUARANTINE_REASONS, TIMEOUT,
                                 TOO_LARGE, Page)
from stages.extract.resiliparse_engine import ResiliparseEngine
from stages.extract.sandbox import CRASHED, TIMED_OUT, Sandbox
from stages.extract.trafilatura_engine import TrafilaturaEngine, looks_like_forum, unclosed_containers

__all__ = ["Extract", "ExtractionTimeout", "deadline", "looks_like_forum", "NO_TEXT", "TOO_LARGE",
           "TIMEOUT", "NOT_HTML", "EXTRACT_ERROR", "QUARANTINE_REASONS"]

log = logging.getLogger("pipeline.extract")


# The options each engine reads (auto reads trafilatura's for its fallback, resiliparse's for its
# fast pass, and its own).
_ENGINE_OPTIONS = {
    "trafilatura": ("favor_precision", "favor_recall", "include_tables", "include_comments", "include_links",
                    "include_formatting", "deduplicate", "target_language", "fast", "forum_recall"),
    "resiliparse": ("resiliparse_alt_texts", "resiliparse_comments", "resiliparse_list_bullets"),
    "auto": ("auto_drop_boilerplate", "auto_drop_post_meta", "fallback_min_units", "fallback_min_visible_share",
             "fallback_max_short_lines", "fallback_max_comment_share"),
}


# Tags of an HTML page that feeds, JSON and plain text do not have (auto's not-HTML test).
_PAGE_TAGS = ("<body", "<BODY", "<div", "<DIV", "<p>", "<p ", "<P>", "<P ")


class Extract(Stage):
    """Main text of HTML pages (trafilatura, resiliparse or both); adds `title`, `date`,
    `html_lang` and `extract_engine` columns."""
    name: ClassVar[str] = "extract"
    adds: ClassVar[frozenset[str]] = frozenset({"text", "title", "date", "html_lang", "extract_engine"})
    # Not in `reads`: a source of text passes through untouched. Consumed all the same, so a second
    # extract on any source is refused at load.
    drops: ClassVar[frozenset[str]] = frozenset({"html"})
    version: ClassVar[str] = "2"

    engine: Literal["trafilatura", "resiliparse", "auto"] = Field(
        "trafilatura", description="trafilatura (best F1, slowest), resiliparse (~10x faster, a few "
        "points of F1 lower), or auto (resiliparse, trafilatura where the fast result looks wrong)")
    # -- trafilatura's own options (same names and defaults as trafilatura.extract) ------------
    favor_precision: bool = Field(False, description="trafilatura: less text, fewer boilerplate lines")
    favor_recall: bool = Field(False, description="trafilatura: more text when unsure")
    include_tables: bool = Field(True, description="trafilatura: keep text inside <table>")
    include_comments: bool = Field(True, description="trafilatura: keep the page's comment section "
                                   "(trafilatura's default)")
    include_links: bool = Field(False, description="trafilatura: keep links as markdown [text](target)")
    include_formatting: bool = Field(False, description="trafilatura: keep bold/italic/headings as markdown")
    deduplicate: bool = Field(False, description="trafilatura: drop repeated segments; the cache is per "
                              "batch, so output is deterministic")
    target_language: str | None = Field(None, description="trafilatura: ISO 639-1; pages whose html "
                                        "lang differs are dropped")
    fast: bool = Field(False, description="trafilatura: skip the readability/justext fallback "
                       "comparison (about 2x faster)")
    forum_recall: bool = Field(True, description="trafilatura: pages made by forum software are "
                               "extracted with favor_recall")
    # -- resiliparse's options (extract_plain_text) ----------------------------------------------
    resiliparse_alt_texts: bool = Field(False, description="resiliparse: keep image alt texts "
                                        "(off: captions the gold text leaves out)")
    resiliparse_comments: bool = Field(True, description="resiliparse: keep comment sections")
    resiliparse_list_bullets: bool = Field(True, description="resiliparse: bullets before list items")
    auto_drop_boilerplate: bool = Field(
        True, description="auto: drop boilerplate lines from the fast text (link-dominated lines, short "
        "lines without punctuation, repeated short lines; boilerplate.py)")
    auto_drop_post_meta: bool = Field(
        True, description="auto: extract without resiliparse's post meta (bylines, 'Posted by X on "
        "date'; the gold text leaves them out); a page where that leaves fewer than fallback_min_units "
        "is extracted again with it (resiliparse's rule goes by class names, and can take a whole post)")
    # -- auto: when the fast result looks wrong (hybrid.py; chosen on dev gold pages) --------------
    fallback_min_units: int = Field(
        50, ge=0, description="auto: fall back when the fast text has fewer words (CJK: characters)")
    fallback_min_visible_share: float = Field(
        0.0, ge=0, le=1, description="auto: fall back when the fast text is a smaller share of the "
        "page's visible text (0 = off: on the gold pages it sends many pages back for little F1; "
        "on, it costs a second pass over the page)")
    fallback_max_short_lines: float = Field(
        0.9, ge=0, le=1.01, description="auto: fall back when a larger share of the fast text's lines "
        "are short (< 8 words/CJK characters; 1.01 = off)")
    fallback_max_comment_share: float = Field(
        0.5, ge=0, le=1, description="auto: fall back when comment sections (#comments, .comment-list, "
        "Disqus, ...) hold a larger share of the fast text (1 = off)")
    # -- ours ---------------------------------------------------------------------------------
    extract_date: bool = Field(True, description="fill `date` (trafilatura: htmldate quick mode on the "
                               "head, ~7% of the stage's time; resiliparse: date meta tags)")
    keep_html: bool = Field(False, description="keep the `html` column after extraction")
    max_html_bytes: int = Field(5_000_000, gt=0, description="larger pages are quarantined as too_large")
    timeout_seconds: float = Field(10.0, ge=0, description="per page; slower pages are quarantined as "
                                   "timeout (0 = no limit); seconds of CPU or of wall time, see timeout_clock")
    timeout_clock: Literal["cpu", "wall"] = Field(
        "cpu", description="what timeout_seconds counts: cpu = the CPU time the page's extraction uses, "
        "so the output does not depend on the machine's load; wall = elapsed time (a loaded machine "
        "quarantines pages a quiet one keeps)")
    timeout_wall_factor: float = Field(
        30.0, ge=1, description="timeout_clock cpu: a page is also stopped after timeout_seconds x this "
        "much wall time, which ends a page blocked without using CPU (deadlock, stopped process); "
        "pages that only run slowly reach it when the machine is loaded more than this many times over")
    isolation: Literal["process", "signal"] = Field(
        "process", description="how the time limit is enforced: process = extract in a forked child "
        "killed on timeout (also stops C code); signal = a timer signal (SIGPROF/SIGALRM) in the worker "
        "(cheaper, Python only)")

    _trafilatura: Any = PrivateAttr(default=None)
    _resiliparse: Any = PrivateAttr(default=None)
    _rule: Any = PrivateAttr(default=None)
    _sandbox: Any = PrivateAttr(default=None)

    @field_validator("target_language")
    @classmethod
    def _iso_639_1(cls, v: str | None) -> str | None:
        # trafilatura compares it with the two-letter runs of the page's language meta tags
        # (utils.check_html_lang): anything else (`chinese`, `zh-CN`, `ZH`) matches no page, and
        # every page that declares its language is dropped as no_text.
        if v is not None and not re.fullmatch(r"[a-z]{2}", v):
            raise ValueError("expected an ISO 639-1 code, two lower-case letters such as zh, en, de")
        return v

    @model_validator(mode="after")
    def _options_of_engines_not_run(self) -> "Extract":
        # An option of an engine this stage does not run did nothing, silently (target_language
        # with engine resiliparse kept every language).
        for engine, runs_it in (("trafilatura", self.engine != "resiliparse"),
                                ("resiliparse", self.engine != "trafilatura"), ("auto", self.engine == "auto")):
            if runs_it:
                continue
            changed = [k for k in _ENGINE_OPTIONS[engine] if getattr(self, k) != type(self).model_fields[k].default]
            if changed:
                raise ValueError(f"{changed[0]}: an option of engine {engine}, which engine: {self.engine} does not "
                                 f"use; remove it, or set the engine")
        return self

    def setup(self) -> None:
        if self.engine in ("trafilatura", "auto"):
            self._trafilatura = TrafilaturaEngine(dict(
                favor_precision=self.favor_precision, favor_recall=self.favor_recall,
                include_tables=self.include_tables, include_comments=self.include_comments,
                include_links=self.include_links, include_formatting=self.include_formatting,
                deduplicate=self.deduplicate, target_language=self.target_language, fast=self.fast),
                forum_recall=self.forum_recall, extract_date=self.extract_date)
        if self.engine in ("resiliparse", "auto"):
            self._resiliparse = ResiliparseEngine(dict(
                alt_texts=self.resiliparse_alt_texts, comments=self.resiliparse_comments,
                list_bullets=self.resiliparse_list_bullets), extract_date=self.extract_date)
        self._rule = FallbackRule(self.fallback_min_units, self.fallback_min_visible_share,
                                  self.fallback_max_short_lines, self.fallback_max_comment_share)
        if self.isolation == "process" and self.timeout_seconds > 0:
            self._sandbox = Sandbox(self._page_or_error, self.timeout_seconds, reset=self._new_batch,
                                    clock=self.timeout_clock, wall_factor=self.timeout_wall_factor)

    def __getstate__(self) -> dict:
        # Engines and the child process belong to one process: a copy sets up its own.
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.update(_trafilatura=None, _resiliparse=None, _rule=None, _sandbox=None, _ready=False)
        return {**state, "__pydantic_private__": private}

    # -- one page (runs in the sandbox child or in the worker) --------------------------------
    def _new_batch(self) -> None:
        if self._trafilatura is not None:
            self._trafilatura.new_batch()

    def _page(self, html: str, url: str | None) -> Page:
        if self.engine == "trafilatura":
            return self._trafilatura(html, url)
        if self.engine == "resiliparse":
            return self._resiliparse(html, url)
        return self._auto(html, url)

    def _fast_text(self, tree) -> tuple[str, list[int] | None, float]:
        """The text `auto` takes from resiliparse's parse (before any fallback), the units of its
        lines when the boilerplate pass counted them, and the share of its units that comment
        sections hold (0 when the page has none)."""
        fast = self._resiliparse
        if not self.auto_drop_boilerplate:
            return fast.text(tree), None, 0.0
        text, units = clean(fast.markup(tree, list(SKIPPED), post_meta=not self.auto_drop_post_meta))
        if self.auto_drop_post_meta and sum(units) < self.fallback_min_units:
            with_meta = clean(fast.markup(tree, list(SKIPPED)))
            if sum(with_meta[1]) >= self.fallback_min_units:
                text, units = with_meta
        share = comment_share(tree.body, text, units) if self.fallback_max_comment_share < 1 else 0.0
        if share is None:  # a large comment section beside a long text: extracting again costs less
            without = clean(fast.markup(tree, [COMMENT_SELECTOR, *CHROME_BLOCKS],
                                         post_meta=not self.auto_drop_post_meta))[1]
            share = max(0.0, 1 - sum(without) / sum(units))
        return text, units, share

    def _auto(self, html: str, url: str | None) -> Page:
        fast = self._resiliparse
        if "html" not in html[:50].lower() and not any(t in html for t in _PAGE_TAGS) \
                and self._trafilatura.failure(html) == NOT_HTML:
            # An RSS feed, JSON or plain text served as a page: lexbor makes a body of anything,
            # and its text (a feed's items run together, raw JSON) would be kept. The default
            # engine's verdict, trafilatura's own test, costs a parse: asked only of a page that
            # neither starts as HTML nor holds a body, div or paragraph tag.
            return Page(NOT_HTML)
        if unclosed_containers(html):
            # Thousands of unclosed containers: resiliparse's main-content pass grows with the square
            # of the nesting (6,000 unclosed rows: 19 s, past the page's time limit; trafilatura 0.1 s)
            page = self._trafilatura(html, url)
            return page._replace(fallback="deep_nesting") if page.reason is None else page
        tree = fast.parse(html)
        if tree is None:
            return self._trafilatura(html, url)
        text, line_units, comment_share = self._fast_text(tree)
        why = (self._rule.why(fast.measure(tree, text, self.fallback_min_visible_share > 0, line_units,
                                           comment_share)) if text else NO_TEXT)
        if why is None:
            return fast.page(tree, html, text)
        slow_text, forum = self._trafilatura.text(html, url)
        if not slow_text:  # trafilatura finds nothing either: the fast text beats none
            return fast.page(tree, html, text)._replace(fallback=why) if text else Page(NO_TEXT, fallback=why)
        return fast.page(tree, html, slow_text, engine="trafilatura")._replace(
            forum_recall=forum, fallback=why, depth_cut=self._trafilatura._depth_cut(html))

    def _page_or_error(self, job: tuple[str, str | None]) -> Page:
        try:
            return self._page(*job)
        except Exception as e:  # an engine bug on one page must not stop the run
            log.warning("extract failed on %s: %r", job[1], e)
            return Page(EXTRACT_ERROR)

    def _run_in_worker(self, jobs: list[tuple[str, str | None]]) -> list[Page]:
        self._new_batch()
        pages = []
        for job in jobs:
            try:
                # appended after the block: leaving it may still raise (over its CPU limit)
                with deadline(self.timeout_seconds, self.timeout_clock, self.timeout_wall_factor):
                    page = self._page_or_error(job)
                pages.append(page)
            except ExtractionTimeout:
                pages.append(Page(TIMEOUT))
            except BaseException as e:
                # The alarm can fire inside resiliparse's Rust code, which turns the exception
                # into a pyo3 PanicException (a BaseException): still this page's timeout.
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                pages.append(Page(TIMEOUT if "ExtractionTimeout" in repr(e) else EXTRACT_ERROR))
        return pages

    # -- a batch ------------------------------------------------------------------------------
    def process(self, table: pa.Table) -> Result:
        n = table.num_rows
        if "html" not in table.column_names:
            # A second `extract`, or one on a source of text, is a mistake in the recipe: one line,
            # not a task's traceback.
            raise StageError(f"{self.context.stage_id or self.name}: its input has no column 'html' (it has: "
                             f"{', '.join(table.column_names)}): extract already ran on these documents, or "
                             f"their source has no HTML; give the stage `apply_to` the sources of web pages")
        html_col = table.column("html")
        # Size cap vectorised: binary_length counts UTF-8 bytes of the str column.
        too_large = pc.fill_null(pc.greater(pc.binary_length(html_col), self.max_html_bytes), False)
        too_large = too_large.to_pylist()
        htmls = html_col.to_pylist()
        urls = table.column("url").to_pylist() if "url" in table.column_names else [None] * n
        old_text = table.column("text").to_pylist() if "text" in table.column_names else [None] * n

        pages: list[Page | None] = [None] * n
        todo = []
        for i in range(n):
            if htmls[i] is None:
                # Documents that arrive as text (a JSONL source mixed into an HTML recipe) pass through.
                pages[i] = Page(None, old_text[i]) if old_text[i] else Page(NO_TEXT)
            elif too_large[i]:
                pages[i] = Page(TOO_LARGE)
            else:
                todo.append(i)
        jobs = [(htmls[i], urls[i]) for i in todo]
        if self._sandbox is not None:
            done = [Page(TIMEOUT) if r == TIMED_OUT else Page(EXTRACT_ERROR) if r == CRASHED else r
                    for r in self._sandbox.map(jobs)]
        else:
            done = self._run_in_worker(jobs)
        for i, page in zip(todo, done):
            pages[i] = page

        counters: dict[str, int] = {}
        for page in pages:
            if page.reason is None and page.engine:
                counters[f"engine_{page.engine}"] = counters.get(f"engine_{page.engine}", 0) + 1
            if page.fallback:
                counters[f"fallback_{page.fallback}"] = counters.get(f"fallback_{page.fallback}", 0) + 1
            counters["forum_recall"] = counters.get("forum_recall", 0) + page.forum_recall
            if page.depth_cut:           # kept with what lies above the limit, or removed no_text
                key = "html_depth_limit" if page.reason is None else "no_text_html_depth_limit"
                counters[key] = counters.get(key, 0) + 1
        reasons = [p.reason for p in pages]
        out = table
        for col, values in (("text", [p.text for p in pages]), ("title", [p.title for p in pages]),
                            ("date", [p.date for p in pages]), ("html_lang", [p.html_lang for p in pages]),
                            ("extract_engine", [p.engine for p in pages])):
            values = [None if r is not None else v for r, v in zip(reasons, values)]
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
