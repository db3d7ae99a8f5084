"""`python -m bench --render`: BENCHMARKS.md rebuilt from results files without running anything."""
import json
import subprocess
import sys

from bench.__main__ import REPO


def _result(date: str, ours: float) -> dict:
    return {"rows": [{"what": "thing", "ours": ours, "baseline": 1.0, "ratio": ours, "unit": "docs/s",
                      "notes": f"measured {date}"}], "error": None, "seconds": 1.0, "quick": True,
            "date": date, "host": "h (2 CPUs)", "machine": "cpu, 2 CPUs, 1 GiB, Python 3.11.7, load 0.1 at start"}


def test_render_merges_results_newest_per_module(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"bench_dedup": _result("2026-12-01T10:00:00", 2.0),
                             "bench_e2e": _result("2026-12-01T10:00:00", 3.0)}))
    b.write_text(json.dumps({"bench_dedup": _result("2026-12-02T10:00:00", 5.0)}))
    out = tmp_path / "BENCH.md"
    r = subprocess.run([sys.executable, "-m", "bench", "--render", str(a), str(b), "--out", str(out)],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    md = out.read_text()
    dedup = [line for line in md.splitlines() if line.startswith("| dedup |")]
    assert len(dedup) == 1 and "5.00x" in dedup[0] and "2026-12-02" in dedup[0]
    assert any(line.startswith("| e2e |") and "3.00x" in line for line in md.splitlines())


def test_render_missing_file_is_an_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bench", "--render", str(tmp_path / "nope.json"),
                        "--out", str(tmp_path / "o.md")], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 2 and "nope.json" in r.stderr
    assert not (tmp_path / "o.md").exists()
