"""The statistics report's charts as PNG bytes, drawn like the daily report's
(`civicwatt.reports.charts.pyplot`: Agg, the report's CJK font and colours).

- `trend`: 12 months of 综合能耗 as bars against the same months a year earlier as a line.
- `ranking`: one type's buildings by kgce per m² as horizontal bars, with the quota's
  constraint and guide values as vertical lines where the site configured them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from civicwatt.reports.charts import ACTUAL, FORECAST, GRID, INK, pyplot

OVER = "#dc2626"  # above the quota's constraint value
BETWEEN = "#f59e0b"  # between guide and constraint


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    constraint: float | None = None
    guide: float | None = None


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _frame(ax) -> None:
    ax.grid(axis="y", color=GRID, linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def trend(months: Sequence[str], current: Sequence[float | None],
          previous: Sequence[float | None], labels: dict[str, str], font: str | None) -> bytes:
    """Bars: this period's months; line: the same months a year earlier (gaps where absent)."""
    plt = pyplot(font)
    x = np.arange(len(months))
    now = np.array([np.nan if v is None else v for v in current], dtype=float)
    before = np.array([np.nan if v is None else v for v in previous], dtype=float)
    fig, ax = plt.subplots(figsize=(7.2, 2.5), dpi=140)
    try:
        ax.bar(x, np.nan_to_num(now), width=0.66, color=ACTUAL, alpha=0.85,
               label=labels["this_year"], zorder=2)
        ax.plot(x, before, color=FORECAST, linewidth=1.6, marker="o", markersize=3,
                label=labels["last_year"], zorder=3)
        ax.set_xticks(x, list(months))
        ax.set_ylabel(labels["kgce"])
        ax.set_ylim(bottom=0)
        _frame(ax)
        ax.legend(loc="lower right", ncols=2, frameon=False, fontsize=7.5,
                  bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
        fig.subplots_adjust(left=0.09, right=0.995, bottom=0.16, top=0.88)
        return _png(fig)
    finally:
        plt.close(fig)


def ranking(bars: Sequence[Bar], labels: dict[str, str], font: str | None) -> bytes:
    """Highest first; a bar above its constraint is red, between guide and constraint amber."""
    plt = pyplot(font)
    n = len(bars)
    fig, ax = plt.subplots(figsize=(7.2, 0.9 + 0.22 * n), dpi=140)
    try:
        y = np.arange(n)[::-1]
        colours = [OVER if b.constraint is not None and b.value > b.constraint else
                   BETWEEN if b.guide is not None and b.value > b.guide else ACTUAL for b in bars]
        ax.barh(y, [b.value for b in bars], height=0.66, color=colours, zorder=2)
        ax.set_yticks(y, [b.label for b in bars])
        for value, colour, key in ((_common(bars, "constraint"), OVER, "constraint"),
                                   (_common(bars, "guide"), BETWEEN, "guide")):
            if value is not None:
                ax.axvline(value, color=colour, linestyle="--", linewidth=1.2, zorder=3,
                           label=f"{labels[key]} {value:g}")
        ax.set_xlabel(labels["kgce_m2"])
        ax.grid(axis="x", color=GRID, linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", labelsize=7.5, colors=INK)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower right", frameon=False, fontsize=7.5)
        height = 0.9 + 0.22 * n
        fig.subplots_adjust(left=0.27, right=0.98, bottom=0.45 / height, top=1 - 0.15 / height)
        return _png(fig)
    finally:
        plt.close(fig)


def _common(bars: Sequence[Bar], key: str) -> float | None:
    """A quota line is drawn when every bar of the type shares the value (one quota per type)."""
    values = {getattr(b, key) for b in bars}
    return next(iter(values)) if len(values) == 1 else None
