"""Benchmark of the `extract` stage's engines: speed and quality on human-gold pages, and end to end.

Gold pages (bench/gold.py has the article texts; here the pages with them):
- English: the 60 scrapinghub news/blog pages (`articleBody`) and the 58 CleanEval dev pages
  (human-cleaned text; the `<text id=...>` wrapper the data set puts around each page is removed,
  it is not part of the page);
- Chinese/Japanese: the 40 magic-html pages (articles and forums) and the 5 newspaper4k pages.
Each language is split in two halves by site (a site's pages all go to one half; sites dealt in
hash order within each kind of page, balancing page counts): the fallback thresholds of `auto` were
chosen on `dev`, and `heldout` shows what they are worth on sites they never saw.

Rows (one process, alternating runs, median of repeats, ratios to trafilatura in the same run):
- pages/s per core of each engine, per language;
- token F1 of each engine against the gold, per language and half (a token is one CJK/kana
  character or one [A-Za-z0-9]+ run);
- the price of the process sandbox (`isolation: process`) against SIGALRM (`isolation: signal`);
- end to end: the default recipe, its web source replaced by a WARC of >= 1,000 real pages
  (bench/corpus_warc.py; copies of 188 distinct pages, which dedup removes), with each engine:
  wall time, documents and tokens kept;
- the trade-off of `auto`: speed and F1 as a higher `fallback_min_units` sends more pages to
  trafilatura.

Run: `python -m bench.bench_extract [--quick] [--signals]` (`--signals`: how each fallback signal
alone, and the chosen rule, move F1 and the fallback share on both halves).
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

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


def token_prf(predicted: str | None, gold: str) -> tuple[float, float, float]:
    """Bag-of-tokens (precision, recall, F1) of an extraction against the gold text."""
    p, g = Counter(_TOKEN.findall(predicted or "")), Counter(_TOKEN.findall(gold))
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def token_f1(predicted: str | None, gold: str) -> float:
    return token_prf(predicted, gold)[2]


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


# -- gold pages with a dev / held-out split -----------------------------------------------------

_CLEANEVAL_WRAPPER = re.compile(r"^\s*<text[^>]*>|</text>\s*$")
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}


def site_of(url: str | None, fallback: str) -> str:
    """Registered domain, roughly (news.sina.com.cn -> sina.com.cn): pages of one site stay together."""
    host = (urlparse(url).hostname or "") if url else ""
    labels = host.removeprefix("www.").split(".")
    if len(labels) < 2:
        return fallback
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def english_gold(shared: Path = SHARED) -> list[dict]:
    """scrapinghub (news) and CleanEval dev (random web pages): id, site, kind, url, html, gold."""
    out = []
    gt = json.loads((shared / "html/scrapinghub/ground-truth.json").read_text())
    for i, g in sorted(gt.items()):
        html = decode_html(gzip.open(shared / f"html/scrapinghub/html/{i}.html.gz").read())
        out.append(dict(id=f"sh/{i}", site=site_of(g["url"], i), kind="news", url=g["url"], html=html,
                        gold=g["articleBody"]))
    for p in sorted((shared / "html/cleaneval_dev/gold").glob("*.txt"), key=lambda p: int(p.stem)):
        lines = p.read_text(errors="replace").splitlines()
        url = lines[0].removeprefix("URL:").strip()
        gold = re.sub(r"<[phl]>", " ", "\n".join(lines[1:]))
        html = decode_html(gzip.open(shared / f"html/cleaneval_dev/input/{p.stem}.html.gz").read())
        out.append(dict(id=f"ce/{p.stem}", site=site_of(url, p.stem), kind="web", url=url,
                        html=_CLEANEVAL_WRAPPER.sub("", html), gold=gold))
    return out


def cjk_gold(shared: Path = SHARED) -> list[dict]:
    """magic-html (articles, forums) and newspaper4k (news): id, site, kind, url, html, gold."""
    base = shared / "zh/html/magic_html"
    with open(base / "pages.tsv", newline="", encoding="utf-8") as f:
        sites = {r["id"]: r["site"] for r in csv.DictReader(f, delimiter="\t")}
    out = [dict(id=f"mh/{p['id'][:16]}", site=sites[p["id"]], kind=p["type"], url=p["url"], html=p["html"],
                gold=p["gold"]) for p in magic_html_pages(shared)]
    n4k = shared / "zh/html/newspaper4k"
    for p in sorted((n4k / "txt").glob("*.txt")):
        meta = n4k / "metadata" / f"{p.stem}.json"
        url = json.loads(meta.read_text()).get("canonical_link") if meta.exists() else None
        html = decode_html(gzip.open(n4k / "html" / f"{p.stem}.html.gz").read())
        out.append(dict(id=f"n4k/{p.stem}", site=site_of(url, p.stem), kind="article", url=url, html=html,
                        gold=p.read_text(encoding="utf-8")))
    return out


def split_by_site(pages: list[dict]) -> dict[str, str]:
    """id -> "dev" | "heldout": whole sites to one half, dealt in hash order within each kind."""
    halves: dict[str, str] = {}
    for kind in sorted({p["kind"] for p in pages}):
        of_kind = [p for p in pages if p["kind"] == kind]
        by_site: dict[str, list[dict]] = {}
        for p in of_kind:
            by_site.setdefault(p["site"], []).append(p)
        count = {"dev": 0, "heldout": 0}
        for site in sorted(by_site, key=lambda s: hashlib.sha1(s.encode()).hexdigest()):
            half = "dev" if count["dev"] <= count["heldout"] else "heldout"
            count[half] += len(by_site[site])
            halves.update((p["id"], half) for p in by_site[site])
    return halves


# -- measurements ---------------------------------------------------------------------------------

ENGINES = ("trafilatura", "resiliparse", "auto")


def _median_alternating(fns: dict, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _mean_prf(pages: list[dict], texts: dict[str, str | None], half: str | None,
              halves: dict) -> tuple[float, float, float]:
    scores = [token_prf(texts.get(p["id"]), p["gold"]) for p in pages if half in (None, halves[p["id"]])]
    return tuple(statistics.fmean(s[k] for s in scores) for k in range(3))


def engine_rows(lang: str, pages: list[dict], repeats: int) -> list[dict]:
    from pipeline.documents import documents_table
    from stages.extract import Extract

    halves = split_by_site(pages)
    table = documents_table([dict(id=p["id"], source="bench", url=p["url"], html=p["html"]) for p in pages])
    stages = {e: Extract(engine=e).ensure_setup() for e in ENGINES}
    results = {e: stages[e](table) for e in ENGINES}  # warm-up, and the texts for F1
    med = _median_alternating({e: (lambda s=stages[e]: s(table)) for e in ENGINES}, repeats)
    texts = {e: dict(zip(r.kept["id"].to_pylist(), r.kept["text"].to_pylist())) for e, r in results.items()}
    n, rows = len(pages), []
    n_half = {h: sum(1 for p in pages if halves[p["id"]] == h) for h in ("dev", "heldout")}
    for e in ENGINES:
        c = results[e].counters
        share = c.get("engine_trafilatura", 0) / max(c.get("engine_trafilatura", 0) + c.get("engine_resiliparse", 0), 1)
        rows.append(dict(what=f"extract engine={e}, {lang} gold pages ({n}): speed", ours=n / med[e],
                         baseline=n / med["trafilatura"], ratio=med["trafilatura"] / med[e], unit="pages/s",
                         notes=f"1 process, median of {repeats} alternating runs"
                         + (f"; {share:.0%} of pages fell back to trafilatura" if e == "auto" else "")))
        for half in ("dev", "heldout", None):
            (p, r, ours), (bp, br, base) = (_mean_prf(pages, texts[x], half, halves) for x in (e, "trafilatura"))
            rows.append(dict(what=f"extract engine={e}, {lang} {half or 'all'} ({n_half[half] if half else n}): "
                             "token F1", ours=ours, baseline=base, ratio=ours / base, unit="F1",
                             notes=f"vs trafilatura; difference {ours - base:+.3f}; precision {p:.3f} vs {bp:.3f}, "
                             f"recall {r:.3f} vs {br:.3f}"))
    return rows


def isolation_rows(pages: list[dict], repeats: int) -> list[dict]:
    from pipeline.documents import documents_table
    from stages.extract import Extract

    table = documents_table([dict(id=p["id"], source="bench", url=p["url"], html=p["html"]) for p in pages])
    rows = []
    for e in ("trafilatura", "resiliparse"):
        fns = {iso: (lambda s=Extract(engine=e, isolation=iso).ensure_setup(): s(table))
               for iso in ("process", "signal")}
        for fn in fns.values():
            fn()
        med = _median_alternating(fns, repeats)
        rows.append(dict(what=f"extract engine={e}: forked worker killed on timeout vs SIGALRM ({len(pages)} pages)",
                         ours=len(pages) / med["process"], baseline=len(pages) / med["signal"],
                         ratio=med["signal"] / med["process"], unit="pages/s",
                         notes="isolation=process vs isolation=signal; process also stops pages stuck in C code"))
    return rows


# -- the fallback signals of `auto`, one by one ---------------------------------------------------

def page_signals(pages: list[dict]) -> list[dict]:
    """Per page: F1 of each engine and the measurements auto's fallback rule reads."""
    from pipeline.documents import documents_table
    from stages.extract import Extract

    table = documents_table([dict(id=p["id"], source="bench", url=p["url"], html=p["html"]) for p in pages])
    kept = Extract(engine="trafilatura")(table).kept
    slow = dict(zip(kept["id"].to_pylist(), kept["text"].to_pylist()))
    auto = Extract(engine="auto").ensure_setup()
    fast = auto._resiliparse
    out = []
    for p in pages:
        tree = fast.parse(p["html"])
        text, _, comment_share = auto._fast_text(tree) if tree is not None else ("", None, 0.0)
        m = fast.measure(tree, text, comment_share=comment_share) if text else None
        f1_fast = token_f1(text, p["gold"])
        # auto keeps the fast text when trafilatura finds nothing
        f1_slow = token_f1(slow.get(p["id"]), p["gold"]) if slow.get(p["id"]) else f1_fast
        out.append(dict(id=p["id"], measures=m, f1_fast=f1_fast, f1_slow=f1_slow))
    return out


