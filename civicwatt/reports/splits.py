"""Splits of a scope's energy: by TOU period, and down a tree (purposes, zones).

Tree splits take each meter's own contribution (its value minus its
sub-meters', see `meters.py`), roll it up to every ancestor, and list the
nodes depth first; a node that has both children and a contribution of its
own gets a "residual" row for the part no sub-meter explains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from civicwatt.reports.model import SplitRow

Triple = tuple[float, float, float]  # kWh, cost, kgCO₂e

PERIOD_ORDER = ("sharp", "critical_peak", "super_peak", "peak", "on_peak", "shoulder", "mid_peak",
                "flat", "off_peak", "valley", "super_off_peak", "deep_valley")


def period_sort_key(period: str) -> tuple[int, str]:
    key = period.lower().replace("-", "_").replace(" ", "_")
    return (PERIOD_ORDER.index(key) if key in PERIOD_ORDER else len(PERIOD_ORDER), period)


def period_rows(by_period: Mapping[str, Triple], total_kwh: float) -> list[SplitRow]:
    return [SplitRow(p, p, *v, share=_share(v[0], total_kwh))
            for p, v in sorted(by_period.items(), key=lambda kv: period_sort_key(kv[0]))]


def contributions(values: Mapping[str, Triple], members: list[str], key_of: Mapping[str, str],
                  parent: Mapping[str, str | None]) -> dict[str, list[float]]:
    """Σ own contribution per key: +value to the meter's key, −value to its parent's key."""
    out: dict[str, list[float]] = {}
    inside = set(members)
    for point in members:
        value = values.get(point)
        if value is None:
            continue
        _add(out, key_of[point], value, 1.0)
        up = parent.get(point)
        if up is not None and up in inside:
            _add(out, key_of[up], value, -1.0)
    return out


def _add(out: dict[str, list[float]], key: str, value: Triple, sign: float) -> None:
    cell = out.setdefault(key, [0.0, 0.0, 0.0])
    for i in range(3):
        if not np.isnan(value[i]):
            cell[i] += sign * value[i]


def tree_rows(own: Mapping[str, list[float]], parent_of: Callable[[str], str | None],
              label_of: Callable[[str], str], residual_label: Callable[[str], str],
              total_kwh: float) -> list[SplitRow]:
    """Depth-first rows of the tree spanned by `own`'s keys and their ancestors."""
    rolled: dict[str, list[float]] = {}
    children: dict[str | None, set[str]] = {}
    for key, value in own.items():
        node, seen = key, set()
        while node is not None and node not in seen:
            seen.add(node)
            cell = rolled.setdefault(node, [0.0, 0.0, 0.0])
            for i in range(3):
                cell[i] += value[i]
            up = parent_of(node)
            children.setdefault(up if up not in seen else None, set()).add(node)
            node = up
    rows: list[SplitRow] = []

    def walk(node: str, level: int) -> None:
        kwh, cost, co2 = rolled[node]
        rows.append(SplitRow(node, label_of(node), kwh, cost, co2, _share(kwh, total_kwh), level))
        kids = sorted(children.get(node, ()))
        mine = own.get(node)
        if kids and mine is not None and any(abs(v) > 1e-9 for v in mine):
            rows.append(SplitRow(node, residual_label(node), *mine,
                                 share=_share(mine[0], total_kwh), level=level + 1,
                                 residual=True))
        for kid in kids:
            walk(kid, level + 1)

    for top in sorted(children.get(None, ())):
        walk(top, 0)
    return rows


def _share(kwh: float, total: float) -> float:
    return kwh / total if total else float("nan")
