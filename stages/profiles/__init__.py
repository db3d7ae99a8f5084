"""Per-language filter profiles: thresholds and stop words as data, picked per document.

Each `<name>.yaml` next to this module is a flat mapping of option name -> value, using the option
names of the heuristic stages (gopher_quality, gopher_repetition, c4_quality, fineweb_quality).
A profile's values replace the stage's defaults (the papers' English numbers); an option set
explicitly in a recipe replaces the profile's value for every language, and a recipe can change
one profile's values per stage with `profiles: {zh-Hans: {min_words: 30}}`. Where each number comes from is written next
to it in the YAML and collected in docs/filters.md.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

PROFILE_DIR = Path(__file__).resolve().parent
PROFILE_NAMES = ("en", "de", "fr", "es", "ru", "zh-Hans", "zh-Hant", "ja", "default", "non-latin")
DEFAULT = "default"
# Documents in another script than Latin (Hangul, Thai, Devanagari, Arabic, Cyrillic, ...) whose
# language has no profile: FineWeb-2's all-language values (no short-line rule, char_dup_ratio 0.1).
NON_LATIN = "non-latin"

# Languages with their own profile file (fastText lid.176 labels).
_LANGUAGE_PROFILES = {"en", "de", "fr", "es", "ru", "ja"}
_CHINESE = {"zh", "wuu", "yue", "gan"}
_HAN_SCRIPTS = {"Hans", "Hant", "Hani"}
# Scripts that keep the default profile: Latin, and none at all ("Zyyy": no letters, or only of
# scripts stages.scripts does not list; None: unknown).
_DEFAULT_SCRIPTS = {"Latn", "Zyyy", None, ""}

# The thresholds that are shares of a document's lines, paragraphs, words or characters. Not
# max_symbol_word_ratio nor new_line_ratio: those are counts per word (`###` is 3), which can pass 1.
SHARE_KEYS = frozenset({
    "max_bullet_lines_ratio", "max_ellipsis_lines_ratio", "min_alpha_words_ratio",
    "dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac",
    "top_ngram_char_frac", "dup_ngram_char_frac",
    "line_punct_thr", "short_line_thr", "char_dup_ratio"})


class ProfileValues(BaseModel):
    """Every key a profile file may set, with its type (all optional: unset = stage option)."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    # gopher_quality
    min_words: int | None = None
    max_words: int | None = None
    min_avg_word_length: float | None = None
    max_avg_word_length: float | None = None
    max_symbol_word_ratio: float | None = None
    max_bullet_lines_ratio: float | None = None
    max_ellipsis_lines_ratio: float | None = None
    min_alpha_words_ratio: float | None = None
    min_stop_words: int | None = None
    stop_words: list[str] | None = None
    # gopher_repetition
    dup_line_frac: float | None = None
    dup_para_frac: float | None = None
    dup_line_char_frac: float | None = None
    dup_para_char_frac: float | None = None
    top_ngram_char_frac: dict[int, float] | None = None
    dup_ngram_char_frac: dict[int, float] | None = None
    # c4_quality
    min_words_per_line: int | None = None
    min_sentences: int | None = None
    max_word_length: int | None = None
    # fineweb_quality
    line_punct_thr: float | None = None
    short_line_thr: float | None = None
    short_line_length: int | None = None
    char_dup_ratio: float | None = None
    new_line_ratio: float | None = None

    @model_validator(mode="after")
    def _not_negative(self) -> "ProfileValues":
        # Every threshold is a count, a length or a share: a negative one is a typo that would
        # silently turn its rule off (or on for everything), and so is a share above 1 (a
        # percentage: `dup_line_frac: 30` never fires, `line_punct_thr: 1.5` removes every multi-line page).
        for key, value in self:
            values = value.values() if isinstance(value, dict) else [value]
            numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            bad = [v for v in numbers if v < 0]
            if bad:
                raise ValueError(f"{key}: a threshold must be >= 0, got {bad[0]}")
            bad = [v for v in numbers if v > 1] if key in SHARE_KEYS else []
            if bad:
                raise ValueError(f"{key}: a share must be between 0 and 1 (30 % is 0.3), got {bad[0]}")
        return self


PROFILE_KEYS = frozenset(ProfileValues.model_fields)


def profile_name(language: str | None, script: str | None) -> str:
    """The profile for a document's fastText language label and script.

    A CJK script wins over a language label that is not Chinese or Japanese (a misdetected
    language must not apply English stop words to Chinese text). A language without a profile
    of its own gets `non-latin` when its text is in another script than Latin (Korean, Thai,
    Hindi, ...; labelled or not), else `default`: an unlabelled Latin-script document (a recipe
    without a language stage) is judged as it always was."""
    if language in _CHINESE or (script in _HAN_SCRIPTS and language != "ja"):
        return "zh-Hant" if script == "Hant" else "zh-Hans"
    if language == "ja" or script == "Jpan":
        return "ja"
    if language in _LANGUAGE_PROFILES:
        return language
    return DEFAULT if script in _DEFAULT_SCRIPTS else NON_LATIN


@lru_cache(maxsize=None)
def _load_file(name: str) -> dict[str, Any]:
    path = PROFILE_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"no filter profile {name!r} (looked for {path})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # Validate types and key names, but keep only the keys the file actually sets.
    values = ProfileValues.model_validate(raw)
    return values.model_dump(include=set(raw))


def load_profile(name: str) -> dict[str, Any]:
    """The values a profile file sets (a fresh copy)."""
    return dict(_load_file(name))


def validate_overrides(overrides: dict[str, dict[str, Any]], allowed: set[str]) -> None:
    """Check a recipe's `profiles:` option: known profile names, keys the stage has."""
    for name, values in overrides.items():
        if name not in PROFILE_NAMES:
            raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILE_NAMES)}")
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"profile {name!r} sets {sorted(unknown)}, which this stage does not "
                             f"have; its options are {sorted(allowed)}")
        try:
            ProfileValues.model_validate(values)
        except ValidationError as e:
            raise _under(("profiles", name), e) from None


def _under(prefix: tuple, e: ValidationError) -> ValidationError:
    """`e` with its keys under `prefix`: raised in a stage's validator, a profile's error would
    otherwise name `min_words`, as if the stage option itself were wrong."""
    return ValidationError.from_exception_data(e.title, [
        {"type": err["type"], "loc": (*prefix, *err["loc"]), "input": err["input"],
         **({"ctx": err["ctx"]} if "ctx" in err else {})}
        for err in e.errors(include_url=False)])
