"""The scheduled statistics: finished periods once each, from day 2, through the publishers."""

from __future__ import annotations

import datetime as dt
import json

from civicwatt.statistics import scheduled
from civicwatt.statistics.scheduled import run_scheduled
from rules.statistics_period import last_finished


def test_the_periods_that_are_over():
    def labels(day):
        return [p.label for p in last_finished(dt.date.fromisoformat(day),
                                               ("month", "quarter", "year"))]

    assert labels("2026-01-02") == ["2025-12", "2025-Q4", "2025"]
    assert labels("2026-05-02") == ["2026-04", "2026-Q1", "2025"]
    assert labels("2026-07-02") == ["2026-06", "2026-Q2", "2025"]
    assert [p.label for p in last_finished(dt.date(2026, 7, 2), ["month"])] == ["2026-06"]


def test_each_finished_period_once_from_day_two(portfolio, tmp_path, monkeypatch):
    site, store = portfolio
    site = site.model_copy(update={"base_dir": tmp_path})
    seen = []

    def record(site_, stats, folder):
        seen.append(stats.period.label)
        return []

    monkeypatch.setattr(scheduled, "PUBLISHERS", (record, scheduled.write_json))
    assert run_scheduled(site, store, dt.date(2026, 11, 1)) == []  # day 1: not yet
    written = run_scheduled(site, store, dt.date(2026, 11, 2))
    assert [p.name for p in written] == ["bureau-statistics-2026-10.json",
                                         "bureau-statistics-2026-Q3.json",
                                         "bureau-statistics-2025.json"]
    assert seen == ["2026-10", "2026-Q3", "2025"]
    doc = json.loads(written[0].read_text())
    assert doc["period"] == "2026-10" and doc["total"]["electricity_kwh"] == 71_300
    assert run_scheduled(site, store, dt.date(2026, 11, 3)) == []  # done: never twice
    written[1].unlink()  # a period whose publishing failed is retried
    assert [p.name for p in run_scheduled(site, store, dt.date(2026, 11, 4))] == [
        "bureau-statistics-2026-Q3.json"]
