"""Our filters and pipeline vs NeMo Curator 1.4 (second peer, `.bench/nemo`), on CPU.

Rows:
- Gopher quality and Gopher repetition rules: ours (`gopher_quality`, `gopher_repetition`
  judge_texts) vs NeMo Curator's DocumentFilters for the same Gopher rules at their defaults
  (bench/peers/nemo_filters.py), on the English web documents of peers/filters.py; 1 core each
  side, alternating halves of our repeats around the peer's, medians; keep/remove agreement.
- the text pipeline on Ray, cold vs cold: JSONL in -> both rule sets -> JSONL/Parquet out on
  2 CPUs; ours `run_recipe` in a fresh process (Ray start inside the timing), NeMo Curator's
  Pipeline on RayDataExecutor in a fresh process (its Ray start inside the timing).
- exact dedup: NeMo Curator 1.4's ExactDeduplicationWorkflow imports cudf (RAPIDS, GPU only),
  so it cannot run on this CPU machine: the row says so with the import error.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.peers import NEMO_PYTHON, REPO, run_peer
from bench.peers.filters import english_documents

RECIPE = """
name: bench-nemo
seed: 0
output: {out}
ray: {{num_cpus: 2}}
removed_samples: 0
sources:
  - {{name: web, format: jsonl, paths: ["{inp}/*.jsonl"], shard_docs: 500}}
stages:
  - {{stage: gopher_quality}}
  - {{stage: gopher_repetition}}
