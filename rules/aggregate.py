"""Roll interval energy up: by period, by zone × purpose, up trees, virtual meters.

Hot path: `period_totals` turns a (points × intervals) matrix of amounts into
(points × periods) totals for several per-interval weights (1 for kWh, the
price for cost, the emission factor for CO₂ …) in one matrix product. Trees
(zones nest, purposes have parents) are plain parent maps: {child: parent}.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


def period_totals(
    amount: np.ndarray, period: np.ndarray, n_periods: int, weights: Mapping[str, np.ndarray],
    rows: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """{name: (points × periods) Σ amount·weight} of the given rows (all by default); NaN
    amounts count as 0.

    `weights[name]` is one factor per interval (e.g. price per kWh); NaN
    weights make that interval's contribution NaN (e.g. a period with no price).
    """
    data = amount.copy() if rows is None else amount[rows]
    np.copyto(data, 0.0, where=np.isnan(data))  # faster than nan_to_num (no ±inf checks)
    n_int = period.size
    names = list(weights)
    mat = np.zeros((n_int, len(names) * n_periods))
    cols = np.arange(n_int)
    for j, name in enumerate(names):
        mat[cols, j * n_periods + period] = weights[name]
    nan_cols = np.isnan(mat)
    mat[nan_cols] = 0.0
    out = data @ mat
    if nan_cols.any():  # an interval with energy but no weight makes the total unknown
        bad = (data != 0) @ nan_cols.astype(np.float64) > 0
        out[bad] = np.nan
    return {name: out[:, j * n_periods : (j + 1) * n_periods] for j, name in enumerate(names)}


def group_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum rows of `values` (points × k) into groups (n_groups × k)."""
    out = np.zeros((n_groups,) + values.shape[1:], values.dtype)
    np.add.at(out, group, values)
    return out


def ancestors(node: str, parents: Mapping[str, str | None]) -> list[str]:
    """node, its parent, … up to the root; a cycle raises ValueError."""
    chain = [node]
    while (up := parents.get(chain[-1])) is not None and up != "":
        if up in chain:
            raise ValueError(f"cycle in tree: {' → '.join([*chain, up])}")
        chain.append(up)
    return chain


def rollup(totals: Mapping[str, float], parents: Mapping[str, str | None]) -> dict[str, float]:
    """Each node's own total plus all its descendants' (zones into parent zones,
    sub-items into their items). Nodes missing from `parents` are roots."""
    out: dict[str, float] = {}
    for node, value in totals.items():
        for up in ancestors(node, parents):
            out[up] = out.get(up, 0.0) + value
    return out


@dataclass(frozen=True)
class Balance:
    parent: str
    parent_kwh: float
    children_kwh: float
    imbalance_kwh: float  # parent − Σ children (unmetered load and losses)
    imbalance_pct: float  # of the parent; NaN when the parent is 0
    ok: bool


def balance(
    parent: str, parent_kwh: float, children_kwh: Sequence[float], tolerance_pct: float = 5.0
) -> Balance:
    """Compare a parent meter with the sum of its sub-meters."""
    kids = float(np.nansum(children_kwh))
    diff = parent_kwh - kids
    pct = 100.0 * diff / parent_kwh if parent_kwh else float("nan")
    ok = bool(abs(pct) <= tolerance_pct) if parent_kwh else abs(diff) < 1e-9
    return Balance(parent, parent_kwh, kids, diff, pct, ok)


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?)|(sum|children)\s*\(|([A-Za-z_][\w.\-:/]*)|(.))")


class FormulaError(ValueError):
    """A virtual-meter formula that cannot be read or names unknown points."""


def parse_formula(
    formula: str, known: Sequence[str], children: Mapping[str, Sequence[str]] | None = None
) -> dict[str, float]:
    """A virtual meter as {point: coefficient}.

    Grammar: terms joined by + or −; a term is `[number *] point`,
    `sum(p1, p2, …)` or `children(point)` (its sub-meters from `children`).
    Inside `sum()`, the word `children` (when no point has that name) means
    the sub-meters of the formula's first point, so "main - sum(children)" is
    the unmetered remainder of `main`.
    """
    known_set = set(known)
    coef: dict[str, float] = {}
    pos, sign, scale = 0, 1.0, 1.0
    expect_term = True
    first: list[str] = []

    def add(name: str, factor: float) -> None:
        if name not in known_set:
            raise FormulaError(f"formula {formula!r}: unknown point {name!r}")
        coef[name] = coef.get(name, 0.0) + factor
        if not first:
            first.append(name)

    while pos < len(formula):
        m = _TOKEN.match(formula, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        number, func, name, other = m.groups()
        if other is not None and other.strip() == "":
            continue
        if expect_term:
            if other in ("+", "-"):
                sign *= -1.0 if other == "-" else 1.0
            elif number is not None:
                scale *= float(number)
                star = re.compile(r"\s*\*").match(formula, pos)
                if star is None:
                    raise FormulaError(f"formula {formula!r}: expected '*' after {number}")
                pos = star.end()
            elif func is not None:
                close = formula.find(")", pos)
                if close < 0:
                    raise FormulaError(f"formula {formula!r}: missing ')'")
                args = [a.strip() for a in formula[pos:close].split(",") if a.strip()]
                pos = close + 1
                if func == "children":
                    if len(args) != 1:
                        raise FormulaError(f"formula {formula!r}: children() takes one point")
                    kids = (children or {}).get(args[0], [])
                    if not kids:
                        raise FormulaError(f"formula {formula!r}: {args[0]!r} has no sub-meters")
                    args = list(kids)
                elif "children" in args and "children" not in known_set:
                    if not first:
                        raise FormulaError(
                            f"formula {formula!r}: sum(children) needs a point first"
                        )
                    kids = (children or {}).get(first[0], [])
                    if not kids:
                        raise FormulaError(f"formula {formula!r}: {first[0]!r} has no sub-meters")
                    args = [a for a in args if a != "children"] + list(kids)
                for a in args:
                    add(a, sign * scale)
                sign, scale, expect_term = 1.0, 1.0, False
            elif name is not None:
                add(name, sign * scale)
                sign, scale, expect_term = 1.0, 1.0, False
            else:
                raise FormulaError(f"formula {formula!r}: unexpected {other!r} at {pos}")
        else:
            if other not in ("+", "-"):
                raise FormulaError(f"formula {formula!r}: expected + or - at {pos}")
            sign = -1.0 if other == "-" else 1.0
            expect_term = True
    if expect_term:
        raise FormulaError(f"formula {formula!r} ends without a term")
    return coef


def virtual_meter(
    coef: Mapping[str, float], index: Mapping[str, int], amount: np.ndarray, estimated: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate {point: coefficient} over (points × intervals) → amount and estimated."""
    rows = np.array([index[p] for p in coef], np.int64)
    weights = np.array(list(coef.values()))
    return weights @ amount[rows], estimated[rows].any(axis=0)
