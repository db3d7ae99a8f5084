"""The report's charts, as SVG bytes: the single charts from svgchart.py's bars and histogram, the
two grids of signal histograms from svg.py (why by hand: see their docstrings)."""
from __future__ import annotations

import numpy as np

from pipeline.report import svg, svgchart
from pipeline.report.breakdown import threshold_text
from pipeline.report.collect import MAX_REASONS, Distribution, ReportData
from pipeline.report.svg import Panel, Series

KEPT, REMOVED, ACCENT = "#3b7dd8", "#d8553b", "#6a9f3a"


def funnel(data: ReportData) -> bytes:
    rows = [r for r in data.funnel if not r["global"]]
    out = svgchart.Series("documents out", [r["docs_out"] for r in rows], KEPT)
    gone = svgchart.Series("removed or quarantined here", [r["removed"] + r["quarantined"] for r in rows], REMOVED)
    return svgchart.hbars("Document funnel", [r["id"] for r in rows], [out, gone], stacked=True, xlabel="documents")


def reasons(data: ReportData) -> bytes:
    top = data.reasons[:MAX_REASONS]
    title = "Removals by reason" + (f" (top {MAX_REASONS})" if len(data.reasons) > MAX_REASONS else "")
    return svgchart.hbars(title, [k for k, _ in top], [svgchart.Series("", [n for _, n in top], REMOVED)],
                          xlabel="documents", row=20)


def _bins(values: np.ndarray, log: bool) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if log:
        lo = max(lo, 1.0)
        return np.geomspace(lo, max(hi, lo * 10), 40)
    return np.linspace(lo, hi if hi > lo else lo + 1, 40)


def lengths(dists: list[Distribution]) -> bytes:
    allv = np.concatenate([d.kept for d in dists])
    bins = _bins(np.maximum(allv, 1), log=True) if len(allv) else np.array([1.0, 10.0])
    series = [svgchart.Series(f"{d.stage} ({len(d.kept):,} docs sampled)",
                              np.histogram(np.maximum(d.kept, 1), bins)[0], color)
              for d, color in zip(dists, (KEPT, ACCENT, REMOVED))]
    return svgchart.histogram("Document length", bins, series, log_x=True, xlabel="characters per document",
                              ylabel="documents")


def languages(stage: str, counts: dict[str, int], top: int = 20) -> bytes:
    items = list(counts.items())[:top]
    return svgchart.hbars(f"Languages of the documents after {stage}", [k for k, _ in items],
                          [svgchart.Series("", [n for _, n in items], KEPT)], xlabel="documents", row=20)


def signals(dists: list[Distribution], per_row: int = 3) -> bytes:
    """Each signal's kept values and removed sample (SVG small multiples, svg.py)."""
    panels = []
    for d in dists:
        vals = np.concatenate([d.kept, d.removed])
        vals = vals[np.isfinite(vals)]
        title = f"{d.stage}: {d.column}"
        if not len(vals):
            panels.append(Panel(title))
            continue
        rules = d.threshold_values()
        bins = _bins(_with_thresholds(vals, rules), log=False)
        panel = Panel(title + (f" (keep {threshold_text(rules)})" if rules else ""),
                      [Series(np.histogram(d.kept[np.isfinite(d.kept)], bins)[0], bins, KEPT, True)],
                      [(v, "black") for _, v in rules])
        if len(d.removed):
            panel.series.append(Series(np.histogram(d.removed[np.isfinite(d.removed)], bins)[0], bins, REMOVED, True))
        panels.append(panel)
    if panels:      # one legend says what the colours mean
        panels[0].legend = [("kept", KEPT, False), ("removed (sample)", REMOVED, False), ("threshold", "black", True)]
    return svg.grid(panels, per_row)


LANGUAGE_COLORS = ("#3b7dd8", "#d8553b", "#6a9f3a", "#9b59b6", "#e0a526", "#555555")


def _with_thresholds(values: np.ndarray, rules: list[tuple[str, float]]) -> np.ndarray:
    """The values plus the thresholds near them (within the data's own span), so the histogram's
    range shows where the line is; a far-off one (max_words 100,000) would squash the data."""
    lo, hi = float(values.min()), float(values.max())
    span = max(hi - lo, abs(hi), 1e-9)
    near = [v for _, v in rules if lo - span <= v <= hi + span]
    return np.concatenate([values, np.asarray(near, dtype=np.float64)])


def signals_by_language(dists: list[Distribution], per_row: int = 3) -> bytes:
    """Each signal's kept values per language (each language's share of its own documents), with the
    threshold documents of that language were judged by, in the language's colour (SVG, svg.py)."""
    panels = []
    for d in (d for d in dists if d.by_language):
        vals = np.concatenate(list(d.by_language.values()))
        vals = vals[np.isfinite(vals)]
        panel = Panel(f"{d.stage}: {d.column}")
        panels.append(panel)
        if not len(vals):
            continue
        bins = _bins(_with_thresholds(vals, [r for lang in d.by_language for r in d.threshold_values(lang)]),
                     log=False)
        for (lang, v), color in zip(d.by_language.items(), LANGUAGE_COLORS):
            v = v[np.isfinite(v)]
            if len(v):
                panel.series.append(Series(np.histogram(v, bins)[0] / len(v), bins, color))
                panel.legend.append((f"{lang} ({len(v):,})", color, False))
            panel.lines += [(x, color) for _, x in d.threshold_values(lang)]
    return svg.grid(panels, per_row)


# matplotlib's default colours, which the cluster chart had: one a dedup stage
STAGE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def clusters(per_stage: dict[str, dict]) -> bytes:
    """Clusters of each size (a category each, smallest first), one bar a dedup stage, log y."""
    found = {stage: info["sizes"] for stage, info in per_stage.items() if info["sizes"]}
    sizes = sorted({size for s in found.values() for size in s})
    return svgchart.vbars("Duplicate-cluster sizes", [f"{n:,}" for n in sizes],
                          [svgchart.Series(stage, [s.get(n, 0) for n in sizes], STAGE_COLORS[i % len(STAGE_COLORS)])
                           for i, (stage, s) in enumerate(found.items())],
                          xlabel="documents in the cluster", ylabel="clusters", log=True)


def tokens(rows: list[dict], title: str = "Tokens per source", key: str = "source") -> bytes:
    """Shares of one grouping (they sum to 1): realised, and requested where a mix asked for one."""
    realised = svgchart.Series("realised share", [r["share"] for r in rows], KEPT)
    if any(r.get("requested_share") is not None for r in rows):
        series = [svgchart.Series("requested share", [r["requested_share"] or 0.0 for r in rows], ACCENT), realised]
    else:
        series = [svgchart.Series("", realised.values, KEPT)]
    return svgchart.vbars(title, [str(r[key]) for r in rows], series, ylabel="share of tokens")


def walls(data: ReportData) -> bytes:
    rows = data.walls
    return svgchart.hbars("Time per stage", [r["id"] for r in rows],
                          [svgchart.Series("wall (fused stages share it)", [r["wall_seconds"] for r in rows], KEPT),
                           svgchart.Series("summed task time", [r["task_seconds"] for r in rows], ACCENT)],
                          xlabel="seconds", row=30)
