"""Recompute the filter-profile numbers we derived ourselves (see docs/filters.md).

- default.yaml's mean word length window: Gopher's English window [3, 10] scaled by the lowest
  and highest per-language mean word length over the 75 languages of
  shared/data/text/multilingual_sentences.tsv (languages segmented by characters excluded).
- the check behind keeping C4's 5-sentence minimum for Chinese: words per sentence of English
  articles vs Chinese web text with our segmentation.
- zh-Hans/zh-Hant `new_line_ratio` (fineweb_quality list_ratio): the threshold at which Chinese
  loses the same share of each kind of text as English loses at its 0.3, on the kinds
  stages/calibration_sets.py has in both languages (`list_ratio_threshold`).

    python -m bench.derive_profile_numbers
"""
from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from pathlib import Path

from stages.segmentation import CHARS, words_batch

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
_SENTENCE_END = re.compile(r"[。！？]+|[.!?]+[\"')\]]*(?:\s|$)")


def mean_word_lengths() -> dict[str, float]:
    by_language: dict[str, list[str]] = defaultdict(list)
    with open(SHARED / "text/multilingual_sentences.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            language, text = line.rstrip("\n").split("\t", 1)
            by_language[language].append(text)
    out = {}
    for language, texts in sorted(by_language.items()):
        (words,), (mode,) = words_batch([" ".join(texts)], [language], None, use_cache=False)
        if mode != CHARS and words:
            out[language] = sum(map(len, words)) / len(words)
    return out


def words_per_sentence(texts: list[str]) -> float:
    words, _ = words_batch(texts, use_cache=False)
    return sum(map(len, words)) / max(1, sum(len(_SENTENCE_END.findall(t)) for t in texts))


# Kinds of text the calibration sets hold in both English and Chinese, each built as
# stages/calibration_sets.py builds it for `pipeline calibrate` (none chosen for this rule).
def _paired_kinds(shared: Path) -> dict[str, dict[str, list]]:
    from stages import calibration_sets as cs
    lingua = cs.lingua_groups(shared)
    return {
        "news articles (gold)": {"en": cs.english_news(shared),
                                 "zh": cs.magic_html_gold(shared) + cs.newspaper4k_gold(shared) + cs.taiwan_news(shared)},
        "books": {"en": cs.gutenberg_books(shared), "zh": cs.chinese_classics(shared)},
        "sentences x10": {"en": [s for s in lingua if s.profile == "en"], "zh": [s for s in lingua if s.profile == "zh-Hans"]},
        "page boilerplate (junk)": {lang: [s for s in cs.boilerplate_pages(shared) if s.profile != "ja"
                                           and (s.profile == "en") == (lang == "en")] for lang in ("en", "zh")},
    }


def newline_ratios(texts: list[str], language: str) -> list[float]:
    """fineweb_quality's list_ratio signal (line breaks between non-blank lines per word)."""
    import pyarrow as pa
    from stages.fineweb import FineWebQuality
    stage = FineWebQuality(annotate_only=True)
    stage.ensure_setup()
    table = pa.table({"text": texts, "language": [language] * len(texts), "language_score": [1.0] * len(texts)})
    return stage.judge(table).signals["fineweb_newline_ratio"].to_pylist()


def list_ratio_threshold(shared: Path = SHARED, step: float = 0.001) -> dict:
    """The Chinese new_line_ratio that removes, kind by kind, the share English removes at its own
    threshold: the t minimising sum over kinds |zh removed(t) - en removed(0.3)| on the dev split
    (the middle of the interval of minimisers), and the same on the held-out split as a check.

    English keeps FineWeb's 0.3. On clean kinds (news, books, sentences) English removes nothing
    at 0.3, so they only bound t from below; page boilerplate, the menus and link lists the rule is
    there for, is where English removes a share (about a third) and so where t is set."""
    import numpy as np
    from stages.calibration_sets import split
    from stages.profiles import load_profile
    from stages.fineweb import FineWebQuality
    en_t = load_profile("en").get("new_line_ratio", FineWebQuality.model_fields["new_line_ratio"].default)
    ratios: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    for kind, by_lang in _paired_kinds(shared).items():
        ratios[kind] = {}
        for lang, samples in by_lang.items():
            r = np.array(newline_ratios([s.text for s in samples], lang))
            held = np.array([split(s.id) == "held_out" for s in samples], dtype=bool)
            ratios[kind][lang] = {"dev": r[~held], "held_out": r[held], "all": r}
    grid = np.round(np.arange(0.05, 0.6, step), 6)
    out: dict = {"en_threshold": en_t, "ratios": ratios}
    for part in ("dev", "held_out"):
        en_removed = {k: float((v["en"][part] > en_t).mean()) for k, v in ratios.items()}
        cost = np.array([sum(abs(float((v["zh"][part] > t).mean()) - en_removed[k]) for k, v in ratios.items())
                         for t in grid])
        best = grid[np.flatnonzero(cost <= cost.min() + 1e-12)]
        out[part] = {"threshold": float((best.min() + best.max()) / 2), "en_removed": en_removed}
    return out


def main() -> None:
    means = mean_word_lengths()
    spaced = {k: v for k, v in means.items() if k not in ("zh", "ja", "th")}
    lo_lang, hi_lang = min(spaced, key=spaced.get), max(spaced, key=spaced.get)
    en = means["en"]
    print(f"mean word length: en {en:.2f}, lowest {lo_lang} {spaced[lo_lang]:.2f}, "
          f"highest {hi_lang} {spaced[hi_lang]:.2f}")
    print(f"default profile window: min {3 / en * spaced[lo_lang]:.1f}, max {10 / en * spaced[hi_lang]:.1f}")
    gt = json.loads((SHARED / "html/scrapinghub/ground-truth.json").read_text())
    with gzip.open(SHARED / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        clue = f.read().splitlines()
    print(f"words per sentence: en articles {words_per_sentence([v['articleBody'] for v in gt.values()]):.1f}, "
          f"zh CLUECorpusSmall {words_per_sentence(clue):.1f}")
    from stages.profiles import load_profile
    lr = list_ratio_threshold()
    print(f"zh new_line_ratio matching en {lr['en_threshold']}'s removal per kind: dev {lr['dev']['threshold']:.3f}, "
          f"held-out {lr['held_out']['threshold']:.3f}")
    now = load_profile("zh-Hans")["new_line_ratio"]
    print(f"  share removed by list_ratio, dev + held-out (en at {lr['en_threshold']}; zh at 0.178 = FineWeb-2 "
          f"cmn_Hani, and at the profile's {now}):")
    for kind, v in lr["ratios"].items():
        en, zh = v["en"]["all"], v["zh"]["all"]
        print(f"    {kind:26} en {(en > lr['en_threshold']).mean():6.1%} of {len(en):3}   "
              f"zh {(zh > 0.178).mean():6.1%} -> {(zh > now).mean():6.1%} of {len(zh):3}")


if __name__ == "__main__":
    main()
