"""Small-multiple histograms drawn as SVG here, not with matplotlib.

The report draws one panel per quality signal, twice (all kept and removed documents, and kept
documents per language): 30-40 panels each on the default recipe. matplotlib built and
rasterised every panel's axes, ticks and labels, ~80 ms a panel: two thirds of the report's
time after a run, and their PNGs were two thirds of report.html. A histogram panel is a frame,
a few step outlines, dashed threshold lines and a handful of labels: as SVG text that takes well
under a millisecond a panel and stays sharp when zoomed. The report's single charts (funnel,
reasons, lengths, ...) are SVG too, from svgchart.py's bars and histogram on this module's
`document` and `steps`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

PANEL_W, PANEL_H = 330, 160
_LEFT, _RIGHT, _TOP, _BOTTOM = 8, 8, 24, 20      # plot area inside a panel (title above, ticks below)


@dataclass
class Series:
    counts: np.ndarray
    edges: np.ndarray
    color: str
    filled: bool = False          # a filled area (kept vs removed) or an outline (per language)


@dataclass
class Panel:
    title: str
    series: list[Series] = field(default_factory=list)
    lines: list[tuple[float, str]] = field(default_factory=list)   # dashed verticals: (x, colour)
    legend: list[tuple[str, str, bool]] = field(default_factory=list)  # (label, colour, dashed)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def steps(edges, counts, sx, sy, base: float) -> str:
    """The outline of a histogram: up and along each bin, down at the end (sx, sy: data to pixels)."""
    # Whole pixels, and only the corners: runs of bins at one height (empty tails, flat stretches)
    # are one segment. The report's grids hold ~1,000 of these outlines.
    xs = np.rint(sx(np.asarray(edges, np.float64))).astype(int).tolist()
    ys = np.rint(sy(np.asarray(counts, np.float64))).astype(int).tolist()
    b = round(base)
    path = [(xs[0], b)]
    for i, y in enumerate(ys):
        path += [(xs[i], y), (xs[i + 1], y)]
    path.append((xs[-1], b))
    pts = [path[0]]
    for k in range(1, len(path) - 1):
        (px, py), (x, y), (nx, ny) = pts[-1], path[k], path[k + 1]
        if (x, y) != (px, py) and not (px == x == nx or py == y == ny):
            pts.append((x, y))
    pts.append(path[-1])
    return " ".join(f"{x},{y}" for x, y in pts)


def _panel(p: Panel) -> list[str]:
    x0, x1, y0, y1 = _LEFT, PANEL_W - _RIGHT, _TOP, PANEL_H - _BOTTOM
    title = p.title if len(p.title) <= 54 else p.title[:53] + "…"     # ~6 px a character: stays in its panel
    out = [f'<text x="{x0}" y="14" font-size="10.5">{html.escape(title)}</text>',
           f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" stroke="#aaa"/>']
    series = [s for s in p.series if len(s.counts) and s.counts.sum() > 0]
    if not series:
        out.append(f'<text x="{(x0 + x1) / 2}" y="{(y0 + y1) / 2}" text-anchor="middle" fill="#777">no values</text>')
        return out
    lo = min(float(s.edges[0]) for s in series)
    hi = max(float(s.edges[-1]) for s in series)
    hi = hi if hi > lo else lo + 1
    top = max(float(s.counts.max()) for s in series) * 1.08

    def sx(v):
        return x0 + (np.asarray(v, np.float64) - lo) / (hi - lo) * (x1 - x0)

    def sy(c):
        return y1 - np.asarray(c, np.float64) / top * (y1 - y0)

    for s in series:
        pts = steps(s.edges, s.counts, sx, sy, y1)
        if s.filled:
            out.append(f'<polygon points="{pts}" fill="{s.color}" fill-opacity="0.65" stroke="none"/>')
        else:
            out.append(f'<polyline points="{pts}" fill="none" stroke="{s.color}" stroke-width="1.4"/>')
    for x, color in p.lines:
        if lo <= x <= hi:
            out.append(f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{y0}" y2="{y1}" stroke="{color}" '
                       f'stroke-width="1.2" stroke-dasharray="4,3"/>')
    for v, anchor in ((lo, "start"), ((lo + hi) / 2, "middle"), (hi, "end")):
        out.append(f'<text x="{sx(v):.1f}" y="{y1 + 13}" text-anchor="{anchor}" font-size="9" fill="#444">'
                   f'{_fmt(v)}</text>')
    for i, (label, color, dashed) in enumerate(p.legend):
        y = y0 + 10 + 11 * i
        mark = (f'<line x1="{x1 - 96}" x2="{x1 - 84}" y1="{y - 3}" y2="{y - 3}" stroke="{color}" stroke-width="1.4"'
                + (' stroke-dasharray="4,3"/>' if dashed else "/>"))
        out.append(mark + f'<text x="{x1 - 80}" y="{y}" font-size="8.5">{html.escape(label)}</text>')
    return out


def grid(panels: list[Panel], per_row: int = 3) -> bytes:
    """One SVG image of the panels, `per_row` to a row."""
    rows = max(1, (len(panels) + per_row - 1) // per_row)
    out = []
    for k, p in enumerate(panels):
        out.append(f'<g transform="translate({(k % per_row) * PANEL_W},{(k // per_row) * PANEL_H})">')
        out += _panel(p)
        out.append("</g>")
    return document(per_row * PANEL_W, rows * PANEL_H, out)


def document(w: float, h: float, parts: list[str]) -> bytes:
    """A standalone SVG image of w x h pixels on white."""
    return "\n".join([f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}" height="{h:g}" '
                      f'viewBox="0 0 {w:g} {h:g}" font-family="DejaVu Sans, Arial, sans-serif">',
                      f'<rect width="{w:g}" height="{h:g}" fill="white"/>', *parts, "</svg>"]).encode()
