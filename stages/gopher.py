r"""Gopher's quality and repetition heuristics (Rae et al. 2021, appendix A.1.1 and Table A1).

Defaults are the paper's numbers (for English); other languages get theirs from
stages/profiles/*.yaml. Words come from `stages.segmentation` (jieba for Chinese, Sudachi for
Japanese, ...), once per document for both stages. Line and paragraph statistics are computed
for the whole batch at once with pyarrow; word n-grams too, with numpy on hashed words.

The alpha-word ratio is over *tokens*, punctuation tokens included, as datatrove counts it (spaCy
tokens) and as FineWeb-2 derived its per-language thresholds: for spaced scripts a regex that
tokenises like spaCy's English tokenizer (hyphens and clitics split off, abbreviations, initials,
dotted names and numbers kept whole); for Chinese/Japanese/Thai the segmenter's words plus one
token per punctuation mark (jieba and Sudachi cut CJK punctuation into single characters). A
token "has a letter" by `\p{L}` (= `str.isalpha()`: True for Han, kana, Hangul, Thai letters).

Differences from datatrove's implementation, on purpose:
- blank lines are not lines: they do not count as duplicates of each other nor as "not bullet";
- stop words match case-insensitively ("The" counts);
- the top n-gram must occur at least twice (a document with no repeated n-gram has no
  repetition to measure);
- the mean word length rule is skipped for "chars" segmentation (one token per character);
- in a document judged by a Chinese or Japanese profile, a word of another script (a Latin word,
  a code identifier) is judged against the English limits, not the CJK ones (see
  `GopherQuality.mean_word_length`): a Chinese tech post full of code is not "long words";
- an ellipsis is "..." or a run of "…": the Chinese ellipsis "……" (two U+2026) is one mark.
"""
from __future__ import annotations

from itertools import chain
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from pydantic import Field, PrivateAttr, model_validator

from pipeline.stage import Judgement
from stages import segmentation
from stages.profiles import PROFILE_NAMES
from stages.profiles.filter import (Docs, ProfiledFilter, duplicate_mask, has_letter_or_digit, ratio, split_lines,
                                    to_bool)

GOPHER_STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
_BULLET_LINE = r"^\s*[•‣⁃◦∙●○■□▪▫◆◇►▶*·-]"
_ELLIPSIS_LINE = r"(\.\.\.|…)\s*$"   # as Gopher and datatrove: not "[...]", whose lines stay
_HAS_ALPHA = regex.compile(r"\p{L}").search
_CJK_LETTER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Bopomofo}]").search
# Profiles whose words are CJK words (jieba, Sudachi), with CJK mean word length limits.
CJK_PROFILES = frozenset({"zh-Hans", "zh-Hant", "ja"})
# A word of another script in CJK text: a letter that is not Han or kana, and no Han or kana (RE2, run
# over the batch; U+30FC, the katakana length mark, is kana here though Unicode gives it no script).
# Zhuyin (Bopomofo ㄅㄆㄇ, U+3100-312F and U+31A0-31BF, with its tone marks ˊ ˇ ˋ ˙) is Chinese too: the
# reading written beside the characters in Taiwanese children's and teaching texts, as kana annotate
# Japanese; as foreign one-letter words each symbol pulled a story's mean from 1.0 to 0.15.
_CJK_RE2 = r"\p{Han}\p{Hiragana}\p{Katakana}\x{30FC}\p{Bopomofo}\x{02C7}\x{02CA}\x{02CB}\x{02D9}"
_OTHER_LETTER_RE2 = rf"[^\P{{L}}{_CJK_RE2}]"
_FOREIGN_WORD_RE2 = rf"^[^{_CJK_RE2}]*{_OTHER_LETTER_RE2}[^{_CJK_RE2}]*$"
# One ellipsis: "..." (as Gopher counts it) or a run of "…" (the Chinese "……" is one mark, two U+2026).
_ELLIPSIS_RUN = "…+"
_NUMBER_WORD = regex.compile(r"^\p{N}+(?:[.,:/·%-]\p{N}*)*%?$").match

