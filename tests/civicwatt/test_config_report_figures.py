"""Config for the report's figures: what a baseline is, base prices for ratio tariffs, and the
check-config warnings when those figures would mislead a reader."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from civicwatt.config import ConfigError, load_site
from civicwatt.config.advice import advice
from civicwatt.metering.files import load_site_tariff
from tests.civicwatt.test_config import EXAMPLE, broken_copy

ROOT = Path(__file__).resolve().parents[2]
NOVEMBER = dt.date(2026, 11, 29)
FIRST_OF_NOVEMBER = dt.date(2026, 11, 1)  # the report shows 31 October
OWN = "      kind: own\n      year: 2020\n      kgce_per_m2: 18.5\n      kgce_per_person: 493"


def warnings(path: Path) -> list[str]:
    return [message for _, _, message in advice(load_site(path), NOVEMBER)]


def test_an_own_baseline_whose_two_figures_disagree_is_warned_about(tmp_path) -> None:
    assert warnings(broken_copy(tmp_path, ("# base_prices: {2026-10: 0.6523, 2026-11: 0.6611}",
                                           "base_prices: {2026-10: 0.6523, 2026-11: 0.6611}"))) \
        == []
    path = broken_copy(tmp_path, ("kgce_per_person: 493", "kgce_per_person: 330"),
                       ("# base_prices: {2026-10", "base_prices: {2026-10"))
    (found,) = warnings(path)
    assert "per m² × area gives 222,000 kgce but per person × occupants 148,500 kgce (33% apart)" \
        in found
    # a national average describes other buildings: the two need not agree
    reference = broken_copy(tmp_path, (OWN, OWN.replace("own", "national_average")
                                       .replace("493", "330")),
                            ("# base_prices: {2026-10", "base_prices: {2026-10"))
    assert warnings(reference) == []


def test_a_baseline_must_say_what_it_is(tmp_path) -> None:
    path = broken_copy(tmp_path, ("      kind: own\n", ""))
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    (problem,) = caught.value.problems  # the building itself still validates
    assert problem.path == "buildings[0].baseline.kind" and "national_average" in problem.allowed
    targets = broken_copy(tmp_path, ("      kind: own\n", "      kind: quota\n"
                                                       "      target_reduction_per_m2: 0.05\n"))
    with pytest.raises(ConfigError, match="reduction targets apply to the building's own"):
        load_site(targets)


def test_a_ratio_tariff_without_the_months_base_price_is_warned_about(tmp_path) -> None:
    (found,) = warnings(EXAMPLE)
    assert "holds price ratios (flat = 1) and there is no base price for 2026-11:" in found
    assert "× flat price" in found
    (found,) = advice(load_site(EXAMPLE), FIRST_OF_NOVEMBER)
    assert "no base price for 2026-10 and 2026-11:" in found[2]
    only_october = broken_copy(tmp_path, ("# base_prices: {2026-10: 0.6523, 2026-11: 0.6611}",
                                          "base_prices: {2026-10: 0.6523}"))
    assert "no base price for 2026-11:" in warnings(only_october)[0]
    assert advice(load_site(only_october), dt.date(2026, 10, 31)) == []


def test_base_prices_from_a_csv_file_are_applied(tmp_path) -> None:
    (tmp_path / "prices.csv").write_text("month,price\n2026-10,0.6523\n2026-11,0.6611\n")
    path = broken_copy(tmp_path, ("# base_prices: {2026-10: 0.6523, 2026-11: 0.6611}",
                                  "base_prices: prices.csv"))
    tariff = load_site_tariff(load_site(path))
    assert tariff.price_factor(dt.date(2026, 11, 3)) == 0.6611
    assert tariff.cost_is_money(dt.date(2026, 11, 3)) and not tariff.cost_is_money(
        dt.date(2026, 12, 1))
    assert warnings(path) == []


@pytest.mark.parametrize(("value", "message"), [
    ("{2026-13: 0.65}", "'2026-13' is not a month; write YYYY-MM"),
    ("{2026-11: -1}", "is not a price above 0"),
    ("missing.csv", "base prices"),
])
def test_bad_base_prices_are_errors(tmp_path, value, message) -> None:
    path = broken_copy(tmp_path, ("# base_prices: {2026-10: 0.6523, 2026-11: 0.6611}",
                                  f"base_prices: {value}"))
    with pytest.raises(ConfigError, match=message) as caught:
        load_site(path)
    assert caught.value.problems[0].path == "metering.base_prices"


def test_base_prices_on_a_money_tariff_are_an_error(tmp_path) -> None:
    (tmp_path / "money.yaml").write_text(
        (ROOT / "civicwatt/data/tariffs/beijing-general-ic-single-part-under-1kv.yaml").read_text()
        .replace("price_basis: ratio\n", ""))
    path = broken_copy(tmp_path, ("tariff: beijing-general-ic-single-part-under-1kv",
                                  "tariff: money.yaml"),
                       ("# base_prices: {2026-10", "base_prices: {2026-10"))
    with pytest.raises(ConfigError, match="only for a ratio tariff"):
        load_site(path)


def test_check_config_prints_warnings_and_still_exits_0() -> None:
    result = subprocess.run([sys.executable, "-m", "civicwatt", "check-config", str(EXAMPLE)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr
    assert f"warning: {EXAMPLE}:" in result.stderr and ": metering.base_prices — " in result.stderr


def test_offline_metering_never_labels_ratios_as_money(tmp_path) -> None:
    """`civicwatt meter --tariff` has no base prices: a ratio tariff's costs are × flat price."""
    data = ROOT / "tests/data/metering"
    ratio = ROOT / "civicwatt/data/tariffs/beijing-general-ic-single-part-under-1kv.yaml"
    money = tmp_path / "money.yaml"
    money.write_text(ratio.read_text().replace("price_basis: ratio\n", ""))
    units = {}
    for tariff in (ratio, money):
        result = subprocess.run(
            [sys.executable, "-m", "civicwatt", "meter", "--readings", str(data / "readings.csv"),
             "--points", str(data / "points.csv"), "--tariff", str(tariff), "--tz",
             "Asia/Shanghai", "--from", "2026-06-01", "--to", "2026-06-03", "--json"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert result.returncode == 0, result.stderr
        units[tariff.name] = json.loads(result.stdout)["cost_unit"]
    assert units == {ratio.name: "x_flat_price", "money.yaml": "CNY"}
