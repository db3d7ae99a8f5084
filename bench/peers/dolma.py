"""Our exact_dedup vs Dolma 1.2's Rust bloom-filter document dedup (`dolma dedupe`, .bench/dolma).

Same documents (bench.corpus originals, 20 % of them copied verbatim under new ids), two files /
shards, 2 CPUs each side, cold vs cold: ours `exact_dedup` through run_global with Ray's start in
the timing, normalisation off (byte-identical text, what Dolma compares); Dolma's `dolma dedupe`
process with --processes 2 (its start in the timing). Alternating, medians. Both should remove
exactly the copies; the row says how many each removed.
"""
from __future__ import annotations

import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.peers import REPO, run_peer

DOLMA_PYTHON = REPO / ".bench" / "dolma" / "bin" / "python"


def run(quick: bool = False) -> list[dict]:
    import ray

    from bench.corpus import Pools, generate
    from pipeline.documents import documents_table
    from pipeline.executor import start_ray
    from stages.dedup.exact import ExactDedup
    from stages.dedup.local import run_global, write_input
    from stages.dedup.normalize import Normalization
    n, repeats = (5000, 1) if quick else (40_000, 3)
    base = generate(n, dup_rate=0.0, seed=31, pools=Pools.load())
    rng = random.Random(7)
    copies = [{**base[i], "id": f"copy-{k}"} for k, i in enumerate(rng.sample(range(n), n // 5))]
    docs = base + copies
    rng.shuffle(docs)
    rows = [{"id": d["id"], "source": "bench", "text": d["text"]} for d in docs]
    half = (len(rows) + 1) // 2
    stage = ExactDedup(normalization=Normalization(nfkc=False, casefold=False, collapse_whitespace=False,
                                                   drop_invisible=False, fold_quotes=False))
    ours_t, dolma_t, ours_removed, dolma_removed = [], [], 0, 0
    with tempfile.TemporaryDirectory(prefix="bench-dolma-") as d:
        tmp = Path(d)
        inp = write_input([documents_table(rows[:half]), documents_table(rows[half:])], tmp / "ours-in")
        for r in range(repeats):
            ray.shutdown()
            t = time.perf_counter()
            start_ray(num_cpus=2)
            run_ = run_global(stage.model_copy(), inp, tmp / f"ours-{r}")
            ours_t.append(time.perf_counter() - t)
            ours_removed = len(docs) - run_.kept.num_rows
            docs_dir = tmp / f"dolma-{r}" / "documents"
            docs_dir.mkdir(parents=True)
            for k, part in enumerate((rows[:half], rows[half:])):
                with gzip.open(docs_dir / f"part-{k}.jsonl.gz", "wt") as f:
                    f.writelines(json.dumps(x) + "\n" for x in part)
            ans = run_peer("dolma_dedup", {"documents": str(docs_dir / "*.jsonl.gz"), "work_dir": str(tmp / f"dolma-{r}"),
                                           "processes": 2, "docs": len(docs)}, python=DOLMA_PYTHON)
            dolma_t.append(ans["seconds"])
            dolma_removed = len(ans["duplicates"])
    ray.shutdown()
    t_o, t_d = statistics.median(ours_t), statistics.median(dolma_t)
    return [{"what": f"exact document dedup vs Dolma's bloom-filter dedupe ({len(docs)} docs)",
             "ours": len(docs) / t_o, "baseline": len(docs) / t_d, "ratio": t_d / t_o, "unit": "docs/s",
             "notes": f"cold vs cold, 2 CPUs each, median of {repeats} alternating; wall ours {t_o:.1f} s "
                      f"(Ray start + exact_dedup, Parquet in/out, byte-identical text) / Dolma {t_d:.1f} s "
                      f"(`dolma dedupe --processes 2`, its process start, JSONL.gz in, attribute files out, "
                      f"bloom filter 1e-8); copies planted {len(copies)}: removed ours {ours_removed} / "
                      f"Dolma {dolma_removed}"}]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
