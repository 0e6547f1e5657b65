"""Inline SVG bar charts that need no script: each has a <title> and a <desc> with its numbers.

They scale with the page (a viewBox, no fixed width), draw in the page's text colour so they
print in black, and leave the numbers to the table beside them and to the <desc> a screen
reader reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from civicwatt.disclose.text import number

W, H = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 16, 44


def bars(chart_id: str, title: str, labels: Sequence[str],
         series: Sequence[tuple[str, Sequence[float | None]]], digits: int = 0,
         lines: Sequence[tuple[str, float]] = ()) -> str:
    """Grouped bars, one group per label and one bar per series; `lines` are horizontal
    reference lines (a baseline, a target). The <desc> lists every value."""
    values = [v for _, vs in series for v in vs if v is not None] + [v for _, v in lines]
    top = _nice(max(values, default=0.0))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    group = plot_w / max(len(labels), 1)
    width = group * 0.8 / max(len(series), 1)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape(_describe(labels, series, lines, digits))}</desc>']
    for tick in range(5):
        value = top * tick / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}"/><text class="tick" x="{LEFT - 6}" '
                     f'y="{y(value) + 4:.1f}" text-anchor="end">{number(value, digits)}</text>')
    for i, label in enumerate(labels):
        x0 = LEFT + group * i + group * 0.1
        for s, (_, vs) in enumerate(series):
            value = vs[i]
            if value is None:
                continue
            parts.append(f'<rect class="s{s}" x="{x0 + s * width:.1f}" y="{y(value):.1f}" '
                         f'width="{width * 0.92:.1f}" height="{max(y(0) - y(value), 0):.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT + group * (i + 0.5):.1f}" y="{H - BOTTOM + 16}"'
                     f' text-anchor="middle">{escape(label)}</text>')
    for k, (name, value) in enumerate(lines):
        parts.append(f'<line class="ref r{k}" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}"/><text class="tick" x="{W - RIGHT}" '
                     f'y="{y(value) - 4:.1f}" text-anchor="end">{escape(name)}</text>')
    legend_x = LEFT
    for s, (name, _) in enumerate(series):
        parts.append(f'<rect class="s{s}" x="{legend_x}" y="{H - 14}" width="10" height="10"/>'
                     f'<text class="tick" x="{legend_x + 14}" y="{H - 5}">{escape(name)}</text>')
        legend_x += 14 + 8 * len(name) + 24
    parts.append("</svg>")
    return "".join(parts)


def _describe(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
              lines: Sequence[tuple[str, float]], digits: int) -> str:
    text = "; ".join(f"{name}: " + ", ".join(f"{label} {number(v, digits)}"
                                              for label, v in zip(labels, vs, strict=True))
                     for name, vs in series)
    return text + "".join(f"; {name}: {number(value, digits)}" for name, value in lines)


def _nice(value: float) -> float:
    """The round number at or above `value` the axis ends at (1, 2, 2.5, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)
