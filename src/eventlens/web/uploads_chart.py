"""Uploads over time as a small SVG bar chart, drawn on the server: no chart library, no script."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

WIDTH, HEIGHT, PAD = 640, 160, 24
MAX_BARS = 48
MAX_BAR = 36.0


def _bucket(span: timedelta) -> timedelta:
    for step in (timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 720, 1440, 10080)):
        if span / step <= MAX_BARS:
            return step
    return timedelta(days=30)


def buckets(times: list[datetime]) -> tuple[list[tuple[datetime, int]], timedelta]:
    """(start, count) per bucket from the first to the last upload, empty buckets included."""
    if not times:
        return [], timedelta(hours=1)
    first, last = min(times), max(times)
    step = _bucket(last - first)
    start = (
        datetime.min.replace(tzinfo=first.tzinfo)
        + ((first - datetime.min.replace(tzinfo=first.tzinfo)) // step) * step
    )
    counts = Counter(int((t - start) / step) for t in times)
    n = int((last - start) / step) + 1
    return [(start + i * step, counts.get(i, 0)) for i in range(n)], step


def render_svg(times: list[datetime], title: str, empty: str) -> str:
    bars, step = buckets(times)
    label = escape(title)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
        "<style>text{font:12px system-ui,sans-serif;fill:#556070}</style>"
    )
    if not bars:
        return (
            head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">{escape(empty)}</text></svg>'
        )
    top = max(c for _, c in bars)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    width = min(inner_w / len(bars), MAX_BAR)  # a few bars stay bars, not one wide block
    parts = [head, f'<text x="{PAD}" y="14">{top}</text>']
    for i, (when, count) in enumerate(bars):
        h = inner_h * count / top if top else 0
        x, y = PAD + i * width, PAD + inner_h - h
        tip = escape(f"{when:%Y-%m-%d %H:%M}: {count}")
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(1.0, width - 2):.1f}" height="{h:.1f}" '
            f'fill="#1f5fbf"><title>{tip}</title></rect>'
        )
    fmt = "%H:%M" if step < timedelta(days=1) else "%m-%d"
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 6}">{bars[0][0]:{fmt}}</text>')
    parts.append(
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" text-anchor="end">{bars[-1][0] + step:{fmt}}</text>'
    )
    return "".join(parts) + "</svg>"