def rule_effect(signals: list[dict], ids: set[str], falls_back) -> tuple[float, float]:
    """(share of pages sent to trafilatura, mean F1 of auto minus mean F1 of trafilatura) on `ids`."""
    sel = [s for s in signals if s["id"] in ids]
    back = [s["measures"] is None or falls_back(s["measures"]) for s in sel]
    auto = statistics.fmean(s["f1_slow"] if b else s["f1_fast"] for s, b in zip(sel, back))
    return sum(back) / len(sel), auto - statistics.fmean(s["f1_slow"] for s in sel)


def signal_rows(pages_by_lang: dict[str, list[dict]]) -> list[dict]:
    from stages.extract import Extract
    d = Extract()
    rules = {
        "none (resiliparse alone)": lambda m: False,
        f"units < {d.fallback_min_units}": lambda m: m.units < d.fallback_min_units,
        "visible share < 0.3 (off by default)": lambda m: m.visible_share < 0.3,
        f"short lines > {d.fallback_max_short_lines}": lambda m: m.short_lines > d.fallback_max_short_lines,
        f"comment share > {d.fallback_max_comment_share}":
            lambda m: m.comment_share > d.fallback_max_comment_share,
        "all (auto's rule)": lambda m: (m.units < d.fallback_min_units
                                        or m.visible_share < d.fallback_min_visible_share
                                        or m.short_lines > d.fallback_max_short_lines
                                        or m.comment_share > d.fallback_max_comment_share),
    }
    rows = []
    for lang, pages in pages_by_lang.items():
        halves = split_by_site(pages)
        signals = page_signals(pages)
        for name, rule in rules.items():
            for half in ("dev", "heldout"):
                ids = {p["id"] for p in pages if halves[p["id"]] == half}
                share, delta = rule_effect(signals, ids, rule)
                rows.append(dict(what=f"auto fallback signal {name}, {lang} {half}", ours=delta, baseline=share,
                                 ratio=None, unit="F1 difference (ours) at fallback share (baseline)",
                                 notes="auto's F1 minus trafilatura's if only this signal sent pages to trafilatura"))
    return rows


