"""Two small chart kinds as standalone inline SVG (no library, no external asset): lines over a
0..1 y axis with vertical markers, and grouped bars with counts under each group."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 150, 16, 40
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df")


def _plot_box() -> tuple[float, float, float, float]:
    return LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _svg(parts: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(title)} '
        f'font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>"
    )


def _y_axis(parts: list[str]) -> None:
    x0, y0, w, h = _plot_box()
    for i in range(6):
        v = i / 5
        y = y0 + h - v * h
        parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')


def _legend(parts: list[str], names: Sequence[str]) -> None:
    x = WIDTH - RIGHT + 12
    for i, name in enumerate(names):
        y = TOP + 14 + 18 * i
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="{y - 9}" width="12" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="{y}">{escape(name)}</text>')


def line_chart(
    title: str,
    x_label: str,
    xs: Sequence[float],
    series: Mapping[str, Sequence[float]],
    markers: Mapping[str, float] | None = None,
) -> str:
    """Lines of ``series`` (values in 0..1, NaN leaves a gap) over ``xs``; ``markers``: label -> x."""
    x0, y0, w, h = _plot_box()
    lo, hi = min(xs), max(xs)
    span = (hi - lo) or 1.0

    def px(x: float) -> float:
        return x0 + (x - lo) / span * w

    def py(y: float) -> float:
        return y0 + h - max(0.0, min(1.0, y)) * h

    parts: list[str] = []
    _y_axis(parts)
    for i in range(6):
        x = lo + span * i / 5
        parts.append(f'<text x="{px(x):.1f}" y="{y0 + h + 16}" text-anchor="middle">{x:.2f}</text>')
    parts.append(f'<text x="{x0 + w / 2}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_label)}</text>')
    for i, (name, ys) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for x, y in zip(xs, ys, strict=True):
            if math.isnan(y):
                runs.append([])
            else:
                runs[-1].append(f"{px(x):.1f},{py(y):.1f}")
        for run in runs:
            if len(run) > 1:
                points = " ".join(run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
                    f"<title>{escape(name)}</title></polyline>"
                )
    for j, (label, x) in enumerate((markers or {}).items()):
        if lo <= x <= hi:
            parts.append(
                f'<line x1="{px(x):.1f}" y1="{y0}" x2="{px(x):.1f}" y2="{y0 + h}" '
                f'stroke="#333" stroke-dasharray="4 3"/>'
            )
            parts.append(
                f'<text x="{px(x) + 3:.1f}" y="{y0 + h - 6 - 13 * j}">{escape(label)} {x:.3f}</text>'
            )
    parts.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#888"/>')
    _legend(parts, list(series))
    return _svg(parts, title)


def bar_chart(
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    counts: Sequence[int] | None = None,
) -> str:
    """Grouped bars (values in 0..1, NaN: no bar) per group; ``counts`` written under each group."""
    x0, y0, w, h = _plot_box()
    parts: list[str] = []
    _y_axis(parts)
    group_w = w / max(1, len(groups))
    bar_w = group_w * 0.8 / max(1, len(series))
    for g, group in enumerate(groups):
        gx = x0 + g * group_w
        label = group if counts is None else f"{group} (n={counts[g]})"
        parts.append(
            f'<text x="{gx + group_w / 2:.1f}" y="{y0 + h + 16}" text-anchor="middle">{escape(label)}</text>'
        )
        for i, (name, values) in enumerate(series.items()):
            v = values[g]
            if math.isnan(v):
                continue
            bx = gx + group_w * 0.1 + i * bar_w
            bh = max(0.0, min(1.0, v)) * h
            colour = COLOURS[i % len(COLOURS)]
            parts.append(
                f'<rect x="{bx:.1f}" y="{y0 + h - bh:.1f}" width="{bar_w - 2:.1f}" height="{bh:.1f}" '
                f'fill="{colour}"><title>{escape(name)}: {v:.3f}</title></rect>'
            )
            parts.append(
                f'<text x="{bx + bar_w / 2 - 1:.1f}" y="{y0 + h - bh - 3:.1f}" text-anchor="middle" '
                f'font-size="9">{v:.2f}</text>'
            )
    parts.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#888"/>')
    _legend(parts, list(series))
    return _svg(parts, title)
