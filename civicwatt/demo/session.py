"""`civicwatt demo`: a simulated building through the real pipeline, start to report.

1. Start an MQTT broker and SDM630-style Modbus meters on free loopback ports.
2. Write the demo site config and start the real collection pipeline on it.
3. Back-fill `days` of history in simulated time: the BMS publishes its
   meters' hourly counters over MQTT (with their timestamps); the Modbus
   meters' history, which no poll can read, goes into the same spool.
4. Run live for a few seconds: the poller reads the meters, the BMS publishes.
5. Meter; forecast yesterday from its midnight (the day-ahead forecast the
   report compares with) and the next 48 h as of now; replay the setpoint
   rules over yesterday in dry-run; write yesterday's report (HTML + PDF).

History starts `days` + 1 days before yesterday, so the day-ahead forecast
of yesterday has that much to learn from and yesterday has its same weekday
of the week before to compare with; `days` below what those need
(`min_days`) is raised to it, and the result says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import shlex
import shutil
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from civicwatt.config import load_site
from civicwatt.demo.broker import DemoBroker
from civicwatt.demo.building import HOUR_NS, DemoBuilding, midnight_days_ago_ns
from civicwatt.demo.devices import SimulatedBMS, SimulatedMeters, history_times
from civicwatt.demo.site import (
    BUILDING,
    FLOOR_AREA_M2,
    MODBUS_UNITS,
    OCCUPANTS,
    WEATHER_CSV,
    write_site,
)
from civicwatt.service.pipeline import Pipeline
from collector.modbus.poller import point_series
from collector.spool import Spool, open_sink
from rules.clock import local_midnight_ns
from store import Row, open_store

logger = logging.getLogger(__name__)
#: The InfluxDB of the compose stack (deploy/docker-compose.yml) as Grafana reaches it.
GRAFANA_STORE = "influxdb2://influxdb:8086?org=civicwatt&bucket=civicwatt"


@dataclass
class DemoResult:
    config: Path
    store_url: str
    report_files: list[Path]
    report_day: dt.date
    readings: int
    building: DemoBuilding
    days: int  # days of history back-filled (at least `min_days()`)


def min_days() -> int:
    """The fewest `--days` that give yesterday a day-ahead forecast (the forecaster's minimum
    history, one spare day) and a same weekday last week to compare with."""
    from forecaster.settings import ForecastSettings

    return max(ForecastSettings().min_history_days, 7)


def run_demo(out: Path, days: int = 14, live_s: float = 8.0, store_url: str | None = None,
             language: str = "zh", step: Callable[[str], None] = logger.info) -> DemoResult:
    """Run the whole demo in `out`; `step` is told what is happening, for a progress display."""
    if days < min_days():
        step(f"--days {days} is too short for a forecast of yesterday and last week's "
             f"comparison: back-filling {min_days()} days")
        days = min_days()
    out = out.resolve()  # every path the demo prints works from any directory
    out.mkdir(parents=True, exist_ok=True)
    _start_afresh(out, own_store=store_url is None)
    store_url = store_url or f"sqlite://{(out / 'civicwatt.db').resolve()}"
    now_ns = time.time_ns()
    building = DemoBuilding("Asia/Shanghai", FLOOR_AREA_M2,
                            midnight_days_ago_ns("Asia/Shanghai", days + 2, now_ns),
                            occupants=OCCUPANTS,  # a leak on the report day's two nights:
                            leak_from_ns=midnight_days_ago_ns("Asia/Shanghai", 2, now_ns))
    (out / "broker").mkdir(exist_ok=True)
    with ExitStack() as running:  # whatever started is stopped, also when a later step fails
        broker = DemoBroker(out / "broker").start()
        running.callback(broker.stop)
        meters = SimulatedMeters(building).start()
        running.callback(meters.stop)
        step(f"MQTT broker ({broker.kind}) on {broker.url}, Modbus meters on "
             f"127.0.0.1:{meters.port}")
        config = write_site(out, broker.url, broker.protocol, meters.port, store_url, language,
                            _months(building.origin_ns, now_ns, building.tz))
        site = load_site(config)
        store = open_store(site.store.url, site.base_dir)
        pipeline = Pipeline(site, store, site.base_dir / site.service.spool, monitor_every=2.0)
        pipeline.start()
        running.callback(pipeline.stop)
        bms = SimulatedBMS(building, broker.port, broker.protocol)
        running.callback(bms.close)
        times = history_times(building.origin_ns, now_ns)
        step(f"back-filling {days + 2} days of history ({len(times):,} quarter-hours, "
             "simulated time)")
        readings = bms.publish(times) + _spool_modbus_history(site, building, times)
        step(f"live for {live_s:.0f} s: Modbus poller and MQTT collector at work")
        bms.glitch()  # one unreadable message: dead-lettered with its reason, nothing else lost
        deadline = time.monotonic() + live_s
        while time.monotonic() < deadline:
            readings += bms.publish(np.array([time.time_ns()]))
            time.sleep(2.0)
    _wait_for_spool(site.base_dir / site.service.spool)
    return _analyse(site, store, config, store_url, building, readings, days, step)


def _months(start_ns: int, end_ns: int, tz) -> list[str]:
    """'YYYY-MM' of every local month from start to end (inclusive)."""
    first, last = (dt.datetime.fromtimestamp(t / 1e9, tz).date() for t in (start_ns, end_ns))
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(f"{day:%Y-%m}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _start_afresh(out: Path, own_store: bool) -> None:
    """Remove what an earlier demo left in `out`: its meters started from another day's
    counters, which the metering engine would rightly take for meter replacements."""
    names = ["spool.db*", "broker"] + (["civicwatt.db*"] if own_store else [])
    for pattern in names:
        for path in out.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _spool_modbus_history(site, building: DemoBuilding, times: np.ndarray) -> int:
    """The Modbus meters' hourly history, into the spool the poller also feeds."""
    sink = open_sink(site.base_dir / site.service.spool)
    counters = building.counters(times)
    rows = []
    for point in MODBUS_UNITS:
        meter = next(m for m in building.meters if m.point == point)
        series = point_series("energy", site=site.site.id, building=BUILDING,
                              zone=meter.zone, purpose=meter.purpose, point=point)
        rows += [Row(series, int(t), {"value": float(v), "quality": 0})
                 for t, v in zip(times.tolist(), counters[point].tolist(), strict=True)]
    sink(rows)
    return len(rows)


