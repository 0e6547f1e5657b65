"""Charts for the report as PNG bytes (matplotlib, Agg): e-mail clients and PDF engines
both show PNG, which SVG cannot promise.

Load curves show the actual hourly mean load as bars and the day-ahead
forecast as a line inside its 80 % and 95 % bands.
"""

from __future__ import annotations

import io

import numpy as np

from civicwatt.reports.model import Curve

INK = "#1f2937"
ACTUAL = "#2563eb"
FORECAST = "#b45309"
BAND80 = "#f59e0b"
GRID = "#e5e7eb"


def pyplot(font: str | None):
    """matplotlib.pyplot on Agg with the report's font (CJK when given) and colours."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    plt.rcParams.update({"font.family": families, "font.size": 8.5, "axes.edgecolor": "#9ca3af",
                         "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
                         "axes.unicode_minus": False})
    return plt


def load_curve(curve: Curve, labels: dict[str, str], font: str | None,
               title: str = "", height_in: float = 2.3) -> bytes:
    plt = pyplot(font)
    n = len(curve.hours)
    x = np.arange(n)
    edges = np.arange(n + 1) - 0.5  # bands and the forecast span each whole hour

    def stairs(values: np.ndarray) -> np.ndarray:
        return np.append(values, values[-1])

    fig, ax = plt.subplots(figsize=(7.2, height_in), dpi=140)
    try:
        if curve.forecast_kw is not None:
            if curve.lower95 is not None and curve.upper95 is not None:
                ax.fill_between(edges, stairs(curve.lower95), stairs(curve.upper95), step="post",
                                color=BAND80,
                                alpha=0.13, linewidth=0, label=labels["band95"])
            if curve.lower is not None and curve.upper is not None:
                ax.fill_between(edges, stairs(curve.lower), stairs(curve.upper), step="post",
                                color=BAND80,
                                alpha=0.30, linewidth=0, label=labels["band80"])
        ax.bar(x, np.nan_to_num(curve.actual_kw), width=0.72, color=ACTUAL, alpha=0.85,
               label=labels["actual"], zorder=2)
        if curve.forecast_kw is not None:
            ax.step(edges, stairs(curve.forecast_kw), where="post", color=FORECAST,
                    linewidth=1.6,
                    label=labels["forecast"], zorder=3)
        ax.set_xlim(-0.6, n - 0.4)
        ticks = list(range(0, n, 2))
        ax.set_xticks(ticks, [curve.hours[i].strftime("%H") for i in ticks])
        ax.set_xlabel(labels["hour"])
        ax.set_ylabel(labels["kw"])
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color=GRID, linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if title:
            ax.set_title(title, loc="left", fontsize=9.5, color=INK, fontweight="bold")
        ax.legend(loc="lower right", ncols=4, frameon=False, fontsize=7.5,
                  bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
        ax.margins(y=0.08)
        # fixed margins: tight_layout measures every text extent and costs more than the plot
        fig.subplots_adjust(left=0.075, right=0.995, bottom=0.2 * 2.3 / height_in,
                            top=1 - 0.12 * 2.3 / height_in)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
