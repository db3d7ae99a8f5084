"""The `auto` engine: resiliparse first, trafilatura only where the fast result looks wrong.

"Looks wrong" is read off the fast result against the page it came from (Measures in
resiliparse_engine.py), never off the page's site or URL:
- too little text: fewer than `min_units` words (CJK: characters) — the main-content heuristic
  dropped the article (content in a hidden container, a JS-filled page) or the page is a stub;
- a small share of the page's visible text: the heuristic kept one block of many;
- mostly short lines: menus, link lists, captions kept instead of paragraphs.
Link density was tried too and dropped for its price: reading the text of every <a> through
resiliparse's node objects costs far more than the extraction itself, and a regex over the page
as much as the parse, which would eat the speed the fast path is for.
The thresholds were chosen on the dev half of the gold pages (pages split by site) and checked on
the held-out half: `python -m bench.bench_extract --signals` prints each signal's effect on both
halves and the best rules on dev for a given fallback share. With at most ~20% of pages sent to
trafilatura (what keeps `auto` near 4x trafilatura's speed), the best rule on dev is "fewer than 50
units or more than 90% short lines"; the visible-share signal helps Chinese pages but only by
sending a third of them back, so it is off by default (`fallback_min_visible_share: 0`).
"""
from __future__ import annotations

from typing import NamedTuple

from stages.extract.resiliparse_engine import Measures


class FallbackRule(NamedTuple):
    min_units: int
    min_visible_share: float
    max_short_lines: float

    def why(self, m: Measures) -> str | None:
        """The first signal that fires (a counter name), or None to keep the fast result."""
        if m.units < self.min_units:
            return "little_text"
        if m.visible_share < self.min_visible_share:
            return "small_share"
        if m.short_lines > self.max_short_lines:
            return "short_lines"
        return None
