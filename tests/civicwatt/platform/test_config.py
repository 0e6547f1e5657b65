"""check-config on the `platform:` section: ids, keys, units, codes and intervals, every
problem with its path, what is allowed, and never a key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from civicwatt.config import ConfigError, load_site
from tests.civicwatt.platform import demo_hours

ROOT = Path(__file__).parents[3]
SECRET = "S3cret-auth-key!"  # 16 characters


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("PLATFORM_KEY", SECRET)
    path = demo_hours.write_site(tmp_path, 9100)

    def edit(platform: dict | None = None, drop: tuple[str, ...] = (), **top) -> Path:
        data = yaml.safe_load(path.read_text())
        data["platform"].update(platform or {})
        for key in drop:
            data["platform"].pop(key)
        data.update(top)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        return path

    return edit


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    return [str(p) for p in caught.value.problems]


def test_the_section_as_the_issue_writes_it_loads(site, monkeypatch):
    monkeypatch.setenv("PLATFORM_AES_KEY", "000102030405060708090a0b0c0d0e0f")
    config = load_site(site({"aes_key": "${PLATFORM_AES_KEY}", "encrypt": True,
                             "md5_order": "seq+key", "profile": "gb-2008"}))
    p = config.platform
    assert (p.host, p.port, p.gateway_id, p.buildings) == ("127.0.0.1", 9100, "01",
                                                           {"demo": "110101A001"})
    assert p.auth_key.get_secret_value() == SECRET and SECRET not in repr(p)
    assert (p.heartbeat_s, p.reply_timeout_s, p.items_as, p.every_s) == (60, 30,
                                                                         "energy_items", 300)


@pytest.mark.parametrize(("platform", "where", "said"), [
    ({"buildings": {"demo": "11010A001"}}, "platform.buildings.demo = '11010A001'",
     "6-digit division code, a type letter A–H"),
    ({"buildings": {"demo": "110101I001"}}, "platform.buildings.demo", "type letter A–H"),
    ({"buildings": {"annex": "110101A001"}}, "platform.buildings.annex = 'annex'",
     "a building id of this site: demo"),
    ({"profile": "gb-2009"}, "platform.profile", "one of the profiles gb-2008"),
    ({"md5_order": "seq-key"}, "platform.md5_order", "seq+key"),
    ({"gateway_id": "gate way"}, "platform.gateway_id", "pattern"),
    ({"port": 70000}, "platform.port", "less than or equal to 65535"),
    ({"items_as": "items"}, "platform.items_as", "energy_items"),
    ({"units": {"04000": "therm"}}, "platform.units.04000 = 'therm'",
     "a unit civicwatt converts class 04000 to: GJ, MJ, kWh, MWh"),
    ({"units": {"09000": "t"}}, "platform.units.09000", "a class code"),
    ({"codes": {"01A10": "01Z00"}}, "platform.codes.01A10 = '01Z00'", "table"),
    ({"heartbeat_s": 0}, "platform.heartbeat_s", "greater than 0"),
    ({"colour": "red"}, "platform.colour", "unknown key"),
])
def test_each_mistake_names_the_field_and_what_is_allowed(site, platform, where, said):
    found = problems(site(platform))
    assert any(where in p and said in p for p in found), found


def test_a_short_auth_key_without_aes_key_is_refused_without_showing_it(site, monkeypatch):
    monkeypatch.setenv("PLATFORM_KEY", "short-key")
    found = problems(site())
    assert any("platform.auth_key = '<hidden, 9 characters>'" in p and "aes_key" in p
               for p in found), found
    assert not any("short-key" in p for p in found)
    monkeypatch.setenv("PLATFORM_KEY", "short-key")
    assert load_site(site({"encrypt": False})).platform.encrypt is False  # no AES: any key


def test_a_bad_aes_key_is_refused_without_showing_it(site):
    found = problems(site({"aes_key": "not-sixteen"}))
    assert any("platform.aes_key = '<hidden, 11 characters>'" in p for p in found), found
    assert not any("not-sixteen" in p for p in found)


def test_a_code_outside_the_table_with_no_ancestor_in_it_must_be_mapped(site):
    data = yaml.safe_load(site().read_text())
    data["purposes"] = [{"code": "07000", "zh": "煤", "en": "coal"}]
    data["points"].append({"id": "demo.coal", "building": "demo", "purpose": "07000",
                           "quantity": "energy", "unit": "kWh"})
    path = site(**{k: v for k, v in data.items() if k in ("purposes", "points")})
    found = problems(path)
    assert any("platform.codes = '07000'" in p and "point demo.coal" in p and
               "platform.codes: {'07000': '01D60'}" in p for p in found), found
    assert load_site(site({"codes": {"07000": "06000"}})).platform.codes == {"07000": "06000"}


def test_uploading_needs_metering(site):
    path = site()
    text = yaml.safe_load(path.read_text())
    text.pop("metering")
    path.write_text(yaml.safe_dump(text, allow_unicode=True))
    assert any("platform" in p and "a `metering:` section too" in p for p in problems(path))


def test_check_config_prints_every_problem_and_never_a_key(site, monkeypatch):
    path = site({"buildings": {"demo": "bad"}, "aes_key": "0123456789abcdefXY"})
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLATFORM_KEY": SECRET}
    result = subprocess.run([sys.executable, "-m", "civicwatt", "check-config", str(path)],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "2 problem(s)" in result.stderr and "Traceback" not in result.stderr
    assert "platform.buildings.demo" in result.stderr and "platform.aes_key" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "0123456789abcdefXY" not in result.stderr + result.stdout


def test_check_config_lists_what_each_building_sends(site):
    path = site()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLATFORM_KEY": SECRET, "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "civicwatt", "check-config", str(path)],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "platform gb-2008 127.0.0.1:9100 (AES, md5 seq+key, gateway 01)" in text
    assert ("demo → 110101A001 sends 01000, 01A00, 01A10, 01A20, 01B00, 01B10, 01B20, 01C00, "
            "01C10, 01C20, 01D00, 01D10") in text
    assert SECRET not in result.stdout
