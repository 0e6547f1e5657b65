"""Prices of the classes that are not billed by a time-of-use tariff, and their costs.

Electricity keeps its TOU tariff; water (per m³, sewage fee included), gas,
heat, cooling and fuels are priced here, per class:

- flat: `{price: 7.15, unit: m3}` — per unit of `unit` (default the class's own);
- tiered by monthly volume (阶梯价格): either steps above thresholds,
  `{price: 3.45, tiers: [{from: 300, price: 3.80}, {from: 600, price: 4.50}]}`,
  or bands, `{tiers: [{upto: 300, price: 3.45}, {upto: 600, price: 3.80}, {price: 4.50}]}`;
  the month's volume is counted from the local first of the month, per billing
  account (a root meter: sub-meters pay their root's price in each interval);
- a seasonal fee per heated m² (northern district heating, 按面积收费):
  `{per_m2_season: 45, season: {start: "11-15", end: "03-15"}}`, spread evenly
  over the local days of the season (end inclusive) and the intervals of each
  day; it may come with a per-unit price (two-part heat price).

Fuels priced per litre need the fuel's density (kg/L), which comes with the
conversion factors. Everything is converted to the class's canonical unit once,
when a price is resolved for a point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.energy import BY_NAME, EnergyClass


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tier(_Model):
    start: float | None = Field(default=None, ge=0, alias="from",
                                description="monthly volume from which `price` applies")
    upto: float | None = Field(default=None, gt=0,
                               description="monthly volume up to which `price` applies")
    price: float = Field(ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> Tier:
        if self.start is not None and self.upto is not None:
            raise ValueError("a tier gives `from` or `upto`, not both")
        return self


class Season(_Model):
    start: str = Field(default="11-15", description="first day, MM-DD (local)")
    end: str = Field(default="03-15", description="last day, MM-DD (inclusive)")

    @field_validator("start", "end")
    @classmethod
    def _month_day(cls, text: str) -> str:
        try:
            dt.date(2000, int(text[:2]), int(text[3:]))
        except ValueError:
            raise ValueError(f"{text!r} is not a day of the year as MM-DD, e.g. 11-15") from None
        if len(text) != 5 or text[2] != "-":
            raise ValueError(f"{text!r} is not a day of the year as MM-DD, e.g. 11-15")
        return text

    def bounds(self, day: dt.date) -> tuple[dt.date, dt.date] | None:
        """(first, last) day of the season that contains `day`, or None outside it."""
        (sm, sd), (em, ed) = ((int(x[:2]), int(x[3:])) for x in (self.start, self.end))
        for year in (day.year - 1, day.year):
            first = _day(year, sm, sd)
            last = _day(year + (1 if (em, ed) < (sm, sd) else 0), em, ed)
            if first <= day <= last:
                return first, last
        return None


def _day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, 28) if (month, day) == (2, 29) else day)


class ClassPrice(_Model):
    """The price of one class (see the module docstring for the three shapes)."""

    price: float | None = Field(default=None, ge=0, description="per `unit`")
    unit: str | None = Field(default=None, description="default: the class's canonical unit")
    tiers: tuple[Tier, ...] = ()
    per_m2_season: float | None = Field(default=None, ge=0,
                                        description="seasonal fee per heated m²")
    season: Season | None = None
    area_m2: float | None = Field(default=None, gt=0,
                                  description="heated area (default: the buildings')")

    @model_validator(mode="after")
    def _shape(self) -> ClassPrice:
        if self.price is None and not self.tiers and self.per_m2_season is None:
            raise ValueError("give `price` (with `unit`), `tiers` or `per_m2_season`")
        if self.tiers:
            self.steps()  # raises on an inconsistent tier list
        if self.per_m2_season is None and (self.season is not None or self.area_m2 is not None):
            raise ValueError("`season` and `area_m2` belong to a `per_m2_season` fee")
        return self

    def steps(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(thresholds, prices): prices[i] applies from thresholds[i]; thresholds[0] = 0."""
        froms = [t.start is not None for t in self.tiers]
        uptos = [t.upto is not None for t in self.tiers]
        if any(froms) and any(uptos):
            raise ValueError("tiers are either all `from` (steps) or `upto` (bands), not mixed")
        if any(froms):
            if not all(froms):
                raise ValueError("every step tier needs `from`")
            if self.price is None:
                raise ValueError("step tiers need `price`, the price below the first `from`")
            starts = [0.0, *(float(t.start) for t in self.tiers)]
            prices = [self.price, *(t.price for t in self.tiers)]
        else:
            bounds = [t.upto for t in self.tiers]
            if any(b is None for b in bounds[:-1]):
                raise ValueError("only the last band may leave out `upto`")
            prices = [t.price for t in self.tiers]
            if bounds[-1] is not None:
                if self.price is None:
                    raise ValueError(f"volume above the last band ({bounds[-1]:g}) needs a "
                                     "price: give `price`, or leave the last band's `upto` out")
                prices.append(self.price)
            elif self.price is not None:
                raise ValueError("with an open last band, `price` has nothing to price; "
                                 "leave it out")
            starts = [0.0, *(float(b) for b in bounds if b is not None)]
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            raise ValueError(f"tier volumes must increase: {', '.join(f'{s:g}' for s in starts)}")
        return tuple(starts), tuple(prices)


