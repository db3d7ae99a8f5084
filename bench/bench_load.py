"""The e2e run (bench_e2e: WARC -> extract -> filters -> MinHash -> tokens, 166 sample pages,
2 CPUs) with the machine also busy: ours vs datatrove, and ours with library thread pools
limited, to find why ours slows down more under load.

Load: a fixed CPU hog started and stopped by this bench (`HOG_PROCS` processes spinning in a
tight loop, one per CPU), so "busy" is the same for every run. Runs alternate quiet / busy for
each side; medians. Rows:
- slowdown under load (busy wall / quiet wall), ours vs datatrove: ratio = datatrove's slowdown /
  ours (> 1: we suffer less);
- ours busy, thread pools limited vs unlimited: RAYON_NUM_THREADS=1 (tokenizers' Rust pool),
  OMP/OPENBLAS/MKL_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false in the driver's env (Ray's local
  workers inherit it) vs the libraries' defaults spelled out (pools sized to every CPU in every worker:
  2 workers x 2 threads on 2 CPUs);
- without Ray: two processes encoding at once, default pools vs one thread each, quiet and busy.

    python -m bench.bench_load [--quick]
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_e2e import SAMPLE_WARC, english_text, run_datatrove, run_ours, split_warc, train_tokenizer

HOG_PROCS = os.cpu_count() or 2
THREAD_LIMITS = {"RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                 "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
# The libraries' own defaults, spelled out (pools sized to every CPU).
UNLIMITED = {**{k: str(HOG_PROCS) for k in THREAD_LIMITS}, "TOKENIZERS_PARALLELISM": "true"}


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


_ENCODER = """
import sys, time
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
texts = open(sys.argv[2], encoding="utf-8").read().split("\\x00")
tok.encode_batch_fast(texts[:50], add_special_tokens=False)
t = time.perf_counter()
tok.encode_batch_fast(texts, add_special_tokens=False)
print(time.perf_counter() - t)
"""


def encode_workers(tokenizer: Path, texts_file: Path, env: dict, workers: int = 2) -> float:
    """Wall seconds of `workers` processes each encoding the texts at once, as `workers` Ray tasks
    of our tokenize stage do (each reserves one CPU; tokenizers sizes its pool to the machine)."""
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", _ENCODER, str(tokenizer), str(texts_file)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    for p in procs:
        p.communicate()
        if p.returncode:
            raise RuntimeError(f"encoding process failed with exit code {p.returncode}")
    return time.perf_counter() - t


def thread_rows(repeats: int) -> list[dict]:
    """Without Ray: two encoding processes (like two tokenize tasks), default thread pools vs one
    thread each, quiet and under the hog."""
    from bench.bench_tokenize import documents
    from stages.tokenize import bpe
    texts = documents(1 << 20)
    with tempfile.TemporaryDirectory(prefix="bench-threads-") as d:
        tmp = Path(d)
        tok = bpe.train_tokenizer(bpe.TokenizerSpec(vocab_size=8000), texts[: len(texts) // 4])
        tok.save(str(tmp / "tok.json"))
        (tmp / "texts").write_text("\x00".join(texts), encoding="utf-8")
        default_env = {k: v for k, v in os.environ.items() if k not in THREAD_LIMITS}
        limited_env = {**default_env, **THREAD_LIMITS}
        t: dict[str, list[float]] = {k: [] for k in ("quiet_default", "quiet_limited", "busy_default", "busy_limited")}
        for _ in range(repeats):
            t["quiet_default"].append(encode_workers(tmp / "tok.json", tmp / "texts", default_env))
            t["quiet_limited"].append(encode_workers(tmp / "tok.json", tmp / "texts", limited_env))
            with CpuHog():
                t["busy_default"].append(encode_workers(tmp / "tok.json", tmp / "texts", default_env))
                t["busy_limited"].append(encode_workers(tmp / "tok.json", tmp / "texts", limited_env))
    m = {k: statistics.median(v) for k, v in t.items()}
    mb = 2 * sum(len(x.encode()) for x in texts) / 1e6
    return [{"what": f"2 encoding processes under load: thread pools limited vs default ({mb:.0f} MB)",
             "ours": mb / m["busy_limited"], "baseline": mb / m["busy_default"],
             "ratio": m["busy_default"] / m["busy_limited"], "unit": "MB/s",
             "notes": f"two processes each encode_batch_fast the same texts at once (as two tokenize tasks on "
                      f"2 CPUs); limited = {' '.join(f'{k}={v}' for k, v in THREAD_LIMITS.items())}; load: "
                      f"{HOG_PROCS} busy loops; median of {repeats}; walls quiet default/limited "
                      f"{m['quiet_default']:.2f}/{m['quiet_limited']:.2f} s, busy default/limited "
                      f"{m['busy_default']:.2f}/{m['busy_limited']:.2f} s"}]


def run(quick: bool = False) -> list[dict]:
    repeats = 1 if quick else 3
    rows = thread_rows(2 if quick else 5)
    limited_env = {**os.environ, **THREAD_LIMITS}
    unlimited_env = {**os.environ, **UNLIMITED}
    times: dict[str, list[float]] = {k: [] for k in ("ours", "ours_busy", "ours_busy_limited", "ours_limited",
                                                     "dt", "dt_busy")}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as d:
        tmp = Path(d)
        warcs = tmp / "warcs"
        split_warc(SAMPLE_WARC, warcs, 2)
        tokenizer = tmp / "tokenizer.json"
        train_tokenizer(english_text(warcs), tokenizer)
        for r in range(repeats):
            times["ours"].append(run_ours(tmp, warcs, tokenizer, 24, f"q{r}", unlimited_env)["seconds"])
            times["ours_limited"].append(run_ours(tmp, warcs, tokenizer, 24, f"ql{r}", limited_env)["seconds"])
            times["dt"].append(run_datatrove(tmp, warcs, tokenizer, f"q{r}")["seconds"])
            with CpuHog():
                times["ours_busy"].append(run_ours(tmp, warcs, tokenizer, 24, f"b{r}", unlimited_env)["seconds"])
                times["ours_busy_limited"].append(run_ours(tmp, warcs, tokenizer, 24, f"bl{r}", limited_env)["seconds"])
                times["dt_busy"].append(run_datatrove(tmp, warcs, tokenizer, f"b{r}")["seconds"])
    m = {k: statistics.median(v) for k, v in times.items()}
    slow_o, slow_d, slow_l = m["ours_busy"] / m["ours"], m["dt_busy"] / m["dt"], m["ours_busy_limited"] / m["ours_limited"]
    walls = ", ".join(f"{k} {v:.1f} s" for k, v in m.items())
    hog = f"{HOG_PROCS} busy-loop processes (one per CPU) started and stopped by the bench"
    return rows + [
        {"what": "e2e slowdown under load (166 pages, 2 CPUs): ours vs datatrove", "ours": slow_l, "baseline": slow_d,
         "ratio": slow_d / slow_l, "unit": "busy/quiet wall",
         "notes": f"load: {hog}; median of {repeats}, quiet and busy alternating; ours with worker thread "
                  f"pools limited to 1; ours with the libraries' default pools: {slow_o:.2f}; walls: {walls}"},
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
