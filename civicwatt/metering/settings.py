"""The `metering:` section of the site config (see README, "Metering")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from civicwatt.paths import SHIPPED_CONFIG as CONFIG_DIR
from rules.prices import ClassPrice, check_prices


class VirtualMeter(BaseModel):
    """A computed meter, e.g. the unmetered remainder `b1.main - sum(children)`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
    formula: str = Field(min_length=1)
    building: str
    zone: str = ""
    purpose: str = ""


class MeteringSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tariff: str = Field(
        description="tariff file (YAML or URDB JSON), relative to the config, "
        "or the name of a shipped one in civicwatt/data/tariffs/"
    )
    interval: str = Field(default="15m", description="interval length: 5m, 15m, 30m, 1h")
    max_gap: str | None = Field(
        default=None, description="longer reading steps are gaps (estimated); default 2 intervals"
    )
    lookback: str = Field(
        default="2d",
        description="readings read before/after the range, so its edges interpolate across gaps",
    )
    temperature_point: str | None = Field(
        default=None, description="outdoor temperature point for tariff triggers"
    )
    power_points: list[str] = Field(
        default_factory=list, description="power (kW) points to integrate as meters too"
    )
    emission_factor: float | None = Field(
        default=None,
        ge=0,
        description="kgCO2/kWh for every interval (overrides the table and site.grid_region)",
    )
    emission_factors: str | None = Field(
        default=None, description="factor table; default civicwatt/data/emission_factors.yaml"
    )
    coal_factors: str | None = Field(default=None,
                                     description="default civicwatt/data/coal_factors.yaml")
    coal_convention: Literal["equivalent", "equal_value"] = "equivalent"
    base_prices: dict[str, float] | str | None = Field(
        default=None, description="ratio tariffs: the month's flat (agency-purchase) price per "
        "kWh, {2026-10: 0.6523, ...}, or a CSV (month,price) / YAML file of them")
    base_prices_source: str = Field(
        default="", description="where the base prices come from; shown next to the cost")
    prices: dict[str, ClassPrice] = Field(
        default_factory=dict,
        description="class → price for water, gas, heat, cooling, fuels (electricity: tariff)",
    )
    factors: str | None = Field(
        default=None,
        description="kgce/CO2 factors per class over civicwatt/data/class_factors.yaml",
    )
    virtual_meters: list[VirtualMeter] = Field(default_factory=list)
    balance_tolerance_pct: float = Field(default=5.0, ge=0)
    chunk_days: int = Field(default=7, ge=1, le=62, description="days metered per store read")
    late_days: int = Field(
        default=35, ge=0, le=366,
        description="the service re-meters days that late data touched up to this far back",
    )

    @field_validator("interval")
    @classmethod
    def _interval(cls, text: str) -> str:
        from rules.clock import parse_interval

        parse_interval(text)
        return text

    @field_validator("base_prices")
    @classmethod
    def _months(cls, prices: dict[str, float] | str | None) -> dict[str, float] | str | None:
        from rules.tariffs import base_price_problems

        if isinstance(prices, dict):
            for problem in base_price_problems(prices):
                raise ValueError(problem.removeprefix("base_prices: "))
        return prices

    @field_validator("max_gap", "lookback")
    @classmethod
    def _duration(cls, text: str | None) -> str | None:
        if text is not None and parse_duration(text) <= 0:
            raise ValueError(f"duration {text!r}: must be longer than 0, e.g. 30m")
        return text


def parse_duration(text: str) -> int:
    """'30m', '2h', '2d', '90s' → nanoseconds."""
    raw = text.strip().lower()
    for suffix, seconds in (("min", 60), ("m", 60), ("h", 3600), ("d", 86400), ("s", 1)):
        if raw.endswith(suffix) and raw[: -len(suffix)].isdigit():
            return int(raw[: -len(suffix)]) * seconds * 1_000_000_000
    raise ValueError(f"duration {text!r}: write it like 30m, 2h or 2d")


def resolve_file(name: str, base_dir: Path, shipped: Path, suffixes=(".yaml", ".json")) -> Path:
    """A file relative to the config, else a shipped one by name; FileNotFoundError lists them."""
    candidates = [base_dir / name, shipped / name, *(shipped / f"{name}{s}" for s in suffixes)]
    for c in candidates:
        if c.is_file():
            return c
    known = sorted(p.stem for p in shipped.glob("*") if p.suffix in suffixes)
    raise FileNotFoundError(
        f"no file {name!r} next to the config, and no shipped one by that name "
        f"(shipped: {', '.join(known) or 'none'})"
    )


