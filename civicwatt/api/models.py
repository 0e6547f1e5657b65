"""Response documents of /api/v1, as the OpenAPI document states them.

Routes build plain dicts and send them as JSON; these models describe them (and the
schema-driven fuzz test checks every response against them).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """An error (RFC 9457): `detail` says what was wrong and how to fix it."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


class ZoneOut(BaseModel):
    id: str
    name: str
    floor_area_m2: float | None
    zones: list[ZoneOut]


class MeterOut(BaseModel):
    id: str
    name: str
    zone: str
    purpose: str
    quantity: str
    energy_class: str | None = Field(description="the class its counter is metered in")
    unit: str
    parent: str | None
    source: str = Field(description="mqtt, modbus or none")


class BuildingOut(BaseModel):
    id: str
    name: str
    floor_area_m2: float
    occupants: int
    baseline_kind: str | None
    zones: list[ZoneOut]


class BuildingDetail(BuildingOut):
    meters: list[MeterOut]


class BuildingList(BaseModel):
    buildings: list[BuildingOut]


class SiteOut(BaseModel):
    id: str
    name: str
    timezone: str
    currency: str
    language: str
    country: str
    buildings: list[str] = Field(description="the buildings this key may read")


class EnergyRow(BaseModel, extra="allow"):
    """One bucket of one class (and of each `by` label: purpose, zone, period, point)."""

    start: str = Field(description="bucket start, local time with offset")
    end: str
    class_: str = Field(alias="class")
    unit: str
    amount: float | None = Field(description="in the class's unit")
    cost: float | None = Field(description="in cost_currency; null where unpriced")
    co2_kg: float | None
    kgce: float | None


class EnergyTotal(BaseModel):
    class_: str = Field(alias="class")
    unit: str
    amount: float | None
    cost: float | None
    co2_kg: float | None
    kgce: float | None


class EnergyOut(BaseModel):
    building: str
    timezone: str
    interval: str
    from_: str = Field(alias="from")
    to: str = Field(description="exclusive")
    by: list[str]
    filters: dict[str, str | None]
    cost_currency: str
    cost_unit: str = Field(description="cost_currency; x_flat_price: multiples of the flat "
                           "price (a ratio tariff without the months' base prices); mixed")
    rows: list[EnergyRow]
    totals: list[EnergyTotal]


class ForecastPoint(BaseModel):
    start: str
    value: float | None
    lower: float | None
    upper: float | None
    lower95: float | None
    upper95: float | None


class ForecastOut(BaseModel):
    building: str
    zone: str
    target: str
    unit: str
    model: str | None
    issued_at: str | None = Field(description="when the latest run made it; null: none yet")
    points: list[ForecastPoint]


class MeterHealth(BaseModel):
    point: str
    name: str
    quantity: str
    source: str
    device: str | None
    device_online: bool | None = Field(description="the Modbus device's last poll, live from "
                                       "civicwatt run; null when unknown")
    last_seen: str | None
    quiet_hours: float | None
    readings: int = Field(description="readings in the window")
    status: str = Field(description="ok, silent (no reading for report.anomalies.silent_hours) "
                        "or no_data (none in the window)")


class MeterHealthOut(BaseModel):
    building: str
    window_hours: float
    silent_after_hours: float
    meters: list[MeterHealth]


class ReportFile(BaseModel):
    name: str
    kind: str = Field(description="report, summary, tou, purposes, …")
    language: str
    format: str
    bytes: int
    url: str


class ReportDay(BaseModel):
    date: str
    files: list[ReportFile]


class ReportList(BaseModel):
    reports: list[ReportDay]
    next: str | None = Field(description="the URL of the next page; null on the last")
