"""C4's heuristics (Raffel et al. 2020, sec. 2.2; tensorflow_datasets c4_utils for the details).

Line rules remove lines from the text: lines without terminal punctuation, with fewer than 3
words, with a word over 1,000 characters, mentioning "javascript", or with cookie/terms-of-use
boilerplate. Document rules remove the document: "lorem ipsum" or a curly bracket in a kept line,
fewer than 5 sentences left. Line removal is on by default as in C4 (`remove_lines: false` keeps
the text and only judges the document).

Multilingual: terminal punctuation includes the CJK full stops (。！？) and closing quotes after
them, a closing 」 or 』 on its own as C4's `"` (Japanese dialogue `「おはよう」` has no 。 before 」;
fineweb.py's line ends count them too), and other scripts' sentence-final marks (। ۔ ։ ။ ...;
Thai and Lao lines, which have none, are not dropped for it). Ellipses follow C4's own rule for "...", which it checks on purpose
(c4_utils and datatrove: `not line.endswith(END_MARKS) or line.endswith("...")`): a line that
trails off in an ellipsis is dropped, whether "...", "…", "……", "⋯⋯" or "。。。", and one whose
ellipsis is inside a closing quote is kept, as C4 keeps `"I don't know..."` (it ends in `"`): so
`“我也不知道……”` and `「再等等吧……」` are kept, `他沉默了很久……` is not. (FineWeb's line_punct_ratio
counts "…" as a line end: that rule asks whether a document is made of sentences, not which lines
to keep.) A colon is no terminal mark in C4 or datatrove, so `他点了点头，说：` is dropped as
`He nodded and said:` is; words per line come from the document's segmenter, so a Chinese line is judged by its jieba
words rather than by whitespace; sentences are counted by terminal punctuation marks (C4 used
NLTK's English sentence splitter, which does not split Chinese or Japanese).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, PrivateAttr

from pipeline.stage import Judgement
from stages import segmentation
from stages.profiles.filter import (BRACKETED_ELLIPSIS, NATIVE_SENTENCE_ENDS, NO_SENTENCE_MARK_SCRIPTS,
                                    ProfiledFilter, split_lines, to_bool)

# C4's policy boilerplate (c4_utils), plus our own Chinese and Japanese equivalents.
C4_POLICY_SUBSTRINGS = ["terms of use", "privacy policy", "cookie policy", "uses cookies",
                        "use of cookies", "use cookies"]
CJK_POLICY_SUBSTRINGS = ["隐私政策", "隱私政策", "使用条款", "使用條款", "服务条款", "服務條款",
                         "プライバシーポリシー", "利用規約", "クッキーを使用"]
# Ends in . ! ? " ' (C4) or a CJK corner bracket 」 』 (Japanese puts no 。 before a closing 」:
# 「おはよう」 is a finished sentence, and C4 keeps `"Good morning"` for its `"`; fineweb.py's line
# ends count them too. The curly ” ’ are left out: Chinese puts 。 inside “…。”, a bare ” ends menu
# items such as 专题：“一带一路”; counting ” and ’ kept 26 more lines of the zh-Hans page boilerplate
# of the calibration sets, one page fewer removed, and 20 more lines of the English), or a
# CJK/full-width full stop, optionally followed by
# closing quotes (German .“ and .«, French . » with its space or no-break space too) (also after an ellipsis: C4 keeps `wait..."`, so `等等……”` too); or a CJK full
# stop and a short note in brackets, the source credit Chinese news ends with ("。（记者 张三）",
# "。(毛毛)"), as fineweb.py's line ends allow.
# A table row's cell (`| 帖子内容。 |`, as trafilatura writes forum posts and table cells) ends
# where its text ends: the pipes after it are no part of the sentence, as fineweb.py's line ends read them.
_TERMINAL = (r"""([.!?"'」』。！？．｡""" + NATIVE_SENTENCE_ENDS + r"""]|[.!?。！？．｡…⋯""" + NATIVE_SENTENCE_ENDS
             + r"""](?:["'”’“‘«‹」』）)]|[ \x{00a0}\x{202f}]?[»›])+|[。！？．｡] ?[(（【][^()（）【】\n]{1,24}[)）】])(?:\s*\|)*$""")
# C4: a line ending in "..." is not a sentence; nor in its CJK and full-width forms (… …… ⋯ 。。。 ．．．).
_ELLIPSIS_END = rf"(?:\.\.\.|．．．|。。。|｡｡｡|…|⋯)$|{BRACKETED_ELLIPSIS}"
_CITATION = r"\[\d*\]|\[edit\]|\[citation needed\]"
# One sentence per run of terminal marks: CJK marks need no following space; Latin ones need a
# space or the line's end after them, or a Han or kana letter after them and no digit before:
# Chinese and Japanese typed with half-width `. ? !` (forums, `chinese_clean`'s `punctuation:
# halfwidth`) put no space between sentences (`今天天气很好.我们去公园.`), while `3.5`,
# `example.com` and a numbered item `1.浏览器` stay one sentence.
_SENTENCE_END = (r"""[。！？．｡]+|[.!?""" + NATIVE_SENTENCE_ENDS + r"""]+(?:["'”’“‘«‹)\]]|[\x{00a0}\x{202f}]?[»›])*(\s|$)"""
                 r"""|[^0-9０-９\s.!?][.!?]+["'”’)\]]*[\p{Han}\p{Hiragana}\p{Katakana}]""")
LINE_REASONS = ("too_long_word", "no_terminal_punct", "too_few_words", "javascript", "policy")


class C4Quality(ProfiledFilter):
    """C4's line filtering and document rules."""
    adds: ClassVar[frozenset[str]] = frozenset({"c4_*", "quality_profile", "segmentation"})
    # 2: CJK ellipses judged as C4 judges "..." (…” kept, a bare …… or 。。。 dropped);
    # 3: a line ending in 」 or 』 without a full stop before it (Japanese 「おはよう」) is terminal;
    # 4: a table cell's pipes after a terminal mark; `.!?` before a Han or kana letter ends a sentence
    # 5: German and French closing quotes after a terminal mark (.“ .« . »)
    version: ClassVar[str] = "5"
    signal_thresholds: ClassVar[dict] = {"c4_sentences": ("min_sentences", "min")}
    remove_lines: bool = Field(True, description="C4: drop failing lines from the text.")
    remove_citations: bool = Field(True, description="C4 code: strip [1], [edit], [citation needed].")
    filter_no_terminal_punct: bool = Field(True, description=(
        "C4: keep only lines ending in terminal punctuation."))
    min_words_per_line: int | None = Field(3, description="C4: keep only lines with at least 3 words.")
    max_word_length: int | None = Field(1000, description="C4 code: drop lines with a word over 1000 chars.")
    filter_javascript: bool = Field(True, description="C4: drop lines containing \"javascript\".")
    filter_policy: bool = Field(True, description="C4 code: drop cookie / terms-of-use lines.")
    policy_substrings: list[str] = Field(
        default_factory=lambda: C4_POLICY_SUBSTRINGS + CJK_POLICY_SUBSTRINGS,
        description="Policy phrases whose lines are dropped: C4's six plus Chinese/Japanese ones (ours).")
    filter_lorem_ipsum: bool = Field(True, description="C4: drop documents with \"lorem ipsum\".")
    filter_curly_bracket: bool = Field(True, description="C4: drop documents with a curly bracket.")
    min_sentences: int | None = Field(5, description="C4: drop documents with fewer than 5 sentences.")

    # Words come from whitespace for spaced scripts and from per-line segmentation otherwise.
    needs_words: ClassVar[bool] = False
    _counters: dict[str, int] = PrivateAttr(default_factory=dict)
    _new_text: pa.Array | None = PrivateAttr(default=None)

    def setup(self) -> None:
        super().setup()
        segmentation.check_segmenters()

    def _line_words(self, lines, docs) -> tuple[np.ndarray, np.ndarray]:
        """Words per line and the longest word per line, from each document's segmenter."""
        n_lines = len(lines.values)
        split = pc.utf8_split_whitespace(lines.values)
        counts = pc.list_value_length(split).to_numpy(zero_copy_only=False).astype(np.int64)
        longest = np.zeros(n_lines, dtype=np.int64)
        if n_lines and self.max_word_length is not None:
            lens = pc.utf8_length(pc.list_flatten(split)).to_numpy(zero_copy_only=False)
            parents = pc.list_parent_indices(split).to_numpy(zero_copy_only=False)
            np.maximum.at(longest, parents, lens)
        unspaced = np.array([not segmentation.is_spaced(m) for m in docs.modes], dtype=bool)
        idx = np.flatnonzero(unspaced[lines.doc]) if len(docs) else np.zeros(0, dtype=np.int64)
        if len(idx):
            texts = lines.values.take(pa.array(idx)).to_pylist()
            langs = [docs.languages[d] for d in lines.doc[idx]]
            scripts = [docs.scripts[d] for d in lines.doc[idx]]
            # Lines are not cached: they are short-lived and would push documents out.
            words, _ = segmentation.words_batch(texts, langs, scripts, errors="mark", use_cache=False)
            counts[idx] = [len(w) for w in words]
            longest[idx] = [max(map(len, w), default=0) for w in words]
        return counts, longest

    def judge(self, batch: pa.Table) -> Judgement:
        docs = self.documents(batch)
        n = len(docs)
        lines = split_lines(docs.text)
        values = pc.utf8_trim_whitespace(lines.values)
        if self.remove_citations:
            values = pc.replace_substring_regex(values, _CITATION, "")
        lines.values = values
        n_words, longest = self._line_words(lines, docs)
        t = lambda key: self.per_doc(docs.profiles, key)[lines.doc]  # noqa: E731
        lower = pc.utf8_lower(values)

        alive = np.ones(len(lines.doc), dtype=bool)
        removed_by: dict[str, int] = {}

        def drop(reason: str, mask: np.ndarray) -> None:
            nonlocal alive
            hit = alive & mask
            removed_by[reason] = int(hit.sum())
            alive = alive & ~hit

        with np.errstate(invalid="ignore"):
            drop("too_long_word", longest > t("max_word_length"))
            if self.filter_no_terminal_punct:
                ends = to_bool(pc.match_substring_regex(values, _TERMINAL))
                unmarked = np.isin(np.array(docs.scripts, dtype=object), NO_SENTENCE_MARK_SCRIPTS)[lines.doc]
                drop("no_terminal_punct", (~ends | to_bool(pc.match_substring_regex(values, _ELLIPSIS_END)))
                     & ~unmarked)
            drop("too_few_words", n_words < t("min_words_per_line"))
        lorem_docs = np.zeros(n, dtype=bool)
        if self.filter_lorem_ipsum:
            lorem_docs = lines.per_doc(alive & to_bool(pc.match_substring(lower, "lorem ipsum"))) > 0
        if self.filter_javascript:
            drop("javascript", to_bool(pc.match_substring(lower, "javascript")))
        curly_docs = np.zeros(n, dtype=bool)
        if self.filter_curly_bracket:
            curly_docs = lines.per_doc(alive & to_bool(pc.match_substring(values, "{"))) > 0
        if self.filter_policy and self.policy_substrings:
            policy = np.zeros(len(lines.doc), dtype=bool)
            for phrase in self.policy_substrings:
                policy |= to_bool(pc.match_substring(lower, phrase.lower()))
            drop("policy", policy)

        marks = pc.count_substring_regex(values, _SENTENCE_END).to_numpy(zero_copy_only=False)
        sentences = lines.sum_per_doc(np.maximum(marks, 1).astype(np.float64), alive).astype(np.int64)
        kept_lines = lines.per_doc(alive)
        with np.errstate(invalid="ignore"):
            rules = [
                ("lorem_ipsum", lorem_docs),
                ("curly_bracket", curly_docs),
                ("too_few_sentences", sentences < self.per_doc(docs.profiles, "min_sentences")),
            ]
        reasons = self.reasons_with_errors(docs, rules)
        self._counters = {f"lines_removed_{k}": v for k, v in removed_by.items()}
        self._counters["lines_total"] = int(len(lines.doc))

        signals = {
            **self.common_signals(docs),
            "c4_lines_removed": pa.array(lines.per_doc(np.ones(len(lines.doc), bool)) - kept_lines, pa.int64()),
            "c4_sentences": pa.array(sentences, pa.int64()),
        }
        if self.remove_lines and not self.annotate_only:
            offsets = np.concatenate(([0], np.cumsum(kept_lines))).astype(np.int32)
            kept = pa.ListArray.from_arrays(pa.array(offsets), values.filter(pa.array(alive)))
            new_text = pc.binary_join(kept, pa.scalar("\n", values.type))
            # Removed documents keep their original text, so they can be inspected as they were.
            keep_doc = pa.array([r is None for r in reasons], pa.bool_())
            signals["text"] = pc.if_else(keep_doc, new_text.cast(docs.text.type), docs.text).cast(
                batch.schema.field("text").type)
        return Judgement(reasons, signals)

    def extra_counters(self) -> dict[str, int]:
        return dict(self._counters)

