"""The report's single charts as SVG: horizontal bars, vertical bars and a histogram.

Hand-written like svg.py's small multiples, for the same reason: matplotlib took ~1.3 s to import
and ~0.3 s a chart (tight_layout, Agg rasterising) for charts that are a few rectangles, ticks and
labels; as SVG text they take milliseconds and stay sharp when zoomed. What a plotting library
would give and this does by hand is small: nice tick steps (1, 2, 2.5, 5 x 10^k), decades on a log
axis, and margins sized to the labels. With no font metrics here, a label's width is estimated at
0.6 em a character (DejaVu Sans and Arial average less), so margins err on the wide side; category
labels past 44 characters are cut with an ellipsis.

Three primitives serve the seven charts: `hbars` (categories down the y axis, series grouped or
stacked), `vbars` (categories along x, series grouped, optional log y) and `histogram` (filled
series over shared bin edges, optional log x). Each draws "no values" rather than failing when there
is nothing to draw.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from pipeline.report.svg import document, steps

WIDTH = 720                          # pixels; the PNGs were 8 inches at 90 dpi
FONT = 11                            # tick and category labels
_CHAR = 0.6                          # estimated character width, in em
_MAX_LABEL = 44                      # characters of a category label before it is cut
_RIGHT, _GAP = 26, 6


@dataclass
class Series:
    label: str                       # legend entry; "" for none
    values: Sequence[float]          # one a category (bars) or a bin (histogram)
    color: str


def _w(text: str, size: float = FONT) -> float:
    return len(text) * size * _CHAR


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[:_MAX_LABEL - 1] + "…"


def _text(x: float, y: float, text: str, size: float = FONT, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"{extra}>'
            f'{html.escape(text)}</text>')


def _rect(x: float, y: float, w: float, h: float, color: str, opacity: float = 1.0, extra: str = "") -> str:
    alpha = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" fill="{color}"{alpha}{extra}/>'


@dataclass
class Axis:
    lo: float
    hi: float
    log: bool
    ticks: list[float]
    labels: list[str]

    def frac(self, v) -> np.ndarray:
        """Where values sit along the axis, 0 at lo and 1 at hi."""
        v = np.asarray(v, np.float64)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                return (np.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return (v - self.lo) / (self.hi - self.lo)


def _divisor(big: float) -> tuple[float, str]:
    """Ticks from 10,000 up in k, from a million in M, from a billion in G: short labels."""
    return next(((d, u) for d, u in ((1e9, "G"), (1e6, "M"), (1e3, "k")) if big >= max(d, 1e4)), (1.0, ""))


def linear_axis(lo: float, hi: float, n: int = 6, snap: bool = True) -> Axis:
    """About n ticks at a step of 1, 2, 2.5 or 5 x 10^k; with snap the axis widens to whole steps
    (a value axis that ends on a labelled tick), without it stays lo..hi."""
    if not hi > lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    if snap:
        lo, hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    ticks = [k * step for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]
    div, unit = _divisor(max(abs(t) for t in ticks))
    x = step / div
    decimals = next(d for d in range(15) if abs(x * 10 ** d - round(x * 10 ** d)) <= 1e-6 * x * 10 ** d)
    if decimals > 5:                 # steps of 1e-6 and below: exponents read better than zeros
        return Axis(lo, hi, False, ticks, [f"{t:.3g}" for t in ticks])
    return Axis(lo, hi, False, ticks, [f"{t / div:,.{decimals}f}{unit}" if t else "0" for t in ticks])


def log_axis(lo: float, hi: float) -> Axis:
    """An axis from lo to hi (> 0), labelled at the decades inside it (every other one past 8),
    and at 2 and 5 times them when it spans less than two decades."""
    if not 0 < lo < hi:
        raise ValueError(f"a log axis needs 0 < lo < hi, got {lo} and {hi}")
    a, b = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    every = max(1, math.ceil((b - a) / 8))
    marks = (1, 2, 5) if math.log10(hi / lo) < 2 else (1,)
    ticks = [m * 10.0 ** k for k in range(a, b + 1, every) for m in marks
             if lo * (1 - 1e-9) <= m * 10.0 ** k <= hi * (1 + 1e-9)]
    return Axis(lo, hi, True, ticks, [f"{t / d:,g}{u}" for t in ticks for d, u in [_divisor(t)]])


class _Chart:
    """A title, a legend row, a plot box with its axes, and what is drawn in it."""

    def __init__(self, title: str, legend: list[tuple[str, str, float]], left: float, plot_h: float,
                 bottom: float):
        self.parts = [_text(WIDTH / 2, 20, title, 14, "middle")]
        top, x = 30.0, left
        for label, color, opacity in legend:       # one row under the title, wrapping: never over the data
            if x + 18 + _w(label, 10) > WIDTH - _RIGHT and x > left:
                top, x = top + 16, left
            self.parts += [_rect(x, top + 2, 14, 9, color, opacity, ' class="key"'),
                           _text(x + 18, top + 10.5, label, 10)]
            x += 18 + _w(label, 10) + 16
        top += 18 if legend else 0
        self.box = (left, top + _GAP, WIDTH - _RIGHT, top + _GAP + plot_h)
        self.height = self.box[3] + bottom

    def empty(self) -> bytes:
        x0, y0, x1, y1 = self.box
        self.parts.append(_text((x0 + x1) / 2, (y0 + y1) / 2, "no values", 12, "middle", ' fill="#777"'))
        return self.done()

    def value_axis(self, axis: Axis, horizontal: bool, label: str) -> None:
        """Ticks, faint grid lines and labels of the axis that carries the values."""
        x0, y0, x1, y1 = self.box
        for t, text in zip(axis.ticks, axis.labels):
            if horizontal:
                x = x0 + float(axis.frac(t)) * (x1 - x0)
                self.parts += [f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1 + 4}" stroke="#e4e4e4"/>',
                               _text(x, y1 + 16, text, FONT, "middle", ' fill="#333"')]
            else:
                y = y1 - float(axis.frac(t)) * (y1 - y0)
                self.parts += [f'<line x1="{x0 - 4}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>',
                               _text(x0 - 7, y + 4, text, FONT, "end", ' fill="#333"')]
        if label and horizontal:
            self.parts.append(_text((x0 + x1) / 2, y1 + 34, label, 12, "middle"))
        elif label:
            y = (y0 + y1) / 2
            self.parts.append(_text(16, y, label, 12, "middle", f' transform="rotate(-90 16 {y:.1f})"'))

    def done(self) -> bytes:
        x0, y0, x1, y1 = self.box
        self.parts.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" stroke="#444"/>')
        return document(WIDTH, self.height, self.parts)


def _matrix(categories: Sequence[str], series: list[Series]) -> np.ndarray:
    vals = np.array([np.asarray(s.values, np.float64) for s in series]).reshape(len(series), -1)
    if vals.shape[1] != len(categories):
        raise ValueError(f"{vals.shape[1]} values for {len(categories)} categories")
    return vals


def _legend(series: list[Series], opacity: float = 1.0) -> list[tuple[str, str, float]]:
    return [(s.label, s.color, opacity) for s in series if s.label]


def _left(axis: Axis | None, label: str) -> float:
    """The margin left of a vertical value axis: its label, then its widest tick label."""
    return (24 if label else 0) + max(map(_w, axis.labels if axis else ["0"])) + 12


def hbars(title: str, categories: Sequence[str], series: list[Series], *, stacked: bool = False,
          xlabel: str = "", row: float = 24) -> bytes:
    """One row a category, first at the top; the series side by side in a row (first on top),
    or end to end when stacked."""
    cats = [_cut(c) for c in categories]
    vals = _matrix(cats, series)
    chart = _Chart(title, _legend(series), 12 + max(map(_w, cats), default=0), max(len(cats), 2) * row, 44)
    finite = np.where(np.isfinite(vals), vals, 0.0)
    ends = finite.cumsum(axis=0) if stacked else finite
    if not np.isfinite(vals).any():
        return chart.empty()
    axis = linear_axis(min(0.0, float(ends.min())), float(ends.max()) * 1.02)
    chart.value_axis(axis, True, xlabel)
    x0, y0, x1, _ = chart.box
    band = row * 0.8
    h = band if stacked else band / len(series)
    for i, cat in enumerate(cats):
        top = y0 + i * row + (row - band) / 2
        chart.parts.append(_text(x0 - 7, y0 + (i + 0.5) * row + 4, cat, FONT, "end"))
        for k, s in enumerate(series):
            if not np.isfinite(vals[k, i]):
                continue
            start = ends[k - 1, i] if stacked and k else 0.0
            a, b = sorted(axis.frac([start, ends[k, i]]) * (x1 - x0) + x0)
            chart.parts.append(_rect(a, top + (0 if stacked else k * h), b - a, h, s.color))
    return chart.done()


def vbars(title: str, categories: Sequence[str], series: list[Series], *, ylabel: str = "",
          xlabel: str = "", log: bool = False, height: float = 200) -> bytes:
    """One slot a category along x; the series side by side in it (first on the left). On a log
    axis the bars rise from the decade below the smallest value and values <= 0 are not drawn."""
    cats = [_cut(c) for c in categories]
    vals = _matrix(cats, series)
    shown = vals[np.isfinite(vals) & ((vals > 0) if log else True)]
    axis = None
    if len(shown) and log:
        axis = log_axis(10.0 ** math.floor(math.log10(shown.min()) - 0.3),
                        10.0 ** math.ceil(math.log10(shown.max() * 1.5)))
    elif len(shown):
        axis = linear_axis(min(0.0, float(shown.min())), float(shown.max()) * 1.04)
    left = _left(axis, ylabel)
    slot = (WIDTH - _RIGHT - left) / max(len(cats), 1)
    widest = max(map(_w, cats), default=0)
    tilt = widest > slot * 0.95                      # labels that would touch lean at 30 degrees
    if tilt:                                         # room for the first one, which leans left
        left = max(left, 0.87 * widest - slot / 2 + 6)
        slot = (WIDTH - _RIGHT - left) / len(cats)
    every = max(1, math.ceil(16 / slot)) if tilt else 1
    chart = _Chart(title, _legend(series), left, height, 26 + (widest / 2 if tilt else 0) + (20 if xlabel else 0))
    if axis is None:
        return chart.empty()
    chart.value_axis(axis, False, ylabel)
    x0, y0, x1, y1 = chart.box
    slot = (x1 - x0) / len(cats)
    band = slot * (0.8 if len(series) > 1 else 0.6)
    w = band / len(series)
    base = axis.lo if log else 0.0
    for i, cat in enumerate(cats):
        mid = x0 + (i + 0.5) * slot
        if i % every == 0:
            extra = f' transform="rotate(-30 {mid:.1f} {y1 + 14})"' if tilt else ""
            chart.parts.append(_text(mid, y1 + 14, cat, FONT, "end" if tilt else "middle", extra))
        for k, s in enumerate(series):
            v = vals[k, i]
            if np.isfinite(v) and (v > 0 or not log):
                a, b = sorted(y1 - axis.frac([base, v]) * (y1 - y0))
                chart.parts.append(_rect(mid - band / 2 + k * w, a, w, b - a, s.color))
    if xlabel:
        chart.parts.append(_text((x0 + x1) / 2, chart.height - 8, xlabel, 12, "middle"))
    return chart.done()


def histogram(title: str, edges: Sequence[float], series: list[Series], *, log_x: bool = False,
              xlabel: str = "", ylabel: str = "", height: float = 200, opacity: float = 0.6) -> bytes:
    """Counts over shared bin edges, each series a filled outline drawn over the previous ones."""
    edges = np.asarray(edges, np.float64)
    counts = [np.nan_to_num(np.asarray(s.values, np.float64)) for s in series]
    if any(len(c) != len(edges) - 1 for c in counts):
        raise ValueError(f"{len(edges)} bin edges need {len(edges) - 1} counts a series")
    if not counts or len(edges) < 2 or max(float(c.max()) for c in counts) <= 0:
        return _Chart(title, _legend(series, opacity), _left(None, ylabel), height, 44).empty()
    if log_x:
        pad = (edges[-1] / edges[0]) ** 0.03
        xaxis = log_axis(edges[0] / pad, edges[-1] * pad)
    else:
        pad = (edges[-1] - edges[0]) * 0.03
        xaxis = linear_axis(edges[0] - pad, edges[-1] + pad, snap=False)
    yaxis = linear_axis(0.0, max(float(c.max()) for c in counts) * 1.04)
    chart = _Chart(title, _legend(series, opacity), _left(yaxis, ylabel), height, 44)
    chart.value_axis(xaxis, True, xlabel)
    chart.value_axis(yaxis, False, ylabel)
    x0, y0, x1, y1 = chart.box

    def sx(v):
        return x0 + xaxis.frac(v) * (x1 - x0)

    def sy(c):
        return y1 - yaxis.frac(c) * (y1 - y0)

    for s, c in zip(series, counts):
        chart.parts.append(f'<polygon points="{steps(edges, c, sx, sy, y1)}" fill="{s.color}" '
                           f'fill-opacity="{opacity:g}" stroke="none"/>')
    return chart.done()
