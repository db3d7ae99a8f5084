"""The report's SVG charts: small multiples (one panel per signal, bins and thresholds placed) and the
single charts (bars proportional to values, stacks that sum, log axes, escaped text, empty data)."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from pipeline.report import plots, svg, svgchart
from pipeline.report.svg import Panel
from pipeline.report.svgchart import Series

NS = "{http://www.w3.org/2000/svg}"


def _points(el) -> np.ndarray:
    return np.array([[float(v) for v in p.split(",")] for p in el.get("points").split()])


def _tops(points: np.ndarray, bins: int) -> np.ndarray:
    """The y of a step outline over the middle of each of `bins` equal bins (the base where none)."""
    x0, x1, base = points[0, 0], points[-1, 0], points[:, 1].max()
    tops = []
    for k in range(bins):
        xm = x0 + (k + 0.5) * (x1 - x0) / bins
        ys = [a[1] for a, b in zip(points, points[1:]) if a[1] == b[1] and min(a[0], b[0]) <= xm <= max(a[0], b[0])]
        tops.append(min(ys, default=base))
    return np.array(tops)


def test_step_outlines_keep_only_corners_in_whole_pixels():
    edges = np.linspace(0.0, 10.0, 11)
    counts = np.array([0, 0, 3, 3, 3, 0, 0, 0, 5, 0])
    pts = svg.steps(edges, counts, lambda v: v * 10.04, lambda c: 100 - np.asarray(c) * 10.3, 100.0)
    pairs = [tuple(p.split(",")) for p in pts.split()]
    assert all(v.lstrip("-").isdigit() for p in pairs for v in p)       # whole pixels
    xy = np.array(pairs, float)
    assert len(xy) == 10                  # base, up, along 3 bins, down, along, up, along, down (no flat-run points)
    # every segment is horizontal or vertical, and the outline over each bin is the count's height
    assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(xy, xy[1:]))
    assert np.allclose(100 - _tops(xy, 10), np.rint(counts * 10.3), atol=1)


def test_grid_draws_each_panel_with_its_bins_and_threshold():
    edges = np.linspace(0.0, 1.0, 5)
    panels = [Panel("gopher: ratio", [svg.Series(np.array([1, 4, 2, 0]), edges, "#3b7dd8", True),
                                      svg.Series(np.array([0, 1, 0, 3]), edges, "#d8553b")],
                    lines=[(0.5, "black"), (7.0, "black")], legend=[("kept", "#3b7dd8", False)]),
              Panel("empty: no data"), Panel("c4 & <lines>", [svg.Series(np.array([2, 2]), np.array([0., 1, 2]), "#000")])]
    root = ET.fromstring(svg.grid(panels, per_row=2))
    assert root.tag == f"{NS}svg" and int(root.get("width")) == 2 * svg.PANEL_W
    assert int(root.get("height")) == 2 * svg.PANEL_H                  # 3 panels, 2 to a row
    groups = root.findall(f"{NS}g")
    assert [g.get("transform") for g in groups] == [
        "translate(0,0)", f"translate({svg.PANEL_W},0)", f"translate(0,{svg.PANEL_H})"]
    texts = [t.text for t in groups[2].iter(f"{NS}text")]
    assert texts[0] == "c4 & <lines>"                                   # escaped in the file, intact when read
    assert "no values" in [t.text for t in groups[1].iter(f"{NS}text")]

    filled = _points(groups[0].find(f"{NS}polygon"))
    outline = _points(groups[0].find(f"{NS}polyline"))
    base = filled[:, 1].max()
    heights = base - _tops(filled, 4)                                  # bin tops, measured from the base
    assert np.allclose(heights / heights.max(), np.array([1, 4, 2, 0]) / 4, atol=0.02)
    out_h = base - _tops(outline, 4)
    assert out_h[0] == 0 and out_h[3] > out_h[1] > 0                   # the outline: 0, 1, 0, 3
    # the threshold at 0.5 sits in the middle of the x range; the one at 7 is off the range: not drawn
    lines = groups[0].findall(f"{NS}line")
    dashed = [ln for ln in lines if ln.get("stroke-dasharray") and ln.get("y1") != ln.get("y2")]
    assert len(dashed) == 1
    x = float(dashed[0].get("x1"))
    assert abs(x - (filled[0, 0] + filled[-1, 0]) / 2) < 0.2
    ticks = [t.text for t in groups[0].iter(f"{NS}text")][1:4]
    assert ticks == ["0", "0.5", "1"]


# The single charts (svgchart.py): bars, stacks, log axes, escaping, empty data.

def _rects(root, color: str) -> list[dict]:
    return [{k: float(r.get(k)) for k in ("x", "y", "width", "height")}
            for r in root.iter(f"{NS}rect") if r.get("fill") == color and r.get("class") != "key"]   # not the legend's


def _texts(root) -> list[str]:
    return [t.text for t in root.iter(f"{NS}text")]


def test_hbars_lengths_follow_the_values_first_category_on_top():
    values = [1160, 40, 613, 0]
    root = ET.fromstring(svgchart.hbars("Funnel", ["ingest", "lang", "gopher", "none"],
                                        [Series("docs", values, "#3b7dd8")], xlabel="documents"))
    bars = _rects(root, "#3b7dd8")
    assert len(bars) == 4
    widths = np.array([b["width"] for b in bars])
    assert np.allclose(widths / widths[0], np.array(values) / values[0], atol=0.002)
    assert [b["y"] for b in bars] == sorted(b["y"] for b in bars)          # in the given order, downwards
    assert len({b["x"] for b in bars}) == 1                                # all from the zero line
    texts = _texts(root)
    assert texts.index("ingest") < texts.index("none") and "documents" in texts and "docs" in texts
    ticks = [float(t.replace(",", "")) for t in texts if t.replace(",", "").isdigit()]
    assert ticks[0] == 0 and ticks[-1] >= 1160 and len(set(np.diff(ticks))) == 1   # even steps past the longest bar


def test_stacked_bars_start_where_the_one_before_ends_and_sum():
    out, removed = [600, 580], [360, 20]
    root = ET.fromstring(svgchart.hbars("Funnel", ["a", "b"], [Series("out", out, "#111111"),
                                                               Series("removed", removed, "#222222")], stacked=True))
    first, second = _rects(root, "#111111"), _rects(root, "#222222")
    for f, s, total in zip(first, second, np.add(out, removed)):
        assert abs(s["x"] - (f["x"] + f["width"])) < 0.11 and s["y"] == f["y"]
        assert abs((f["width"] + s["width"]) / first[0]["width"] - total / out[0]) < 0.002
    grouped = ET.fromstring(svgchart.hbars("Walls", ["a"], [Series("wall", [3], "#111111"),
                                                            Series("task", [5], "#222222")]))
    w, t = _rects(grouped, "#111111")[0], _rects(grouped, "#222222")[0]
    assert w["x"] == t["x"] and w["y"] + w["height"] <= t["y"] + 0.1     # side by side, the first on top
    assert abs(t["width"] / w["width"] - 5 / 3) < 0.01


def test_log_axes_place_decades_in_order():
    axis = svgchart.log_axis(90, 60_000)
    assert axis.labels == ["100", "1,000", "10k"]
    frac = axis.frac(axis.ticks)
    assert np.all(np.diff(frac) > 0) and np.allclose(np.diff(frac), np.diff(frac)[0])   # a decade each, equal
    assert 0 < frac[0] and frac[-1] < 1
    counts = [1, 10, 100, 1000]
    root = ET.fromstring(svgchart.vbars("Clusters", ["2", "3", "4", "5"], [Series("exact", counts, "#1f77b4")],
                                        log=True, ylabel="clusters"))
    heights = np.array([b["height"] for b in _rects(root, "#1f77b4")])
    assert np.allclose(np.diff(heights), np.diff(heights)[0], atol=0.2) and heights[0] > 0   # equal steps a decade
    assert [t for t in _texts(root) if t in ("0.1", "1", "10", "100", "1,000", "10k")] == ["0.1", "1", "10", "100",
                                                                                           "1,000", "10k"]
    edges = np.geomspace(100, 100_000, 4)
    hist = ET.fromstring(svgchart.histogram("Lengths", edges, [Series("pii", [1, 2, 3], "#3b7dd8")], log_x=True))
    xs = sorted({p[0] for p in _points(hist.find(f"{NS}polygon"))})
    assert len(xs) == 4 and np.allclose(np.diff(xs), np.diff(xs)[0], atol=1)   # geometric bins: equal widths (whole pixels)
    with pytest.raises(ValueError, match="0 < lo < hi"):
        svgchart.log_axis(0, 10)


def test_linear_ticks_are_round_and_readable():
    assert svgchart.linear_axis(0, 0.468).labels == ["0", "0.1", "0.2", "0.3", "0.4", "0.5"]
    axis = svgchart.linear_axis(0, 24_100)
    assert axis.labels == ["0", "5k", "10k", "15k", "20k", "25k"] and axis.hi == 25_000
    assert svgchart.linear_axis(0, 2.6e6).labels[-1] == "3.0M"
    vals = [0.1, 0.45, 0.3, 0.15]
    root = ET.fromstring(svgchart.vbars("Tokens", ["cc", "web", "zh_text", "zh_web"],
                                        [Series("requested", vals, "#6a9f3a"), Series("realised", vals, "#3b7dd8")]))
    req, real = _rects(root, "#6a9f3a"), _rects(root, "#3b7dd8")
    assert [r["height"] for r in req] == [r["height"] for r in real]
    assert all(a["x"] + a["width"] <= b["x"] + 0.1 for a, b in zip(req, real))   # requested on the left
    assert np.allclose(np.array([r["height"] for r in real]) / real[1]["height"], np.array(vals) / 0.45, atol=0.002)


def test_chart_text_is_escaped_and_empty_data_says_no_values():
    raw = svgchart.hbars("A & <B>", ["x<y", "\"q\" & 'r'"], [Series("p&q", [1, 2], "#000000")])
    assert b"<y" not in raw and b"&lt;y" in raw
    texts = _texts(ET.fromstring(raw))
    assert "A & <B>" in texts and "x<y" in texts and "\"q\" & 'r'" in texts and "p&q" in texts
    long = svgchart.hbars("t", ["r" * 80], [Series("", [1], "#000000")])
    assert "r" * 43 + "…" in _texts(ET.fromstring(long))
    empties = [svgchart.hbars("none", [], [Series("a", [], "#000000")]),
               svgchart.vbars("zeros on a log axis", ["a"], [Series("a", [0], "#000000")], log=True),
               svgchart.vbars("not a number", ["a"], [Series("a", [float("nan")], "#000000")]),
               svgchart.histogram("no counts", [1, 10, 100], [Series("a", [0, 0], "#000000")], log_x=True),
               svgchart.histogram("no series", [1, 10], [])]
    for chart in empties:
        root = ET.fromstring(chart)
        assert "no values" in _texts(root) and not _rects(root, "#000000")
    with pytest.raises(ValueError, match="3 values for 2 categories"):
        svgchart.hbars("t", ["a", "b"], [Series("", [1, 2, 3], "#000000")])


def test_cluster_chart_keeps_a_colour_and_legend_entry_per_stage_with_clusters():
    root = ET.fromstring(plots.clusters({"exact_dedup": {"sizes": {2: 12, 5: 1}},
                                         "minhash_dedup": {"sizes": {2: 30, 3: 4}},
                                         "fuzzy": {"sizes": {}}}))
    texts = _texts(root)
    assert "exact_dedup" in texts and "minhash_dedup" in texts and "fuzzy" not in texts
    assert [t for t in texts if t in ("2", "3", "5")] == ["2", "3", "5"]    # one slot a size, smallest first
    first, second = _rects(root, plots.STAGE_COLORS[0]), _rects(root, plots.STAGE_COLORS[1])
    assert len(first) == 2 and len(second) == 2                          # no bar where a stage has no cluster


def test_length_chart_of_a_stage_with_no_documents_says_no_values():
    from pipeline.report.collect import Distribution
    empty = ET.fromstring(plots.lengths([Distribution("pii", "length", np.array([]))]))
    assert "no values" in _texts(empty) and "pii (0 docs sampled)" in _texts(empty)
    kept = np.array([120, 900, 900, 15_000])
    root = ET.fromstring(plots.lengths([Distribution("pii", "length", kept)]))
    heights = _points(root.find(f"{NS}polygon"))[:, 1]
    assert "no values" not in _texts(root) and heights.min() < heights.max()
