"""The report's SVG charts are well-formed standalone XML with what they claim to draw."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from eventlens.bench import svg

NS = {"s": "http://www.w3.org/2000/svg"}


def test_line_chart_parses_and_draws_each_series_with_gaps_and_markers() -> None:
    xs = [0.3, 0.35, 0.4, 0.45, 0.5]
    doc = svg.line_chart(
        'Precision & recall of "A" <test>',
        "threshold",
        xs,
        {"precision": [0.5, 0.8, 0.95, 1.0, 1.0], "recall": [0.99, math.nan, 0.97, 0.9, 0.8]},
        {"possible": 0.39, "high": 0.425, "off the chart": 0.9},
    )
    root = ET.fromstring(doc)  # noqa: S314 (our own output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findtext("s:title", namespaces=NS) == 'Precision & recall of "A" <test>'
    lines = root.findall("s:polyline", NS)
    # precision: one run of 5 points; recall: the NaN splits it, the lone first point draws nothing.
    assert [len(line.get("points", "").split()) for line in lines] == [5, 3]
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "possible 0.390" in texts and "high 0.425" in texts
    assert not any(t.startswith("off the chart") for t in texts)
    # y = 1.0 sits at the top of the plot, y = 0.5 halfway down.
    first = [tuple(map(float, p.split(","))) for p in lines[0].get("points", "").split()]
    top, height = svg.TOP, svg.HEIGHT - svg.TOP - svg.BOTTOM
    assert abs(first[-1][1] - top) < 0.1 and abs(first[0][1] - (top + height / 2)) < 0.1


def test_bar_chart_parses_and_draws_one_bar_per_value_but_none_for_nan() -> None:
    doc = svg.bar_chart(
        "Recall per face width",
        ["<24", "24-40", ">=96"],
        {"detected": [math.nan, 0.5, 1.0], "identified": [0.25, 0.75, 1.0]},
        [0, 4, 8],
    )
    root = ET.fromstring(doc)  # noqa: S314 (our own output)
    bars = [r for r in root.findall("s:rect", NS) if r.find("s:title", NS) is not None]
    assert [b.findtext("s:title", namespaces=NS) for b in bars] == [
        "identified: 0.250",
        "detected: 0.500",
        "identified: 0.750",
        "detected: 1.000",
        "identified: 1.000",
    ]
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[3] == heights[4] == 2 * heights[1]
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<24 (n=0)" in labels and ">=96 (n=8)" in labels
