"""The forecast job's input helpers: counters → hourly kWh, weather payloads, targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from civicwatt.jobs.forecast_inputs import HOUR_NS, counter_to_hourly, targets
from civicwatt.jobs.forecast_weather import (
    TemperatureSourceError,
    parse_payload,
    read_temperature_csv,
)

Q = HOUR_NS // 4


def test_counter_rollover_reset_and_gap():
    t = np.arange(0, 12 * 4 + 1, dtype=np.int64) * Q  # 15-min readings over 12 h
    v = 990.0 + np.arange(t.size) * 1.0  # 4 kWh per hour
    v[t >= 3 * HOUR_NS] -= 1000.0  # wraps at 1000 during hour 2→3
    out = counter_to_hourly(t, v, 1000.0, 0, 12)
    assert np.allclose(out, 4.0)
    w = np.arange(t.size) * 1.0
    w[t >= 5 * HOUR_NS] -= 15.0  # a reset (no rollover configured): that step counts 0
    out = counter_to_hourly(t, w, None, 0, 12)
    assert out[4] == pytest.approx(3.0) and np.allclose(np.delete(out, 4), 4.0)
    keep = (t < 6 * HOUR_NS) | (t >= 10 * HOUR_NS)  # a 4-hour gap
    out = counter_to_hourly(t[keep], np.arange(t.size)[keep] * 1.0, None, 0, 12)
    assert np.isnan(out[6:10]).all() and np.allclose(out[:5], 4.0)


def test_weather_payload_errors_are_named():
    with pytest.raises(TemperatureSourceError, match="not JSON"):
        parse_payload(b"{oops", "topic w")
    with pytest.raises(TemperatureSourceError, match="no UTC offset"):
        parse_payload(b'[{"ts": "2024-07-01T00:00:00", "temp_c": 1}]', "topic w")
    with pytest.raises(TemperatureSourceError, match="numeric 'temp_c'"):
        parse_payload(b'[{"ts": "2024-07-01T00:00:00Z"}]', "topic w")
    t, c = parse_payload(b'[{"ts": 3600, "temp_c": 2}, {"ts": 0, "temp_c": 1}]', "w")
    assert list(t) == [0, HOUR_NS] and list(c) == [1.0, 2.0]


def test_weather_csv_errors_are_named(tmp_path: Path):
    with pytest.raises(TemperatureSourceError, match="file not found"):
        read_temperature_csv(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("time,temp\n")
    with pytest.raises(TemperatureSourceError, match="header must be timestamp,temp_c"):
        read_temperature_csv(bad)
    # the same reader as the forecaster's hourly CSV: bad cells are named, never a silent NaN
    bad.write_text("timestamp,temp_c\n2024-07-01T00:00:00Z,31\n2024-07-01T01:00:00Z,hot\n")
    with pytest.raises(TemperatureSourceError, match="line 3: column temp_c: 'hot' is not a "
                                                     "number"):
        read_temperature_csv(bad)
    bad.write_text("timestamp,temp_c\n2024-07-01T00:00:00Z,31\n2024-07-01T00:00:00Z,30\n")
    with pytest.raises(TemperatureSourceError, match="duplicate timestamps"):
        read_temperature_csv(bad)
    bad.write_text("timestamp,temp_c\n2024-07-01T08:00:00+08:00,31\n2024-07-01T01:00:00Z,\n")
    t, c = read_temperature_csv(bad)
    assert t[0] == 1719792000 * 10**9 and t[1] - t[0] == HOUR_NS  # offsets honoured
    assert c[0] == 31 and np.isnan(c[1])  # an empty cell is a missing hour


def test_targets_sum_top_meters_and_count_zones_once():
    from civicwatt.config import load_site

    config = load_site(Path(__file__).parents[2] / "config" / "example-site.yaml")
    found = {(t.building, t.zone): set(t.points) for t in targets(config)}
    assert found[("b1", "b1")] == {"b1.main"}  # sub-meters are inside the main meter
    assert found[("b1", "b1.f1")] == {"b1.f1.light", "b1.corridor", "b1.dc"}  # nested zones
    assert ("b2", "b2.hall") in found
    assert {z for (_, z) in targets_only_buildings(config)} == {"b1", "b2"}


def targets_only_buildings(config):
    return [(t.building, t.zone) for t in targets(config, zones=False)]
