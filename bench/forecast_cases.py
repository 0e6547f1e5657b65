"""The forecaster's evaluation protocol: buildings, halves, windows, one cached backtest per case.

Buildings: the 30 Cambridge estate buildings (`../shared/data/forecast-train/`, 28 files of
2017–2019, plus b21 and b52 of 2016–2019), split once, before any tuning, by a fixed rule:
the 28 sorted by numeric id, even positions (b0, b2, b9, …) plus b21 and b52 (which the
previous model was chosen on) form the *tuning* half; odd positions (b1, b5, b11, …) the
*confirmation* half. The three BDG1 buildings of 2015 (Phoenix, London) are a third,
out-of-protocol set: other climates, other years.

Windows: 56 days of day-ahead forecasts (24 h from each local midnight, data before it only,
past temperatures as forecast) ending on the last day of each quarter. Choices are made on the
*selection* windows (ending 2017-03-31 … 2018-12-31) of the tuning half only; the 2019 windows
(ending 2019-03-31 … 2019-12-31) are reported, never chosen on.

Each case (variant, building, window) is a rolling-origin backtest, cached as .npz under
`.cache/forecast_table/` keyed by the forecaster's source, the variant and the case, so a
re-run after an unrelated change costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent.parent / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
CACHE = Path(os.environ.get("FORECAST_TABLE_CACHE", ROOT / ".cache" / "forecast_table"))
TEST_DAYS = 56
SELECT_ENDS = ("2017-03-31", "2017-06-30", "2017-09-30", "2017-12-31",
               "2018-03-31", "2018-06-30", "2018-09-30", "2018-12-31")
REPORT_ENDS = ("2019-03-31", "2019-06-30", "2019-09-30", "2019-12-31")
BDG1 = {  # stem: (timezone, country, subdivision, window ends)
    "bdg1_Office_Abigail": ("America/Phoenix", "US", "AZ", ("2015-06-30", "2015-12-31")),
    "bdg1_UnivClass_Abby": ("America/Phoenix", "US", "AZ", ("2015-06-30", "2015-12-31")),
    "bdg1_PrimClass_Jaden": ("Europe/London", "GB", "ENG", ("2015-06-30", "2015-11-30")),
}


@dataclass(frozen=True)
class Building:
    name: str  # short name, e.g. b21
    path: Path
    timezone: str = "Europe/London"
    country: str = "GB"
    subdivision: str | None = "ENG"


def _cambridge() -> list[Building]:
    files = sorted((DATA / "forecast-train").glob("ucam_b*_2017_2019.csv"))
    return [Building(re.match(r"ucam_(b\d+)_", f.name).group(1), f) for f in files]


def halves() -> dict[str, list[Building]]:
    """{'tune': [...], 'confirm': [...], 'bdg1': [...]} by the fixed rule in the docstring."""
    train = sorted(_cambridge(), key=lambda b: int(b.name[1:]))
    tune = [Building(n, DATA / f"ucam_{n}_2016_2019.csv") for n in ("b21", "b52")]
    tune += train[0::2]
    bdg1 = [Building(stem, DATA / f"{stem}.csv", tz, cc, sd)
            for stem, (tz, cc, sd, _) in BDG1.items()]
    return {"tune": tune, "confirm": train[1::2], "bdg1": bdg1}


def windows(building: Building, which: str) -> tuple[str, ...]:
    if building.name in BDG1:
        return BDG1[building.name][3]
    return {"select": SELECT_ENDS, "2019": REPORT_ENDS}[which]


_HASH: list[str] = []


def source_hash() -> str:
    """Hash of the forecaster's code as this process imported it (read once, at the
    import): a cached result is stale once the model changes."""
    if _HASH:
        return _HASH[0]
    h = hashlib.sha1()
    for f in sorted((ROOT / "forecaster").glob("*.py")):
        h.update(f.read_bytes())
    _HASH.append(h.hexdigest()[:12])
    return _HASH[0]


def _series(building: Building) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    CACHE.mkdir(parents=True, exist_ok=True)
    npz = CACHE / f"data_{building.path.stem}.npz"
    if npz.exists() and npz.stat().st_mtime >= building.path.stat().st_mtime:
        d = np.load(npz)
        return d["t"], d["kwh"], d["temp"]
    from civicwatt.hourly_csv import read_hourly_csv

    t, kwh, temp = read_hourly_csv(building.path)
    np.savez(npz, t=t, kwh=kwh, temp=temp)
    return t, kwh, temp


def baselines(t: np.ndarray, kwh: np.ndarray, hours: np.ndarray, tz: str) -> dict[str, np.ndarray]:
    """Persistence forecasts at `hours`: previous day, previous week (seasonal naive), and the
    mean of the same local hour on the last 7 days, each at the same *local* hour."""
    from forecaster.calendar import LocalCalendar
    from forecaster.data import HOUR_NS

    off = LocalCalendar(tz).utc_offset_ns

    def back(days: int) -> np.ndarray:
        prev = hours - days * 24 * HOUR_NS
        prev = prev + (off(hours) - off(prev))
        idx = (prev - int(t[0])) // HOUR_NS
        out = np.full(hours.size, np.nan)
        inside = (idx >= 0) & (idx < kwh.size)
        out[inside] = kwh[idx[inside]]
        return out

    # the day-ahead forecast of an hour on day d knows days up to d-1: lags of 1..7 days
    lags = np.vstack([back(d) for d in range(1, 8)])
    return {"day": lags[0], "week": lags[6], "mean7": np.nanmean(lags, axis=0)}


def run_case(args: tuple[Building, str, str, dict, int]) -> dict:
    """Backtest one (building, window end, variant); cached on disk. Returns arrays."""
    import pandas as pd

    from forecaster.backtest import backtest
    from forecaster.data import HourlyHistory
    from forecaster.settings import ForecastSettings

    b, end, variant, overrides, stride = args
    import forecaster.model  # noqa: F401  (imported with the code the hash is taken of)

    key = json.dumps([source_hash(), b.path.name, end, overrides, stride], sort_keys=True)
    path = CACHE / f"{variant}-{b.name}-{end}-{hashlib.sha1(key.encode()).hexdigest()[:10]}.npz"
    if path.exists():
        return {"building": b.name, "window": end, **dict(np.load(path))}
    t, kwh, temp = _series(b)
    end_ns = pd.Timestamp(f"{end} 23:00", tz=b.timezone).tz_convert("UTC").value
    keep = t <= end_ns
    history = HourlyHistory(t[keep], kwh[keep], temp[keep])
    settings = ForecastSettings(timezone=b.timezone, country=b.country,
                                subdivision=b.subdivision, **overrides)
    r = backtest(history, settings, horizon=24, test_days=TEST_DAYS, stride=stride)
    base = baselines(t, kwh, r.time_ns, b.timezone)
    out = {"time": r.time_ns, "origin": r.origin_ns, "actual": r.actual, "forecast": r.forecast,
           "lo80": r.lower80, "hi80": r.upper80, "lo95": r.lower95, "hi95": r.upper95,
           **{f"base_{k}": v for k, v in base.items()}}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.replace(path)
    return {"building": b.name, "window": end, **out}