# Tokens for the alpha ratio in spaced scripts (an RE2 pattern, run by pyarrow over the whole
# batch), in the order tried: dotted names and numbers ("D.C.", "a.m.", "example.com"), numbers
# with separators ("9/11", "1,000", "2001-2005"), abbreviations and initials with their period
# ("Mr.", "A."), words with an optional clitic apostrophe or @/# prefix ("'s", "@user"), runs of
# dots or hyphens ("...", "--"), any other punctuation mark or symbol. Against datatrove's spaCy
# tokens on the 128 English benchmark documents: mean absolute difference of the ratio 0.005
# (0.012 with our word regex plus its punctuation tokens), same verdict on all 128.
_WORD_CHAR = r"[\p{L}\p{M}\p{N}_]"
ALPHA_RATIO_TOKEN = (
    rf"{_WORD_CHAR}+(?:\.{_WORD_CHAR}+)+\.?|\p{{N}}+(?:[.,:/-]\p{{N}}+)+"
    r"|(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Mt|Inc|Ltd|Co|Corp|vs|etc|No|\p{Lu})\."
    rf"|['’]?[@#]?{_WORD_CHAR}+|\.+|-+|[^\p{{L}}\p{{M}}\p{{N}}_\s\p{{Z}}]")
# Each token wrapped in \x01..\x02 (tokens contain neither), then letterless ones are counted.
_LETTERLESS_MARKED_TOKEN = "\x01[^\x02\\p{L}]*\x02"
# Punctuation marks of unspaced scripts, one token each (ASCII runs such as "..." one token):
# jieba and Sudachi cut CJK punctuation into single characters.
_PUNCT_TOKEN = r"[!-/:-@\[-`{-~]+|[^\p{L}\p{M}\p{N}_\s\p{Z}\x00-\x7f]"


def _is_cjk_word(word: str) -> bool:
    return bool(word) and _CJK_LETTER(word) is not None


def words_with_letters(words: list[str], unspaced: bool) -> int:
    """Words with a letter; in unspaced (CJK) text also numbers written next to a CJK word, as in
    2023年5月, 第3届, 82.7万亿元: they are part of the sentence, not a table of figures."""
    flags = [w.isalpha() or _HAS_ALPHA(w) is not None for w in words]
    if unspaced:
        for i, w in enumerate(words):
            if not flags[i] and _NUMBER_WORD(w) and (
                    (i > 0 and _is_cjk_word(words[i - 1])) or (i + 1 < len(words) and _is_cjk_word(words[i + 1]))):
                flags[i] = True
    return sum(flags)


