"""Human-annotated article text from ../shared/data, used by tests and benchmarks alike."""
from __future__ import annotations

import csv
import json
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def english_articles(shared: Path = SHARED) -> list[str]:
    """Gold `articleBody` of the 60 scrapinghub pages."""
    gt = json.loads((shared / "html/scrapinghub/ground-truth.json").read_text())
    return [v["articleBody"] for v in gt.values()]


def cjk_articles(shared: Path = SHARED) -> list[str]:
    """Gold main text of the magic-html article pages (25 zh-Hans, 1 zh-Hant, 2 ja)."""
    base = shared / "zh/html/magic_html"
    with open(base / "pages.tsv", encoding="utf-8") as f:
        ids = [r["id"] for r in csv.DictReader(f, delimiter="\t") if r["type"] == "article"]
    gt = json.loads((base / "ground-truth.json").read_text())
    return [gt[i]["content"] for i in ids]
