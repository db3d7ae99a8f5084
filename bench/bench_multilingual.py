"""Multilingual checks for `make bench`: do the default filters treat Chinese articles like English
ones, and does near-duplicate detection work as well on Chinese text?

1. Keep rate and top removal reasons per language of the default heuristic filters
   (gopher_quality, gopher_repetition, fineweb_quality, c4_quality) on human-annotated article
   text: 60 English articles (scrapinghub `articleBody`) vs 28 Chinese/Japanese articles
   (magic-html `content`), language from lid.176 as in a real run.
2. MinHash dedup precision/recall on an all-Chinese near-duplicate set (real CLUE sentences
   recombined, known edits), against pairs with true 5-gram Jaccard >= 0.8.
Run: python -m bench.bench_multilingual [--quick]
"""
from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow as pa

from bench.gold import cjk_articles, english_articles

FILTERS = ("gopher_quality", "gopher_repetition", "fineweb_quality", "c4_quality")


def article_texts() -> dict[str, list[str]]:
    return {"en articles": english_articles(), "zh/ja articles": cjk_articles()}


def keep_rates() -> list[dict]:
    from pipeline.registry import resolve_stage
    from stages.language import LanguageFilter
    lang = LanguageFilter().ensure_setup()
    rows = []
    for name, texts in article_texts().items():
        table = lang(pa.table({"id": [str(i) for i in range(len(texts))], "text": texts})).kept
        reasons: Counter = Counter()
        alive = table
        for f in FILTERS:
            res = resolve_stage(f)()(alive)
            if res.removed is not None:
                reasons.update(f"{f}/{r}" for r in res.removed.column("reason").to_pylist())
            alive = res.kept
        langs = Counter(table.column("language").to_pylist())
        rate = alive.num_rows / len(texts)
        top = ", ".join(f"{k} {v}" for k, v in reasons.most_common(4)) or "none"
        rows.append({"what": f"default filters keep rate, {name}", "ours": round(rate, 3), "baseline": None,
                     "ratio": None, "unit": "kept share",
                     "notes": f"{len(texts)} gold article texts; languages {dict(langs)}; removed by: {top}"})
    return rows


def chinese_dedup(n: int) -> list[dict]:
    from bench.corpus import Pools, generate, pair_accuracy, true_jaccard_pairs
    from pipeline.documents import documents_table
    from pipeline.executor import start_ray
    from stages.dedup.fuzzy import MinHashDedup
    from stages.dedup.local import run_global, write_input
    start_ray(num_cpus=2)
    docs = generate(n, dup_rate=0.3, zh_share=1.0, seed=17, pools=Pools.load())
    ids = [d["id"] for d in docs]
    truth = true_jaccard_pairs([d["text"] for d in docs], 0.8)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inp = write_input([documents_table(docs[i:i + 500]) for i in range(0, n, 500)], Path(tmp) / "in")
        for verify in ("jaccard", "levenshtein"):
            run = run_global(MinHashDedup(verify=verify), inp, Path(tmp) / verify)
            acc = pair_accuracy(ids, truth, run.removed.column("id").to_pylist(),
                                run.removed.column("duplicate_of").to_pylist())
            note = (f"{n} Chinese docs, {acc['true_pairs']} true pairs (J>=0.8), candidates "
                    f"{run.counters.get('minhash_candidate_pairs')}, rejected {run.counters.get('minhash_pairs_rejected')}")
            for metric in ("precision", "recall"):
                rows.append({"what": f"zh near-dup {metric}, verify={verify}", "ours": round(acc[metric], 4),
                             "baseline": None, "ratio": None, "unit": metric, "notes": note})
    return rows


def run(quick: bool = False) -> list[dict]:
    return keep_rates() + chinese_dedup(600 if quick else 2000)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
