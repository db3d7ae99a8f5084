"""What the heuristic quality filters share: per-document profiles and thresholds, one
segmentation per document, and vectorised per-line statistics.

A `ProfiledFilter` resolves each of its threshold options per document, later sources winning:
the stage option's default (the paper's English value); the document's language profile file;
the option set explicitly in the recipe (`min_words: 30` applies to every language); the
recipe's per-profile override (`profiles: {ja: {min_words: 30}}`). None turns a rule off.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, PrivateAttr, model_validator

from pipeline.stage import Filter, Result, numeric_option
from stages import segmentation
from stages.profiles import (PROFILE_KEYS, PROFILE_NAMES, ProfileValues, load_profile, profile_name,
                             validate_overrides)

SEGMENTATION_ERROR = "segmentation_error"
# Sentence-final marks of the scripts that have their own (beside . ! ? and the CJK full stops the
# rules list themselves): the Devanagari/Bengali/Gurmukhi danda । ॥, Urdu ۔, Arabic ؟, Armenian ։,
# Ethiopic ። ፧, Burmese ။, Khmer ។ ៕, Tibetan ། ༎ and the Greek question mark ;. A line of Hindi
# or Urdu prose ends in these, never in "." (FineWeb's English list removed 60-100% of them).
NATIVE_SENTENCE_ENDS = "।॥۔؟։።፧။។៕།༎\u037e"
# Scripts written with no sentence-final mark at all (Thai, Lao): a rule on punctuated line ends
# says nothing about their text.
NO_SENTENCE_MARK_SCRIPTS = ("Thai", "Laoo")
# A line ending in an ellipsis in brackets ("... the plans for the park [...]", "[…]", "(...)") is a
# feed's teaser cut short, not a finished sentence: unpunctuated for FineWeb and C4 (whose line-end
# patterns would otherwise read ".]" as a full stop and a bracket), as datatrove counts them.
# (Gopher's ellipsis rule keeps its own definition, lines ending in "..." or "…": counting
# teasers there removed real blog posts followed by a few related-post teasers.)
BRACKETED_ELLIPSIS = r"[\[(（【]\s*(?:\.{2,}|…+|⋯+)\s*[\])）】]\s*$"


@dataclass
class Docs:
    """One batch as the rules see it. `words` is None for stages that do not need words."""
    text: pa.Array            # large_string, nulls replaced by ""
    texts: list[str]
    languages: list[str | None]
    scripts: list[str]
    profiles: np.ndarray       # object array of profile names
    modes: list[str]
    words: list[list[str]] | None

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Lines:
    """All lines of a batch flattened: `values[i]` is a line of document `doc[i]`."""
    values: pa.Array
    doc: np.ndarray
    n_docs: int

    def per_doc(self, mask: np.ndarray | pa.Array) -> np.ndarray:
        """How many lines of each document the boolean mask selects."""
        m = to_bool(mask)
        return np.bincount(self.doc[m], minlength=self.n_docs).astype(np.int64)

    def sum_per_doc(self, weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        doc, w = (self.doc, weights) if mask is None else (self.doc[mask], weights[mask])
        return np.bincount(doc, weights=w, minlength=self.n_docs)


def to_bool(mask) -> np.ndarray:
    if isinstance(mask, np.ndarray):
        return mask
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return mask.fill_null(False).to_numpy(zero_copy_only=False)


def text_array(batch: pa.Table) -> pa.Array:
    col = batch.column("text").combine_chunks() if batch.num_rows else pa.array([], pa.string())
    return col.cast(pa.large_string()).fill_null("")


def split_lines(text: pa.Array, pattern: str = "\n", regex: bool = False) -> Lines:
    """Split every document into lines (or paragraphs with a regex) in one vectorised call."""
    parts = pc.split_pattern_regex(text, pattern) if regex else pc.split_pattern(text, pattern)
    values = pc.list_flatten(parts)
    if not regex and pattern == "\n":
        values = pc.utf8_rtrim(values, characters="\r")
    doc = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False).astype(np.int64)
    return Lines(values, doc, len(text))


def has_letter_or_digit(values: pa.Array) -> np.ndarray:
    """Lines with a letter or a digit. The others ("*     *     *", "----", "• • •") are separators:
    a book or article repeating one between sections repeats no content, so the duplicate-line
    rules do not count them as duplicates (they still count as lines)."""
    return to_bool(pc.match_substring_regex(values, r"[\p{L}\p{N}]"))


def duplicate_mask(lines: Lines, candidates: np.ndarray) -> np.ndarray:
    """True for every candidate line equal to an earlier candidate line of the same document."""
    dup = np.zeros(len(lines.doc), dtype=bool)
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return dup
    encoded = pc.dictionary_encode(lines.values.take(pa.array(idx)))
    ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key = lines.doc[idx] * (len(encoded.dictionary) + 1) + ids
    _, first = np.unique(key, return_index=True)
    later = np.ones(len(idx), dtype=bool)
    later[first] = False
    dup[idx[later]] = True
    return dup


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(len(num), dtype=np.float64), where=den > 0)


def first_reason(n: int, rules: Sequence[tuple[str, np.ndarray]]) -> list[str | None]:
    """Per document, the name of the first rule (in order) whose mask is True."""
    reasons = np.full(n, None, dtype=object)
    for name, mask in reversed(rules):
        reasons[np.asarray(mask, dtype=bool)] = name
    return reasons.tolist()


class ProfiledFilter(Filter):
    """Base of the heuristic filters: profiles, segmentation and quarantine of bad documents."""
    reads: ClassVar[frozenset[str]] = frozenset({"text"})
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict, description=(
        "Per-profile overrides of this stage's thresholds, e.g. {zh-Hans: {min_words: 30}}."))
    use_profiles: bool = Field(True, description=(
        "Pick thresholds per document from stages/profiles/<language>.yaml (off: stage options only)."))
    profile_min_language_score: float = Field(0.5, ge=0.0, le=1.0, description=(
        "A document's language label picks its profile (and its word segmenter) only when the language stage was at least this "
        "sure (language_score): lid.176 calls Xhosa, Zulu, Shona or Somali English at 0.1-0.2, and "
        "English stop words then removed them; below it the default profile (no stop words) judges, "
        "or the script's (Chinese, Japanese)."))

    needs_words: ClassVar[bool] = True
    _resolved: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)

    @classmethod
    def threshold_fields(cls) -> set[str]:
        return set(cls.model_fields) & PROFILE_KEYS

    @model_validator(mode="after")
    def _check_profiles(self):
        validate_overrides(self.profiles, self.threshold_fields())
        ProfileValues.model_validate({k: getattr(self, k) for k in self.threshold_fields()})   # ranges
        return self

    def setup(self) -> None:
        if self.needs_words:
            segmentation.check_segmenters()
        for name in PROFILE_NAMES:   # fail at start on a broken profile file
            self.resolved(name)

    # -- thresholds ----------------------------------------------------------------------------
    def resolved(self, name: str) -> dict[str, Any]:
        """This stage's thresholds for one profile."""
        found = self._resolved.get(name)
        if found is None:
            fields = self.threshold_fields()
            found = {k: getattr(self, k) for k in fields}
            if self.use_profiles:
                # An option the recipe sets explicitly applies to every language.
                explicit = self.model_fields_set
                found.update({k: v for k, v in load_profile(name).items()
                              if k in fields and k not in explicit})
            found.update(self.profiles.get(name, {}))
            self._resolved[name] = found
        return found

    def declared_thresholds(self) -> dict[str, list[dict]]:
        """The stage's thresholds, with each language profile's own value (what documents of
        that profile were judged by)."""
        out = super().declared_thresholds()
        for rules in out.values():
            for rule in rules:
                rule["by_profile"] = {p: numeric_option(self.resolved(p), rule["option"]) for p in PROFILE_NAMES}
        return out

    def per_doc(self, profiles: np.ndarray, key: str) -> np.ndarray:
        """A numeric threshold for every document (NaN where the rule is off)."""
        names, inverse = np.unique(profiles.astype(str), return_inverse=True)
        values = np.array([np.nan if self.resolved(n)[key] is None else float(self.resolved(n)[key])
                           for n in names], dtype=np.float64)
        return values[inverse] if len(profiles) else np.zeros(0)

    # -- documents -----------------------------------------------------------------------------
    def documents(self, batch: pa.Table) -> Docs:
        text = text_array(batch)
        texts = text.to_pylist()
        n = len(texts)
        cols = batch.column_names
        languages = batch.column("language").to_pylist() if "language" in cols else [None] * n
        if "script" in cols:
            scripts = batch.column("script").to_pylist()
        else:
            from stages.scripts import scripts_batch
            scripts = scripts_batch(text)
        scores = batch.column("language_score").to_pylist() if "language_score" in cols else [None] * n
        floor = self.profile_min_language_score
        # A label below the floor is not trusted for the profile, nor for the words the profile's
        # thresholds are applied to: both follow the script alone then.
        trusted = [lang if sc is None or sc >= floor else None for lang, sc in zip(languages, scores)]
        profiles = np.array([profile_name(lang, s) for lang, s in zip(trusted, scripts)], dtype=object)
        if self.needs_words:
            words, modes = segmentation.words_batch(texts, trusted, scripts, errors="mark")
        else:
            words, modes = None, [segmentation.segmentation_mode(lang, s) for lang, s in zip(trusted, scripts)]
        return Docs(text, texts, languages, scripts, profiles, modes, words)

    def common_signals(self, docs: Docs) -> dict[str, pa.Array]:
        return {"segmentation": pa.array(docs.modes, pa.string()),
                "quality_profile": pa.array(docs.profiles.tolist(), pa.string())}

    # -- running -------------------------------------------------------------------------------
    def extra_counters(self) -> dict[str, int]:
        return {}

    def process(self, batch: pa.Table) -> Result:
        verdict = self.judge(batch)
        # A document whose segmenter failed is bad input for a person to look at, not a verdict.
        verdict.quarantine = verdict.quarantine | {SEGMENTATION_ERROR}
        verdict.counters = {**verdict.counters, **self.extra_counters()}
        return self.apply(batch, verdict)

    def judge_texts(self, texts: Sequence[str], languages: Sequence[str | None] | None = None
                    ) -> list[str | None]:
        """The removal reason for each text (None = kept): for benchmarks and notebooks."""
        cols = {"text": pa.array(list(texts), pa.string())}
        if languages is not None:
            cols["language"] = pa.array(list(languages), pa.string())
        self.ensure_setup()
        return list(self.judge(pa.table(cols)).reasons)

    def reasons_with_errors(self, docs: Docs, rules: list[tuple[str, np.ndarray]]) -> list[str | None]:
        errors = np.array([m == segmentation.ERROR for m in docs.modes], dtype=bool)
        return first_reason(len(docs), [(SEGMENTATION_ERROR, errors), *rules])
