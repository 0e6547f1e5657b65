"""`civicwatt statistics`: the JSON is the core's document; bad input is one clean error."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from civicwatt.cli import app
from civicwatt.statistics import compute


@pytest.fixture(scope="module")
def config(portfolio):
    site, _ = portfolio
    return str(site.base_dir / "site.yaml")


def civicwatt(*args: str):
    return CliRunner().invoke(app, list(args))


def test_json_is_the_core_document(portfolio, config):
    site, store = portfolio
    done = civicwatt("statistics", "--config", config, "--period", "2026-10", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == json.loads(json.dumps(
        compute(site, store, "2026-10").to_json()))


def test_one_building_has_its_own_total(config):
    done = civicwatt("statistics", "--config", config, "--period", "2026-10", "--json",
                     "--building", "b2")
    doc = json.loads(done.stdout)
    assert [b["id"] for b in doc["buildings"]] == ["b2"]
    assert doc["total"]["kgce"] == doc["buildings"][0]["kgce"]
    assert doc["buildings"][0]["rank_in_type"] == 2  # still ranked among all offices


@pytest.mark.parametrize("by,first", [("building", "Office one"),
                                      ("institution", "Education bureau"),
                                      ("type", "办公建筑")])
def test_table_rows_by_level(config, by, first):
    done = civicwatt("statistics", "--config", config, "--period", "2026-Q3", "--by", by,
                     "--lang", "zh" if by == "type" else "en")
    assert done.exit_code == 0, done.output
    assert first in done.stdout
    assert ("同比" if by == "type" else "YoY") in done.stdout


@pytest.mark.parametrize("args,message", [
    (["--period", "2026-13"], "--period: period '2026-13': month must be in 1..12"),
    (["--period", "October"], "2026-Q3 (a quarter)"),
    (["--period", "2026-10", "--building", "b9"], "--building b9: not in"),
    (["--period", "2024-10"], "no metered energy in 2024-10"),
    (["--period", "2099"], "--period 2099 has not started"),
])
def test_bad_input_is_one_clean_error(config, args, message):
    done = civicwatt("statistics", "--config", config, *args)
    assert done.exit_code == 1
    assert message in " ".join(done.stderr.split())
    assert "Traceback" not in done.output and done.stdout == ""


def test_a_bad_config_is_named(tmp_path):
    (tmp_path / "site.yaml").write_text("version: 1\nsite: {id: x}\n")
    done = civicwatt("statistics", "--config", str(tmp_path / "site.yaml"), "--period", "2026")
    assert done.exit_code == 1 and "problem" in done.stderr