# -- end to end -----------------------------------------------------------------------------------

def e2e_rows(records: int, work: Path) -> list[dict]:
    """The default recipe, its `web` source a WARC of `records` real pages, once per engine."""
    import yaml

    from bench.corpus_warc import write_warc
    from pipeline import run_recipe

    warc = work / "web" / "pages.warc.gz"
    info = write_warc(warc, mb=records * 0.0275)
    recipe = yaml.safe_load((REPO / "recipes" / "default.yaml").read_text())
    rows, runs = [], {}
    for engine in ENGINES:
        r = dict(recipe, output=str(work / f"run-{engine}"), removed_samples=0)
        r["sources"] = [dict(s, paths=str(warc)) if s["name"] == "web" else
                        dict(s, paths=str(REPO / s["paths"])) for s in recipe["sources"]]
        r["stages"] = [dict(s, engine=engine) if s["stage"] == "extract" else s for s in recipe["stages"]]
        path = work / f"{engine}.yaml"
        path.write_text(yaml.safe_dump(r, sort_keys=False))
        t0 = time.perf_counter()
        stats = run_recipe(path, quiet=True)
        runs[engine] = (time.perf_counter() - t0, stats)
    for engine in ENGINES:
        secs, stats = runs[engine]
        base_secs, base = runs["trafilatura"]
        extract = next(s for s in stats["stages"] if s.get("stage", s.get("name")) == "extract")
        deduped = next(s["docs_out"] for s in stats["stages"] if s.get("stage", s.get("name")) == "minhash_dedup")
        rows.append(dict(what=f"e2e default recipe, web = {info['records']} WARC records, engine={engine}: wall",
                         ours=secs, baseline=base_secs, ratio=base_secs / secs, unit="s (ratio: trafilatura / this)",
                         notes=f"extract counters {json.dumps(extract.get('counters', {}))}; 1 run each"))
        rows.append(dict(what=f"e2e default recipe, engine={engine}: tokens kept",
                         ours=stats["output"].get("tokens"), baseline=base["output"].get("tokens"),
                         ratio=(stats["output"].get("tokens") or 0) / max(base["output"].get("tokens") or 1, 1),
                         unit="tokens", notes=f"by source {json.dumps(stats['output'].get('tokens_by_source'))}; "
                         f"documents after dedup {deduped}, after mix {stats['output'].get('documents_count')}"))
    return rows


