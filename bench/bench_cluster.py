"""Cluster-readiness figures (issue #15), measured in one run on this machine.

1. end to end: the default recipe's stages through `minhash_dedup` on a WARC of 1,000 records
   (bench/corpus_warc.py --gold: the 363 distinct real pages of shared/data's WARCs and gold sets,
   then copies re-emitted with their own record ids) vs bare `trafilatura.extract` over the same pages with
   `multiprocessing.Pool(2)`. Both are fresh processes, so our Ray start is counted. Alternated,
   medians. Goal: ours <= 1.25x.
2. run folder bytes vs what the run delivers: the final documents written out as Parquet by
   `pipeline.export` (dedup stages keep views, not copies, so the last stage's folder alone is not
   the size of its documents) plus the report and stats.json; goal <= 1.3x, on the distinct pages
   only (one run) and on the e2e run with copies, with the folder split by kind (stored documents,
   report, removed samples, records), and stored documents vs final documents.
3. minhash_dedup at 100k / 300k / 1M documents (bench/corpus.py): wall time, and peak RSS of
   every process of the run (the driver and each Ray worker), summed and largest.
4. exact_dedup at the same sizes (`--exact-sizes`).
5. one page copied N times among 100k documents, minhash and exact (`--giant-copies`): memory
   must not grow with the size of one cluster.

    python -m bench --only cluster            # or: python -m bench.bench_cluster --dedup-sizes 100000
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# (quick, full) seconds for `python -m bench`: full runs MinHash and exact dedup up to 1M documents
# and two giant clusters (~1 h on a quiet 2-CPU machine); rows are written only at the end.
TIMEOUT_SECONDS = (900, 10800)

BARE = r"""
import sys, time
from multiprocessing import Pool
from fastwarc.warc import ArchiveIterator, WarcRecordType
import trafilatura

def pages(path):
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, record_types=WarcRecordType.response):
            # fastwarc parses the HTTP headers: the reader holds the body only
            yield rec.reader.read().decode("utf-8", "replace")

def extract(html):
    return trafilatura.extract(html) or ""

if __name__ == "__main__":
    with Pool(2) as pool:
        out = pool.map(extract, pages(sys.argv[1]), chunksize=8)
    print(sum(1 for t in out if t))
