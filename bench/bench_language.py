"""Language-ID and script-detection throughput.

Rows:
- language stage (LanguageFilter on an Arrow table: newline cleanup, fastText per row, script
  column) vs the raw fastText call `model.predict(text.replace("\\n", " "))` per text;
- the binding's batch `multilinePredict` (labels only, no scores) vs the per-string binding call
  the stage uses, to show why the stage does not need it;
- `scripts_batch` MB/s vs a plain per-character Python loop over `unicodedata.name` (what a
  straightforward implementation does).
Same inputs, same process, alternating ours/baseline, median of the repeats.
"""
from __future__ import annotations

import csv
import gzip
import statistics
import time
import unicodedata
from pathlib import Path

import pyarrow as pa

from pipeline.documents import documents_table
from stages.language import LanguageFilter, bundled_lid176_path, load_fasttext_model
from stages.scripts import scripts_batch

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _texts(quick: bool) -> list[str]:
    with open(SHARED / "text" / "multilingual_sentences.tsv", encoding="utf-8") as f:
        sentences = [r["text"] for r in csv.DictReader(f, delimiter="\t")]
    with gzip.open(SHARED / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        zh = f.read().splitlines()
    # documents of a few hundred characters: glue 4 sentences together, plus the Chinese docs
    docs = [" ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4)] + zh
    return docs[::4] if quick else docs


def _alternate(ours, baseline, repeats: int) -> tuple[float, float]:
    t_ours, t_base = [], []
    for _ in range(repeats):
        t0 = time.perf_counter(); ours(); t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); baseline(); t_base.append(time.perf_counter() - t0)
    return statistics.median(t_ours), statistics.median(t_base)


def _row(what, work, t_ours, t_base, unit, notes) -> dict:
    ours, base = work / t_ours, work / t_base
    return {"what": what, "ours": round(ours, 1), "baseline": round(base, 1),
            "ratio": round(ours / base, 3), "unit": unit, "notes": notes}


def run(quick: bool = False) -> list[dict]:
    texts = _texts(quick)
    repeats = 3 if quick else 5
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    table = documents_table([{"id": str(i), "source": "b", "text": t} for i, t in enumerate(texts)])
    stage = LanguageFilter().ensure_setup()
    model = load_fasttext_model(bundled_lid176_path())
    rows = []

    def raw_predict():
        for t in texts:
            model.predict(t.replace("\n", " "))
    t_o, t_b = _alternate(lambda: stage(table), raw_predict, repeats)
    rows.append(_row("language stage vs raw fastText predict", len(texts), t_o, t_b, "docs/s",
                     f"{len(texts)} docs, {mb:.2f} MB; stage also computes the script column"))

    lines = [t.replace("\n", " ") + "\n" for t in texts]
    single = model.f.predict
    t_o, t_b = _alternate(lambda: [single(x, 1, 0.0, "replace") for x in lines],
                          lambda: model.f.multilinePredict(lines, 1, 0.0, "replace"), repeats)
    rows.append(_row("per-string f.predict vs f.multilinePredict", len(texts), t_o, t_b, "docs/s",
                     "multilinePredict returns labels only (no probabilities), so it cannot apply min_score"))

    arr = pa.array(texts)
    sample = texts[: max(50, len(texts) // 20)]  # the per-char baseline is slow: time it on a slice
    mb_sample = sum(len(t.encode("utf-8")) for t in sample) / 1e6

    def naive_scripts():
        for t in sample:
            counts: dict[str, int] = {}
            for c in t:
                if c.isalpha():
                    k = unicodedata.name(c, "?").split(" ")[0]
                    counts[k] = counts.get(k, 0) + 1
            max(counts, key=counts.get) if counts else "Zyyy"
    t_o, t_b = _alternate(lambda: scripts_batch(arr), naive_scripts, repeats)
    rows.append({"what": "scripts_batch vs per-char unicodedata loop", "ours": round(mb / t_o, 1),
                 "baseline": round(mb_sample / t_b, 1), "ratio": round((mb / t_o) / (mb_sample / t_b), 1),
                 "unit": "MB/s", "notes": f"ours on {mb:.2f} MB, baseline on a {mb_sample:.2f} MB slice"})
    return rows


if __name__ == "__main__":
    import sys
    for row in run(quick="--quick" in sys.argv):
        print(row)
