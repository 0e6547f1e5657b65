"""`civicwatt meter --config`: store readings → energy_interval, idempotently.

Runs against the embedded SQLite store and a real InfluxDB 1.x (integration)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from store import Row, Series, open_store

ROOT = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")

SITE = """\
version: 1
site: {{id: hq, name: HQ, timezone: Asia/Shanghai, country: CN, grid_region: north}}
buildings:
  - {{id: b1, floor_area_m2: 1000, occupants: 10, zones: [{{id: b1.f1}}, {{id: b1.f2}}]}}
store: {{url: "{url}"}}
points:
  - {{id: main, building: b1, purpose: "01000", quantity: energy, unit: kWh, rollover: 10000}}
  - {{id: light, building: b1, zone: b1.f1, purpose: 01A10, quantity: energy, unit: kWh,
     parent: main}}
  - {{id: hvac, building: b1, zone: b1.f2, purpose: 01B20, quantity: energy, unit: kWh,
     parent: main, max_kw: 50}}
  - {{id: outdoor, building: b1, quantity: temperature, unit: °C}}
metering:
  tariff: guangdong-general-ic
  temperature_point: outdoor
  virtual_meters:
    - {{id: unmetered, formula: "main - sum(children)", building: b1, purpose: "01000"}}
"""


def civicwatt(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "civicwatt", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def seed(url: str, base: Path) -> None:
    """2026-07-01 (Guangdong sharp season) and 07-02: main 3 kW starting at 9990 kWh (it
    wraps at 10 000 during 07-01), light 1 kW, hvac 1.5 kW, every 15 min from 06-30 23:00
    to 07-03 01:00 local; the remainder main − light − hvac is 0.5 kW. One outdoor
    temperature reading (33 °C) — July is sharp regardless."""
    store = open_store(url, base)
    rows = []
    start = dt.datetime(2026, 6, 30, 23, tzinfo=SH)
    for pid, kw, zone, purpose, initial in (
        ("main", 3.0, "", "01000", 9990.0),
        ("light", 1.0, "b1.f1", "01A10", 0.0),
        ("hvac", 1.5, "b1.f2", "01B20", 0.0),
    ):
        series = Series.of(
            "energy", site="hq", building="b1", zone=zone or "b1", purpose=purpose, point=pid
        )
        for i in range(4 * 50 + 1):
            t = start + dt.timedelta(minutes=15 * i)
            value = (initial + kw * i / 4) % 10000 if pid == "main" else initial + kw * i / 4
            rows.append(Row(series, int(t.timestamp()) * 10**9, {"value": value}))
    temp = Series.of(
        "temperature", site="hq", building="b1", zone="b1", purpose="", point="outdoor"
    )
    rows.append(
        Row(temp, int(dt.datetime(2026, 7, 1, 14, tzinfo=SH).timestamp()) * 10**9, {"value": 33.0})
    )
    store.write(rows)
    store.close()


def totals(url: str, base: Path) -> tuple[int, dict]:
    store = open_store(url, base)
    found = store.read_rows("energy_interval", 0, 2**62)
    store.close()
    out: dict = defaultdict(float)
    for row in found:
        tags = row.series.tag_dict
        out[tags["point"], tags["period"]] += row.fields["kwh"]
        out[tags["point"], "cost"] += row.fields["cost"]
        out[tags["point"], "estimated"] += bool(row.fields["estimated"])
    return len(found), {k: round(v, 6) for k, v in out.items()}


def check_job(url: str, tmp_path: Path) -> None:
    """Guangdong in July, per day: valley 8 h, flat 9 h, peak 4 h, sharp 3 h.
    main (3 kW, two days): valley 48, flat 54, peak 24, sharp 18; cost 48·0.38 + 54 + 24·1.7
    + 18·2.125 = 18.24 + 54 + 40.8 + 38.25 = 151.29. light is a third of that, unmetered a
    sixth. 2 days × 96 intervals × 4 meters = 768 rows; a re-run writes the same rows."""
    (tmp_path / "site.yaml").write_text(SITE.format(url=url))
    seed(url, tmp_path)
    args = (
        "meter",
        "--config",
        str(tmp_path / "site.yaml"),
        "--from",
        "2026-07-01",
        "--to",
        "2026-07-03",
    )
    first = civicwatt(*args)
    assert first.returncode == 0, first.stderr
    assert "768 energy_interval rows" in first.stdout
    assert "balance main" in first.stdout and "+16.7 %" in first.stdout
    n, sums = totals(url, tmp_path)
    assert n == 768
    assert (
        sums["main", "valley"],
        sums["main", "flat"],
        sums["main", "peak"],
        sums["main", "sharp"],
    ) == (48, 54, 24, 18)
    assert sums["main", "cost"] == pytest.approx(151.29)
    assert sums["light", "sharp"] == 6 and sums["unmetered", "sharp"] == 3
    assert sums["unmetered", "cost"] == pytest.approx(151.29 / 6)
    assert sums["main", "estimated"] == 0
    again = civicwatt(*args)
    assert again.returncode == 0, again.stderr
    assert totals(url, tmp_path) == (n, sums)
    # A tariff correction: re-metering replaces the intervals, none stays under its old period.
    (tmp_path / "site.yaml").write_text(SITE.format(url=url).replace(
        "guangdong-general-ic", "beijing-general-ic-single-part-under-1kv"))
    corrected = civicwatt(*args)
    assert corrected.returncode == 0, corrected.stderr
    n_after, after = totals(url, tmp_path)
    assert n_after == n
    main_kwh = {p: v for (point, p), v in after.items() if point == "main" and p not in
                ("cost", "estimated")}
    assert sum(main_kwh.values()) == pytest.approx(144) and main_kwh != {
        p: sums["main", p] for p in ("valley", "flat", "peak", "sharp")}


def test_job_on_sqlite(tmp_path):
    check_job(f"sqlite:///{tmp_path / 'cw.db'}", tmp_path)


@pytest.mark.integration
def test_job_on_influxdb(influx_url, tmp_path):
    check_job(influx_url, tmp_path)


def test_job_config_errors(tmp_path):
    site = SITE.format(url=f"sqlite:///{tmp_path / 'cw.db'}")
    bad = (
        site.replace("tariff: guangdong-general-ic", "tariff: shanghai-nope")
        .replace("temperature_point: outdoor", "temperature_point: main")
        .replace("main - sum(children)", "main - sum(children) - ghost")
    )
    (tmp_path / "site.yaml").write_text(bad)
    res = civicwatt(
        "meter",
        "--config",
        str(tmp_path / "site.yaml"),
        "--from",
        "2026-07-01",
        "--to",
        "2026-07-02",
    )
    assert res.returncode == 1
    err = res.stderr
    assert "metering.tariff = 'shanghai-nope'" in err and "guangdong-general-ic" in err
    assert "metering.temperature_point = 'main' — the id of a temperature point" in err
    assert "unknown point 'ghost'" in err
    assert "Traceback" not in err
    no_section = site[: site.index("metering:")]
    (tmp_path / "site.yaml").write_text(no_section)
    res = civicwatt(
        "meter",
        "--config",
        str(tmp_path / "site.yaml"),
        "--from",
        "2026-07-01",
        "--to",
        "2026-07-02",
    )
    assert res.returncode == 1 and "no `metering:` section" in res.stderr


def test_meter_recent_for_the_scheduler(tmp_path):
    """At 2026-07-02 12:00 local, `meter_recent` covers 07-01 and 07-02 — the same 768 rows
    the command writes for that range."""
    from civicwatt.config import load_site
    from civicwatt.jobs.metering import meter_recent

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    (tmp_path / "site.yaml").write_text(SITE.format(url=url))
    seed(url, tmp_path)
    site = load_site(tmp_path / "site.yaml")
    store = open_store(url, tmp_path)
    try:
        summary = meter_recent(site, store, dt.datetime(2026, 7, 2, 12, tzinfo=SH))
    finally:
        store.close()
    assert (summary.days, summary.rows) == (2, 768)
    assert [e["kind"] for e in summary.events] == ["rollover"]
