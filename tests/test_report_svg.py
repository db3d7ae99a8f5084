"""The report's SVG small multiples: well-formed, one panel per signal, bins and thresholds placed."""
import xml.etree.ElementTree as ET

import numpy as np

from pipeline.report import svg
from pipeline.report.svg import Panel, Series

NS = "{http://www.w3.org/2000/svg}"


def _points(el) -> np.ndarray:
    return np.array([[float(v) for v in p.split(",")] for p in el.get("points").split()])


def test_grid_draws_each_panel_with_its_bins_and_threshold():
    edges = np.linspace(0.0, 1.0, 5)
    panels = [Panel("gopher: ratio", [Series(np.array([1, 4, 2, 0]), edges, "#3b7dd8", True),
                                      Series(np.array([0, 1, 0, 3]), edges, "#d8553b")],
                    lines=[(0.5, "black"), (7.0, "black")], legend=[("kept", "#3b7dd8", False)]),
              Panel("empty: no data"), Panel("c4 & <lines>", [Series(np.array([2, 2]), np.array([0., 1, 2]), "#000")])]
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
    # the kept series: 4 bins, two points each, plus the two base points
    assert len(filled) == 2 * 4 + 2
    heights = filled[:, 1].max() - filled[1:-1:2, 1]                   # bin tops, measured from the base
    assert np.allclose(heights / heights.max(), np.array([1, 4, 2, 0]) / 4, atol=0.01)
    assert outline[-2, 1] < outline[1, 1]                              # the outline's last bin (3) is above its first (0)
    # the threshold at 0.5 sits in the middle of the x range; the one at 7 is off the range: not drawn
    lines = groups[0].findall(f"{NS}line")
    dashed = [ln for ln in lines if ln.get("stroke-dasharray") and ln.get("y1") != ln.get("y2")]
    assert len(dashed) == 1
    x = float(dashed[0].get("x1"))
    assert abs(x - (filled[0, 0] + filled[-1, 0]) / 2) < 0.2
    ticks = [t.text for t in groups[0].iter(f"{NS}text")][1:4]
    assert ticks == ["0", "0.5", "1"]
