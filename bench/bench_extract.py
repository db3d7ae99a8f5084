"""Benchmark of the `extract` stage: speed against a bare trafilatura loop, and Chinese quality.

Rows:
- pages/s of `Extract` vs a bare `trafilatura.extract` loop with the same options on the 166
  pages of shared/data/html/{scrapinghub,trafilatura} (alternating runs, median of repeats);
- the cost of the per-page timeout (SIGALRM) against the stage without it;
- bag-of-tokens F1 on the 40 magic-html Chinese/Japanese pages (articles, forums, all) of
  `Extract()` defaults vs trafilatura defaults (a token is one CJK/kana character or one
  [A-Za-z0-9]+ run, as the data's README scores it).

Run: `python -m bench.bench_extract [--quick]`.
"""
from __future__ import annotations

import csv
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
MAGIC_HTML = SHARED / "zh" / "html" / "magic_html"

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+")


def decode_html(raw: bytes) -> str:
    """Decode a page as a reader would: valid UTF-8 first (several of these pages declare GB2312
    or EUC-JP but were saved as UTF-8), else the charset the page declares, else cp1252."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _CHARSET.search(raw[:8192])
    enc = m.group(1).decode("ascii").lower() if m else "cp1252"
    enc = "gb18030" if enc in ("gb2312", "gbk") else enc  # WHATWG maps these labels to GB18030
    try:
        return raw.decode(enc, errors="replace")
    except LookupError:
        return raw.decode("cp1252", errors="replace")


def sample_pages(shared: Path = SHARED) -> list[tuple[str, str]]:
    """(name, decoded html) for the 166 pages behind warc/sample_pages.warc.gz."""
    html = shared / "html"
    files = sorted((html / "scrapinghub" / "html").glob("*.html.gz")) + sorted(
        (html / "trafilatura" / "pages").glob("*.gz"))
    return [(p.name, decode_html(gzip.open(p).read())) for p in files]


def magic_html_pages(shared: Path = SHARED) -> list[dict]:
    """The 40 magic-html pages: id, type (article/forum), url, html, gold."""
    root = shared / "zh" / "html" / "magic_html"
    gold = json.loads((root / "ground-truth.json").read_text())
    with open(root / "pages.tsv", newline="") as f:
        types = {r["id"]: r["type"] for r in csv.DictReader(f, delimiter="\t")}
    return [dict(id=i, type=types[i], url=g["url"], gold=g["content"],
                 html=decode_html(gzip.open(root / "html" / f"{i}.html.gz").read()))
            for i, g in gold.items()]


def token_f1(predicted: str | None, gold: str) -> float:
    p, g = Counter(_TOKEN.findall(predicted or "")), Counter(_TOKEN.findall(gold))
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def f1_by_type(pages: list[dict], texts: dict[str, str | None]) -> dict[str, float]:
    out = {}
    for kind in ("article", "forum", None):
        scores = [token_f1(texts.get(p["id"]), p["gold"]) for p in pages if kind in (None, p["type"])]
        out[kind or "all"] = statistics.fmean(scores)
    return out


def extract_with_stage(stage, pages: list[dict]) -> dict[str, str | None]:
    from pipeline.documents import documents_table
    table = documents_table([dict(id=p["id"], source="bench", url=p.get("url"), html=p["html"])
                             for p in pages])
    kept = stage(table).kept
    return dict(zip(kept.column("id").to_pylist(), kept.column("text").to_pylist()))


def _median_alternating(fns: dict, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def run(quick: bool = False) -> list[dict]:
    import trafilatura

    from pipeline.documents import documents_table
    from stages.extract import Extract

    pages = sample_pages()
    if quick:
        pages = pages[::4]
    repeats = 3 if quick else 5
    table = documents_table([dict(id=n, source="bench", html=h) for n, h in pages])
    rows = []

    for label, opts in (("defaults", {}), ("fast", {"fast": True})):
        stage = Extract(**opts).ensure_setup()
        no_timeout = Extract(**opts, timeout_seconds=0).ensure_setup()
        no_date = Extract(**opts, extract_date=False).ensure_setup()
        htmls = [h for _, h in pages]
        med = _median_alternating({
            "ours": lambda: stage(table),
            "bare": lambda: [trafilatura.extract(h, **opts) for h in htmls],
            "no_timeout": lambda: no_timeout(table),
            "no_date": lambda: no_date(table),
        }, repeats)
        n = len(pages)
        rows.append(dict(what=f"extract {label} vs bare trafilatura.extract loop ({n} pages)",
                         ours=n / med["ours"], baseline=n / med["bare"], ratio=med["bare"] / med["ours"],
                         unit="pages/s", notes="ours also fills title, date, html_lang; median of "
                         f"{repeats} alternating runs, 1 process"))
        rows.append(dict(what=f"extract {label}, extract_date=False vs bare loop",
                         ours=n / med["no_date"], baseline=n / med["bare"], ratio=med["bare"] / med["no_date"],
                         unit="pages/s", notes="title and html_lang only (htmldate skipped)"))
        rows.append(dict(what=f"extract {label}: with per-page timeout vs without",
                         ours=n / med["ours"], baseline=n / med["no_timeout"],
                         ratio=med["no_timeout"] / med["ours"], unit="pages/s",
                         notes="SIGALRM setitimer per page"))

    zh = magic_html_pages()
    ours = f1_by_type(zh, extract_with_stage(Extract(), zh))
    bare = f1_by_type(zh, {p["id"]: trafilatura.extract(p["html"], url=p["url"]) for p in zh})
    for kind in ("article", "forum", "all"):
        n = sum(1 for p in zh if kind in ("all", p["type"]))
        rows.append(dict(what=f"magic-html zh/ja F1, {kind} ({n} pages)", ours=ours[kind],
                         baseline=bare[kind], ratio=ours[kind] / bare[kind], unit="F1",
                         notes="Extract() defaults vs trafilatura.extract defaults"))
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['what']:<70} ours={row['ours']:.3f} baseline={row['baseline']:.3f} "
              f"ratio={row['ratio']:.3f} {row['unit']}  ({row['notes']})")