def _write_weather_forecast(path: Path, building: DemoBuilding, start_ns: int) -> None:
    """Outdoor temperature from `start_ns` to 3 days on, as a weather service's CSV."""
    times = history_times(start_ns, start_ns + 72 * HOUR_NS, HOUR_NS)
    lines = ["timestamp,temp_c"] + [
        f"{dt.datetime.fromtimestamp(t / 1e9, dt.UTC).isoformat()},{c:.1f}"
        for t, c in zip(times.tolist(), building.temperature(times).tolist(), strict=True)]
    path.write_text("\n".join(lines) + "\n")


def _replay_setpoints(site, store, day_start_ns: int) -> None:
    """What demand limiting would have commanded yesterday, every 5 min, audited as planned."""
    from civicwatt.jobs.setpoints import SetpointJob

    job = SetpointJob(site, store=store)
    for t in range(day_start_ns, day_start_ns + 24 * HOUR_NS, HOUR_NS // 12):
        job.tick(dt.datetime.fromtimestamp(t / 1e9, dt.UTC))
    job.stop()


def _wait_for_spool(path: Path, timeout: float = 60.0) -> None:
    spool = Spool(path)
    deadline = time.monotonic() + timeout
    while spool.depth and time.monotonic() < deadline:
        time.sleep(0.2)
        spool.refresh()
    if spool.depth:
        raise RuntimeError(f"{spool.depth} readings are still in {path} after {timeout:.0f} s")


def _analyse(site, store, config: Path, store_url: str, building: DemoBuilding, readings: int,
             days: int, step: Callable[[str], None]) -> DemoResult:
    from civicwatt.jobs.forecast import run_forecast
    from civicwatt.jobs.metering import meter_site
    from civicwatt.reports.job import default_day, run

    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(building.tz).date()
    step(f"metering {days + 3} days by TOU period, zone and purpose")
    meter_site(site, store, today - dt.timedelta(days=days + 2), today + dt.timedelta(days=1))
    day = default_day(site, now)
    day_start = local_midnight_ns(day, building.tz)
    _write_weather_forecast(site.base_dir / WEATHER_CSV, building, day_start)
    step(f"forecasting {day} from its midnight, then the next 48 h of load and carbon")
    run_forecast(site, store, day_start, workers=1)
    run_forecast(site, store, int(now.timestamp() * 1e9), workers=1)
    step(f"replaying the setpoint rules over {day} in dry-run (planned, never sent)")
    _replay_setpoints(site, store, day_start)
    step(f"writing the daily report for {day}")
    report = run(site, day)
    store.close()
    return DemoResult(config, store_url, report.files, day, readings, building, days)


def next_commands(result: DemoResult) -> list[str]:
    """What to run next, each runnable as printed from any directory (absolute paths, quoted)."""
    config = shlex.quote(str(result.config))
    sample = shlex.quote(str(Path(__file__).parent / "data" / "ucam_b52_2019.csv"))
    grafana = shlex.quote(str(result.config.parent / "grafana"))
    influx = shlex.quote(GRAFANA_STORE)
    return [f"civicwatt check-config {config}",
            f"civicwatt report --config {config} --lang en",
            f"civicwatt statistics --config {config} --period {result.report_day:%Y-%m}",
            f"civicwatt backtest --csv {sample} --tz Europe/London",
            f"civicwatt dashboards build --config {config} --store-url {influx} --out {grafana}"]
