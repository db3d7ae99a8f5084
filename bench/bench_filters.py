"""Heuristic quality filter benchmarks: the four filters and word segmentation, en and zh.

Rows (ours vs baseline measured in the same process, alternating, median of the repeats):
- four filters (gopher_quality, gopher_repetition, fineweb_quality, c4_quality), each run on the
  whole batch, docs/s: ours shares one segmentation per document through the per-process cache;
  the baseline is the same code with the cache off, i.e. every rule re-tokenises (the way
  datatrove's filters each call their word tokenizer). Notes give ms/doc on one core; the
  comparison with datatrove itself, measured in the same run, is peers_filters.
- segmentation MB/s: `words_batch` (tokens without punctuation, cache off) vs the raw library
  call on the same texts: `regex.findall` with our token pattern for English, jieba 0.42
  `lcut` for Chinese (ours uses rjieba).

    python -m bench.bench_filters [--quick]
"""
from __future__ import annotations

import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import pyarrow as pa

from stages import segmentation
from stages.c4 import C4Quality
from stages.fineweb import FineWebQuality
from stages.gopher import GopherQuality, GopherRepetition

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def english_texts() -> list[str]:
    gt = json.loads((SHARED / "html/scrapinghub/ground-truth.json").read_text())
    return [v["articleBody"] for v in gt.values()]


def chinese_texts(limit: int) -> list[str]:
    with gzip.open(SHARED / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        return f.read().splitlines()[:limit]


def _alternate(ours, baseline, repeats: int) -> tuple[float, float]:
    """Median seconds of each function, run alternately after one warm-up each."""
    ours(), baseline()
    a, b = [], []
    for _ in range(repeats):
        for fn, out in ((ours, a), (baseline, b)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def _filters_row(label: str, texts: list[str], language: str, repeats: int) -> dict:
    stages = [GopherQuality(), GopherRepetition(), FineWebQuality(), C4Quality()]
    for s in stages:
        s.ensure_setup()
    table = pa.table({"text": texts, "language": [language] * len(texts)})
    limit = segmentation.CACHE.max_tokens

    def ours():
        segmentation.CACHE.clear()   # cold start: each document segmented once by the first stage
        for s in stages:
            s(table)

    def naive():
        segmentation.CACHE.clear()
        segmentation.CACHE.max_tokens = 0   # nothing cached: every stage re-tokenises
        try:
            for s in stages:
                s(table)
        finally:
            segmentation.CACHE.max_tokens = limit

    t_ours, t_base = _alternate(ours, naive, repeats)
    n = len(texts)
    ms = 1000 * t_ours / n
    return {"what": f"4 heuristic filters, {label} ({n} docs, {sum(map(len, texts)) / 1e6:.2f} M chars)",
            "ours": n / t_ours, "baseline": n / t_base, "ratio": t_base / t_ours, "unit": "docs/s",
            "notes": f"ours {ms:.2f} ms/doc, 1 core each side, median of {repeats} alternating; baseline = "
                     f"same filters, segmentation cache off (each rule re-tokenises); vs datatrove: "
                     f"see peers_filters"}


def _segmentation_row(label: str, texts: list[str], language: str, script: str, raw, raw_name: str,
                      repeats: int) -> dict:
    langs, scripts = [language] * len(texts), [script] * len(texts)
    for mode in (segmentation.JIEBA, segmentation.SUDACHI, segmentation.THAI):   # loaded before timing
        segmentation.segmenter(mode)
    mb = sum(len(t.encode()) for t in texts) / 1e6

    def ours():
        segmentation.words_batch(texts, langs, scripts, use_cache=False)

    def baseline():
        for t in texts:
            raw(t)

    t_ours, t_base = _alternate(ours, baseline, repeats)
    return {"what": f"segmentation {label} ({mb:.2f} MB)", "ours": mb / t_ours, "baseline": mb / t_base,
            "ratio": t_base / t_ours, "unit": "MB/s",
            "notes": f"ours = words_batch ({segmentation.segmentation_mode(language, script)}, "
                     f"punctuation dropped); baseline = {raw_name}"}


def run(quick: bool = False) -> list[dict]:
    repeats = 3 if quick else 5
    en = english_texts()
    zh = chinese_texts(500 if quick else 2500)
    rows = [_filters_row("en articles", en, "en", repeats),
            _filters_row("zh CLUECorpusSmall", zh, "zh", repeats)]
    rows.append(_segmentation_row("en", en, "en", "Latn", segmentation._TOKEN_RE.findall,
                                  "regex.findall(token pattern)", repeats))
    import jieba
    jieba.setLogLevel(60)
    jieba.initialize()
    rows.append(_segmentation_row("zh", zh, "zh", "Hans", jieba.lcut, "jieba 0.42 lcut", repeats))
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()},
                         ensure_ascii=False))
