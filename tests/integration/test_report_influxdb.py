"""The report reads InfluxDB 1.x as it reads SQLite: the same known week, the same numbers."""

from __future__ import annotations

import pytest

from civicwatt.config import load_site
from civicwatt.reports.job import build_report
from store import open_store
from tests.civicwatt.reports import known_week as kw

pytestmark = pytest.mark.integration


def test_known_week_from_influxdb(influxdb, tmp_path):
    path = kw.write_site(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        f"sqlite:///{tmp_path / 'store.db'}", influxdb.url("report_test")), encoding="utf-8")
    config = load_site(path)
    store = open_store(config.store.url)
    kw.fill(config, store)
    forecast = kw.forecast_sums(store, "b1", kw.DAY)["kwh"] + kw.forecast_sums(
        store, "b2", kw.DAY)["kwh"]
    store.close()
    report = build_report(config, kw.DAY, "en")
    want = kw.expected(("b1.main", "b2.main"), kw.DAY)
    assert round(report.site.totals.kwh, 3) == round(want.kwh, 3)
    assert round(report.site.totals.cost, 2) == round(want.cost, 2)
    assert report.site.last_week is not None
    assert round(report.site.last_week.kwh, 3) == round(
        kw.expected(("b1.main", "b2.main"), kw.WEEK_START).kwh, 3)
    assert round(report.site.forecast_check.forecast_kwh, 3) == round(forecast, 3)
    days = (kw.DAY - kw.FIRST).days + 1
    assert report.buildings[0].ytd is not None and abs(report.buildings[0].ytd.days - days) < 1e-9
    assert [a.point for a in report.anomalies] == ["b2.main"]
    assert all(c.share == 1.0 for c in report.completeness)