@dataclass(frozen=True)
class UnitPrice:
    """A price resolved to one class's canonical unit."""

    starts: np.ndarray  # monthly volume thresholds (canonical unit), starts[0] = 0
    prices: np.ndarray  # per canonical unit, prices[i] from starts[i]
    fee_per_m2: float  # per season; 0 = none
    season: Season | None

    @property
    def tiered(self) -> bool:
        return self.starts.size > 1

    def cumulative_cost(self, volume: np.ndarray) -> np.ndarray:
        """Cost of the first `volume` units of a month (piecewise linear in volume)."""
        base = np.concatenate(([0.0], np.cumsum(np.diff(self.starts) * self.prices[:-1])))
        i = np.searchsorted(self.starts, volume, side="right") - 1
        i = np.clip(i, 0, None)
        return base[i] + (volume - self.starts[i]) * self.prices[i]

    def marginal(self, volume: np.ndarray) -> np.ndarray:
        return self.prices[np.clip(np.searchsorted(self.starts, volume, side="right") - 1, 0,
                                   None)]


def resolve(price: ClassPrice, energy: EnergyClass, density: float | None = None) -> UnitPrice:
    """Convert a configured price to the class's canonical unit (ValueError names the unit)."""
    per = energy.factor(price.unit or energy.unit, density)  # canonical units per price unit
    if price.tiers:
        starts, prices = price.steps()
    else:
        starts, prices = (0.0,), ((price.price if price.price is not None else 0.0),)
    return UnitPrice(np.asarray(starts) * per, np.asarray(prices) / per,
                     price.per_m2_season or 0.0, price.season or Season())


def check_prices(prices: dict[str, ClassPrice]) -> list[tuple[tuple, str]]:
    """Problems with a class → price map, as (path, message)."""
    found = []
    for name, price in prices.items():
        energy = BY_NAME.get(name)
        if energy is None or name == "electricity":
            found.append(((name,), "a class other than electricity (its tariff prices it): "
                          + ", ".join(c.name for c in BY_NAME.values()
                                      if c.consumption and c.name != "electricity")))
            continue
        if price.unit is not None:
            try:
                energy.factor(price.unit, 1.0)
            except ValueError as exc:
                found.append(((name, "unit"), str(exc)))
        if price.per_m2_season is not None and name not in ("heat", "cooling"):
            found.append(((name, "per_m2_season"), "a fee per heated m² is for heat or cooling"))
    return found


@dataclass(frozen=True)
class Billing:
    """How each non-TOU point is billed; arrays indexed like the engine's points."""

    price: tuple[UnitPrice | None, ...]  # None: no price (cost unknown) or billed by the tariff
    account: np.ndarray  # int64: the point whose monthly volume sets the tier (its root meter)
    fee_area_m2: np.ndarray  # heated m² whose seasonal fee the point carries (0 = none)
    month_volume: np.ndarray  # an account's volume in the first month before the range starts


def interval_costs(billing: Billing, rows: np.ndarray, amount: np.ndarray,
                   days: tuple[dt.date, ...], day: np.ndarray) -> np.ndarray:
    """Cost of `rows` (point indices) in each interval; NaN where amount or price is unknown.

    `amount` is (all points × intervals); `days` the local days of the range and
    `day` each interval's index into them (`rules.tou.Classification`). Rows
    with the same flat price are priced in one operation.
    """
    out = np.empty((rows.size, amount.shape[1]))
    month_of_day = np.array([d.year * 12 + d.month for d in days], np.int64)
    month = month_of_day[day] if day.size else np.empty(0, np.int64)
    effective: dict[int, np.ndarray] = {}
    shares: dict[Season, np.ndarray] = {}
    flat: dict[int, list[int]] = {}
    for j, p in enumerate(rows.tolist()):
        price = billing.price[p]
        if price is None:
            out[j] = np.nan
        elif price.tiered:
            acc = int(billing.account[p])
            if acc not in effective:
                effective[acc] = _tier_prices(price, amount[acc], month,
                                              float(billing.month_volume[acc]))
            np.multiply(amount[p], effective[acc], out=out[j])
        else:
            flat.setdefault(id(price), []).append(j)
    for js in flat.values():
        index = np.asarray(js)
        out[index] = amount[rows[index]] * billing.price[int(rows[js[0]])].prices[0]
    for j, p in enumerate(rows.tolist()):
        price = billing.price[p]
        if price is not None and price.fee_per_m2 and billing.fee_area_m2[p] and \
                price.season is not None:
            if price.season not in shares:
                shares[price.season] = fee_shares(days, day, price.season)
            out[j] += price.fee_per_m2 * billing.fee_area_m2[p] * shares[price.season]
    return out


