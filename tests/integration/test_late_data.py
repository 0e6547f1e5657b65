"""Late data is metered: a three-day store outage, then the backlog drains.

`civicwatt run`'s own objects (the `Service`, its writer and its metering job) on a real
InfluxDB 1.x, with the service's clock moved by the test. The store goes down for three
days while a collector keeps spooling one meter's counter; metering fails meanwhile. When
the store is back, the first metering run happens *before* the backlog has drained (the
hard order: it meters the gap days with what little is in the store), then the writer
drains the spool. The next scheduled run must bring every day's total to the full 48 kWh,
as the report and a Grafana-style InfluxQL query read them, without `civicwatt meter`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicwatt.config import load_site
from civicwatt.reports.job import build_report
from civicwatt.service.run import Service
from store import Row, Series, StoreUnavailable

pytestmark = pytest.mark.integration
SH = ZoneInfo("Asia/Shanghai")
D0 = dt.date(2026, 7, 1)
SITE = """\
version: 1
site: {{id: hq, name: HQ, timezone: Asia/Shanghai, country: CN, grid_region: north}}
buildings: [{{id: b1, floor_area_m2: 1000, occupants: 10}}]
store: {{url: "{url}"}}
service: {{http: "127.0.0.1:0", spool: spool.db, catch_up_days: 1}}
points:
  - {{id: main, building: b1, purpose: "01000", quantity: energy, unit: kWh}}
metering: {{tariff: guangdong-general-ic, emission_factor: 0.5}}
"""
SERIES = Series.of("energy", site="hq", building="b1", zone="b1", purpose="01000", point="main")


def at(day: int, hour: float) -> dt.datetime:
    return dt.datetime.combine(D0 + dt.timedelta(days=day), dt.time(), SH) + dt.timedelta(
        hours=hour)


def counter(start: dt.datetime, end: dt.datetime) -> list[Row]:
    """A 2 kW load read every 15 min, [start, end]: 0.5 kWh a reading, 48 kWh a day."""
    origin = at(0, -1)
    rows, t = [], start
    while t <= end:
        rows.append(Row(SERIES, int(t.timestamp()) * 10**9,
                        {"value": 1000 + 2 * (t - origin).total_seconds() / 3600, "quality": 0}))
        t += dt.timedelta(minutes=15)
    return rows


def drain(service: Service) -> None:
    while service.pipeline.writer.drain_once():
        pass


def daily_kwh_influxql(server, database: str, day: int) -> float:
    """What a dashboard's daily-energy panel asks InfluxDB (sum of kwh over the local day)."""
    start, end = at(day, 0), at(day + 1, 0)
    result = server.query(f"SELECT sum(kwh) FROM energy_interval WHERE site = 'hq' AND time >= "
                          f"{int(start.timestamp())}s AND time < {int(end.timestamp())}s",
                          database)
    series = result["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0.0


def test_days_a_store_outage_delayed_are_metered_once_the_spool_drains(tmp_path,
                                                                       influxdb_factory):
    server = influxdb_factory()
    database = "late"
    (tmp_path / "site.yaml").write_text(SITE.format(url=server.url(database)))
    site = load_site(tmp_path / "site.yaml")
    now = [at(1, 12)]
    service = Service(site, clock=lambda: now[0])
    spool = service.pipeline.writer.spool
    try:
        spool.append_rows(counter(at(0, -1), at(1, 12)))
        drain(service)
        service.meter()  # day 1, noon: days 0 and 1 metered, day 1 half-way

        server.stop()  # three days without a store; the collectors keep spooling
        spool.append_rows(counter(at(1, 12.25), at(4, 12)))
        for day in (2, 3):
            now[0] = at(day, 12)
            with pytest.raises(StoreUnavailable):
                service.pipeline.writer.drain_once()
            with pytest.raises(StoreUnavailable):
                service.meter()
        assert spool.depth == len(counter(at(1, 12.25), at(4, 12)))

        server.start()
        now[0] = at(4, 12)
        service.meter()  # before the backlog is written: days 1-3 metered from too little
        assert daily_kwh_influxql(server, database, 2) == 0.0
        drain(service)  # the backlog lands; its readings are older than the watermark
        assert spool.depth == 0 and spool.dirty_ranges()
        now[0] = at(4, 12.25)
        service.meter()  # the next scheduled run, no manual step
    finally:
        service.store.close()

    assert spool.dirty_ranges() == []
    assert all(spool.metered_days()[(D0 + dt.timedelta(days=d)).isoformat()]
               >= int(at(d + 1, 0).timestamp()) * 10**9 for d in range(4))
    for day in range(4):
        assert daily_kwh_influxql(server, database, day) == pytest.approx(48), day
        report = build_report(site, D0 + dt.timedelta(days=day), "en", now=now[0])
        assert report.site.totals.kwh == pytest.approx(48), day
    assert daily_kwh_influxql(server, database, 4) == pytest.approx(24)  # up to noon
