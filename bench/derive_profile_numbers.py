"""Recompute the filter-profile numbers we derived ourselves (see docs/filters.md).

- default.yaml's mean word length window: Gopher's English window [3, 10] scaled by the lowest
  and highest per-language mean word length over the 75 languages of
  shared/data/text/multilingual_sentences.tsv (languages segmented by characters excluded).
- the check behind keeping C4's 5-sentence minimum for Chinese: words per sentence of English
  articles vs Chinese web text with our segmentation.
- zh-Hans/zh-Hant `new_line_ratio` (fineweb_quality list_ratio): the threshold at which Chinese
  loses the same share of each kind of text as English loses at its 0.3, on the kinds
  stages/calibration_sets.py has in both languages (`list_ratio_threshold`).
- ja `new_line_ratio`: too little Japanese text to derive it the same way, so the Chinese value
  scaled by words per line on comparable text, the page boilerplate where the rule acts
  (`japanese_list_ratio`), with FineWeb-2's jpn_Jpan value translated into our count as a check.
- how far FineWeb-2's copied top n-gram fractions are from ours in CJK text (datatrove joins an
  n-gram's words with spaces; we do not): `top_ngram_counting` (left unchanged, docs/filters.md).

    python -m bench.derive_profile_numbers
"""
from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from functools import lru_cache
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
@lru_cache(maxsize=4)
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


# FineWeb-2's values for the keys whose count differs from ours (configs/cmn_Hani.yml, jpn_Jpan.yml).
FINEWEB2_NEW_LINE_RATIO = {"zh": 0.178, "ja": 0.162}
FINEWEB2_TOP_NGRAM = {"zh": {2: 0.256, 3: 0.201, 4: 0.171}, "ja": {2: 0.121, 3: 0.129, 4: 0.145}}


def datatrove_newline_ratios(texts: list[str], language: str) -> list[float]:
    """list_ratio as datatrove (FineWeb-2) counts it: every "\n" over all tokens, punctuation
    included (our segmenter's tokens stand in for spaCy's: jieba for zh, Sudachi mode A for ja)."""
    from stages.segmentation import tokens_batch
    tokens, _ = tokens_batch(texts, [language] * len(texts), None, use_cache=False)
    return [t.count("\n") / max(1, len(tk)) for t, tk in zip(texts, tokens)]


def _words_per_line(texts: list[str], language: str) -> tuple[list[float], float]:
    """Words per non-blank line of each text, and pooled over all of them."""
    words, _ = words_batch(texts, [language] * len(texts), use_cache=False)
    lines = [sum(1 for line in t.split("\n") if line.strip()) for t in texts]
    per = [len(w) / n for w, n in zip(words, lines) if n]
    return per, sum(map(len, words)) / max(1, sum(lines))


def _newspaper4k_boilerplate(shared: Path, prefix: str) -> list[str]:
    """The boilerplate of newspaper4k's test pages (whole page minus its expected text), as
    calibration_sets.boilerplate cuts the magic-html pages'."""
    from stages.calibration_sets import boilerplate
    base = shared / "zh/html/newspaper4k"
    return [boilerplate(gzip.open(base / "html" / f"{p.stem}.html.gz").read(), p.read_text(encoding="utf-8"))
            for p in sorted((base / "txt").glob(f"{prefix}*.txt"))]


def japanese_list_ratio(shared: Path = SHARED) -> dict:
    """ja new_line_ratio. The derivation used for Chinese needs each kind in both languages; the
    calibration sets hold 4 short Japanese articles, 1 group of 10 sentences, no books and the
    boilerplate of 2 pages of one site (`counts`), too few for a share removed per kind.

    The rule acts on page boilerplate (clean kinds sit near 0.03 in both languages; the
    thresholds lie near 0.2, about 5 words per line), so the Chinese value is scaled by how many
    words a line of boilerplate holds in each language: zh threshold * zh words per line / ja
    words per line, per page (median; `scaled`) and pooled (`scaled_pooled`), on the boilerplate
    of the magic-html and newspaper4k pages of each language (zh 41 pages, ja 4). Check
    (`translated`): FineWeb-2's value times the median of our count over datatrove's on the same
    boilerplate; for zh that gives about 0.22 against the derived 0.23."""
    from stages import calibration_sets as cs
    import numpy as np
    clean = cs.clean_references(shared)
    boiler = {"zh": [s.text for s in cs.boilerplate_pages(shared) if s.profile in ("zh-Hans", "zh-Hant")]
              + _newspaper4k_boilerplate(shared, "chinese"),
              "ja": [s.text for s in cs.boilerplate_pages(shared) if s.profile == "ja"]
              + _newspaper4k_boilerplate(shared, "japanese")}
    counts = {"articles (gold)": sum(s.profile == "ja" and "articles" in s.kind for s in clean),
              "sentences x10": sum(s.profile == "ja" and "Lingua" in s.kind for s in clean),
              "books": sum(s.profile == "ja" and "books" in s.kind for s in clean),
              "page boilerplate": len(boiler["ja"])}
    zh_t = list_ratio_threshold(shared)["dev"]["threshold"]
    wpl = {lang: _words_per_line(texts, lang) for lang, texts in boiler.items()}
    median = {lang: float(np.median(per)) for lang, (per, _) in wpl.items()}
    pooled = {lang: pool for lang, (_, pool) in wpl.items()}
    translated = {}
    for lang, texts in boiler.items():
        ours = np.array(newline_ratios(texts, "zh" if lang == "zh" else "ja"))
        theirs = np.array(datatrove_newline_ratios(texts, lang))
        factor = float(np.median(ours[theirs > 0] / theirs[theirs > 0]))
        translated[lang] = {"factor": factor, "value": FINEWEB2_NEW_LINE_RATIO[lang] * factor}
    ja_ratios = {"articles (gold)": [s.text for s in clean if s.profile == "ja" and "articles" in s.kind],
                 "sentences x10": [s.text for s in clean if s.profile == "ja" and "Lingua" in s.kind],
                 "page boilerplate": boiler["ja"]}
    return {"counts": counts, "zh_threshold": zh_t, "words_per_line": median, "words_per_line_pooled": pooled,
            "scaled": zh_t * median["zh"] / median["ja"], "scaled_pooled": zh_t * pooled["zh"] / pooled["ja"],
            "translated": translated,
            "ja_ratios": {k: newline_ratios(v, "ja") for k, v in ja_ratios.items()}}


