"""Edges: a 23-hour DST day in London, rows without carbon (no emission factor outside China),
and a store with no data for the day."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from civicwatt.config import load_site
from civicwatt.reports.job import build_report
from civicwatt.reports.render import render_html
from store import Row, Series, open_store

LONDON_YAML = """\
version: 1
site: {id: cam, name: Cambridge Offices, timezone: Europe/London, currency: GBP,
       language: en, country: GB}
buildings:
  - {id: b21, name: Building 21, floor_area_m2: 3000, occupants: 150}
points:
  - {id: b21.main, building: b21, purpose: "01000", quantity: energy, unit: kWh}
store: {url: "sqlite:///STORE"}
"""
DST_DAY = dt.date(2026, 3, 29)  # clocks go forward at 01:00 GMT


def test_dst_day_has_23_hours_and_missing_carbon_renders_as_a_dash(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text(LONDON_YAML.replace("STORE", str(tmp_path / "s.db")), encoding="utf-8")
    config = load_site(path)
    zone = ZoneInfo("Europe/London")
    start = dt.datetime.combine(DST_DAY, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(DST_DAY + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    series = Series.of("energy_interval", site="cam", building="b21", zone="b21",
                       purpose="01000", point="b21.main", period="0")
    rows, t = [], start
    while t < end:
        rows.append(Row(series, int(t.timestamp()) * 10**9,
                        {"kwh": 2.5, "cost": 0.5, "kgce": 0.30725, "estimated": False}))
        t += dt.timedelta(minutes=15)
    store = open_store(config.store.url)
    store.write(rows)
    store.close()
    report = build_report(config, DST_DAY, "en")
    assert len(report.site.curve.hours) == 23
    assert [h.hour for h in report.site.curve.hours[:3]] == [0, 2, 3]  # 01:00 does not exist
    assert report.completeness[0].expected == 92 and report.completeness[0].share == 1.0
    assert round(report.site.totals.kwh, 3) == 92 * 2.5
    assert round(report.site.totals.cost, 2) == 46.00
    assert report.site.totals.co2_kg != report.site.totals.co2_kg  # NaN: no factor, no field
    html = render_html(report, "en", None).html
    assert "£46.00" in html and "Carbon" in html
    text = re.sub(r"data:image/png;base64,[^\"]+", "", html)
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)


def test_no_data_for_the_day_says_so(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text(LONDON_YAML.replace("STORE", str(tmp_path / "s.db")), encoding="utf-8")
    report = build_report(load_site(path), DST_DAY, "en")
    html = render_html(report, "en", None).html
    assert "holds no metered energy for this day" in html
    assert [a.kind for a in report.anomalies] == ["silent"]
    assert report.completeness[0].measured == 0


def test_long_lists_are_cut_in_the_document_but_not_in_the_csv(tmp_path, monkeypatch):
    from civicwatt.reports import render
    path = tmp_path / "site.yaml"
    path.write_text(LONDON_YAML.replace("STORE", str(tmp_path / "s.db")), encoding="utf-8")
    report = build_report(load_site(path), DST_DAY, "en")
    monkeypatch.setattr(render, "MAX_ROWS", 0)
    html = render_html(report, "en", None).html
    assert html.count("1 more not listed here: see the CSV file.") == 2  # anomalies, meters
    (anomalies,) = [p for p in render.write_csvs(report, "en", tmp_path, "x")
                    if p.name == "x-anomalies.en.csv"]
    assert "b21.main" in anomalies.read_text(encoding="utf-8-sig")


def test_default_day_is_yesterday_on_the_site_clock(tmp_path):
    from civicwatt.reports.job import default_day
    path = tmp_path / "site.yaml"
    path.write_text(LONDON_YAML.replace("Europe/London", "Asia/Shanghai")
                    .replace("STORE", str(tmp_path / "s.db")), encoding="utf-8")
    config = load_site(path)
    # 17:00 UTC on the 25th is 01:00 on the 26th in Shanghai: yesterday there is the 25th
    assert default_day(config, dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)) == \
        dt.date(2026, 11, 25)
    assert default_day(config, dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)) == \
        dt.date(2026, 11, 24)


def test_the_commented_report_example_is_valid(tmp_path, monkeypatch):
    """Uncomment the example config's `report:` block; the real loader must accept it."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    example = root / "config" / "example-site.yaml"
    text = example.read_text(encoding="utf-8")
    i, j = text.index("# report:"), text.index("## Day-ahead load")
    block = re.sub(r"^# ", "", re.sub(r"^##.*\n", "", text[i:j], flags=re.M), flags=re.M)
    shutil.copy(example.with_name("example-points.csv"), tmp_path)
    (tmp_path / "site.yaml").write_text(text[:i] + block + text[j:], encoding="utf-8")
    monkeypatch.setenv("CIVICWATT_SMTP_PASSWORD", "from-the-environment")
    report = load_site(tmp_path / "site.yaml").report
    assert report.email is not None and report.email.smtp.effective_port == 587
    assert report.email.smtp.password.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in repr(report)  # never printed
    assert report.anomalies.night == (22 * 60, 6 * 60)
