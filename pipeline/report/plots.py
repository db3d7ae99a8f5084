"""The report's charts: matplotlib (Agg, no display needed) rendered to PNG bytes; the two grids of
signal histograms are SVG drawn by svg.py (see why there)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pipeline.report.breakdown import threshold_text  # noqa: E402
from pipeline.report.collect import MAX_REASONS, Distribution, ReportData  # noqa: E402
from pipeline.report import svg  # noqa: E402
from pipeline.report.svg import Panel, Series  # noqa: E402

KEPT, REMOVED, ACCENT = "#3b7dd8", "#d8553b", "#6a9f3a"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def funnel(data: ReportData) -> bytes:
    rows = [r for r in data.funnel if not r["global"]]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    ax.barh(y, [r["docs_out"] for r in rows], color=KEPT, label="documents out")
    ax.barh(y, [r["removed"] + r["quarantined"] for r in rows], left=[r["docs_out"] for r in rows],
            color=REMOVED, label="removed or quarantined here")
    ax.set_yticks(y, [r["id"] for r in rows])
    ax.set_xlabel("documents")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Document funnel")
    return _png(fig)


def reasons(data: ReportData) -> bytes:
    top = data.reasons[:MAX_REASONS]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(top) + 1.2))
    y = np.arange(len(top))[::-1]
    ax.barh(y, [n for _, n in top], color=REMOVED)
    ax.set_yticks(y, [k for k, _ in top], fontsize=8)
    ax.set_xlabel("documents")
    ax.set_title("Removals by reason" + (f" (top {MAX_REASONS})" if len(data.reasons) > MAX_REASONS else ""))
    return _png(fig)


def _bins(values: np.ndarray, log: bool) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if log:
        lo = max(lo, 1.0)
        return np.geomspace(lo, max(hi, lo * 10), 40)
    return np.linspace(lo, hi if hi > lo else lo + 1, 40)


def lengths(dists: list[Distribution]) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    allv = np.concatenate([d.kept for d in dists])
    bins = _bins(np.maximum(allv, 1), log=True)
    for d, color in zip(dists, (KEPT, ACCENT, REMOVED)):
        ax.hist(np.maximum(d.kept, 1), bins=bins, alpha=0.6, color=color,
                label=f"{d.stage} ({len(d.kept):,} docs sampled)")
    ax.set_xscale("log")
    ax.set_xlabel("characters per document")
    ax.set_ylabel("documents")
    ax.legend(fontsize=8)
    ax.set_title("Document length")
    return _png(fig)


def languages(stage: str, counts: dict[str, int], top: int = 20) -> bytes:
    items = list(counts.items())[:top]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(items) + 1.2))
    y = np.arange(len(items))[::-1]
    ax.barh(y, [n for _, n in items], color=KEPT)
    ax.set_yticks(y, [k for k, _ in items], fontsize=8)
    ax.set_xlabel("documents (sampled)")
    ax.set_title(f"Languages of the documents after {stage}")
    return _png(fig)


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


def clusters(per_stage: dict[str, dict]) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(len(per_stage), 1)
    for i, (stage, info) in enumerate(per_stage.items()):
        sizes = sorted(info["sizes"].items())
        if sizes:
            x = np.array([s for s, _ in sizes], float) + (i - (len(per_stage) - 1) / 2) * width
            ax.bar(x, [n for _, n in sizes], width=width, label=stage)
    ax.set_xlabel("documents in the cluster")
    ax.set_ylabel("clusters")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title("Duplicate-cluster sizes")
    return _png(fig)


def tokens(rows: list[dict], title: str = "Tokens per source", key: str = "source") -> bytes:
    """Shares of one grouping (they sum to 1): realised, and requested where a mix asked for one."""
    fig, ax = plt.subplots(figsize=(8, 3))
    x = np.arange(len(rows))
    if any(r.get("requested_share") is not None for r in rows):
        ax.bar(x - 0.2, [r["requested_share"] or 0.0 for r in rows], width=0.4, color=ACCENT, label="requested share")
        ax.bar(x + 0.2, [r["share"] for r in rows], width=0.4, color=KEPT, label="realised share")
        ax.legend(fontsize=8)
    else:
        ax.bar(x, [r["share"] for r in rows], width=0.6, color=KEPT)
    ax.set_xticks(x, [r[key] for r in rows], fontsize=8, rotation=30 if len(rows) > 8 else 0)
    ax.set_ylabel("share of tokens")
    ax.set_title(title)
    return _png(fig)


def walls(data: ReportData) -> bytes:
    rows = data.walls
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    ax.barh(y + 0.2, [r["wall_seconds"] for r in rows], height=0.4, color=KEPT, label="wall (fused stages share it)")
    ax.barh(y - 0.2, [r["task_seconds"] for r in rows], height=0.4, color=ACCENT, label="summed task time")
    ax.set_yticks(y, [r["id"] for r in rows], fontsize=8)
    ax.set_xlabel("seconds")
    ax.legend(fontsize=8)
    ax.set_title("Time per stage")
    return _png(fig)