def tradeoff_rows(lang: str, pages: list[dict], repeats: int,
                  min_units: tuple[int, ...] = (50, 150, 400, 1000)) -> list[dict]:
    """The price of more fallback: `auto` with a higher `fallback_min_units` sends more pages to
    trafilatura; per setting, speed against trafilatura in the same run and F1 on both halves."""
    from pipeline.documents import documents_table
    from stages.extract import Extract

    halves = split_by_site(pages)
    table = documents_table([dict(id=p["id"], source="bench", url=p["url"], html=p["html"]) for p in pages])
    stages = {"trafilatura": Extract().ensure_setup()}
    stages.update({u: Extract(engine="auto", fallback_min_units=u).ensure_setup() for u in min_units})
    results = {k: s(table) for k, s in stages.items()}
    med = _median_alternating({k: (lambda s=s: s(table)) for k, s in stages.items()}, repeats)
    texts = {k: dict(zip(r.kept["id"].to_pylist(), r.kept["text"].to_pylist())) for k, r in results.items()}
    rows = []
    for u in min_units:
        c = results[u].counters
        share = c.get("engine_trafilatura", 0) / max(c.get("engine_trafilatura", 0) + c.get("engine_resiliparse", 0), 1)
        diffs = {h: _mean_prf(pages, texts[u], h, halves)[2] - _mean_prf(pages, texts["trafilatura"], h, halves)[2]
                 for h in ("dev", "heldout", None)}
        rows.append(dict(what=f"extract engine=auto fallback_min_units={u}, {lang} gold pages ({len(pages)}): speed",
                         ours=len(pages) / med[u], baseline=len(pages) / med["trafilatura"],
                         ratio=med["trafilatura"] / med[u], unit="pages/s",
                         notes=f"{share:.0%} of pages fell back; F1 minus trafilatura's: dev {diffs['dev']:+.3f}, "
                         f"heldout {diffs['heldout']:+.3f}, all {diffs[None]:+.3f}; median of {repeats} alternating runs"))
    return rows


