"""The forecast job: hourly history from the store → load & carbon forecasts → `forecast` rows.

Every building and zone (see `forecast_inputs.targets`) is fitted and forecast in a process
pool. Rows: measurement `forecast`, tags site, building, zone (the building id for a whole
building), target (`load` kWh/h or `carbon` kgCO2e/h; with `forecast.targets` also `gas`,
`heat`, … per building, in the class's unit per hour), model; fields value, lower/upper (80%
interval), lower95/upper95 (95% interval), issued_at (epoch ns, UTC). Time = the forecast hour's
start (UTC). Re-running for the same hour overwrites (idempotent store writes).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from civicwatt.config import SiteConfig
from civicwatt.config.calendar import site_calendar
from civicwatt.jobs.forecast_inputs import (
    HOUR_NS,
    Target,
    hourly_amounts,
    hourly_energy,
    hourly_temperature,
    targets,
)
from civicwatt.jobs.forecast_weather import (
    TemperatureSourceError,
    read_temperature_csv,
    read_temperature_topic,
)
from civicwatt.metering.classes import class_roots
from forecaster import (
    CarbonSettings,
    DataSufficiencyError,
    Forecast,
    ForecastConfig,
    ForecastSettings,
    FutureInput,
    HourlyHistory,
    forecast_load_and_carbon,
)
from rules.clock import day_bounds, to_local
from store import Row, Series, Store

logger = logging.getLogger(__name__)

__all__ = ["ForecastRun", "TargetResult", "carbon_settings", "model_settings", "run_forecast"]


@dataclass
class TargetResult:
    """What happened to one building or zone."""

    building: str
    zone: str
    model: str = ""
    hours: int = 0
    mean_kwh: float = float("nan")
    issues: list[str] = field(default_factory=list)
    error: str = ""
    target: str = "load"  # load (electricity), or another class (gas, heat, …)


@dataclass
class ForecastRun:
    issued_at_ns: int
    rows_written: int
    results: list[TargetResult]
    temperature: str  # where the future temperature came from, or why there is none
    carbon: str = ""  # which emission factor was used


def model_settings(config: SiteConfig) -> ForecastConfig:
    """The site's `forecast:` section on the site's clock and calendar (`calendar:`)."""
    fc: ForecastConfig = getattr(config, "forecast", None) or ForecastConfig()
    calendar = site_calendar(config)
    update = {"country": calendar.country, "subdivision": calendar.subdivision,
              "calendar": calendar}
    if "timezone" not in fc.model_fields_set:
        update["timezone"] = config.site.timezone
    return fc.model_copy(update=update)


def _temperature_point(config: SiteConfig, fc: ForecastConfig, building: str) -> str | None:
    if fc.temperature_point:
        return fc.temperature_point
    temps = [p for p in config.points if p.quantity == "temperature" and not p.zone]
    candidates = [p for p in temps if p.building == building] or temps
    return candidates[0].id if candidates else None


def carbon_settings(config: SiteConfig, fc: ForecastConfig, now_ns: int,
                    ) -> tuple[CarbonSettings, str]:
    """The emission factor: `forecast.carbon` if given, else the metering engine's own
    (`metering.emission_factor`, else the factor table by `site.grid_region`)."""
    if "carbon" in fc.model_fields_set:
        return fc.carbon, "forecast.carbon"
    metering = getattr(config, "metering", None)
    if metering is not None and metering.emission_factor is not None:
        return CarbonSettings(factor_kg_per_kwh=metering.emission_factor), \
            "metering.emission_factor"
    from civicwatt.metering.files import InputError, load_emission_factors

    table = getattr(metering, "emission_factors", None)
    try:
        factors = load_emission_factors(config.base_dir / table if table else None)
    except InputError as exc:
        return fc.carbon, f"default factor ({exc})"
    region = factors.resolve(config.site.grid_region, config.site.country)
    if region is None:
        return fc.carbon, (f"default factor {fc.carbon.factor_kg_per_kwh} (no region "
                           f"{config.site.grid_region!r} in the factor table)")
    year = datetime.fromtimestamp(now_ns / 1e9, UTC).year
    value, used = factors.lookup(region, year)
    profile = factors.regions[region].hourly_profile
    hourly = tuple(value * m for m in profile) if profile else None
    return (CarbonSettings(factor_kg_per_kwh=value, hourly_profile=hourly),
            f"{region} {value} kgCO2/kWh (data year {used})")


def _future_temperature(config: SiteConfig, fc: ForecastConfig, hours: np.ndarray,
                        ) -> tuple[np.ndarray | None, str]:
    """Forecast °C per hour from the MQTT topic, else the CSV; None (and why) if neither covers
    at least 90% of the hours."""
    notes = []
    sources = []
    if fc.temperature_forecast_topic:
        if config.mqtt is None:
            notes.append("forecast.temperature_forecast_topic needs an mqtt: section")
        else:
            sources.append((f"MQTT topic {fc.temperature_forecast_topic}",
                            lambda: read_temperature_topic(config.mqtt,
                                                           fc.temperature_forecast_topic)))
    if fc.temperature_forecast_csv:
        path = Path(fc.temperature_forecast_csv)
        path = path if path.is_absolute() else config.base_dir / path
        sources.append((str(path), lambda: read_temperature_csv(path)))
    if not sources and not notes:
        return None, "no temperature_forecast_csv or temperature_forecast_topic configured"
    for name, read in sources:
        try:
            t, temp = read()
        except TemperatureSourceError as exc:
            logger.warning("Forecast temperature unusable: %s", exc)
            notes.append(str(exc))
            continue
        if t.size == 0:
            notes.append(f"{name}: no rows")
            continue
        idx = np.minimum(np.searchsorted(t, hours), t.size - 1)
        out = np.where(t[idx] == hours, temp[idx], np.nan)
        covered = int(np.isfinite(out).sum())
        if covered >= 0.9 * hours.size:
            return out, name
        notes.append(f"{name}: covers {covered} of {hours.size} hours")
    return None, "; ".join(notes)


def _fit_one(task: tuple) -> tuple[str, str, str, Forecast | None, Forecast | None, str]:
    """In a worker process: fit and forecast one target; errors come back as text."""
    target, building, zone, time_ns, kwh, temp, future_t, future_temp, settings = task
    first = int(np.argmax(np.isfinite(kwh)))  # a meter newer than the window: start at its data
    time_ns, kwh = time_ns[first:], kwh[first:]
    temp = None if temp is None else temp[first:]
    try:
        hist = HourlyHistory(time_ns, kwh, temp, min_days=settings.min_history_days)
        load, carbon = forecast_load_and_carbon(hist, FutureInput(future_t, future_temp),
                                                settings)
        return target, building, zone, load, carbon, ""
    except DataSufficiencyError as exc:
        return target, building, zone, None, None, f"not enough history: {exc}"
    except ValueError as exc:
        return target, building, zone, None, None, f"bad input: {exc}"
    except Exception as exc:  # one bad target must not cost every other its forecast
        logger.exception("Forecast of %s of building %s zone %s failed", target, building, zone)
        return target, building, zone, None, None, f"{type(exc).__name__}: {exc}"


def day_ahead_rows(rows: list[Row], tz: str, issued_at_ns: int) -> list[Row]:
    """The day's 24 h as `forecast_day_ahead`, when this run's history ends at local midnight.

    That is the run in the first hour of a local day: it knows nothing of the day, exactly
    like the backtest's midnight origins the model was chosen by, and it is the forecast a
    report compares the day with. `forecast` keeps only the latest run, which later runs
    revise with the day's own readings; other runs write no snapshot."""
    history_end = issued_at_ns // HOUR_NS * HOUR_NS
    midnight, next_midnight = day_bounds(to_local(history_end, tz).date(), tz)
    if history_end != midnight:
        return []
    return [Row(Series("forecast_day_ahead", row.series.tags), row.time_ns, row.fields)
            for row in rows if midnight <= row.time_ns < next_midnight]


