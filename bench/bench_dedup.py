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
    from datasketch import MinHash
    from pipeline.global_context import GlobalContext
    docs = generate(n, dup_rate=0.1, seed=11, pools=pools)
    shards = [documents_table(docs[i:i + 2000]) for i in range(0, n, 2000)]
    inp = write_input(shards, work / "sig-in")
    ctx = GlobalContext("sig", inp, StageDir(work / "sig-out"), 0, 0)
    params = LshParams()
    jobs = [(ctx.input_path(s), i, params, 16, 8, str(work / "spill"), 4, False)
            for i, s in enumerate(ctx.input_shards)]
    texts = [d["text"] for d in docs]

    def ours():
        ctx.map(signature_task, jobs)

    def datasketch_path():
        items, sizes = item_lists(pa.array(texts), params)
        for it, k in zip(items, sizes):
            fn = char_shingle_hash if isinstance(it, str) else shingle_hash
            m = MinHash(num_perm=params.num_perm, seed=params.permutation_seed, hashfunc=fn)
            m.update_batch(shingles_of(it, k))

    ours()  # warm the workers (segmenters loaded once per worker)
    t_o, t_b = _alternate(ours, datasketch_path, repeats)
    return _row("minhash signatures (128 perm, 5-gram)", n / t_o, n / t_b, "docs/s",
                f"{n} docs 2-4 KB (30% Chinese); ours: Ray, 2 CPUs, incl. reading Parquet and "
                "writing band spill; baseline: datasketch update_batch, 1 process, same segmentation")


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


def vs_datatrove(pools: Pools, n: int, repeats: int, work: Path) -> dict:
    """Our whole MinHashDedup vs datatrove's 4 MinHash stages, same docs, 5-grams, 14 bands x 8 rows."""
    import json

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
    stage = MinHashDedup(shingling=LshParams(ngram=5, num_perm=112, bands=14, rows=8))
    runs, answers = [], []

    def ours():
        runs.append(run_global(stage, inp, work / f"dt-ours-{len(runs)}"))

    def datatrove():
        answers.append(run_peer("dt_minhash", {"input_dir": str(jsonl), "work_dir": str(work / f"dt-{len(answers)}"),
                                               "workers": 2, "ngram": 5, "num_buckets": 14, "hashes_per_bucket": 8}))

    t_o, _ = _alternate(ours, datatrove, repeats)
    # datatrove's own stage timings: its interpreter start-up and reading the answer back are left out
    t_b = statistics.median(a["seconds"]["total"] for a in answers)
    truth = true_jaccard_pairs([d["text"] for d in docs], 0.8)
    removed = runs[-1].removed
    acc_o = pair_accuracy(ids, truth, removed.column("id").to_pylist() if removed else [],
                          removed.column("duplicate_of").to_pylist() if removed else [])
    dt = answers[-1]
    acc_b = pair_accuracy(ids, truth, dt["removed"], dt["duplicate_of"])
    stages = ", ".join(f"{k} {v:.1f}" for k, v in dt["seconds"].items())
    return _row("minhash_dedup end to end vs datatrove 4-stage MinHash", n / t_o, n / t_b, "docs/s",
                f"{n} English docs 2-4 KB, 10% near-dups; 5-gram words, 112 perm = 14 bands x 8 rows, "
                f"2 CPUs, median of {repeats}; wall ours {t_o:.1f} s (Ray, Parquet in/out, jaccard verify), "
                f"datatrove {t_b:.1f} s (2 workers, JSONL in/out; last run: {stages}); "
                f"vs {acc_o['true_pairs']} true pairs (exact J>=0.8, our shingles): "
                f"ours P {acc_o['precision']:.3f} R {acc_o['recall']:.3f} ({acc_o['removed_pairs']} removed), "
                f"datatrove P {acc_b['precision']:.3f} R {acc_b['recall']:.3f} ({acc_b['removed_pairs']} removed; "
                "duplicate_of = the doc its cluster kept, from save_cluster_id)")


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