def run(quick: bool = False) -> list[dict]:
    import tempfile

    repeats = 2 if quick else 3
    gold = {"en": english_gold(), "zh": cjk_gold()}
    if quick:
        gold = {k: v[::2] for k, v in gold.items()}
    rows = []
    for lang, pages in gold.items():
        rows += engine_rows(lang, pages, repeats)
    for lang, pages in gold.items():
        rows += tradeoff_rows(lang, pages, repeats)
    rows += isolation_rows(gold["en"][::2] + gold["zh"][::2], repeats)
    rows += signal_rows(gold)
    from bench import gold_heldout
    rows += gold_heldout.rows(quick)            # only where you fetched the benchmarks (its docstring)
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        rows += e2e_rows(300 if quick else 1000, Path(tmp))
    return rows


def _print(rows: list[dict]) -> None:
    for row in rows:
        ratio = f"ratio={row['ratio']:.3f} " if isinstance(row.get("ratio"), (int, float)) else ""
        print(f"{row['what']:<78} ours={row['ours']:.3f} baseline={row['baseline']:.3f} {ratio}{row['unit']}"
              f"  ({row['notes']})")


def choose_thresholds(pages_by_lang: dict[str, list[dict]], budget: float) -> list[tuple]:
    """Grid search on the dev halves only: the rules (units, visible share, short lines, comment share)
    that send at most `budget` of each language's dev pages to trafilatura, best worst-language F1
    first; with what each does on the held-out halves."""
    import itertools
    data = {}
    for lang, pages in pages_by_lang.items():
        halves = split_by_site(pages)
        data[lang] = (page_signals(pages), {h: {p["id"] for p in pages if halves[p["id"]] == h}
                                            for h in ("dev", "heldout")})
    found = []
    for u, v, s, c in itertools.product((0, 25, 50, 100, 200), (0, .1, .2, .3, .4, .5, .6), (.6, .7, .8, .9, 1.01),
                                        (.3, .5, .7, 1.0)):
        def rule(m, u=u, v=v, s=s, c=c):
            return m.units < u or m.visible_share < v or m.short_lines > s or m.comment_share > c
        eff = {(lang, h): rule_effect(sig, ids[h], rule) for lang, (sig, ids) in data.items() for h in ids}
        if all(eff[lang, "dev"][0] <= budget for lang in data):
            found.append((min(eff[lang, "dev"][1] for lang in data), (u, v, s, c), eff))
    return sorted(found, key=lambda f: -f[0])


if __name__ == "__main__":
    if "--signals" in sys.argv:
        gold = {"en": english_gold(), "zh": cjk_gold()}
        _print(signal_rows(gold))
        for budget in (0.1, 0.2, 0.3):
            print(f"best rules on dev sending <= {budget:.0%} of each language's dev pages to trafilatura "
                  "(units <, visible share <, short lines >, comment share >): F1 difference @ fallback share")
            for worst, rule, eff in choose_thresholds(gold, budget)[:3]:
                print(f"  {rule}: " + ", ".join(f"{lang} {h} {d:+.3f} @ {share:.0%}"
                                                for (lang, h), (share, d) in eff.items()))
    else:
        _print(run(quick="--quick" in sys.argv))