"""


def build_warc(work: Path, pages: int, unique: bool = False) -> dict:
    """`pages` records: every distinct real page of shared/data once (WARCs and gold sets), then
    copies with their own ids; with `unique` the distinct pages only."""
    from bench.corpus_warc import write_warc
    return write_warc(work / ("distinct.warc.gz" if unique else "pages.warc.gz"), gold=True, records=pages,
                      unique=unique)


def folder_parts(work: Path, run_dir: Path, name: str) -> dict[str, int]:
    """Bytes of the run folder by kind, and of the final documents exported as Parquet."""
    from pipeline.export import export_stage
    from pipeline.shards import final_stage
    stats = json.loads((run_dir / "stats.json").read_text())
    export_stage(final_stage(stats), str(work / name), "parquet")
    parts = {"folder": tree_bytes(run_dir), "final_documents": tree_bytes(work / name / "data"),
             "report": sum(p.stat().st_size for p in run_dir.glob("report.*")) + (run_dir / "stats.json").stat().st_size,
             "stored_documents": sum(p.stat().st_size for p in run_dir.glob("stages/*/shards/*.parquet")),
             "samples": sum(p.stat().st_size for p in run_dir.glob("stages/*/removed/*.parquet"))
             + sum(p.stat().st_size for p in run_dir.glob("stages/*/quarantine/*.parquet"))}
    parts["other"] = parts["folder"] - parts["report"] - parts["stored_documents"] - parts["samples"]
    # Export writes zstd at Arrow's default level (1); the run folder writes level 3 without
    # dictionaries. The same final documents as one file with the run folder's options, for a
    # like-for-like reading of the ratio (not its definition).
    import pyarrow.parquet as pq
    from pipeline import storage
    table = pq.read_table(work / name / "data")
    parts["final_documents_run_opts"] = storage.parquet_bytes(table).size
    return parts


def _parts_note(p: dict[str, int]) -> str:
    mb = {k: v / 1e6 for k, v in p.items()}
    return (f"run folder {mb['folder']:.2f} MB = stored documents {mb['stored_documents']:.2f} + report and stats "
            f"{mb['report']:.2f} + removed/quarantine samples {mb['samples']:.2f} + records, ids, views "
            f"{mb['other']:.2f}; final documents exported as Parquet {mb['final_documents']:.2f} MB (as one file with "
            f"the run folder's Parquet options, zstd 3: {mb['final_documents_run_opts']:.2f} MB; ratio on that basis "
            f"{p['folder'] / max(1, p['final_documents_run_opts'] + p['report']):.2f}x)")


def recipe_through_minhash(warc: str, out: Path, path: Path, engine: str | None = None) -> Path:
    default = yaml.safe_load((REPO / "recipes" / "default.yaml").read_text())
    stages = []
    for s in default["stages"]:
        stages.append({**s, "engine": engine} if engine and s["stage"] == "extract" else s)
        if s["stage"] == "minhash_dedup":
            break
    recipe = {"name": "bench-cluster", "seed": 1, "output": str(out),
              "sources": [{"name": "web", "format": "warc", "paths": [warc], "shard_docs": 40}],
              "stages": stages, "ray": {"num_cpus": 2}}
    path.write_text(yaml.safe_dump(recipe))
    return path


def _timed(cmd: list[str], **kw) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {r.stderr[-2000:]}")
    return time.perf_counter() - t


def _timed_cpu(cmd: list[str], **kw) -> tuple[float, float]:
    """(wall, CPU seconds of the process and every child it waited for: the bare Pool's workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = _timed(cmd, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def time_parts(run_dir: Path, launched: float, wall: float) -> dict[str, float]:
    """Where one run's wall time went, from when its files were written: start (interpreter,
    imports, recipe, plan; Ray starting meanwhile) until plan.json; ingest and the map chain (Ray's
    start finishing first) until the chain's last completion record; the global stages; stats
    and the report; and the rest (exit, Ray shutdown). Plus the task CPU of extraction."""
    stats = json.loads((run_dir / "stats.json").read_text())
    dirs = {s["id"]: Path(s["dir"]) for s in stats["stages"]}
    globals_ = [s["id"] for s in stats["stages"] if "fused" not in json.loads((dirs[s["id"]] / "_SUCCESS.json").read_text())
                and s["id"] != "ingest"]
    chain_end = max((dirs[s["id"]] / "_SUCCESS.json").stat().st_mtime for s in stats["stages"] if s["id"] not in globals_)
    global_end = max([(dirs[g] / "_SUCCESS.json").stat().st_mtime for g in globals_] or [chain_end])
    marks = [launched, (run_dir / "plan.json").stat().st_mtime, chain_end, global_end,
             (run_dir / "report.html").stat().st_mtime, launched + wall]
    names = ["start", "ingest+chain", "global stages", "stats+report", "exit"]
    parts = {n: round(b - a, 2) for n, a, b in zip(names, marks, marks[1:])}
    parts["extract task CPU"] = round(next(s["cpu_seconds"] for s in stats["stages"] if s["id"] == "extract"), 1)
    parts["other map stages' task CPU"] = round(sum(s["cpu_seconds"] for s in stats["stages"]
                                                    if s["id"] not in globals_ and s["id"] not in ("ingest", "extract")), 1)
    return parts


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def end_to_end(work: Path, pages: int, repeats: int) -> list[dict]:
    info = build_warc(work, pages)
    warc = info["path"]
    bare = work / "bare.py"
    bare.write_text(BARE)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ours_t, bare_t, auto_t, bare_cpu, parts = [], [], [], [], []
    run_dir = None
    for i in range(repeats):
        run_dir = work / f"run{i}"
        recipe = recipe_through_minhash(warc, run_dir, work / f"r{i}.yaml")
        launched = time.time()
        ours_t.append(_timed([sys.executable, "-m", "pipeline", "run", str(recipe), "--quiet"], cwd=REPO, env=env))
        parts.append(time_parts(run_dir, launched, ours_t[-1]))
        wall, cpu = _timed_cpu([sys.executable, str(bare), warc], env=env)
        bare_t.append(wall)
        bare_cpu.append(cpu)
        auto = recipe_through_minhash(warc, work / f"auto{i}", work / f"a{i}.yaml", engine="auto")
        auto_t.append(_timed([sys.executable, "-m", "pipeline", "run", str(auto), "--quiet"], cwd=REPO, env=env))
    o, b, a = statistics.median(ours_t), statistics.median(bare_t), statistics.median(auto_t)
    auto_kept = json.loads((work / f"auto{repeats - 1}" / "stats.json").read_text())["stages"][-1]["docs_out"]
    stats = json.loads((run_dir / "stats.json").read_text())
    copies = folder_parts(work, run_dir, "final")
    # The same accounting where no document is a copy: every distinct real page once.
    distinct = build_warc(work, pages, unique=True)
    d_run = work / "run-distinct"
    _timed([sys.executable, "-m", "pipeline", "run", str(recipe_through_minhash(distinct["path"], d_run,
                                                                               work / "rd.yaml")), "--quiet"],
           cwd=REPO, env=env)
    d = folder_parts(work, d_run, "final-distinct")
    d_kept = json.loads((d_run / "stats.json").read_text())["stages"][-1]["docs_out"]
    return [
        {"name": "cluster: default stages through minhash vs bare trafilatura Pool(2)", "ours": o, "baseline": b,
         "unit": "s", "ratio": o / b,
         "notes": f"{info['records']} WARC records ({info['distinct_pages']} distinct real pages, then copies with "
                  f"their own ids), {stats['stages'][-1]['docs_out']} docs kept; medians of {repeats} alternated "
                  f"runs; ours = `python -m pipeline run` in a fresh process (Ray start and the report counted); "
                  f"goal <= 1.25x; runs ours {[round(x, 1) for x in ours_t]} bare {[round(x, 1) for x in bare_t]}"},
        {"name": "cluster: where the default run's time goes (s, median part of the runs above)",
         "ours": o, "baseline": b, "unit": "s", "ratio": o / b,
         "notes": "ours: " + ", ".join(f"{k} {statistics.median(p[k] for p in parts):.1f}" for k in parts[0])
                  + f"; bare: wall {b:.1f}, CPU of its process and Pool workers {statistics.median(bare_cpu):.1f} "
                  f"(extraction of {info['records']} records plus reading the WARC); from the run folder's file "
                  f"times (bench_cluster.time_parts)"},
        {"name": "cluster: default stages through minhash with extract engine auto vs bare trafilatura Pool(2)",
         "ours": a, "baseline": b, "unit": "s", "ratio": a / b,
         "notes": f"the same WARC and runs, alternated with the rows above; extract `engine: auto` (#20: resiliparse, "
                  f"trafilatura where the fast text looks wrong); {auto_kept} docs kept (default engine "
                  f"{stats['stages'][-1]['docs_out']}); runs {[round(x, 1) for x in auto_t]}"},
        {"name": "cluster: run folder / (final documents + report), distinct pages", "ours": d["folder"],
         "baseline": d["final_documents"] + d["report"], "unit": "bytes",
         "ratio": d["folder"] / max(1, d["final_documents"] + d["report"]),
         "notes": f"{distinct['records']} records, each a distinct real page, {d_kept} docs kept; {_parts_note(d)}; "
                  f"goal <= 1.3x. The samples (removed_samples: 20 per reason and stage) are most removed "
                  f"documents at this size; they stay bounded as runs grow"},
        {"name": "cluster: run folder / final documents alone, distinct pages", "ours": d["folder"],
         "baseline": d["final_documents"], "unit": "bytes", "ratio": d["folder"] / max(1, d["final_documents"]),
         "notes": "the same run, the report not counted as an output: what is above 1 is the report, the removed "
                  "and quarantine samples and the records, fixed or bounded sizes that a larger input dilutes"},
        {"name": "cluster: stored documents / final documents, distinct pages", "ours": d["stored_documents"],
         "baseline": d["final_documents"], "unit": "bytes",
         "ratio": d["stored_documents"] / max(1, d["final_documents"]),
         "notes": "documents are written once: the chain's end only (dedup stages keep views)"},
        {"name": "cluster: run folder / (final documents + report), with copies", "ours": copies["folder"],
         "baseline": copies["final_documents"] + copies["report"], "unit": "bytes",
         "ratio": copies["folder"] / max(1, copies["final_documents"] + copies["report"]),
         "notes": f"the e2e run above (input WARC {info['bytes'] / 1e6:.1f} MB); {_parts_note(copies)}; the chain's "
                  f"end keeps the text of every record, copies included, which dedup needs and then removes by view"},
    ]


class ProcessPeaks:
    """Peak RSS of each process below this one (driver included) and of their sum, sampled."""

    def __init__(self, interval: float = 0.5):
        self.interval, self.peak_sum, self.peaks, self._stop = interval, 0, {}, threading.Event()

    @staticmethod
    def _processes() -> dict[int, tuple[int, str, int]]:
        """pid -> (parent pid, name, resident bytes), from /proc/<pid>/stat and statm."""
        page = os.sysconf("SC_PAGE_SIZE")
        out = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                    resident = int(Path(entry.path, "statm").read_text().split()[1]) * page
                except (OSError, IndexError, ValueError):
                    continue
                name = stat[stat.index("(") + 1: stat.rindex(")")]
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
                out[int(entry.name)] = (ppid, name, resident)
        return out

    def _sample(self) -> None:
        procs, me, total = self._processes(), os.getpid(), 0
        for pid, (_, name, resident) in procs.items():
            up = pid
            while up and up != me:
                up = procs.get(up, (0,))[0]
            if up == me:
                total += resident
                self.peaks[(pid, name)] = max(self.peaks.get((pid, name), 0), resident)
        self.peak_sum = max(self.peak_sum, total)

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def largest(self) -> tuple[str, int]:
        (pid, name), r = max(self.peaks.items(), key=lambda kv: kv[1])
        return ("driver" if pid == os.getpid() else name), r


def _corpus_docs(n: int, giant: int, pools):
    """n bench/corpus.py documents (10% near-duplicates, generated in slices of 100,000 so 1M
    documents never sit in memory) with `giant` exact copies of one more page spread evenly
    among them: one cluster the size of `giant` (a cookie wall or parked-domain page)."""
    import random
    from bench.corpus import generate, original
    rng = random.Random(15)
    page = original(random.Random(7), pools.en, "en")
    made = copies = 0
    while made < n or copies < giant:
        docs = [] if made >= n else generate(min(100_000, n - made), dup_rate=0.1, seed=made, pools=pools)
        start, made = made, made + len(docs)
        # this slice's share of the copies, so they spread evenly over the whole corpus
        share = giant - copies if made >= n else round(giant * made / n) - copies
        slots = sorted(rng.sample(range(len(docs) + share), share))
        it, j = iter(docs), 0
        for pos in range(len(docs) + share):
            if j < len(slots) and slots[j] == pos:
                yield {"id": f"giant-{copies:07d}", "source": "site0", "url": f"https://parked.example/{copies}",
                       "text": page, "metadata": {"family": "giant"}}
                copies, j = copies + 1, j + 1
            else:
                x = next(it)
                yield {**x, "id": f"{start}-{x['id']}"}


def write_corpus(path: str, n: int, giant: int = 0) -> int:
    """bench/corpus.py documents (plus `giant` copies of one page) as shards of 10,000 under
    `path` (run in a child process, so the sentence pools and generated texts never count
    towards the measured driver's memory)."""
    from bench.corpus import Pools
    from pipeline.documents import documents_table
    from pipeline.shards import StageDir
    from pipeline.stage import Result
    src, made, batch = StageDir(path), 0, []

    def flush():
        nonlocal made
        t = documents_table(batch)
        src.write_shard(f"{made:05d}", t, Result(t), 0.0, 0)
        made += 1
        batch.clear()

    for doc in _corpus_docs(n, giant, Pools.load()):
        batch.append(doc)
        if len(batch) == 10_000:
            flush()
    if batch:
        flush()
    return made


def _measured(stage, work: Path, n: int, giant: int, label: str, counters: tuple[str, ...]) -> dict:
    """One run of `stage` on a fresh corpus, with wall time and the peak RSS of every process."""
    import multiprocessing
    import shutil
    from concurrent.futures import ProcessPoolExecutor
    from pipeline.shards import StageDir
    from stages.dedup.local import run_global
    d = work / f"{type(stage).__name__}-{n}-{giant}"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(write_corpus, str(d / "in"), n, giant).result()
    load = os.getloadavg()[0]
    with ProcessPeaks() as peaks:
        t = time.perf_counter()
        run = run_global(stage, StageDir(d / "in"), d, removed_samples=5, read_output=False)
        wall = time.perf_counter() - t
    who, biggest = peaks.largest()
    driver = max((r for (pid, _), r in peaks.peaks.items() if pid == os.getpid()), default=0)
    workers = [r for (pid, name), r in peaks.peaks.items()
               if name.startswith("ray::") and not name.startswith(("ray::Dashboard", "ray::RuntimeEnv"))]
    shutil.rmtree(d, ignore_errors=True)
    docs = n + giant
    row = {"name": label, "ours": docs / wall, "baseline": None, "unit": "docs/s",
           "notes": f"wall {wall:.1f} s; peak RSS summed over driver + Ray processes "
                    f"{peaks.peak_sum / 2**30:.2f} GiB, largest one process {biggest / 2**30:.2f} GiB "
                    f"({who}), driver {driver / 2**30:.2f} GiB, largest Ray worker "
                    f"{max(workers, default=0) / 2**30:.2f} GiB ({len(workers)} workers); "
                    f"{len(peaks.peaks)} processes; "
                    + "; ".join(f"{c} {run.counters.get(c)}" for c in counters)
                    + f"; phases {run.ctx.info.get('seconds')}; load {load:.1f} at start, "
                      f"{os.getloadavg()[0]:.1f} at end (2 cores)",
           "peak_sum": peaks.peak_sum, "peak_largest": biggest, "peak_driver": driver}
    print(row, flush=True)
    return row


MINHASH_COUNTERS = ("near_duplicates", "near_duplicate_clusters", "minhash_candidate_pairs")
EXACT_COUNTERS = ("exact_duplicates", "exact_duplicate_groups")


def minhash_scale(work: Path, sizes: list[int]) -> list[dict]:
    from pipeline.executor import start_ray
    from stages.dedup.fuzzy import MinHashDedup
    start_ray(num_cpus=2)
    return [_measured(MinHashDedup(), work, n, 0, f"cluster: minhash_dedup {n:,} docs", MINHASH_COUNTERS)
            for n in sizes]


def exact_scale(work: Path, sizes: list[int]) -> list[dict]:
    """exact_dedup alone on the minhash_scale corpus (its near-duplicates are mostly not exact
    copies; the exact ones are few)."""
    from pipeline.executor import start_ray
    from stages.dedup.exact import ExactDedup
    start_ray(num_cpus=2)
    return [_measured(ExactDedup(), work, n, 0, f"cluster: exact_dedup {n:,} docs", EXACT_COUNTERS)
            for n in sizes]


def giant_cluster(work: Path, copies: list[int], normal: int = 100_000) -> list[dict]:
    """minhash_dedup and exact_dedup on `normal` documents plus one page copied `copies` times:
    no task may hold all pairs of its bucket, nor grow with the cluster beyond its records."""
    from pipeline.executor import start_ray
    from stages.dedup.exact import ExactDedup
    from stages.dedup.fuzzy import MinHashDedup
    start_ray(num_cpus=2)
    rows = []
    for c in copies:
        rows.append(_measured(MinHashDedup(), work, normal, c,
                              f"cluster: minhash_dedup {normal:,} docs + one page x {c:,}", MINHASH_COUNTERS))
        rows.append(_measured(ExactDedup(), work, normal, c,
                              f"cluster: exact_dedup {normal:,} docs + one page x {c:,}", EXACT_COUNTERS))
    return rows


def run(quick: bool = False, pages: int = 1000, dedup_sizes: list[int] | None = None) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows += end_to_end(work, pages, 1 if quick else 2)
        sizes = dedup_sizes if dedup_sizes is not None else ([20_000] if quick else [100_000, 300_000, 1_000_000])
        rows += minhash_scale(work, sizes)
        rows += exact_scale(work, sizes)
        rows += giant_cluster(work, [3_000] if quick else [100_000, 300_000], 10_000 if quick else 100_000)
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--dedup-sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=None)
    ap.add_argument("--exact-sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=None)
    ap.add_argument("--giant-copies", type=lambda s: [int(x) for x in s.split(",") if x], default=None,
                    help="one page copied this many times among --giant-normal documents")
    ap.add_argument("--giant-normal", type=int, default=100_000)
    ap.add_argument("--skip-e2e", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = [] if a.skip_e2e else end_to_end(Path(tmp), a.pages, a.repeats)
        for r in out:
            print(r, flush=True)
        if a.dedup_sizes:
            out += minhash_scale(Path(tmp), a.dedup_sizes)
        if a.exact_sizes:
            out += exact_scale(Path(tmp), a.exact_sizes)
        if a.giant_copies:
            out += giant_cluster(Path(tmp), a.giant_copies, a.giant_normal)
    print(json.dumps(out, indent=1, default=float))
