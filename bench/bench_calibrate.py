"""Calibrated filters: what the default recipe's filter chain removes from clean text and from junk,
per language profile, before (the code and thresholds at commit 6e055d9) and after calibration.

Both runs get the same prepared samples (`stages.calibration_sets`: clean references and junk
built from ../shared/data) and the same recipe (recipes/default.yaml); "before" runs
`stages/calibrate.py` inside an export of commit 6e055d9 (`git archive`), so its stages, profiles
and block lists are that commit's. Shares are "language aside": every other stage judges every
document (the language stage only annotates); rows among language-kept documents are in the
notes. Goals (issue #17): clean removed <= 5 % for zh and en, junk removed >= 90 %, on the dev
split; the held-out third is reported beside it.

    python -m bench.bench_calibrate
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE_COMMIT = "6e055d9"
PROFILES = ("zh-Hans", "zh-Hant", "ja", "en")


def _export_before(dest: Path) -> Path:
    """The repository at BEFORE_COMMIT (pipeline/, stages/), plus today's calibrate tool."""
    archive = dest / "before.tar"
    with open(archive, "wb") as f:
        subprocess.run(["git", "-C", str(REPO), "archive", BEFORE_COMMIT, "pipeline", "stages"], stdout=f,
                       check=True)
    tree = dest / "before"
    with tarfile.open(archive) as t:
        t.extractall(tree, filter="data")
    shutil.copy(REPO / "stages/calibrate.py", tree / "stages/calibrate.py")
    return tree


def _measure(tree: Path, samples: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-m", "stages.calibrate", "--recipe", str(REPO / "recipes/default.yaml"),
                    "--samples", str(samples), "--json", str(out), "--skip-pii", "--out", os.devnull],
                   cwd=tree, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.read_text())


def _chain(m: dict) -> dict:
    return {(c["profile"], c["split"], c["set"]): c for c in m["chain"]}


def run(quick: bool = False) -> list[dict]:
    from stages.calibrate import load_samples
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        samples = tmp / "samples.parquet"
        load_samples(REPO.parent / "shared" / "data", samples)
        before = _chain(_measure(_export_before(tmp), samples, tmp / "before.json"))
        after = _chain(_measure(REPO, samples, tmp / "after.json"))
    rows = []
    for profile in PROFILES:
        for split in ("dev", "held-out"):
            for set_name in ("clean", "junk"):
                a, b = after.get((profile, split, set_name)), before.get((profile, split, set_name))
                if a is None or b is None:
                    continue
                goal = ("goal <= 5%" if set_name == "clean" and profile != "ja" else
                        "goal >= 90%" if set_name == "junk" else "no goal (few documents)")
                rows.append({
                    "what": f"{set_name} removed, {profile}, {split}", "ours": round(a["removed_language_aside"], 4),
                    "baseline": round(b["removed_language_aside"], 4), "ratio": None, "unit": "share removed",
                    "notes": (f"after vs before ({BEFORE_COMMIT}); {a['docs']} docs; language aside; among "
                              f"language-kept: {a['removed_of_language_kept']:.3f} (before "
                              f"{b.get('removed_of_language_kept', float('nan')):.3f}); {goal}")})
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
