"""FineWeb's own quality heuristics (Penedo et al. 2024; datatrove FineWebQualityFilter).

- line_punct_ratio: share of lines ending in terminal punctuation at most `line_punct_thr`;
- short_line_ratio: share of lines of at most `short_line_length` characters at least
  `short_line_thr`;
- char_dup_ratio: characters in lines repeating an earlier line, over all non-newline
  characters, at least `char_dup_ratio`;
- list_ratio: line breaks per word above `new_line_ratio` (list-like documents).

Defaults are FineWeb's (English); FineWeb-2's per-language values are in stages/profiles. Blank
lines are not counted as lines, and line breaks are counted between non-blank lines, so a text
with blank lines between paragraphs is judged like the same text without them (datatrove counts
them, which halves the punctuated-line share of such texts). Terminal punctuation includes CJK
full stops and closing quotes. Words per document come from the shared segmentation.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.stage import Judgement
from stages.profiles.filter import to_bool, ProfiledFilter, duplicate_mask, ratio, split_lines

# FineWeb's stop characters . ' " ! ? plus CJK / full-width full stops and closing quotes.
_LINE_END = r"""[.'"!?。！？．｡”’」』]$"""


class FineWebQuality(ProfiledFilter):
    """FineWeb's line-punctuation, short-line, duplicated-line-chars and list-likeness rules."""
    line_punct_thr: float | None = 0.12     # FineWeb: remove if <= 12 % of lines end in punctuation
    short_line_thr: float | None = 0.67     # FineWeb: remove if >= 67 % of lines are short
    short_line_length: int = 30             # FineWeb: a short line has at most 30 characters
    char_dup_ratio: float | None = 0.01     # FineWeb: remove if >= 1 % of chars are in repeated lines
    new_line_ratio: float | None = 0.3      # FineWeb: remove if > 0.3 line breaks per word

    def judge(self, batch: pa.Table) -> Judgement:
        docs = self.documents(batch)
        n = len(docs)
        lines = split_lines(docs.text)
        trimmed = pc.utf8_rtrim_whitespace(lines.values)
        length = pc.utf8_length(trimmed).to_numpy(zero_copy_only=False).astype(np.int64)
        non_empty = pc.utf8_length(pc.utf8_trim_whitespace(lines.values)).to_numpy(
            zero_copy_only=False) > 0
        n_lines = lines.per_doc(non_empty)

        punct = to_bool(pc.match_substring_regex(trimmed, _LINE_END)) & non_empty
        punct_ratio = ratio(lines.per_doc(punct), n_lines)
        short_len = self.per_doc(docs.profiles, "short_line_length")[lines.doc]
        short_ratio = ratio(lines.per_doc(non_empty & (length <= short_len)), n_lines)

        dup = duplicate_mask(lines, non_empty)
        raw_len = pc.utf8_length(lines.values).to_numpy(zero_copy_only=False).astype(np.float64)
        chars = pc.utf8_length(docs.text).to_numpy(zero_copy_only=False) - pc.count_substring(
            docs.text, "\n").to_numpy(zero_copy_only=False)
        dup_ratio = ratio(lines.sum_per_doc(raw_len, dup), chars)

        n_words = np.fromiter((len(w) for w in docs.words), dtype=np.int64, count=n)
        newline_ratio = ratio(np.maximum(n_lines - 1, 0), n_words)

        t = lambda key: self.per_doc(docs.profiles, key)  # noqa: E731
        with np.errstate(invalid="ignore"):
            rules = [
                ("line_punct_ratio", punct_ratio <= t("line_punct_thr")),
                ("short_line_ratio", short_ratio >= t("short_line_thr")),
                ("char_dup_ratio", dup_ratio >= t("char_dup_ratio")),
                ("list_ratio", newline_ratio > t("new_line_ratio")),
            ]
        signals = {
            **self.common_signals(docs),
            "fineweb_line_punct_ratio": pa.array(punct_ratio.astype(np.float32)),
            "fineweb_short_line_ratio": pa.array(short_ratio.astype(np.float32)),
            "fineweb_char_dup_ratio": pa.array(dup_ratio.astype(np.float32)),
            "fineweb_newline_ratio": pa.array(newline_ratio.astype(np.float32)),
        }
        return Judgement(self.reasons_with_errors(docs, rules), signals)