def check_metering(
    metering: MeteringSettings | None, site, points: dict, base_dir: Path
) -> list[tuple[tuple, object, str]]:
    """Cross-checks of the metering section against points, files and factor tables."""
    if metering is None:
        return []
    from civicwatt.metering.files import (
        InputError,
        load_base_prices,
        load_class_factors,
        load_coal_factors,
        load_emission_factors,
        load_tariff,
    )
    from rules.aggregate import FormulaError, parse_formula
    from rules.energy import class_of

    found: list[tuple[tuple, object, str]] = []
    shipped = CONFIG_DIR / "tariffs"
    try:
        tariff = load_tariff(resolve_file(metering.tariff, base_dir, shipped))
        if metering.base_prices and tariff.price_basis != "ratio":
            found.append((("metering", "base_prices"), metering.base_prices,
                          f"only for a ratio tariff; {tariff.name!r} holds money "
                          "(price_basis: money): remove base_prices"))
    except (FileNotFoundError, InputError) as exc:
        found.append((("metering", "tariff"), metering.tariff, str(exc)))
    try:
        load_base_prices(metering, base_dir)
    except InputError as exc:
        found.append((("metering", "base_prices"), metering.base_prices, str(exc)))
    by_id = {p.id: p for p in points.values()}
    temp = metering.temperature_point
    if temp is not None and (temp not in by_id or by_id[temp].quantity != "temperature"):
        found.append((("metering", "temperature_point"), temp, "the id of a temperature point"))
    for i, pid in enumerate(metering.power_points):
        if pid not in by_id or by_id[pid].quantity != "power":
            found.append((("metering", "power_points", i), pid, "the id of a power point"))
    metered = [p.id for p in by_id.values() if p.quantity != "power" and class_of(p.quantity)]
    metered += [p for p in metering.power_points if p in by_id]
    children: dict[str, list[str]] = {}
    for p in by_id.values():
        if p.parent and p.id in metered:
            children.setdefault(p.parent, []).append(p.id)
    for i, vm in enumerate(metering.virtual_meters):
        try:
            terms = parse_formula(vm.formula, metered, children)
        except FormulaError as exc:
            found.append(
                (
                    ("metering", "virtual_meters", i, "formula"),
                    vm.formula,
                    f"{exc}; names are metered points (counters) or listed power_points",
                )
            )
            continue
        kinds = sorted({class_of(by_id[t].quantity).name for t in terms})
        if len(kinds) > 1:
            found.append((("metering", "virtual_meters", i, "formula"), vm.formula,
                          f"points of one energy class (this mixes {', '.join(kinds)})"))
        if vm.id in by_id:
            found.append(
                (
                    ("metering", "virtual_meters", i, "id"),
                    vm.id,
                    "a new id (a point already uses this one)",
                )
            )
    factors = None
    try:
        path = metering.emission_factors
        factors = load_emission_factors(base_dir / path if path else None)
    except InputError as exc:
        found.append((("metering", "emission_factors"), metering.emission_factors, str(exc)))
    if (
        factors is not None
        and metering.emission_factor is None
        and site is not None
        and factors.resolve(site.grid_region, site.country) is None
    ):
        found.append(
            (
                ("site", "grid_region"),
                site.grid_region,
                f"a region of the emission-factor table ({', '.join(factors.regions)})"
                ", or set metering.emission_factor",
            )
        )
    try:
        path = metering.coal_factors
        load_coal_factors(base_dir / path if path else None)
    except InputError as exc:
        found.append((("metering", "coal_factors"), metering.coal_factors, str(exc)))
    try:
        load_class_factors(base_dir / metering.factors if metering.factors else None)
    except InputError as exc:
        found.append((("metering", "factors"), metering.factors, str(exc)))
    for path, message in check_prices(metering.prices):
        price = metering.prices[path[0]]
        value = getattr(price, path[1]) if len(path) > 1 else path[0]
        found.append((("metering", "prices", *path), value, message))
    return found