"""

_OURS_CHILD = """
import json, sys, time
t = time.perf_counter()
from pipeline import run_recipe
stats = run_recipe(sys.argv[1], quiet=True)
print("@@RUN@@" + json.dumps({"seconds": time.perf_counter() - t, "kept": stats["stages"][-1]["docs_out"]}))
"""


def judge_rows(texts: list[str], path: Path, repeats: int) -> list[dict]:
    from stages import segmentation
    from stages.gopher import GopherQuality, GopherRepetition
    ours = {"gopher_quality": GopherQuality(), "gopher_repetition": GopherRepetition()}
    langs = ["en"] * len(texts)
    verdicts = {k: f.judge_texts(texts, langs) for k, f in ours.items()}
    times: dict[str, list[float]] = {k: [] for k in ours}

    def time_ours(n):
        for _ in range(n):
            for k, f in ours.items():
                segmentation.CACHE.clear()
                t = time.perf_counter()
                f.judge_texts(texts, langs)
                times[k].append(time.perf_counter() - t)

    time_ours((repeats + 1) // 2)
    peer = run_peer("nemo_filters", {"mode": "judge", "texts_path": str(path), "repeats": repeats},
                    python=NEMO_PYTHON)
    time_ours(repeats // 2)
    rows = []
    for k in ours:
        mine, theirs = verdicts[k], peer[k]["verdicts"]
        t_o, t_p = statistics.median(times[k]), statistics.median(peer[k]["seconds"])
        same = sum((a is None) == (b is None) for a, b in zip(mine, theirs))
        kinds = Counter(f"{a or 'kept'} vs nemo:{b or 'kept'}" for a, b in zip(mine, theirs) if (a is None) != (b is None))
        rows.append({"what": f"{k} rules vs NeMo Curator's Gopher filters ({len(texts)} en web docs)",
                     "ours": len(texts) / t_o, "baseline": len(texts) / t_p, "ratio": t_p / t_o, "unit": "docs/s",
                     "notes": f"1 core each side, median of {repeats}, our segmentation cache cleared per "
                              f"rule set; NeMo: every rule's score_document + keep_document per doc (its "
                              f"DocumentFilters at their defaults = the Gopher paper's thresholds); agreement "
                              f"{100 * same / len(texts):.1f}%, kept ours {sum(a is None for a in mine)} / NeMo "
                              f"{sum(b is None for b in theirs)}; disagreements: "
                              + (", ".join(f"{n}x {d}" for d, n in kinds.most_common(4)) or "none")})
    return rows


def pipeline_row(texts: list[str], tmp: Path, files: int, repeats: int) -> dict:
    inp = tmp / "in"
    inp.mkdir()
    docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)]
    for f in range(files):
        with open(inp / f"part-{f:03d}.jsonl", "w") as out:
            out.writelines(json.dumps(d) + "\n" for d in docs[f::files])
    ours, theirs = [], []
    for r in range(repeats):
        out = tmp / f"ours-{r}"
        recipe = tmp / f"ours-{r}.yaml"
        recipe.write_text(RECIPE.format(out=out, inp=inp))
        p = subprocess.run([sys.executable, "-c", _OURS_CHILD, str(recipe)], cwd=REPO, capture_output=True, text=True)
        if p.returncode != 0 or "@@RUN@@" not in p.stdout:
            raise RuntimeError(f"our run failed:\n{p.stderr[-3000:]}")
        ours.append(json.loads(p.stdout.rsplit("@@RUN@@", 1)[1]))
        shutil.rmtree(out, ignore_errors=True)
        theirs.append(run_peer("nemo_filters", {"mode": "pipeline", "input_dir": str(inp),
                                                "output_dir": str(tmp / f"nemo-{r}"), "cpus": 2}, python=NEMO_PYTHON))
        shutil.rmtree(tmp / f"nemo-{r}", ignore_errors=True)
    t_o = statistics.median(x["seconds"] for x in ours)
    t_p = statistics.median(x["seconds"] for x in theirs)
    n = len(texts)
    return {"what": f"JSONL -> Gopher quality + repetition -> out on Ray vs NeMo Curator pipeline ({n} docs)",
            "ours": n / t_o, "baseline": n / t_p, "ratio": t_p / t_o, "unit": "docs/s",
            "notes": f"cold vs cold, 2 CPUs each, median of {repeats} alternating, fresh process each; wall "
                     f"ours {t_o:.1f} s (run_recipe incl. Ray start, Parquet out) / NeMo {t_p:.1f} s (Pipeline "
                     f"on RayDataExecutor incl. ray.init, JsonlReader -> {7 + 13} ScoreFilters -> JsonlWriter); "
                     f"{files} input files; kept ours {ours[-1]['kept']} / NeMo {theirs[-1]['kept']}"}


def exact_dedup_row() -> dict:
    p = subprocess.run([str(NEMO_PYTHON), "-c", "from nemo_curator.stages.deduplication.exact.workflow import "
                        "ExactDeduplicationWorkflow"], capture_output=True, text=True, cwd="/tmp")
    err = (p.stderr.strip().splitlines() or ["imports"])[-1]
    return {"what": "exact dedup vs NeMo Curator ExactDeduplicationWorkflow", "ours": None, "baseline": None,
            "ratio": None, "unit": "",
            "notes": ("not comparable on CPU: NeMo Curator 1.4's exact dedup needs RAPIDS cudf (GPU); "
                      f"importing it here: {err}") if p.returncode else "imports on CPU: add the comparison"}


def run(quick: bool = False) -> list[dict]:
    path = english_documents()
    texts = [json.loads(line)["text"] for line in path.read_text().splitlines()]
    rows = judge_rows(texts, path, 2 if quick else 4)
    with tempfile.TemporaryDirectory(prefix="bench-nemo-") as d:
        try:
            rows.append(pipeline_row(texts * (4 if quick else 20), Path(d), 4, 1 if quick else 3))
        except Exception as e:       # the Ray comparison failing must not hide the rows above
            last = (str(e).strip().splitlines() or [type(e).__name__])[-1][:300]
            rows.append({"what": "JSONL -> Gopher rules on Ray vs NeMo Curator pipeline", "ours": None,
                         "baseline": None, "ratio": None, "unit": "docs/s", "notes": f"failed: {last}"})
    rows.append(exact_dedup_row())
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}))
