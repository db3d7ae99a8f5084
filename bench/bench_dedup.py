"""Deduplication benchmarks: MinHash signature throughput, near-duplicate accuracy, end to end.

Rows:
- signatures/s: our signature tasks (both cores through Ray, shingles combined from per-word
  hashes, all permutations in one numpy expression per document) vs datasketch 2.0's own path,
  `MinHash(num_perm, hashfunc=shingle_hash).update_batch(shingles)` per document in one process,
  on the same documents with the same segmentation, n-gram size and num_perm (so the
  signatures are identical). Alternating, median of the repeats.
- accuracy on a labelled near-duplicate set (bench.corpus, English + Chinese): precision of
  removed (doc, duplicate_of) pairs and recall of true pairs (exact 5-gram Jaccard >= 0.8),
  for verify=jaccard and verify=levenshtein, with the LSH candidates rejected by verification;
  baseline = datasketch MinHashLSH(threshold=0.8) queried per document (no verification).
- minhash_dedup end to end on 100k documents (docs/s), full run only.
- minhash_dedup end to end vs datatrove's 4-stage MinHash (bench/peers/dt_minhash.py) on the same
  English documents, 5-grams, 14 bands x 8 rows, 2 CPUs: docs/s, and precision/recall of both.
- `--scale`: minhash_dedup on 100k then 1M documents: wall time and peak RSS of the driver plus
  every Ray process it started (sampled from /proc).

    python -m bench.bench_dedup [--quick] [--scale] [--scale-max 1000000]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa

from bench.corpus import Pools, generate, pair_accuracy, true_jaccard_pairs
from pipeline.documents import documents_table
from pipeline.executor import start_ray
from pipeline.shards import StageDir
from pipeline.stage import Result
from stages.dedup.fuzzy import LshParams, MinHashDedup, signature_task
from stages.dedup.local import run_global, write_input
from stages.dedup.minhash import char_shingle_hash, item_lists, shingle_hash, shingles_of


def _alternate(ours, baseline, repeats: int) -> tuple[float, float]:
    t_o, t_b = [], []
    for _ in range(repeats):
        t = time.perf_counter(); ours(); t_o.append(time.perf_counter() - t)
        t = time.perf_counter(); baseline(); t_b.append(time.perf_counter() - t)
    return statistics.median(t_o), statistics.median(t_b)


def _row(what, ours, baseline, unit, notes):
    return {"what": what, "ours": round(ours, 3), "baseline": round(baseline, 3) if baseline else None,
            "ratio": round(ours / baseline, 2) if baseline else None, "unit": unit, "notes": notes}


def bench_signatures(pools: Pools, n: int, repeats: int, work: Path) -> dict:
    """Both sides on one core in this process: our signature task over every shard (Parquet read,
    segmentation, hashing, band spill) vs datasketch's default path (sha1 of each shingle's UTF-8
    bytes, `update_batch`), segmentation included on both sides."""
    from datasketch import MinHash
    docs = generate(n, dup_rate=0.1, seed=11, pools=pools)
    shards = [documents_table(docs[i:i + 2000]) for i in range(0, n, 2000)]
    inp = write_input(shards, work / "sig-in")
    params = LshParams()
    jobs = [(str(inp.shard_path(s)), i, params, 16, 8, str(work / "spill"), 4, False)
            for i, s in enumerate(inp.done_shards())]
    texts = [d["text"] for d in docs]

    def ours():
        for job in jobs:
            signature_task(*job)

    def datasketch_default():
        items, sizes = item_lists(pa.array(texts), params)
        for it, k in zip(items, sizes):
            m = MinHash(num_perm=params.num_perm, seed=params.permutation_seed)
            sep = "" if isinstance(it, str) else " "
            m.update_batch([sep.join(sh).encode() for sh in shingles_of(it, k)])

    ours()  # segmenters loaded once, files in the page cache
    t_o, t_b = _alternate(ours, datasketch_default, repeats)
    return _row("minhash signatures (128 perm, 5-gram), 1 core each", n / t_o, n / t_b, "docs/s",
                f"{n} docs 2-4 KB (30% Chinese); both in one process on one core, median of {repeats} "
                "alternating; ours: signature task per shard incl. Parquet read and band spill; baseline: "
                "datasketch 2.0 default path (MinHash(128), sha1_hash32 of each shingle's bytes, update_batch); "
                "same segmentation and shingles on both sides")


def bench_accuracy(pools: Pools, n: int, work: Path) -> list[dict]:
    from datasketch import MinHash, MinHashLSH
    docs = generate(n, dup_rate=0.3, zh_share=0.4, seed=5, pools=pools)
    ids = [d["id"] for d in docs]
    truth = true_jaccard_pairs([d["text"] for d in docs], 0.8)
    inp = write_input([documents_table(docs[i:i + 1000]) for i in range(0, n, 1000)], work / "acc-in")
    rows = []
    # datasketch's LSH at the same threshold, default (balanced) bands, no verification
    params = LshParams()
    items, sizes = item_lists(pa.array([d["text"] for d in docs]), params)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    removed, dup_of = [], []
    for i, (it, k) in enumerate(zip(items, sizes)):
        m = MinHash(num_perm=128, hashfunc=char_shingle_hash if isinstance(it, str) else shingle_hash)
        m.update_batch(shingles_of(it, k))
        hits = sorted(lsh.query(m))
        if hits:
            removed.append(ids[i]); dup_of.append(ids[min(hits)])
        else:
            lsh.insert(i, m)
    base = pair_accuracy(ids, truth, removed, dup_of)
    for verify in ("jaccard", "levenshtein"):
        run = run_global(MinHashDedup(verify=verify), inp, work / f"acc-{verify}")
        acc = pair_accuracy(ids, truth, run.removed.column("id").to_pylist(),
                            run.removed.column("duplicate_of").to_pylist())
        note = (f"{n} docs, {acc['true_pairs']} true pairs (J>=0.8); candidates "
                f"{run.counters['minhash_candidate_pairs']}, rejected by {verify} "
                f"{run.counters['minhash_pairs_rejected']}; bands x rows {run.ctx.info['lsh_bands_rows']}; "
                "baseline datasketch MinHashLSH(0.8) = 9x13, unverified")
        rows.append(_row(f"near-dup recall, verify={verify}", acc["recall"], base["recall"], "recall", note))
        rows.append(_row(f"near-dup precision, verify={verify}", acc["precision"], base["precision"],
                         "precision", note))
    return rows


# datatrove's 14 bands x 8 rows: the S-curve's midpoint (1/b)^(1/r) is where a pair becomes a
# candidate with probability ~1/2; datatrove removes every candidate, so that is its threshold.
DT_BANDS, DT_ROWS = 14, 8
MATCHED_J = round((1 / DT_BANDS) ** (1 / DT_ROWS), 2)    # 0.72


def vs_datatrove(pools: Pools, n: int, repeats: int, work: Path) -> dict:
    """Our whole MinHashDedup vs datatrove's 4 MinHash stages, cold vs cold, same docs, 5-grams,
    14 bands x 8 rows, at a matched threshold (ours verifies candidates at J >= 0.72, datatrove's
    bands have their midpoint there)."""
    import json

    import ray

    from bench.peers import run_peer
    docs = generate(n, dup_rate=0.1, zh_share=0.0, seed=23, pools=pools)  # English: datatrove's default tokenizer
    ids = [d["id"] for d in docs]
    half = (n + 1) // 2   # two input files / shards: one per worker on both sides
    jsonl = work / "dt-in"
    jsonl.mkdir()
    for i in range(2):
        with open(jsonl / f"{i:05d}.jsonl", "w") as f:
            f.writelines(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in docs[i * half:(i + 1) * half])
    inp = write_input([documents_table(docs[i:i + half]) for i in range(0, n, half)], work / "dt-ours-in")
    stage = MinHashDedup(threshold=MATCHED_J,
                         shingling=LshParams(ngram=5, num_perm=DT_BANDS * DT_ROWS, bands=DT_BANDS, rows=DT_ROWS))
    runs, answers, ray_start = [], [], []

    def ours():
        # cold, as datatrove is: Ray's start is inside the timing, like datatrove's pool starts
        ray.shutdown()
        t = time.perf_counter()
        start_ray(num_cpus=2)
        ray_start.append(time.perf_counter() - t)
        runs.append(run_global(stage.model_copy(), inp, work / f"dt-ours-{len(runs)}"))

    def datatrove():
        answers.append(run_peer("dt_minhash", {"input_dir": str(jsonl), "work_dir": str(work / f"dt-{len(answers)}"),
                                               "workers": 2, "ngram": 5, "num_buckets": DT_BANDS,
                                               "hashes_per_bucket": DT_ROWS}))

    t_o, _ = _alternate(ours, datatrove, repeats)
    # datatrove's own timing of its four executors (each starts its worker pool); its interpreter
    # start-up and reading the answer back are left out, as ours leaves out this interpreter's
    t_b = statistics.median(a["seconds"]["total"] for a in answers)
    texts = [d["text"] for d in docs]
    acc = {}
    for j in (MATCHED_J, 0.8):
        truth = true_jaccard_pairs(texts, j)
        removed = runs[-1].removed
        acc[j] = (pair_accuracy(ids, truth, removed.column("id").to_pylist() if removed else [],
                                removed.column("duplicate_of").to_pylist() if removed else []),
                  pair_accuracy(ids, truth, answers[-1]["removed"], answers[-1]["duplicate_of"]))
    dt = answers[-1]
    stages = ", ".join(f"{k} {v:.1f}" for k, v in dt["seconds"].items())
    quality = "; ".join(
        f"vs {o['true_pairs']} true pairs J>={j}: ours P {o['precision']:.3f} R {o['recall']:.3f} "
        f"({o['removed_pairs']} removed), datatrove P {d['precision']:.3f} R {d['recall']:.3f} "
        f"({d['removed_pairs']} removed)" for j, (o, d) in acc.items())
    return _row("minhash_dedup whole vs datatrove 4-stage MinHash, cold vs cold", n / t_o, n / t_b, "docs/s",
                f"{n} English docs 2-4 KB, 10% near-dups; 5-gram words, 112 perm = 14 bands x 8 rows, "
                f"2 CPUs each, median of {repeats} alternating; wall ours {t_o:.1f} s incl. Ray start "
                f"{statistics.median(ray_start):.1f} s (Parquet in/out, candidates verified at exact J>={MATCHED_J}), "
                f"datatrove {t_b:.1f} s incl. its pool starts (2 workers, JSONL in/out, unverified; last run: "
                f"{stages}). Matched threshold: datatrove's bands have their midpoint at J~{MATCHED_J}, ours "
                f"verifies at {MATCHED_J}. Truth = exact Jaccard of our shingles (NFKC, casefold; datatrove "
                f"normalises differently, so it is the judge's view, not datatrove's): {quality}; "
                "duplicate_of for datatrove = the doc its cluster kept (save_cluster_id)")


class PeakRss:
    """Peak summed RSS of this process and all its descendants (Ray's raylet, GCS, workers)."""

    def __init__(self, interval: float = 0.5):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    @staticmethod
    def _tree_rss() -> int:
        parents, rss = {}, {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            parents[int(pid)] = int(fields.get("PPid", "0").strip())
            rss[int(pid)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        me, total = os.getpid(), 0
        for pid in rss:
            p = pid
            while p and p != me:
                p = parents.get(p, 0)
            total += rss[pid] if p == me else 0
        return total

    def __enter__(self):
        self.start = self._tree_rss()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def end_to_end(pools: Pools, n: int, work: Path) -> tuple[float, "PeakRss", dict]:
    shard_dir = work / f"e2e-{n}"
    docs_per_shard = 10_000
    src = StageDir(shard_dir / "in")
    made = 0
    for start in range(0, n, 100_000):   # generate in slices: 1M documents never sit in memory
        docs = generate(min(100_000, n - start), dup_rate=0.1, seed=start, pools=pools)
        for i in range(0, len(docs), docs_per_shard):
            t = documents_table([{**d, "id": f"{start}-{d['id']}"} for d in docs[i:i + docs_per_shard]])
            src.write_shard(f"{made:05d}", t, Result(t), 0.0, 0)
            made += 1
        del docs
    with PeakRss() as rss:
        t = time.perf_counter()
        run = run_global(MinHashDedup(), src, shard_dir, removed_samples=5)
        wall = time.perf_counter() - t
    return wall, rss, {**run.counters, "seconds": run.ctx.info.get("seconds")}


def run(quick: bool = False) -> list[dict]:
    start_ray(num_cpus=2)
    pools = Pools.load()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows.append(bench_signatures(pools, 4000 if quick else 20000, 1 if quick else 3, work))
        rows += bench_accuracy(pools, 800 if quick else 4000, work)
        rows.append(vs_datatrove(pools, 3000 if quick else 20_000, 1 if quick else 2, work))
        if not quick:
            n = 100_000
            wall, rss, counters = end_to_end(pools, n, work)
            rows.append(_row("minhash_dedup end to end", n / wall, None, "docs/s",
                             f"{n} docs, wall {wall:.1f} s, RSS driver+Ray {rss.start / 2**30:.2f} GiB "
                             f"before, peak {rss.peak / 2**30:.2f} GiB, "
                             f"removed {counters.get('near_duplicates')}, candidates "
                             f"{counters.get('minhash_candidate_pairs')}, phases {counters.get('seconds')}"))
    return rows


def scale(max_docs: int) -> list[dict]:
    start_ray(num_cpus=2)
    pools = Pools.load()
    rows = []
    n = 100_000
    while n <= max_docs:
        with tempfile.TemporaryDirectory() as tmp:
            wall, rss, counters = end_to_end(pools, n, Path(tmp))
        rows.append(_row(f"minhash_dedup scale {n}", n / wall, None, "docs/s",
                         f"wall {wall:.1f} s, RSS driver+Ray {rss.start / 2**30:.2f} GiB before, "
                         f"peak {rss.peak / 2**30:.2f} GiB, candidates {counters.get('minhash_candidate_pairs')}, "
                         f"removed {counters.get('near_duplicates')}, phases {counters.get('seconds')}"))
        print(rows[-1], flush=True)
        n *= 10
    return rows


if __name__ == "__main__":
    if "--scale" in sys.argv:
        top = int(sys.argv[sys.argv.index("--scale-max") + 1]) if "--scale-max" in sys.argv else 1_000_000
        scale(top)
    else:
        for row in run(quick="--quick" in sys.argv):
            print(row)
