"""`python -m bench [--quick] [--only NAME ...] [--out BENCHMARKS.md]`: run every benchmark, write the table.

Runs each `bench/bench_*.py` module's `run(quick)` and the peer comparisons (`bench/peers/*.py`
drivers, which need the peer env from `make .bench/venv`), each in its own process so one
module's imports, caches or crash cannot touch another's numbers. Writes BENCHMARKS.md: what,
ours, baseline, ratio, unit, notes, with the machine and date; a module that failed gets a row
saying so (and the command exits non-zero), never a silently missing line.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEER_DRIVERS = ["peers.filters"]        # modules under bench/ with run(quick) that call the peer env


def modules() -> list[str]:
    found = sorted(p.stem for p in (REPO / "bench").glob("bench_*.py"))
    return found + PEER_DRIVERS


def short(name: str) -> str:
    return name.removeprefix("bench_").replace("peers.", "peers_")


_CHILD = """
import json, sys, importlib
rows = importlib.import_module(sys.argv[1]).run(quick=sys.argv[2] == "1")
print("\\n@@ROWS@@" + json.dumps(rows, default=float))
"""


def run_module(name: str, quick: bool, timeout: float) -> tuple[list[dict], str | None, float]:
    t = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-c", _CHILD, f"bench.{name}", "1" if quick else "0"], cwd=REPO,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s", time.perf_counter() - t
    secs = time.perf_counter() - t
    if r.returncode != 0 or "@@ROWS@@" not in r.stdout:
        return [], (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1][:300], secs
    return json.loads(r.stdout.rsplit("@@ROWS@@", 1)[1]), None, secs


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    try:
        mem = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))) / 2**20
    except (OSError, StopIteration):
        mem = 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB, Python {platform.python_version()}, load {load:.1f} at start"


def _fmt(x) -> str:
    if not isinstance(x, (int, float)):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}" if abs(x) >= 1 else f"{x:.3g}"


def to_markdown(results: list[tuple[str, list[dict], str | None, float]], quick: bool, started: str) -> str:
    lines = ["# Benchmarks", "",
             f"Machine: {machine()}  ", f"Date: {started}  ",
             f"Command: `python -m bench{' --quick' if quick else ''}` (`make bench`). ours and baseline are "
             "throughputs in `unit` measured in the same run, alternating, medians of repeats; ratio = ours / "
             "baseline (> 1: we are faster). Peers run from `.bench/venv`.", "",
             "| module | what | ours | baseline | ratio | unit | machine | date | notes |",
             "|---|---|---:|---:|---:|---|---|---|---|"]
    host = f"{platform.node() or 'local'} ({os.cpu_count()} CPUs)"
    day = started[:10]
    for name, rows, err, secs in results:
        if err:
            lines.append(f"| {short(name)} | **failed** | | | | | {host} | {day} | {err.replace('|', '/')} |")
        for r in rows:
            cells = [short(name), r["what"], _fmt(r["ours"]), _fmt(r["baseline"]), f"{r['ratio']:.2f}x",
                     r["unit"], host, day, str(r.get("notes", ""))]
            lines.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    lines += ["", "Time per module: " + ", ".join(f"{short(n)} {s:.0f} s" for n, _, _, s in results), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats and smaller inputs (~10 min in all)")
    p.add_argument("--only", action="append", default=[], help="run only this module (e.g. filters, e2e); repeatable")
    p.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    p.add_argument("--timeout", type=float, default=None, help="seconds per module (default 900, quick 300)")
    p.add_argument("--list", action="store_true", help="list the modules and exit")
    a = p.parse_args(argv)
    names = modules()
    if a.list:
        print("\n".join(short(n) for n in names))
        return 0
    if a.only:
        unknown = [o for o in a.only if o not in {short(n) for n in names} | set(names)]
        if unknown:
            print(f"unknown module(s) {unknown}; have: {', '.join(short(n) for n in names)}", file=sys.stderr)
            return 2
        names = [n for n in names if short(n) in a.only or n in a.only]
    timeout = a.timeout or (300 if a.quick else 900)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results = []
    for name in names:
        print(f"[bench] {short(name)} ...", file=sys.stderr, flush=True)
        rows, err, secs = run_module(name, a.quick, timeout)
        results.append((name, rows, err, secs))
        for r in rows:
            print(f"  {r['what']}: ours {_fmt(r['ours'])} vs {_fmt(r['baseline'])} {r['unit']} "
                  f"({r['ratio']:.2f}x)", file=sys.stderr, flush=True)
        if err:
            print(f"  FAILED: {err}", file=sys.stderr, flush=True)
        Path(a.out).write_text(to_markdown(results, a.quick, started))     # partial results survive a kill
    print(f"wrote {a.out}", file=sys.stderr)
    return 1 if any(err for _, _, err, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
