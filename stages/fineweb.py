"""FineWeb's own quality heuristics (Penedo et al. 2024; datatrove FineWebQualityFilter).

- line_punct_ratio: share of lines ending in terminal punctuation at most `line_punct_thr`, in
  documents of at least `line_punct_min_lines` lines (a one-line paragraph is not judged);
- short_line_ratio: share of lines of at most `short_line_length` characters at least
  `short_line_thr`;
- char_dup_ratio: characters in lines repeating an earlier line, over all non-newline
  characters, at least `char_dup_ratio`;
- list_ratio: line breaks per word above `new_line_ratio` (list-like documents).

Defaults are FineWeb's (English); FineWeb-2's per-language values are in stages/profiles. Blank
lines are not counted as lines, and line breaks are counted between non-blank lines, so a text
with blank lines between paragraphs is judged like the same text without them (datatrove counts
them, which halves the punctuated-line share of such texts). Terminal punctuation includes CJK
full stops and closing quotes, emoji and a wave dash after them (剛剛好！😊), and the sentence-final marks of other scripts (Hindi's ।, Urdu's ۔,
Armenian's ։, Burmese's ။: `NATIVE_SENTENCE_ENDS`); Thai and Lao text, which has none, is not
judged by line_punct_ratio. A table row as trafilatura 2 writes one ("| cell | cell |") ends
where its last cell's text ends: the separators after it are no part of the sentence, and a row of
empty cells is a blank line (on old table-layout pages, where all the text sits in cells, FineWeb's
rule read every line as unpunctuated and removed 22% of 2,627 held-out gold pages, most of them
such pages). Words per document come from the shared segmentation.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from pydantic import Field

from pipeline.stage import Judgement
from stages.profiles.filter import (BRACKETED_ELLIPSIS, NATIVE_SENTENCE_ENDS, NO_SENTENCE_MARK_SCRIPTS,
                                    ProfiledFilter, duplicate_mask, has_letter_or_digit, ratio, split_lines, to_bool)

def _extended_pictographic_re2() -> str:
    """An RE2 class body of Unicode's Extended_Pictographic characters (the emoji, and the symbols
    emoji may be made of), as the `regex` module knows the property: RE2 has no emoji properties.
    They all lie in U+00A9-U+3299 and U+1F000-U+1FFFD (emoji-data.txt); one findall, ~16 ms."""
    chars = "".join(map(chr, [*range(0xA9, 0x329A), *range(0x1F000, 0x1FFFE)]))
    ranges: list[list[int]] = []
    for c in map(ord, regex.findall(r"\p{Extended_Pictographic}", chars)):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" if a != b else f"\\x{{{a:x}}}" for a, b in ranges)


# After a sentence's end, social-media posts put emoji and a wave dash (剛剛好！😊, 嗎？🙏🙏, 不錯～👍):
# the line is still punctuated. An emoji here is an Extended_Pictographic character with what may
# follow or join it (variation selectors, zero-width joiner, skin tones, keycap, tag characters), or
# a flag's regional indicators. A line of emoji without a stop before them is not punctuated.
_EMOJI_TAIL = (r"(?:[ \x{00a0}\x{3000}]*[" + _extended_pictographic_re2()
               + r"\x{1F1E6}-\x{1F1FF}\x{1F3FB}-\x{1F3FF}\x{FE0E}\x{FE0F}\x{200D}\x{20E3}\x{E0020}-\x{E007F}〜～])*")
# FineWeb's stop characters . ' " ! ? plus CJK / full-width full stops, ellipses (… ……, ⋯) and the
# closing quotes and brackets that may follow a sentence's end (。」 ！） ?" .], German .“ and .«,
# French . » with its space or no-break space), and a trailing
# citation mark ([1], [注 2]) after them, as Wikipedia paragraphs end; a numbered one may follow a
# space, as Baidu Baike writes them ("。 [2]"); or a short note in brackets after the full stop,
# the source credit Chinese news puts there ("。（德清县发改局）", "。(记者 张三)", "。【新华社】").
_LINE_END = (r"""(?:[.'"!?。！？．｡”’」』…⋯""" + NATIVE_SENTENCE_ENDS + r"""]|[.!?。！？．｡…"""
             + NATIVE_SENTENCE_ENDS + r"""](?:[)\]）】」』"'”’“‘«‹]|[ \x{00a0}\x{202f}]?[»›])+)""" + _EMOJI_TAIL +
             r"""(?:\[[^\]]{1,8}\]| \[\d[\d,\-–]{0,6}\]| ?[(（【][^()（）【】\n]{1,24}[)）】])*(?:\s*\|)*\s*$""")


class FineWebQuality(ProfiledFilter):
    """FineWeb's line-punctuation, short-line, duplicated-line-chars and list-likeness rules."""
    adds: ClassVar[frozenset[str]] = frozenset({"fineweb_*", "quality_profile", "segmentation"})
    signal_thresholds: ClassVar[dict] = {
        "fineweb_line_punct_ratio": ("line_punct_thr", "min"), "fineweb_short_line_ratio": ("short_line_thr", "max"),
        "fineweb_char_dup_ratio": ("char_dup_ratio", "max"), "fineweb_newline_ratio": ("new_line_ratio", "max"),
    }
    line_punct_thr: float | None = Field(0.12, description=(
        "Remove if at most this share of lines ends in terminal punctuation (FineWeb: 0.12)."))
    line_punct_min_lines: int = Field(2, ge=1, description=(
        "Judge line_punct_ratio only in documents with at least this many non-blank lines: a one-line "
        "paragraph is a sentence, not a list of unpunctuated lines (FineWeb: 1, every document)."))
    short_line_thr: float | None = Field(0.67, description=(
        "Remove if at least this share of lines are short (FineWeb: 0.67; FineWeb-2: off)."))
    short_line_length: int = Field(30, description="A short line has at most this many characters (FineWeb: 30).")
    char_dup_ratio: float | None = Field(0.01, description=(
        "Remove if at least this share of characters is in lines repeating an earlier line (FineWeb: 0.01)."))
    new_line_ratio: float | None = Field(0.3, description=(
        "Remove if there are more than this many line breaks per word (FineWeb: 0.3)."))

    def judge(self, batch: pa.Table) -> Judgement:
        docs = self.documents(batch)
        n = len(docs)
        lines = split_lines(docs.text)
        trimmed = pc.utf8_rtrim_whitespace(lines.values)
        length = pc.utf8_length(trimmed).to_numpy(zero_copy_only=False).astype(np.int64)
        # A table row of empty cells ("|  |  |") is a blank line (see the module docstring).
        non_empty = pc.utf8_length(pc.utf8_trim_whitespace(pc.replace_substring(lines.values, "|", ""))).to_numpy(
            zero_copy_only=False) > 0
        n_lines = lines.per_doc(non_empty)

        punct = (to_bool(pc.match_substring_regex(trimmed, _LINE_END)) & non_empty
                 & ~to_bool(pc.match_substring_regex(trimmed, BRACKETED_ELLIPSIS)))
        punct_ratio = ratio(lines.per_doc(punct), n_lines)
        short_len = self.per_doc(docs.profiles, "short_line_length")[lines.doc]
        short_ratio = ratio(lines.per_doc(non_empty & (length <= short_len)), n_lines)

        dup = duplicate_mask(lines, non_empty & has_letter_or_digit(lines.values))
        raw_len = pc.utf8_length(lines.values).to_numpy(zero_copy_only=False).astype(np.float64)
        chars = pc.utf8_length(docs.text).to_numpy(zero_copy_only=False) - pc.count_substring(
            docs.text, "\n").to_numpy(zero_copy_only=False)
        dup_ratio = ratio(lines.sum_per_doc(raw_len, dup), chars)

        n_words = np.fromiter((len(w) for w in docs.words), dtype=np.int64, count=n)
        newline_ratio = ratio(np.maximum(n_lines - 1, 0), n_words)

        t = lambda key: self.per_doc(docs.profiles, key)  # noqa: E731
        with np.errstate(invalid="ignore"):
            rules = [
                ("line_punct_ratio",
                 (punct_ratio <= t("line_punct_thr")) & (n_lines >= self.line_punct_min_lines)
                 & ~np.isin(np.array(docs.scripts, dtype=object), NO_SENTENCE_MARK_SCRIPTS)),
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
            "fineweb_lines": pa.array(n_lines, pa.int64()),
        }
        return Judgement(self.reasons_with_errors(docs, rules), signals)

