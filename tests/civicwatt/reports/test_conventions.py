"""What the report's numbers mean, said the same way everywhere: one sign convention in words,
what a baseline is, what a residual row holds, money only when it is money, a peak that does
not move between runs, CSV names per language, and a missing forecast said once."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from civicwatt.config import load_site
from civicwatt.reports import formatting as f
from civicwatt.reports.assemble import _curve
from civicwatt.reports.data import Intervals
from civicwatt.reports.fonts import font_for
from civicwatt.reports.job import build_report
from civicwatt.reports.render import render_html, write_all
from rules.clock import day_bounds
from store import Row, Series, open_store
from tests.civicwatt.reports import known_week as kw


@pytest.fixture(scope="module")
def en(known_site):
    config = load_site(known_site)
    report = build_report(config, kw.DAY, "en", now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC))
    return report, render_html(report, "en", None).html


def card(html: str, label: str) -> str:
    """The text of one summary card (the first with that label)."""
    found = re.search(rf'<div class="label">{re.escape(label)}</div>(.*?)</td>', html, re.S)
    assert found, label
    return re.sub(r"<[^>]+>", " ", found.group(1))


@pytest.mark.parametrize(("change", "language", "text"), [
    (0.12, "en", "12.0% above the same day last week"),
    (-0.38, "en", "38.0% below the same day last week"),
    (0.0001, "en", "level with the same day last week"),
    (0.12, "zh", "比上周同日高 12.0%"),
    (-0.38, "zh", "比上周同日低 38.0%"),
])
def test_one_sign_convention_in_words(change, language, text) -> None:
    ref = "the same day last week" if language == "en" else "上周同日"
    assert f.versus(change, ref, language) == text


def test_the_energy_card_compares_with_last_week_and_forecast_the_coal_card_not(en) -> None:
    report, html = en
    deviation = report.site.forecast_check.deviation
    energy = card(html, "Energy")
    assert f.versus(deviation, "the day-ahead forecast", "en") in energy
    assert "same day last week" in energy
    coal = card(html, "Standard coal")
    assert "forecast" not in coal and "same day last week" in coal
    # no bare signed percentages left: every change is said in words
    assert not re.search(r"[+−]\d+\.\d%", html)


def test_a_named_reference_is_labelled_and_has_no_target(en) -> None:
    report, html = en
    assert "vs national public-institution average 2020" in html
    assert "2020 baseline" not in html and "on track" not in html and "above target" not in html
    assert re.search(r"(above|below) the average", html)


def test_residual_rows_say_what_they_hold(en) -> None:
    _, html = en
    assert "Not sub-metered (main minus sub-meters)" in html
    assert "Meters with no zone (whole-building meters, incl. main minus sub-meters)" in html


def test_csv_names_carry_the_language(known_site, tmp_path) -> None:
    config = load_site(known_site)
    for language in ("zh", "en"):
        write_all(build_report(config, kw.DAY, language), language, font_for(language),
                  tmp_path)
    zh = sorted(p.name for p in tmp_path.glob("*.zh.csv"))
    en_ = sorted(p.name for p in tmp_path.glob("*.en.csv"))
    assert len(zh) == len(en_) == 10 and [n.replace(".zh.", ".en.") for n in zh] == en_
    assert not list(tmp_path.glob("*-summary.csv"))


def test_peak_ties_go_to_the_earliest_interval_every_run() -> None:
    """09:00 sums to 0.30000000000000004, 08:00 to 0.3: equal energy, so 08:00 wins."""
    day = kw.DAY
    start, end = day_bounds(day, kw.TZ)
    at8, at9 = start + 8 * 3600 * 10**9, start + 9 * 3600 * 10**9
    rows = []
    for point, values in (("a", (0.3, 0.1)), ("b", (0.0, 0.2))):
        series = Series.of("energy_interval", site="s", building="b", zone="b", purpose="p",
                           point=point, period="flat")
        rows += [Row(series, t, {"kwh": v}) for t, v in zip((at8, at9), values, strict=True)]
    for order in (rows, rows[::-1]):
        intervals = Intervals.from_rows(order)
        inputs = type("Inputs", (), {"start_ns": start, "end_ns": end, "tz": kw.TZ})()
        _, peak = _curve(intervals, np.ones(len(intervals), bool), inputs, 15 * 60 * 10**9)
        assert peak.at.hour == 8


@pytest.fixture(scope="module")
def unforecast(tmp_path_factory):
    """Two metered days and no forecast run."""
    folder = tmp_path_factory.mktemp("no-forecast")
    config = load_site(kw.write_site(folder))
    store = open_store(config.store.url)
    store.write(kw.counter_rows(kw.DAY - dt.timedelta(days=1), kw.DAY))
    kw.run_metering(config, store, kw.DAY - dt.timedelta(days=1), kw.DAY)
    store.close()
    return folder, config


def test_a_missing_forecast_is_said_once_and_no_band_is_described(unforecast) -> None:
    _, config = unforecast
    report = build_report(config, kw.DAY, "en")
    assert not report.has_forecast
    html = render_html(report, "en", None).html
    assert html.count("No load forecast for this day or the next") == 1
    assert "forecast" not in card(html, "Energy") + card(html, "Standard coal")
    assert "band" not in html and "interval" not in html.split("<h2>Anomalies")[0]
    assert "Next-day forecast" not in html and "vs day-ahead forecast" not in html


def ratio_site(folder, base_prices: str = ""):
    """The known site on a ratio tariff (the same numbers, read as multiples of flat)."""
    path = kw.write_site(folder)
    tariff = folder / "test-tariff.yaml"
    tariff.write_text(tariff.read_text().replace("calendar:", "price_basis: ratio\ncalendar:"))
    if base_prices:
        path.write_text(path.read_text().replace(
            "  emission_factor: 0.5306\n", f"  emission_factor: 0.5306\n{base_prices}"))
    config = load_site(path)
    store = open_store(config.store.url)
    store.write(kw.counter_rows(kw.DAY - dt.timedelta(days=7), kw.DAY))
    kw.run_metering(config, store, kw.DAY - dt.timedelta(days=7), kw.DAY)
    store.close()
    return build_report(config, kw.DAY, "en")


def test_a_ratio_tariff_with_the_months_base_price_is_money(tmp_path) -> None:
    report = ratio_site(tmp_path, "  base_prices: {2026-11: 0.5}\n"
                                  "  base_prices_source: illustrative\n")
    want = kw.expected(("b1.main", "b2.main"), kw.DAY).cost * 0.5
    assert abs(report.site.totals.cost - want) < 0.005
    html = render_html(report, "en", None).html
    assert f.money(report.site.totals.cost, "CNY") in html
    assert "× the 2026-11 flat (agency-purchase) price ¥0.50/kWh (illustrative)" in html


def test_a_ratio_tariff_without_a_base_price_is_never_shown_as_money(tmp_path) -> None:
    report = ratio_site(tmp_path)
    assert not report.cost_unit.money
    want = kw.expected(("b1.main", "b2.main"), kw.DAY).cost  # kWh × ratio
    assert abs(report.site.totals.cost - want) < 0.005
    html = render_html(report, "en", None).html
    assert "¥" not in html
    assert f"{f.number(report.site.totals.cost, 2)} × flat price" in html
    assert "no flat price is configured for 2026-11 (metering.base_prices)" in html
    files = write_all(report, "en", None, tmp_path / "out").files
    summary = next(p for p in files if p.name.endswith("-summary.en.csv"))
    assert ",x_flat_price," in summary.read_text(encoding="utf-8-sig")
