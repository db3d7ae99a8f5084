"""Scaling: the same recipe (WARC -> extract -> language -> Gopher -> C4 -> FineWeb) with 1 and 2 Ray
workers (`ray.num_cpus`), each a fresh `python -m pipeline run` in its own run directory.

ours = docs/s with 2 workers, baseline = docs/s with 1 worker, ratio = speedup (2.0 is ideal; the
machine's other load and Ray's fixed start-up cost pull it down). Runs alternate 1, 2, 1, 2, ...;
medians. Input: a WARC built by bench/corpus_warc.py from the real pages in shared/data.

    python -m bench.bench_scaling [--quick]
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus_warc import write_warc

REPO = Path(__file__).resolve().parents[1]
RECIPE = """
name: bench-scaling
seed: 0
output: {out}
ray: {{num_cpus: {cpus}}}
removed_samples: 0
sources:
  - {{name: web, format: warc, paths: [{warc}], shard_docs: {shard_docs}}}
stages:
  - stage: extract
  - stage: language
  - stage: stages.gopher:GopherQuality
  - stage: stages.gopher:GopherRepetition
  - stage: stages.c4:C4Quality
  - stage: stages.fineweb:FineWebQuality
"""


def run_once(tmp: Path, warc: Path, cpus: int, shard_docs: int, tag: str) -> tuple[float, dict]:
    out = tmp / f"run-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    recipe = tmp / f"{tag}.yaml"
    recipe.write_text(RECIPE.format(out=out, cpus=cpus, warc=warc, shard_docs=shard_docs))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "pipeline", "run", str(recipe), "--quiet"], cwd=REPO,
                       capture_output=True, text=True)
    secs = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"scaling run ({cpus} cpus) failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return secs, json.loads((out / "stats.json").read_text())


def run(quick: bool = False) -> list[dict]:
    mb, repeats, shard_docs = (4, 1, 16) if quick else (20, 3, 40)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as d:
        tmp = Path(d)
        info = write_warc(tmp / "corpus.warc.gz", mb)
        secs = {1: [], 2: []}
        kept = {}
        for i in range(repeats):
            for cpus in (1, 2):
                s, stats = run_once(tmp, Path(info["path"]), cpus, shard_docs, f"{cpus}-{i}")
                secs[cpus].append(s)
                kept[cpus] = stats["stages"][-1]["docs_out"]
        n = info["records"]
        one, two = statistics.median(secs[1]), statistics.median(secs[2])
        assert kept[1] == kept[2], f"1 and 2 workers kept different counts: {kept}"
        rows.append({"what": f"recipe on {mb} MB WARC ({n} pages), 2 vs 1 Ray workers",
                     "ours": n / two, "baseline": n / one, "ratio": one / two, "unit": "docs/s",
                     "notes": f"wall incl. Ray start; 1 worker {one:.1f} s, 2 workers {two:.1f} s; "
                              f"kept {kept[2]} docs with both; {repeats} run(s) each"})
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
