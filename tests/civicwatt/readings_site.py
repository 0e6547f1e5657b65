"""A small site with manual points, shared by the manual-readings tests (SQLite store and state
file in the test's folder; a URL gives InfluxDB)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.civicwatt.test_meter_command import civicwatt

SH = ZoneInfo("Asia/Shanghai")
SITE = """\
version: 1
site: {{id: hq, name: HQ, timezone: Asia/Shanghai, language: {lang}}}
buildings: [{{id: b1, floor_area_m2: 1000, occupants: 10}}]
store: {{url: "{url}"}}
points:
  - {{id: main, building: b1, purpose: "01000", quantity: energy, unit: kWh}}
  - {{id: water, building: b1, purpose: "02000", quantity: water, unit: m3, manual: {{}}}}
  - {{id: gas, building: b1, purpose: "03000", quantity: gas, unit: m3,
     manual: {{profile: main}}}}
  - {{id: heat, building: b1, purpose: "04000", quantity: heat, unit: GJ, manual: {{}}}}
  - {{id: temp, building: b1, quantity: temperature, unit: °C}}
metering:
  tariff: beijing-general-ic-single-part-under-1kv
  emission_factor: 0.5
  prices: {{water: {{price: 7.15, unit: m3}}, heat: {{price: 40, unit: GJ}}}}
"""


def make_site(folder: Path, url: str = "", lang: str = "zh") -> Path:
    path = folder / "site.yaml"
    path.write_text(SITE.format(url=url, lang=lang))
    return path


def run(*args: str):
    res = civicwatt("readings", *args)
    assert "Traceback" not in res.stderr, res.stderr
    return res


def listed(site: Path, *extra: str) -> list[dict]:
    res = run("list", "--config", str(site), "--json", *extra)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["readings"]


def write_csv(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def ns(day: dt.date, hour: float = 0) -> int:
    return int(dt.datetime.combine(day, dt.time(), SH).timestamp() + hour * 3600) * 10**9
