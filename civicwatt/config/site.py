"""The site config: what a facilities team describes once, in one YAML file.

Models reject unknown keys (a misspelt setting is an error, not a silent
default). Single-field rules live on the fields; rules across fields and
sections are in `civicwatt.config.checks`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from civicwatt.api.settings import ApiSettings
from civicwatt.config.purposes import Purpose
from civicwatt.metering.settings import MeteringSettings
from civicwatt.platform.settings import PlatformSettings
from civicwatt.reports.settings import ReportSettings
from collector.modbus.settings import ModbusBinding, ModbusSettings
from collector.mqtt.settings import MqttBinding, MqttSettings
from forecaster.settings import ForecastConfig
from rules.calendar import CalendarSpec
from rules.energy import QUANTITIES
from rules.setpoint_settings import SetpointSettings
from rules.statistics_settings import StatisticsSettings
from rules.targets import BuildingType, Quota, Targets, building_type

Quantity = Literal[tuple(QUANTITIES)]  # type: ignore[valid-type]

ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteInfo(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    timezone: str = Field(description="IANA name, e.g. Asia/Shanghai")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    language: Literal["zh", "en"] = "zh"
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$",
                         description="ISO 3166; the default of calendar.country")
    grid_region: str | None = Field(default=None, description="emission-factor region")

    @field_validator("timezone")
    @classmethod
    def _iana(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                "not an IANA timezone name; use e.g. Asia/Shanghai, Europe/London, "
                "America/Phoenix") from exc
        return name


class Zone(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    floor_area_m2: float | None = Field(default=None, gt=0)
    zones: list[Zone] = Field(default_factory=list, description="nested zones")


BaselineKind = Literal["own", "national_average", "provincial_average", "quota"]
_TARGETS = ("target_reduction_per_m2", "target_reduction_per_person",
            "target_reduction_co2_per_m2")


class Baseline(_Model):
    """What the year to date is compared with, and what kind of figure that is.

    `own`: this building's base-year figures, with the 十四五 reduction targets;
    `national_average` / `provincial_average`: a published average of public
    institutions (a comparison, no target); `quota`: an energy quota (定额), the
    limit itself. The report names it so ("vs national public-institution
    average 2020"); `name` overrides that label.
    """

    kind: BaselineKind | None = Field(default=None, description="own | national_average | "
                                      "provincial_average | quota; required (check-config)")
    name: str = Field(default="", description="the report's label, e.g. 广东省公共机构 2020 年平均")
    year: int = Field(default=2020, ge=2000, le=2100)
    kgce_per_m2: float | None = Field(default=None, gt=0)
    kgce_per_person: float | None = Field(default=None, gt=0)
    kgco2_per_m2: float | None = Field(default=None, gt=0)
    target_reduction_per_m2: float = Field(default=0.05, ge=0, lt=1)
    target_reduction_per_person: float = Field(default=0.06, ge=0, lt=1)
    target_reduction_co2_per_m2: float = Field(default=0.07, ge=0, lt=1)

    @model_validator(mode="after")
    def _kind(self) -> Baseline:
        given = [k for k in _TARGETS if k in self.model_fields_set]
        if self.kind not in ("own", None) and given:
            raise ValueError(f"{', '.join(given)}: reduction targets apply to the building's own "
                             f"baseline (kind: own), not to a {self.kind.replace('_', ' ')}")
        return self


class Building(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    floor_area_m2: float = Field(gt=0)
    heated_area_m2: float | None = Field(default=None, gt=0,
                                         description="district heating's billed area; default "
                                                     "floor_area_m2")
    occupants: int = Field(ge=0)
    baseline: Baseline | None = None
    zones: list[Zone] = Field(default_factory=list)
    # portfolio statistics (issue 17)
    institution: str = Field(default="", description="the owning unit (单位); many buildings "
                             "per institution")
    type: BuildingType | None = Field(default=None, description="office, mall, hotel, "
                                      "education, medical, sports, mixed, other (platform "
                                      "letters A–H; school, hospital and the letters accepted)")
    cooled_area_m2: float | None = Field(default=None, gt=0, description="air-conditioned area")
    quota: Quota | None = Field(default=None, description="annual quota (定额) values; default "
                                "statistics.quotas of the building's type")
    baseline_year: int | None = Field(default=None, ge=2000, le=2100,
                                      description="the base year of the five-year targets "
                                      "for this building; default targets.base_year")

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: object) -> object:
        return building_type(value)


class Point(_Model):
    """One measured quantity with a stable id, its tags and its source."""

    id: str = Field(pattern=ID_PATTERN)
    building: str
    zone: str = Field(default="", description="a zone id; empty = the whole building")
    purpose: str = Field(default="", description="sub-item code under the class's code, e.g. "
                                                 "01A10 (every metered point needs one)")
    quantity: Quantity
    unit: str
    name: str = ""
    min: float | None = Field(default=None, description="physical minimum (reject below)")
    max: float | None = Field(default=None, description="physical maximum (reject above)")
    max_kw: float | None = Field(default=None, gt=0,
                                 description="electricity: the circuit's maximum demand; a "
                                             "counter step implying more is flagged, not billed")
    max_rate: float | None = Field(default=None, gt=0,
                                   description="any counter: the most it can count per hour in "
                                               "its unit (m3/h, GJ/h, kg/h; kW for electricity)")
    rollover: float | None = Field(default=None, gt=0,
                                   description="a counter: the value it wraps at")
    parent: str | None = Field(default=None, description="the meter this one is a sub-meter of")
    mqtt: MqttBinding | None = None
    modbus: ModbusBinding | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Point:
        if self.mqtt is not None and self.modbus is not None:
            raise ValueError("a point has one source: give `mqtt` or `modbus`, not both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if self.max_kw is not None and self.max_rate is not None:
            raise ValueError("give max_kw or max_rate, not both (max_kw is max_rate in kW)")
        if self.max_kw is not None and self.quantity not in ("energy", "power"):
            raise ValueError(f"max_kw is for electricity; a {self.quantity} counter takes "
                             "max_rate in its unit per hour")
        return self

    @property
    def rate_limit(self) -> float | None:
        """The most the counter may rise per hour (its class's unit), if declared."""
        return self.max_rate if self.max_rate is not None else self.max_kw

    @property
    def zone_id(self) -> str:
        """The zone tag: the zone, or the building id for a whole-building meter."""
        return self.zone or self.building

    @property
    def tags(self) -> dict[str, str]:
        """Its series tags besides site and point (`collector.series.point_series`)."""
        return {"building": self.building, "zone": self.zone_id, "purpose": self.purpose}

    @property
    def source(self) -> str:
        return "mqtt" if self.mqtt else "modbus" if self.modbus else "none"


class StoreSettings(_Model):
    url: str | None = Field(default=None, description="empty: embedded SQLite (civicwatt.db)")


class ServiceSettings(_Model):
    """How `civicwatt run` schedules its jobs and where it keeps its state."""

    http: str = Field(default="127.0.0.1:8080", pattern=r"^[^:]+:[0-9]{1,5}$",
                      description="host:port of /healthz and /metrics (loopback by default)")
    spool: str = Field(default="spool.db", description="durable spool, relative to the config")
    spool_capacity: int = Field(default=5_000_000, ge=1000, description="readings")
    dead_letter_capacity: int = Field(default=1_000_000, ge=1, description="dead-letter rows; "
                                      "past it bad messages are held and /healthz says "
                                      "'dead-letter full'")
    metering_every_s: float = Field(default=900, gt=0, description="metering job period")
    forecast_every_s: float = Field(default=3600, gt=0, description="forecast job period")
    setpoints_every_s: float = Field(default=300, gt=0, description="setpoint rules period")
    report_at: str = Field(default="07:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                           description="local time of the daily report")
    catch_up_days: int = Field(default=7, ge=0, le=366,
                               description="metering re-covers at most this far back on start")


class SiteConfig(_Model):
    """The whole site config (`version: 1`)."""

    version: Literal[1] = 1
    site: SiteInfo
    buildings: list[Building] = Field(min_length=1)
    purposes: list[Purpose] = Field(default_factory=list, description="extra sub-item codes")
    points: list[Point] = Field(default_factory=list)
    points_csv: str | None = Field(default=None, description="a CSV point list, see README")
    mqtt: MqttSettings | None = None
    modbus: ModbusSettings = Field(default_factory=ModbusSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    calendar: CalendarSpec | None = Field(
        default=None, description="day types for billing, reports, forecasts and setpoints; "
                                  "see civicwatt.config.calendar.site_calendar")
    metering: MeteringSettings | None = None
    setpoints: SetpointSettings | None = None
    forecast: ForecastConfig = Field(default_factory=ForecastConfig)
    report: ReportSettings = Field(default_factory=ReportSettings)
    platform: PlatformSettings | None = Field(default=None, description="upload to the energy-"
                                              "monitoring platform (数据远传)")
    api: ApiSettings = Field(default_factory=ApiSettings, description="the read API on "
                             "service.http (civicwatt.api)")
    targets: Targets = Field(default_factory=Targets, description="five-year targets; "
                             "the national 14th FYP defaults for public institutions")
    statistics: StatisticsSettings = Field(default_factory=StatisticsSettings,
                                           description="portfolio statistics (issue 17)")

    # Set by the loader: the folder relative paths in the file are resolved against.
    base_dir: Path = Field(default=Path("."), exclude=True)

    def point_by_id(self, point_id: str) -> Point:
        return next(p for p in self.points if p.id == point_id)

    def building(self, building_id: str) -> Building:
        return next(b for b in self.buildings if b.id == building_id)

    def zones(self) -> dict[str, tuple[str, str | None]]:
        """zone id → (building id, parent zone id), for every nested zone."""
        found: dict[str, tuple[str, str | None]] = {}

        def walk(zones: list[Zone], building: str, parent: str | None) -> None:
            for zone in zones:
                found.setdefault(zone.id, (building, parent))
                walk(zone.zones, building, zone.id)

        for building in self.buildings:
            walk(building.zones, building.id, None)
        return found
