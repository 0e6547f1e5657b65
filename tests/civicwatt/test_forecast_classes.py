"""`forecast.targets`: gas next to electricity, per building, with temperature. Gas follows
the real Cambridge temperature (0.5 m³/h per K below 15 °C), so a temperature model forecasts
the next 48 h close to that rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from civicwatt.config import load_site
from civicwatt.hourly_csv import read_hourly_csv
from civicwatt.jobs.forecast import run_forecast
from store import Row, Series, open_store
from tests.civicwatt.test_forecast_job import DATA, NOW, H, make_site
from tests.services import require_file

GAS = '  - {id: b21.gas, building: b21, purpose: "03000", quantity: gas, unit: m3}\n'


def gas_rule(temp: np.ndarray) -> np.ndarray:
    return 0.5 * np.maximum(15.0 - temp, 0.0)


@pytest.mark.parametrize("targets", [["electricity", "gas"], ["gas"]])
def test_gas_forecast_per_building(tmp_path, targets):
    site_path = make_site(tmp_path, "  temperature_forecast_csv: weather.csv\n"
                                    f"  targets: {targets}")
    text = site_path.read_text().replace("points:\n", "points:\n" + GAS, 1)
    site_path.write_text(text)
    t, _, temp = read_hourly_csv(require_file(DATA))
    now = pd.Timestamp(NOW).value
    past = (t >= now - 42 * 24 * H) & (t < now)
    series = Series.of("energy_interval", site="cam", building="b21", zone="b21",
                       purpose="03000", point="b21.gas", energy="gas")
    rows = [Row(series, int(s) + q * H // 4, {"amount": float(g) / 4, "unit": "m3"})
            for s, g in zip(t[past], gas_rule(temp[past]), strict=True) for q in range(4)]
    site = load_site(site_path)
    store = open_store(site.store.url, site.base_dir)
    store.write(rows)
    run = run_forecast(site, store, now, workers=1)
    written = store.read_rows("forecast", now, now + 48 * H)
    store.close()
    by_target = {}
    for row in written:
        by_target.setdefault(row.series.tag("target"), []).append(row)
    expected = {"gas"} | ({"load", "carbon"} if "electricity" in targets else set())
    assert set(by_target) == expected
    gas = sorted(by_target["gas"], key=lambda r: r.time_ns)
    assert len(gas) == 48 and {r.series.tag("zone") for r in gas} == {"b21"}
    future = (t >= now) & (t < now + 48 * H)
    truth = gas_rule(temp[future]).sum()
    assert sum(r.fields["value"] for r in gas) == pytest.approx(truth, rel=0.25)
    result = next(r for r in run.results if r.target == "gas")
    assert result.hours == 48 and not result.error
