"""The `auto` engine: resiliparse first, trafilatura only where the fast result looks wrong.

Before it is judged, the fast text loses its boilerplate lines (boilerplate.py): on the gold pages
resiliparse's loss to trafilatura is precision (link lists, labels, comment chrome kept beside the
article), which no page-level signal here could tell from a good page; the line pass wins most of
it back, and the fallback is left with the pages where the fast engine dropped the article.

"Looks wrong" is read off the (cleaned) fast result against the page it came from (Measures in
resiliparse_engine.py), never off the page's site or URL:
- too little text: fewer than `min_units` words (CJK: characters) — the main-content heuristic
  dropped the article (content in a hidden container, a JS-filled page), the page is a stub, or
  what it kept was all chrome;
- a small share of the page's visible text: the heuristic kept one block of many;
- mostly short lines: menus, link lists, captions kept instead of paragraphs;
- comment sections (boilerplate.COMMENT_SECTIONS: #comments, .comment-list, Disqus, ...) hold more
  than half of the fast text: whether comments belong to the text is a convention the gold sets
  disagree on (scrapinghub's article bodies leave them out, CleanEval's blog pages keep them), so
  such pages get trafilatura's answer (which keeps comments it finds, include_comments); pages with
  a few comments keep them on the fast path, as trafilatura would. Measured on the gold pages
  (auto's F1 minus trafilatura's, en dev / en held-out / zh dev / zh held-out): dropping comment
  sections in the fast path moved -0.019/+0.022/-0.001/+0.032 to -0.014/+0.012/-0.011/+0.034
  (CleanEval's blogs and a Chinese page lost their comments: rejected); this fallback to
  -0.007/+0.023/-0.001/+0.033, sending 3% of the pages back (thresholds 0.5-0.7 the same, 0.3
  costs zh dev 0.004). The share is read off the one extraction (boilerplate.comment_share: the
  fast text's lines found in the sections' DOM text); measuring it by a second extraction without
  the sections gave the same fallbacks and texts on every gold page and cost a tenth of the fast
  path (~0.5 ms a page, averaged over the English gold pages).
Link density is read per line by the boilerplate pass, off resiliparse's own minimal-HTML output
(reading every <a> through resiliparse's node objects costs more than the extraction). Date-stamp
lines (comment sections), the share of lines the boilerplate pass dropped and the share of lines
without punctuation were tried as further page signals on the cleaned text; none moved the dev
halves' F1 within a fallback budget that keeps 4x. The thresholds were chosen on the dev half of
the gold pages (pages split by site) and checked on the held-out half
(`python -m bench.bench_extract --signals` prints each signal's effect on both halves and the best
rules on dev for a given fallback share): "fewer than 50 units" does the work, "more than 90% short
lines" stays as a guard; a higher `fallback_min_units` buys little F1 for its speed (the bench's
trade-off rows). The visible-share signal is off by default (`fallback_min_visible_share: 0`): it
sends a third of the Chinese pages back.
"""
from __future__ import annotations

from typing import NamedTuple

from stages.extract.resiliparse_engine import Measures


class FallbackRule(NamedTuple):
    min_units: int
    min_visible_share: float
    max_short_lines: float
    max_comment_share: float = 1.0

    def why(self, m: Measures) -> str | None:
        """The first signal that fires (a counter name), or None to keep the fast result."""
        if m.units < self.min_units:
            return "little_text"
        if m.visible_share < self.min_visible_share:
            return "small_share"
        if m.short_lines > self.max_short_lines:
            return "short_lines"
        if m.comment_share > self.max_comment_share:
            return "comments"
        return None
