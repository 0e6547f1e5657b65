"""The site config: the example stays valid; each mistake is named with file, line and path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicwatt.cli import app
from civicwatt.config import ConfigError, load_site

EXAMPLE = Path(__file__).parents[2] / "config" / "example-site.yaml"


def broken_copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    shutil.copy(EXAMPLE.with_name("example-points.csv"), tmp_path)
    target = tmp_path / "site.yaml"
    target.write_text(text)
    return target


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_site(path)
    return [str(p) for p in error.value.problems]


def test_the_example_is_valid_and_complete():
    config = load_site(EXAMPLE)
    assert len(config.buildings) == 2
    assert 25 <= len(config.points) <= 40
    assert {p.quantity for p in config.points} >= {"energy", "water", "gas", "heat"}
    assert {p.source for p in config.points} == {"mqtt", "modbus"}
    tops = {p.purpose[:3] for p in config.points if p.quantity == "energy"}
    assert {"01A", "01B", "01C", "01D"} <= tops
    assert any(z.zones for b in config.buildings for z in b.zones)  # nested zones
    assert config.point_by_id("b2.light.kw").modbus.field == "power"  # from the CSV


def test_six_distinct_mistakes_are_all_reported_at_once(tmp_path, monkeypatch):
    monkeypatch.delenv("CW_TEST_PASSWORD", raising=False)
    path = broken_copy(
        tmp_path,
        ("timezone: Asia/Shanghai", "timezone: Asia/Beijing"),
        ("zone: b1.f2, purpose: 01A10, quantity: energy, unit: kWh,\n     parent: b1.main, "
         "mqtt: {topic: hq/b1/f2/light/energy}",
         "zone: b1.f9, purpose: 01A10, quantity: energy, unit: kWh,\n     parent: b1.main, "
         "mqtt: {topic: hq/b1/f2/light/energy}"),
        ("{id: b1.f3.light,", "{id: b1.corridor,"),
        ("modbus: {device: b2-main, field: energy_import}",
         "modbus: {device: b2-main, register: {address: 65535, type: float32}}"),
        ("purpose: 01C20", "purpose: 01X99"),
        ("password: ${CIVICWATT_MQTT_PASSWORD:-}", "password: ${CW_TEST_PASSWORD}"),
    )
    found = "\n".join(problems(path))
    expected = [
        "site.timezone = 'Asia/Beijing' — not an IANA timezone name",
        "(b1.f2.light).zone = 'b1.f9' — a zone of building b1",
        "(b1.corridor).id = 'b1.corridor' — point ids are unique",
        "(b2.main).modbus.register.address = 65535 — address + 2 register(s) of float32",
        "(b1.pumps).purpose = '01X99' — a sub-item code",
        "mqtt.password = '${CW_TEST_PASSWORD}' — environment variable CW_TEST_PASSWORD is not set",
    ]
    for text in expected:
        assert text in found
    assert all(line.startswith(f"{path}:") for line in found.splitlines())


def test_problem_lines_point_at_the_field(tmp_path):
    path = broken_copy(tmp_path, ("timezone: Asia/Shanghai", "timezone: Mars/Olympus"))
    (problem,) = problems(path)
    line = int(problem.split(":")[1])
    assert "Mars/Olympus" in path.read_text().splitlines()[line - 1]


def test_check_config_exits_1_without_traceback_and_0_with_a_summary(tmp_path):
    runner = CliRunner()
    bad = broken_copy(tmp_path, ("unit: 1, profile", "unit: 300, profile"))
    result = runner.invoke(app, ["check-config", str(bad)])
    assert result.exit_code == 1
    assert "modbus.devices[0].unit = 300" in result.output
    assert "Traceback" not in result.output
    good = runner.invoke(app, ["check-config", str(EXAMPLE)])
    assert good.exit_code == 0, good.output
    assert "OK" in good.output and "b1" in good.output and "空调用电" in good.output


def test_unknown_keys_and_missing_sections_are_problems(tmp_path):
    path = broken_copy(tmp_path, ("  currency: CNY", "  curency: CNY"),
                       ("  client_id: civicwatt-hq", "  clientid: civicwatt-hq"))
    found = "\n".join(problems(path))
    assert "site.curency = 'CNY' — unknown key" in found
    assert "mqtt.clientid = 'civicwatt-hq' — unknown key" in found
    empty = tmp_path / "empty.yaml"
    empty.write_text("version: 1\n")
    found = "\n".join(problems(empty))
    assert "site — required" in found and "buildings — required" in found


def test_csv_point_list_errors_name_the_csv_row_and_column(tmp_path):
    path = broken_copy(tmp_path)
    csv = tmp_path / "example-points.csv"
    csv.write_text(csv.read_text().replace("b1.f3.sockets,b1,b1.f3,01A10,energy,kWh",
                                           "b1.f3.sockets,b1,b1.f3,01A10,energy,MWh"))
    (problem,) = problems(path)
    assert problem.startswith(f"{csv}:3: points_csv row 3 (b1.f3.sockets), column unit = 'MWh'")
    assert "scale" in problem


def test_secrets_come_from_the_environment_and_are_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("CW_TEST_PASSWORD", "hunter2")
    path = broken_copy(tmp_path, ("password: ${CIVICWATT_MQTT_PASSWORD:-}",
                                  "password: ${CW_TEST_PASSWORD}"))
    config = load_site(path)
    assert config.mqtt.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.model_dump())


def test_yaml_syntax_errors_name_the_line(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("site:\n  id: x\n  name: [unclosed\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:") and "not valid YAML" in problem