def cost_totals(billing: Billing | None, rows: np.ndarray, amount: np.ndarray, seen: np.ndarray,
                used: np.ndarray, days: tuple[dt.date, ...], day: np.ndarray) -> np.ndarray:
    """Σ cost over the range of each row, as `interval_costs` summed where the amount is
    known — without building the (rows × intervals) matrix for flat prices and fees.
    `seen` marks the rows' known amounts (rows × intervals), `used` is their sum."""
    out = np.full(rows.size, np.nan)
    if billing is None:
        return out
    tiered = [j for j, p in enumerate(rows.tolist())
              if billing.price[p] is not None and billing.price[p].tiered]
    shares: dict[Season, np.ndarray] = {}
    for j, p in enumerate(rows.tolist()):
        price = billing.price[p]
        if price is None:
            out[j] = np.nan if used[j] else 0.0  # a price unknown, unless nothing was used
            continue
        out[j] = 0.0 if price.tiered else used[j] * price.prices[0]
        if price.fee_per_m2 and billing.fee_area_m2[p] and price.season is not None:
            if price.season not in shares:
                shares[price.season] = fee_shares(days, day, price.season)
            out[j] += price.fee_per_m2 * billing.fee_area_m2[p] * \
                float(shares[price.season] @ seen[j])
    if tiered:  # per interval, as the tier moves with the month's volume (fees added above)
        index = np.asarray(tiered)
        no_fees = Billing(billing.price, billing.account, np.zeros_like(billing.fee_area_m2),
                          billing.month_volume)
        per_interval = interval_costs(no_fees, rows[index], amount, days, day)
        out[index] += np.where(seen[index], per_interval, 0.0).sum(axis=1)
    return out


def _tier_prices(price: UnitPrice, volume: np.ndarray, month: np.ndarray,
                 before: float) -> np.ndarray:
    """What one unit costs the account in each interval: its bill for the interval over its
    volume, or the marginal price where it used nothing (its sub-meters then pay that).
    The month's volume counts from the month's first interval; `before` is what the
    account used in the range's first month before the range started."""
    used = np.nan_to_num(volume, nan=0.0)
    cum = np.cumsum(used)
    first = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    month_id = np.cumsum(np.r_[True, month[1:] != month[:-1]]) - 1
    before_month = np.r_[0.0, cum][first]  # cumulative volume at each month's first interval
    end = cum - before_month[month_id] + np.where(month_id == 0, before, 0.0)
    start = end - used
    bill = price.cumulative_cost(end) - price.cumulative_cost(start)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(used > 0, bill / used, price.marginal(start))


def fee_shares(days: tuple[dt.date, ...], day: np.ndarray, season: Season) -> np.ndarray:
    """Each interval's share of one season's fee: 1 / (season days × the day's intervals)."""
    per_day = np.bincount(day, minlength=len(days)).astype(float)
    share = np.zeros(len(days))
    for i, d in enumerate(days):
        bounds = season.bounds(d)
        if bounds is not None and per_day[i]:
            share[i] = 1.0 / (((bounds[1] - bounds[0]).days + 1) * per_day[i])
    return share[day]


def billing_for(energy: Sequence[str], prices: Mapping[str, ClassPrice],
                density: Mapping[str, float | None], parent: Sequence[int],
                group: Sequence[int], group_area_m2: Sequence[float],
                month_volume: np.ndarray | None = None) -> Billing:
    """Billing of every point from its class, its parent (index, −1 = none) and its billing
    group (a building) with that group's heated area.

    A point's account is its topmost ancestor of the same class (the meter the
    utility bills); a seasonal area fee is carried by the group's root meters of
    the class, shared evenly. A price with its own `area_m2` bills the whole
    range as one group of that area. Unknown classes or units raise ValueError.
    """
    n = len(energy)
    account = np.arange(n, dtype=np.int64)
    for p in range(n):
        seen = {p}
        while parent[account[p]] >= 0 and energy[parent[account[p]]] == energy[p]:
            account[p] = parent[account[p]]
            if account[p] in seen:
                raise ValueError(f"point {p}: parent meters form a cycle")
            seen.add(int(account[p]))
    resolved: dict[str, UnitPrice] = {}
    for name, price in prices.items():
        resolved[name] = resolve(price, BY_NAME[name], density.get(name))
    roots: dict[tuple[str, int], list[int]] = {}
    for p in range(n):
        if account[p] == p:
            key = (energy[p], 0 if _own_area(prices.get(energy[p])) else int(group[p]))
            roots.setdefault(key, []).append(p)
    fee_area = np.zeros(n)
    for (name, g), members in roots.items():
        price = prices.get(name)
        if price is None or not price.per_m2_season:
            continue
        area = price.area_m2 if _own_area(price) else group_area_m2[g]
        fee_area[members] = (area or 0.0) / len(members)
    return Billing(tuple(resolved.get(e) for e in energy), account, fee_area,
                   np.zeros(n) if month_volume is None else month_volume)


def _own_area(price: ClassPrice | None) -> bool:
    return price is not None and price.area_m2 is not None


def unpriced(energy: Sequence[str], prices: Mapping[str, ClassPrice]) -> list[str]:
    """Consumed classes among `energy` that have no price (electricity has its tariff)."""
    return [c for c in BY_NAME if c in energy and BY_NAME[c].consumption
            and c != "electricity" and c not in prices]