def forecast_rows(site: str, building: str, zone: str, target: str, fc: Forecast,
                  issued_at_ns: int) -> list[Row]:
    series = Series.of("forecast", site=site, building=building, zone=zone, target=target,
                       model=fc.model)
    return [Row(series, int(t), {"value": float(v), "lower": float(lo), "upper": float(hi),
                                 "lower95": float(lo95), "upper95": float(hi95),
                                 "issued_at": int(issued_at_ns)})
            for t, v, lo, hi, lo95, hi95 in zip(fc.time_ns, fc.value, fc.lower80, fc.upper80,
                                                 fc.lower95, fc.upper95, strict=True)]


def _tasks(config: SiteConfig, store: Store, fc: ForecastConfig, now_ns: int,
           chosen: list[Target]) -> tuple[list[tuple], str]:
    end = (now_ns // HOUR_NS) * HOUR_NS  # history: whole hours before the current one
    n = fc.history_days * 24
    start = end - n * HOUR_NS
    time_ns = start + HOUR_NS * np.arange(n, dtype=np.int64)
    future_t = end + HOUR_NS * np.arange(fc.horizon_hours, dtype=np.int64)
    per_point = hourly_energy(store, config, start, n)[0] if "electricity" in fc.targets else {}
    classes = _class_targets(config, fc)
    per_point |= hourly_amounts(store, [p for _, tg in classes for p in tg.points], start, n)
    future_temp, temp_note = _future_temperature(config, fc, future_t)
    temp_cache: dict[str, np.ndarray] = {}
    tasks = []
    for target, tg in [("load", t) for t in chosen if "electricity" in fc.targets] + classes:
        have = [per_point[p] for p in tg.points if p in per_point]
        if not have:
            tasks.append((target, tg.building, tg.zone, None, None, None, None, None, fc))
            continue
        stack = np.vstack(have)
        kwh = np.where(np.isfinite(stack).all(axis=0), np.nansum(stack, axis=0), np.nan)
        tp = _temperature_point(config, fc, tg.building)
        temp = None
        if tp:
            if tp not in temp_cache:
                temp_cache[tp] = hourly_temperature(store, tp, start, n)
            temp = temp_cache[tp]
        tasks.append((target, tg.building, tg.zone, time_ns, kwh, temp, future_t, future_temp,
                      fc))
    return tasks, temp_note


def _class_targets(config: SiteConfig, fc: ForecastConfig) -> list[tuple[str, Target]]:
    """(class, a building over its root meters of it) for each other class in
    `forecast.targets` that a building meters."""
    roots = class_roots(config)
    return [(energy, Target(b, b, roots[b][energy])) for energy in fc.targets
            if energy != "electricity" for b in roots if roots[b].get(energy)]


def run_forecast(config: SiteConfig, store: Store, now_ns: int, workers: int | None = None,
                 shard: tuple[int, int] = (0, 1)) -> ForecastRun:
    """Forecast every building and zone of shard i/N and write the rows; returns a summary."""
    fc = model_settings(config)
    known = {p.id for p in config.points}
    if fc.temperature_point and fc.temperature_point not in known:
        raise ValueError(f"forecast.temperature_point: {fc.temperature_point!r} is not a point "
                         "id in this config; name an outdoor-air temperature point")
    chosen = [t for k, t in enumerate(targets(config, fc.zones)) if k % shard[1] == shard[0]]
    tasks, temp_note = _tasks(config, store, fc, now_ns, chosen)
    carbon, carbon_note = carbon_settings(config, fc, now_ns)
    plain = ForecastSettings(**{k: getattr(fc, k) for k in ForecastSettings.model_fields},
                             ).model_copy(update={"carbon": carbon})
    # each building on its own closures (calendar.closures[].buildings)
    tasks = [(*t[:-1], plain.model_copy(update={"calendar": fc.calendar.for_building(t[1])}))
             for t in tasks]
    ready = [t for t in tasks if t[3] is not None]
    results = [TargetResult(t[1], t[2], target=t[0],
                            error="no energy readings in the history window")
               for t in tasks if t[3] is None]
    workers = workers or fc.workers or os.cpu_count() or 1
    if ready and workers > 1 and len(ready) > 1:
        # forkserver, not fork: `civicwatt run` calls this from a scheduler thread while the
        # collectors' threads hold locks that a forked child would inherit held.
        with ProcessPoolExecutor(max_workers=min(workers, len(ready)),
                                 mp_context=multiprocessing.get_context("forkserver")) as pool:
            outcomes = list(pool.map(_fit_one, ready))
    else:
        outcomes = [_fit_one(t) for t in ready]
    rows: list[Row] = []
    for target, building, zone, load, carbon, error in outcomes:
        if load is None or carbon is None:
            results.append(TargetResult(building, zone, target=target, error=error))
            continue
        rows += forecast_rows(config.site.id, building, zone, target, load, now_ns)
        if target == "load":  # carbon is electricity's; other classes are forecast as amounts
            rows += forecast_rows(config.site.id, building, zone, "carbon", carbon, now_ns)
        results.append(TargetResult(building, zone, load.model, int(load.time_ns.size),
                                    float(np.mean(load.value)), [i.code for i in load.issues],
                                    target=target))
    if rows:
        store.write(rows + day_ahead_rows(rows, fc.timezone, now_ns))
    return ForecastRun(now_ns, len(rows), results, temp_note, carbon_note)
