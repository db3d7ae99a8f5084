"""The e2e run (bench_e2e: WARC -> extract -> filters -> MinHash -> tokens, 166 sample pages,
2 CPUs) with the machine also busy: ours vs datatrove, and ours with library thread pools
limited, to find why ours slows down more under load.

Load: a fixed CPU hog started and stopped by this bench (`HOG_PROCS` processes spinning in a
tight loop, one per CPU), so "busy" is the same for every run. Runs alternate quiet / busy for
each side; medians. Rows:
- slowdown under load (busy wall / quiet wall), ours vs datatrove: ratio = datatrove's slowdown /
  ours (> 1: we suffer less);
- ours busy, thread pools limited vs default: with RAYON_NUM_THREADS=1 (tokenizers' Rust pool),
  OMP_NUM_THREADS=1, OPENBLAS/MKL_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false, ARROW's
  OMP... in the driver's environment (Ray's local workers inherit it), vs the defaults (every
  worker process's pools sized to all CPUs: 2 workers x 2+ threads on 2 CPUs).

    python -m bench.bench_load [--quick]
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_e2e import SAMPLE_WARC, english_text, run_datatrove, run_ours, split_warc, train_tokenizer

HOG_PROCS = os.cpu_count() or 2
THREAD_LIMITS = {"RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                 "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


class CpuHog:
    """`HOG_PROCS` busy-looping processes for the duration of a `with` block."""

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(HOG_PROCS)]
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


def run(quick: bool = False) -> list[dict]:
    repeats = 1 if quick else 3
    limited_env = {**os.environ, **THREAD_LIMITS}
    times: dict[str, list[float]] = {k: [] for k in ("ours", "ours_busy", "ours_busy_limited", "ours_limited",
                                                     "dt", "dt_busy")}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as d:
        tmp = Path(d)
        warcs = tmp / "warcs"
        split_warc(SAMPLE_WARC, warcs, 2)
        tokenizer = tmp / "tokenizer.json"
        train_tokenizer(english_text(warcs), tokenizer)
        for r in range(repeats):
            times["ours"].append(run_ours(tmp, warcs, tokenizer, 24, f"q{r}")["seconds"])
            times["ours_limited"].append(run_ours(tmp, warcs, tokenizer, 24, f"ql{r}", limited_env)["seconds"])
            times["dt"].append(run_datatrove(tmp, warcs, tokenizer, f"q{r}")["seconds"])
            with CpuHog():
                times["ours_busy"].append(run_ours(tmp, warcs, tokenizer, 24, f"b{r}")["seconds"])
                times["ours_busy_limited"].append(run_ours(tmp, warcs, tokenizer, 24, f"bl{r}", limited_env)["seconds"])
                times["dt_busy"].append(run_datatrove(tmp, warcs, tokenizer, f"b{r}")["seconds"])
    m = {k: statistics.median(v) for k, v in times.items()}
    slow_o, slow_d, slow_l = m["ours_busy"] / m["ours"], m["dt_busy"] / m["dt"], m["ours_busy_limited"] / m["ours_limited"]
    walls = ", ".join(f"{k} {v:.1f} s" for k, v in m.items())
    hog = f"{HOG_PROCS} busy-loop processes (one per CPU) started and stopped by the bench"
    return [
        {"what": "e2e slowdown under load (166 pages, 2 CPUs): ours vs datatrove", "ours": slow_o, "baseline": slow_d,
         "ratio": slow_d / slow_o, "unit": "busy/quiet wall",
         "notes": f"load: {hog}; median of {repeats}, quiet and busy alternating; walls: {walls}"},
        {"what": "e2e under load, library thread pools limited to 1 vs default (ours)",
         "ours": 166 / m["ours_busy_limited"], "baseline": 166 / m["ours_busy"],
         "ratio": m["ours_busy"] / m["ours_busy_limited"], "unit": "docs/s",
         "notes": f"limited = {' '.join(f'{k}={v}' for k, v in THREAD_LIMITS.items())} in the driver's env "
                  f"(Ray's local workers inherit it); slowdown busy/quiet limited {slow_l:.2f} vs default "
                  f"{slow_o:.2f}; quiet limited/default wall {m['ours_limited']:.1f}/{m['ours']:.1f} s"},
    ]


if __name__ == "__main__":
    import json
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