def _top_ngram_chars(words: list[str], n: int, joiner: str) -> int:
    """Characters of the most frequent n-gram times its count (0 if none repeats)."""
    grams = Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return len(joiner.join(gram)) * count if count >= 2 else 0


def top_ngram_counting(shared: Path = SHARED) -> dict:
    """datatrove's top n-gram fraction over ours in Chinese text, and what FineWeb-2's cmn_Hani
    values become in our count. datatrove joins the n-gram's tokens (punctuation included) with a
    space, so a CJK n-gram of n words carries n-1 characters more than its text; we count its
    words' characters (spaced scripts: one separator per gap in both). Over the Chinese
    calibration texts where both fractions exceed 0.02, the median ratio is taken per n; the
    translated thresholds are FineWeb-2's divided by it. `removed` gives the share of each clean
    Chinese kind the top n-gram rules remove at the profile's values and at the translated ones."""
    import numpy as np
    import pyarrow as pa
    from stages import calibration_sets as cs
    from stages.gopher import GopherRepetition
    from stages.profiles import load_profile
    from stages.segmentation import tokens_batch
    clean, junk = cs.load(shared)
    samples = [s for s in clean + junk if s.profile in ("zh-Hans", "zh-Hant")]
    texts = [s.text for s in samples]
    stage = GopherRepetition(annotate_only=True)
    stage.ensure_setup()
    signals = stage.judge(pa.table({"text": texts, "language": ["zh"] * len(texts),
                                    "language_score": [1.0] * len(texts)})).signals
    tokens, _ = tokens_batch(texts, ["zh"] * len(texts), None, use_cache=False)
    profile = load_profile("zh-Hans")["top_ngram_char_frac"]
    out: dict = {"factor": {}, "translated": {}, "removed": {}}
    ours = {n: np.array(signals[f"gopher_top_{n}_gram_frac"].to_pylist()) for n in (2, 3, 4)}
    for n in (2, 3, 4):
        theirs = np.array([_top_ngram_chars(tk, n, " ") / max(1, len(t)) for t, tk in zip(texts, tokens)])
        both = (ours[n] > 0.02) & (theirs > 0.02)
        out["factor"][n] = float(np.median(theirs[both] / ours[n][both]))
        out["translated"][n] = FINEWEB2_TOP_NGRAM["zh"][n] / out["factor"][n]
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        by_kind[f"{s.set}: {s.kind}"].append(i)
    for kind, idx in sorted(by_kind.items()):
        now = np.zeros(len(idx), dtype=bool)
        then = np.zeros(len(idx), dtype=bool)
        for n in (2, 3, 4):
            now |= ours[n][idx] > profile[n]
            then |= ours[n][idx] > out["translated"][n]
        out["removed"][kind] = (len(idx), float(now.mean()), float(then.mean()))
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
    ja = japanese_list_ratio()
    print(f"ja new_line_ratio: Japanese texts per kind {ja['counts']} (too few to derive per kind)")
    print(f"  words per line of page boilerplate, per page (median) zh {ja['words_per_line']['zh']:.2f} "
          f"ja {ja['words_per_line']['ja']:.2f}, pooled zh {ja['words_per_line_pooled']['zh']:.2f} "
          f"ja {ja['words_per_line_pooled']['ja']:.2f}")
    print(f"  zh {ja['zh_threshold']:.3f} scaled: {ja['scaled']:.3f} (median), {ja['scaled_pooled']:.3f} (pooled); "
          + ", ".join(f"FineWeb-2 {lang} {FINEWEB2_NEW_LINE_RATIO[lang]} in our count (x{v['factor']:.2f}) "
                      f"{v['value']:.3f}" for lang, v in ja['translated'].items()))
    t = load_profile("ja")["new_line_ratio"]
    for kind, r in ja["ja_ratios"].items():
        print(f"    ja {kind:18} removed at 0.162: {sum(x > 0.162 for x in r)}/{len(r)}, at {t}: "
              f"{sum(x > t for x in r)}/{len(r)}  (ratios {', '.join(f'{x:.3f}' for x in r)})")
    tn = top_ngram_counting()
    print("zh top n-gram fraction, datatrove's count over ours (median): "
          + ", ".join(f"n={n} x{f:.2f}" for n, f in tn["factor"].items())
          + "; FineWeb-2's cmn_Hani in our count: " + ", ".join(f"{n}: {v:.3f}" for n, v in tn["translated"].items()))
    print("  share removed by the top n-gram rules, profile values -> translated values (kept as they are):")
    for kind, (n, now_share, then_share) in tn["removed"].items():
        print(f"    {kind:52} {now_share:6.1%} -> {then_share:6.1%} of {n}")


if __name__ == "__main__":
    main()
