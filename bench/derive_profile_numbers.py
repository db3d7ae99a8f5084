"""Recompute the filter-profile numbers we derived ourselves (see docs/filters.md).

- default.yaml's mean word length window: Gopher's English window [3, 10] scaled by the lowest
  and highest per-language mean word length over the 75 languages of
  shared/data/text/multilingual_sentences.tsv (languages segmented by characters excluded).
- the check behind keeping C4's 5-sentence minimum for Chinese: words per sentence of English
  articles vs Chinese web text with our segmentation.

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


if __name__ == "__main__":
    main()