def alpha_word_counts(words: list[list[str]], modes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per document: words (punctuation excluded, as Gopher defines the rule) with a letter, and all words."""
    alpha = np.fromiter((words_with_letters(w, not segmentation.is_spaced(m)) for w, m in zip(words, modes)),
                        dtype=np.int64, count=len(words))
    total = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    return alpha, total


def alpha_token_counts(texts: pa.Array | list[str], words: list[list[str]], modes: list[str]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per document: tokens (punctuation included) containing a letter, and all tokens (datatrove's count)."""
    text = texts if isinstance(texts, pa.Array) else pa.array(texts, pa.large_string())
    n = len(text)
    alpha = np.zeros(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    spaced = np.array([segmentation.is_spaced(m) for m in modes], dtype=bool)
    if spaced.any():
        sub = text.filter(pa.array(spaced))
        for marker in ("\x01", "\x02"):        # (control characters that would confuse the count)
            if pc.any(pc.match_substring(sub, marker)).as_py():
                sub = pc.replace_substring(sub, marker, " ")
        # One regex pass: wrap every token, then count wrappers (cheap literal search) and the
        # wrapped tokens without a letter.
        marked = pc.replace_substring_regex(sub, ALPHA_RATIO_TOKEN, "\x01\\0\x02")
        count = pc.count_substring(marked, "\x01").to_numpy(zero_copy_only=False)
        letterless = pc.count_substring_regex(marked, _LETTERLESS_MARKED_TOKEN).to_numpy(zero_copy_only=False)
        total[spaced] = count
        alpha[spaced] = count - letterless
    unspaced = np.flatnonzero(~spaced)
    if len(unspaced):
        punct = pc.count_substring_regex(text.take(pa.array(unspaced)), _PUNCT_TOKEN).to_numpy(
            zero_copy_only=False)
        for j, i in enumerate(unspaced):
            alpha[i] = sum(1 for t in words[i] if t.isalpha() or _HAS_ALPHA(t))
            total[i] = len(words[i]) + punct[j]
    return alpha, total


class GopherQuality(ProfiledFilter):
    """Gopher's document quality rules: length, word length, symbols, bullets, alpha, stop words."""
    adds: ClassVar[frozenset[str]] = frozenset({
        "gopher_word_count", "gopher_mean_word_length", "gopher_symbol_ratio", "gopher_bullet_lines_ratio",
        "gopher_ellipsis_lines_ratio", "gopher_alpha_words_ratio", "gopher_stop_words", "gopher_lines",
        "quality_profile", "segmentation"})
    # 2: foreign words in CJK text on the English scale; "……" one ellipsis; 3: none below the CJK minimum,
    # Zhuyin is CJK
    version: ClassVar[str] = "3"
    signal_thresholds: ClassVar[dict] = {
        "gopher_word_count": [("min_words", "min"), ("max_words", "max")],
        "gopher_mean_word_length": [("min_avg_word_length", "min"), ("max_avg_word_length", "max")],
        "gopher_symbol_ratio": ("max_symbol_word_ratio", "max"),
        "gopher_bullet_lines_ratio": ("max_bullet_lines_ratio", "max"),
        "gopher_ellipsis_lines_ratio": ("max_ellipsis_lines_ratio", "max"),
        "gopher_alpha_words_ratio": ("min_alpha_words_ratio", "min"),
        "gopher_stop_words": ("min_stop_words", "min"),
    }
    min_words: int | None = Field(50, description="Gopher: at least 50 words.")
    max_words: int | None = Field(100_000, description="Gopher: at most 100,000 words.")
    min_avg_word_length: float | None = Field(3, description=(
        "Gopher: mean word length at least 3 characters."))
    max_avg_word_length: float | None = Field(10, description="Gopher: ... and at most 10.")
    max_symbol_word_ratio: float | None = Field(0.1, description=(
        "Gopher: '#' or '...' per word at most 0.1 (a run of '…', as the Chinese ellipsis '……', is one '...')."))
    max_bullet_lines_ratio: float | None = Field(0.9, description=(
        "Gopher: at most 90 % of lines start with a bullet."))
    max_ellipsis_lines_ratio: float | None = Field(0.3, description=(
        "Gopher: at most 30 % of lines end with '...'."))
    line_rules_min_lines: int = Field(2, ge=1, description=(
        "Judge bullet_lines and ellipsis_lines only in documents of at least this many non-blank lines: "
        "a one-line paragraph ending in '……' is a sentence, not a page of truncated teasers (Gopher: 1)."))
    min_alpha_words_ratio: float | None = Field(0.8, description="Gopher: 80 % of words contain a letter.")
    alpha_ratio_tokens: Literal["words", "tokens"] = Field("words", description=(
        "What min_alpha_words_ratio counts: 'words' (Gopher's definition: words without punctuation; in "
        "Chinese/Japanese a number next to a CJK word, as in 2023年5月, counts as a word with letters) or "
        "'tokens' (datatrove/FineWeb-2: spaCy-like tokens, punctuation included, numbers never letters)."))
    min_stop_words: int | None = Field(2, description="Gopher: at least 2 stop-word occurrences.")
    stop_words: list[str] = Field(default_factory=lambda: list(GOPHER_STOP_WORDS), description=(
        "Stop words counted by min_stop_words (Gopher's list; profiles have their own)."))

    _stop_sets: dict[str, frozenset[str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _ranges(self) -> "GopherQuality":
        # A minimum above its maximum removes every document (each is too short or too long).
        for lo, hi in (("min_words", "max_words"), ("min_avg_word_length", "max_avg_word_length")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{lo} {a:g} is above {hi} {b:g}: every document would be removed")
        return self

    def _stop_set(self, profile: str) -> frozenset[str]:
        found = self._stop_sets.get(profile)
        if found is None:
            words = self.resolved(profile)["stop_words"] or []
            found = frozenset(v for w in words for v in (w, w.lower(), w.capitalize(), w.upper()))
            self._stop_sets[profile] = found
        return found

    def judge(self, batch: pa.Table) -> Judgement:
        docs = self.documents(batch)
        n = len(docs)
        words = docs.words
        n_words = np.fromiter((len(w) for w in words), dtype=np.int64, count=n)
        n_chars = np.fromiter((sum(map(len, w)) for w in words), dtype=np.int64, count=n)
        if self.alpha_ratio_tokens == "tokens":
            n_alpha, n_tokens = alpha_token_counts(docs.text, words, docs.modes)
        else:
            n_alpha, n_tokens = alpha_word_counts(words, docs.modes)
        n_stop = np.fromiter((sum(map(self._stop_set(p).__contains__, w))
                              for w, p in zip(words, docs.profiles)), dtype=np.int64, count=n)
        mean_len = self.mean_word_length(docs, n_chars, n_words)
        hashes = pc.count_substring(docs.text, "#").to_numpy(zero_copy_only=False)
        ellipses = (pc.count_substring(docs.text, "...").to_numpy(zero_copy_only=False)
                    + pc.count_substring_regex(docs.text, _ELLIPSIS_RUN).to_numpy(zero_copy_only=False))
        symbol_ratio = np.maximum(ratio(hashes, n_words), ratio(ellipses, n_words))

        lines = split_lines(docs.text)
        non_empty = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines.values)), 0)
        n_lines = lines.per_doc(non_empty)
        bullets = ratio(lines.per_doc(pc.match_substring_regex(lines.values, _BULLET_LINE)), n_lines)
        ellipsis_lines = ratio(lines.per_doc(pc.match_substring_regex(lines.values, _ELLIPSIS_LINE)),
                               n_lines)
        alpha = ratio(n_alpha, n_tokens)

        enough_lines = n_lines >= self.line_rules_min_lines
        t = lambda key: self.per_doc(docs.profiles, key)  # noqa: E731
        chars_mode = np.array([m == segmentation.CHARS for m in docs.modes], dtype=bool)
        with np.errstate(invalid="ignore"):
            rules = [
                ("too_few_words", n_words < t("min_words")),
                ("too_many_words", n_words > t("max_words")),
                ("short_mean_word_length", (mean_len < t("min_avg_word_length")) & ~chars_mode),
                ("long_mean_word_length", (mean_len > t("max_avg_word_length")) & ~chars_mode),
                ("symbol_ratio", symbol_ratio > t("max_symbol_word_ratio")),
                ("bullet_lines", (bullets > t("max_bullet_lines_ratio")) & enough_lines),
                ("ellipsis_lines", (ellipsis_lines > t("max_ellipsis_lines_ratio")) & enough_lines),
                ("alpha_words_ratio", alpha < t("min_alpha_words_ratio")),
                ("few_stop_words", n_stop < t("min_stop_words")),
            ]
        signals = {
            **self.common_signals(docs),
            "gopher_word_count": pa.array(n_words, pa.int64()),
            "gopher_mean_word_length": pa.array(mean_len.astype(np.float32)),
            "gopher_symbol_ratio": pa.array(symbol_ratio.astype(np.float32)),
            "gopher_bullet_lines_ratio": pa.array(bullets.astype(np.float32)),
            "gopher_ellipsis_lines_ratio": pa.array(ellipsis_lines.astype(np.float32)),
            "gopher_alpha_words_ratio": pa.array(alpha.astype(np.float32)),
            "gopher_stop_words": pa.array(n_stop, pa.int64()),
            "gopher_lines": pa.array(n_lines, pa.int64()),
        }
        return Judgement(self.reasons_with_errors(docs, rules), signals)

    def mean_word_length(self, docs: Docs, n_chars: np.ndarray, n_words: np.ndarray) -> np.ndarray:
        """Mean word length per document, in the scale of the document's profile.

        The CJK profiles' limits (1-5 characters, FineWeb-2's cmn_Hani/jpn_Jpan) are for CJK words;
        a Latin word or code identifier in Chinese or Japanese text is an English-like word, for
        which Gopher's limits are 3-10. Mixing both in one mean against 1-5 removed Chinese tech
        posts (mean 5.96 and 6.17, their Latin words averaging 5.8) while English tech docs (median
        4.9, max 6.2) pass under 10. So in a document of a CJK profile, each word of another script
        (a letter, no Han or kana) is judged on the English scale: its length is mapped linearly
        from the English profile's [min, max] onto the CJK profile's (3 -> 1, 10 -> 5 by default),
        and the mean is taken over CJK words as they are and the mapped foreign words. A word shorter
        than the English minimum counts as the CJK minimum, not less, in a text with CJK words: there
        a one-letter word is a variable, a unit or an initial, the size of a character, and the line
        extended below 3 made `x` -0.14 characters (`設 x 與 y 為實數`: Chinese algebra, plain mean 1.28
        as datatrove takes it, mapped 0.89, was removed). The rule
        then holds exactly when the words' excesses over their own script's limit, the foreign ones
        counted in CJK units, sum to more than zero; a text of foreign words only is judged as the
        English profile would judge it. Words without a letter (numbers, symbols) count as before.
        (A CJK profile with a limit off, or with the English limits, keeps the plain mean.)

        Documents of other profiles, and CJK documents without a foreign word, get the plain mean
        over all words, bit for bit as before (English with a few Chinese words is unchanged)."""
        mean_len = ratio(n_chars, n_words)
        words = docs.words
        profiles = docs.profiles.astype(str)
        rows = np.flatnonzero(np.isin(profiles, list(CJK_PROFILES)) & (n_words > 0))
        en = self.resolved("en")
        e_min, e_max = en["min_avg_word_length"], en["max_avg_word_length"]
        if not len(rows) or e_min is None or e_max is None or e_max <= e_min:
            return mean_len          # no CJK document, or no English scale to map onto
        # Only documents with a letter of another script can hold a foreign word.
        rows = rows[to_bool(pc.match_substring_regex(docs.text.take(pa.array(rows)), _OTHER_LETTER_RE2))]
        if not len(rows):
            return mean_len
        flat = pa.array(list(chain.from_iterable(words[i] for i in rows)), pa.large_string())
        foreign = to_bool(pc.match_substring_regex(flat, _FOREIGN_WORD_RE2))
        if not foreign.any():
            return mean_len
        word_doc = np.repeat(np.arange(len(rows)), n_words[rows])       # each word's document
        owner = word_doc[foreign]
        lengths = pc.utf8_length(flat).to_numpy(zero_copy_only=False)[foreign].astype(np.float64)
        n_foreign = np.bincount(owner, minlength=len(rows)).astype(np.float64)
        foreign_chars = np.bincount(owner, weights=lengths, minlength=len(rows))
        p_min = self.per_doc(profiles[rows], "min_avg_word_length")
        p_max = self.per_doc(profiles[rows], "max_avg_word_length")
        scale = (p_max - p_min) / (e_max - e_min)     # NaN where a CJK limit is off
        # (the floor only beside CJK words: a text of foreign words only keeps the English verdict)
        cjk_owner = word_doc[to_bool(pc.match_substring_regex(flat, f"[{_CJK_RE2}]"))]
        beside_cjk = np.bincount(cjk_owner, minlength=len(rows))[owner] > 0
        with np.errstate(invalid="ignore"):
            mapped = p_min[owner] + scale[owner] * (lengths - e_min)
            mapped = np.where(beside_cjk, np.maximum(mapped, p_min[owner]), mapped)
        mapped_chars = np.bincount(owner, weights=mapped, minlength=len(rows))
        mixed = (n_foreign > 0) & np.isfinite(scale) & (scale > 0) & ((p_min != e_min) | (p_max != e_max))
        out = mean_len.copy()
        i = rows[mixed]
        out[i] = (n_chars[i] - foreign_chars[mixed] + mapped_chars[mixed]) / n_words[i]
        return out


# -- repetition ---------------------------------------------------------------------------------
_NGRAM_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant for the rolling hash


def _occurrences(keys: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For n-gram hashes (`doc`: their documents, non-decreasing): how often each one occurs in its
    document, and whether an earlier occurrence exists in that document."""
    counts = np.ones(len(keys), dtype=np.int64)
    later = np.zeros(len(keys), dtype=bool)
    if len(keys) < 2:
        return counts, later
    order = np.argsort(keys)
    ranked = keys[order]
    new = np.empty(len(keys), dtype=bool)
    new[0] = True
    np.not_equal(ranked[1:], ranked[:-1], out=new[1:])
    ids = np.empty(len(keys), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1                                 # n-gram id, dense
    idx = np.flatnonzero(np.bincount(ids)[ids] > 1)                 # seen twice in the batch
    if len(idx):
        pair = doc[idx] * (ids[order[-1]] + 1) + ids[idx]           # exact (document, n-gram) key
        _, first, inverse, n = np.unique(pair, return_index=True, return_inverse=True, return_counts=True)
        counts[idx] = n[inverse]
        later[idx] = True
        later[idx[first]] = False                                   # (return_index: first position)
    return counts, later


def _ngram_fractions(words: list[list[str]], spaced: np.ndarray, total_chars: np.ndarray,
                     top_ns: list[int], dup_ns: list[int]) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Top n-gram and duplicated n-gram character fractions of every document of a batch.

    Characters of an n-gram are its words' characters plus one separator per word in spaced
    scripts, so the fractions are comparable between English and Chinese.

    Why it is fast: the batch's words are one flat array over which the n-gram hashes roll (an
    n-gram counts where it lies inside one document), and n = 2, 3, ... are done in turn: an
    n-gram can repeat in its document only where the (n-1)-grams it starts and ends with do, so
    after the smallest n only those positions are grouped, usually a small share of the text.
    (An n-gram whose hash collides with a different one's could pass unseen; the per-document
    version merged such n-grams. At 64 bits neither happens in practice.)"""
    n_docs = len(words)
    top = {k: np.zeros(n_docs) for k in top_ns}
    dup = {k: np.zeros(n_docs) for k in dup_ns}
    n_words = np.fromiter(map(len, words), dtype=np.int64, count=n_docs)
    live = np.flatnonzero((total_chars > 0) & (n_words >= 2))
    if not len(live) or not (top_ns or dup_ns):
        return top, dup
    flat = list(chain.from_iterable(words[i] for i in live))
    size = len(flat)
    doc_words = n_words[live]
    doc = np.repeat(np.arange(len(live)), doc_words)
    end = np.cumsum(doc_words)
    sep = spaced[live].astype(np.int64)
    # Python's string hash is cached on the (shared, cached) word objects; collisions between
    # different words of one document are negligible at 64 bits and only ever merge n-grams.
    word_hashes = np.fromiter(map(hash, flat), dtype=np.int64, count=size).view(np.uint64)
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=size) + sep[doc]
    cum = np.concatenate(([0], np.cumsum(lengths)))
    chars = total_chars[live]
    h = word_hashes
    prev = None           # in-document count of the (n-1)-gram starting at each word
    with np.errstate(over="ignore"):
        for n in range(1, max(top_ns + dup_ns) + 1):
            if n > 1:
                h = h[:-1] * _NGRAM_MULTIPLIER + word_hashes[n - 1:]   # h[i] covers words i..i+n-1
            if prev is None and n < min(top_ns + dup_ns):
                continue
            m = len(h)
            candidate = np.arange(m) + n <= end[doc[:m]]             # inside one document
            if prev is not None:
                candidate &= (prev[:m] > 1) & (prev[1:m + 1] > 1)
            pos = np.flatnonzero(candidate)
            at = doc[pos]
            counts, later = _occurrences(h[pos], at)
            prev = np.ones(m, dtype=np.int64)
            prev[pos] = counts
            if n in top and len(pos):
                best = np.zeros(len(live), dtype=np.int64)
                np.maximum.at(best, at, counts)
                occ = (counts == best[at]) & (best[at] >= 2)
                gram_chars = np.zeros(len(live), dtype=np.int64)
                p = pos[occ]
                np.maximum.at(gram_chars, at[occ], cum[p + n] - cum[p] - sep[at[occ]])
                found = best >= 2
                top[n][live[found]] = (best[found] * gram_chars[found]).astype(np.float64) / chars[found]
            if n in dup and later.any():
                starts = pos[later]
                # Words covered by any repeated occurrence, each counted once.
                delta = np.bincount(starts, minlength=size + 1) - np.bincount(starts + n, minlength=size + 1)
                covered = np.cumsum(delta)[:size] > 0
                dup_chars = np.bincount(doc[covered], weights=lengths[covered], minlength=len(live))
                dup[n][live] = np.minimum(1.0, dup_chars / chars)
    return top, dup


def _all_ngram_sizes(stage: "GopherRepetition", key: str) -> list[int]:
    """n values of a stage option across the stage and every profile (stable output columns)."""
    sizes = set(getattr(stage, key) or {})
    for name in PROFILE_NAMES:
        sizes |= set(stage.resolved(name).get(key) or {})
    return sorted(sizes)


class GopherRepetition(ProfiledFilter):
    """Gopher's repetition rules: duplicate lines/paragraphs, top n-grams, duplicated n-grams."""
    adds: ClassVar[frozenset[str]] = frozenset({"gopher_dup_*", "gopher_top_*", "quality_profile", "segmentation"})
    signal_thresholds: ClassVar[dict] = {
        **{f"gopher_{k}": (k, "max") for k in ("dup_line_frac", "dup_para_frac", "dup_line_char_frac",
                                               "dup_para_char_frac")},
        **{f"gopher_top_{n}_gram_frac": (f"top_ngram_char_frac.{n}", "max") for n in range(1, 11)},
        **{f"gopher_dup_{n}_gram_frac": (f"dup_ngram_char_frac.{n}", "max") for n in range(1, 21)},
    }
    dup_line_frac: float | None = Field(0.30, description="Gopher Table A1: duplicate line fraction.")
    dup_para_frac: float | None = Field(0.30, description="Gopher: duplicate paragraph fraction.")
    dup_line_char_frac: float | None = Field(0.20, description="Gopher: duplicate line character fraction.")
    dup_para_char_frac: float | None = Field(0.20, description=(
        "Gopher: duplicate paragraph character fraction."))
    top_ngram_char_frac: dict[int, float] = Field(
        default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16}, description=(
            "Gopher: maximum character share of the most frequent n-gram, n -> maximum."))
    dup_ngram_char_frac: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}, description=(
            "Gopher: maximum character share of duplicated n-grams, n -> maximum."))

    def judge(self, batch: pa.Table) -> Judgement:
        docs = self.documents(batch)
        total_chars = pc.utf8_length(docs.text).to_numpy(zero_copy_only=False).astype(np.int64)

        lines = split_lines(docs.text)
        paras = split_lines(pc.utf8_trim_whitespace(docs.text), r"\n\s*\n", regex=True)
        # Lines and paragraphs in one call: Arrow compiles the Unicode class at every call (~1 ms).
        letter = has_letter_or_digit(pa.concat_arrays([lines.values, paras.values]))
        line_letter, para_letter = letter[:len(lines.values)], letter[len(lines.values):]

        line_len = pc.utf8_length(lines.values).to_numpy(zero_copy_only=False).astype(np.float64)
        non_empty = to_bool(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(lines.values)), 0))
        dup_lines = duplicate_mask(lines, non_empty & line_letter)
        line_frac = ratio(lines.per_doc(dup_lines), lines.per_doc(non_empty))
        line_char_frac = ratio(lines.sum_per_doc(line_len, dup_lines), total_chars)

        para_len = pc.utf8_length(paras.values).to_numpy(zero_copy_only=False).astype(np.float64)
        para_non_empty = to_bool(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(paras.values)), 0))
        dup_paras = duplicate_mask(paras, para_non_empty & para_letter)
        para_frac = ratio(paras.per_doc(dup_paras), paras.per_doc(para_non_empty))
        para_char_frac = ratio(paras.sum_per_doc(para_len, dup_paras), total_chars)

        top_ns = _all_ngram_sizes(self, "top_ngram_char_frac")
        dup_ns = _all_ngram_sizes(self, "dup_ngram_char_frac")
        spaced = np.array([segmentation.is_spaced(m) for m in docs.modes], dtype=bool)
        top, dup = _ngram_fractions(docs.words, spaced, total_chars, top_ns, dup_ns)

        t = lambda key: self.per_doc(docs.profiles, key)  # noqa: E731
        with np.errstate(invalid="ignore"):
            rules = [
                ("dup_para_frac", para_frac > t("dup_para_frac")),
                ("dup_para_char_frac", para_char_frac > t("dup_para_char_frac")),
                ("dup_line_frac", line_frac > t("dup_line_frac")),
                ("dup_line_char_frac", line_char_frac > t("dup_line_char_frac")),
            ]
            for k in top_ns:
                rules.append((f"top_{k}_gram", top[k] > self._ngram_threshold(docs, "top_ngram_char_frac", k)))
            for k in dup_ns:
                rules.append((f"dup_{k}_gram", dup[k] > self._ngram_threshold(docs, "dup_ngram_char_frac", k)))
        signals = {
            **self.common_signals(docs),
            "gopher_dup_line_frac": pa.array(line_frac.astype(np.float32)),
            "gopher_dup_para_frac": pa.array(para_frac.astype(np.float32)),
            "gopher_dup_line_char_frac": pa.array(line_char_frac.astype(np.float32)),
            "gopher_dup_para_char_frac": pa.array(para_char_frac.astype(np.float32)),
            **{f"gopher_top_{k}_gram_frac": pa.array(top[k].astype(np.float32)) for k in top_ns},
            **{f"gopher_dup_{k}_gram_frac": pa.array(dup[k].astype(np.float32)) for k in dup_ns},
        }
        return Judgement(self.reasons_with_errors(docs, rules), signals)

    def _ngram_threshold(self, docs: Docs, key: str, n: int) -> np.ndarray:
        names, inverse = np.unique(docs.profiles.astype(str), return_inverse=True)
        values = np.array([(self.resolved(p)[key] or {}).get(n, np.nan) for p in names], dtype=np.float64)
        return values[inverse] if len(docs) else np.zeros(0)

