"""`python -m bench [--quick] [--only NAME ...] [--out BENCHMARKS.md] | --render [RESULTS.json ...]`: run benchmarks, write the table.

Runs each `bench/bench_*.py` module's `run(quick)` and the peer comparisons (`bench/peers/*.py`
drivers, which need the peer env from `make .bench/venv`), each in its own process so one
module's imports, caches or crash cannot touch another's numbers. Writes BENCHMARKS.md: what,
ours, baseline, ratio, unit, notes, with the machine and date; a module that failed gets a row
saying so (and the command exits non-zero), never a silently missing line.

Each module's latest result is kept in .bench/results.json, so `--only X` re-runs X (say in full
after a quick suite) and BENCHMARKS.md still lists every module, each row marked quick or full
with its own date.

`--render [FILE ...]` runs nothing: it rewrites BENCHMARKS.md from results files (default
.bench/results.json; several files, e.g. one per worktree, are merged module by module, the most
recent result of each module winning), so figures measured in different places land in one table.
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
PEER_DRIVERS = ["peers.filters", "peers.nemo", "peers.dolma"]       # modules under bench/ with run(quick) that call the peer env
RESULTS = REPO / ".bench" / "results.json"   # latest result per module (rows, error, seconds, mode, date)


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


def module_timeout(name: str, quick: bool) -> float:
    """Seconds a module may take: 300 quick, 900 full, or more where the module declares
    `TIMEOUT_SECONDS = (quick, full)` at top level (read from its source: nothing is imported here)."""
    import ast
    default = 300.0 if quick else 900.0
    path = REPO / "bench" / (name.replace(".", "/") + ".py")
    for node in ast.parse(path.read_text()).body if path.exists() else []:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "TIMEOUT_SECONDS" for t in node.targets):
            return max(default, float(ast.literal_eval(node.value)[0 if quick else 1]))
    return default


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
    if x is None:
        return ""
    if not isinstance(x, (int, float)):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}" if abs(x) >= 1 else f"{x:.3g}"


def load_results(path: Path = RESULTS) -> dict[str, dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_results(results: dict[str, dict], path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=float))
    tmp.replace(path)


def _ratio(x) -> str:
    """A ratio cell: rows that compare quality rather than speed may have none."""
    return f"{x:.2f}x" if isinstance(x, (int, float)) else ("" if x is None else str(x))


def merge_results(paths: list[Path]) -> dict[str, dict]:
    """Module -> latest result across several results files (by each result's date)."""
    merged: dict[str, dict] = {}
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such results file")
        for name, res in load_results(path).items():
            if name not in merged or res.get("date", "") >= merged[name].get("date", ""):
                merged[name] = res
    return merged


def to_markdown(results: dict[str, dict], order: list[str]) -> str:
    """The table of every module's latest result (`results[name]` = {rows, error, seconds, quick,
    date, host, machine}), in `order`."""
    names = [n for n in order if n in results]          # modules since removed are dropped
    modes = {results[n]["quick"] for n in names}
    mode_text = ("all quick (`--quick`: fewer repeats, smaller inputs)" if modes == {True} else
                 "all full runs" if modes == {False} else
                 "mixed: the mode column says which rows are quick (`--quick`: fewer repeats, smaller "
                 "inputs) and which full")
    # The machine without its load, which differs per run (it is listed per module below).
    machines = sorted({results[n].get("machine", "").split(", load")[0] for n in names})
    lines = ["# Benchmarks", "",
             "Machine: " + "; ".join(machines) + "  ",
             f"Figures: {mode_text}.  ",
             "Command: `python -m bench [--quick] [--only MODULE]` (`make bench ARGS=...`). ours and baseline "
             "are throughputs in `unit` measured in the same run, alternating, medians of repeats; ratio = "
             "ours / baseline (> 1: we are faster); each row's notes say how the two sides were made "
             "comparable. Peers run from `.bench/venv` (datatrove), `.bench/nemo` (NeMo Curator), "
             "`.bench/dolma` (Dolma).", "",
             "| module | what | ours | baseline | ratio | unit | mode | machine | date | notes |",
             "|---|---|---:|---:|---:|---|---|---|---|---|"]
    for name in names:
        r = results[name]
        mode = "quick" if r["quick"] else "full"
        host, day = r.get("host", ""), r.get("date", "")[:10]
        if r.get("error"):
            lines.append(f"| {short(name)} | **failed** | | | | | {mode} | {host} | {day} | "
                         f"{r['error'].replace('|', '/')} |")
        for row in r["rows"]:
            cells = [short(name), row["what"], _fmt(row["ours"]), _fmt(row["baseline"]), _ratio(row.get("ratio")),
                     row["unit"], mode, host, day, str(row.get("notes", ""))]
            lines.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    def load(n: str) -> str:
        m = results[n].get("machine", "")
        return m[m.index(", load") + 2:] if ", load" in m else ""
    lines += ["", "Time per module: " + ", ".join(
        f"{short(n)} {results[n]['seconds']:.0f} s ({'quick' if results[n]['quick'] else 'full'}"
        f"{', ' + load(n) if load(n) else ''})" for n in names), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats and smaller inputs (~10 min in all)")
    p.add_argument("--only", action="append", default=[], help="run only this module (e.g. filters, e2e); repeatable")
    p.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per module (default 900, quick 300, or more where the module declares TIMEOUT_SECONDS)")
    p.add_argument("--list", action="store_true", help="list the modules and exit")
    p.add_argument("--render", nargs="*", metavar="RESULTS_JSON", default=None,
                   help="run nothing: rewrite --out from results files (default .bench/results.json), merged")
    a = p.parse_args(argv)
    names = modules()
    if a.render is not None:
        try:
            merged = merge_results([Path(x) for x in a.render] or [RESULTS])
        except FileNotFoundError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        order = names + sorted(set(merged) - set(names))
        Path(a.out).write_text(to_markdown(merged, order))
        print(f"wrote {a.out} from {len(merged)} module result(s)", file=sys.stderr)
        return 0
    if a.list:
        print("\n".join(short(n) for n in names))
        return 0
    if a.only:
        unknown = [o for o in a.only if o not in {short(n) for n in names} | set(names)]
        if unknown:
            print(f"unknown module(s) {unknown}; have: {', '.join(short(n) for n in names)}", file=sys.stderr)
            return 2
        names = [n for n in names if short(n) in a.only or n in a.only]
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    host = f"{platform.node() or 'local'} ({os.cpu_count()} CPUs)"
    where = machine()
    failed = False
    for name in names:
        print(f"[bench] {short(name)} ...", file=sys.stderr, flush=True)
        rows, err, secs = run_module(name, a.quick, a.timeout or module_timeout(name, a.quick))
        stored = load_results()      # re-read: another `--only` run may have saved a module meanwhile
        stored[name] = {"rows": rows, "error": err, "seconds": secs, "quick": a.quick, "date": started,
                        "host": host, "machine": where}
        failed |= bool(err)
        for r in rows:
            print(f"  {r['what']}: ours {_fmt(r['ours'])} vs {_fmt(r['baseline'])} {r['unit']} "
                  f"({_ratio(r.get('ratio'))})", file=sys.stderr, flush=True)
        if err:
            print(f"  FAILED: {err}", file=sys.stderr, flush=True)
        save_results(stored)
        Path(a.out).write_text(to_markdown(stored, modules()))     # partial results survive a kill
    print(f"wrote {a.out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
