"""Small slices of the real measured building data (../shared/data) for fast tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from civicwatt.hourly_csv import read_hourly_csv
from tests.services import require_file

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
if not DATA.is_dir():  # the worktree's sibling, or /work/shared/data
    DATA = Path("/work/shared/data")


def _slice(name: str, start: str, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    path = require_file(DATA / f"{name}.csv")
    t, kwh, temp = read_hourly_csv(path)
    t0 = pd.Timestamp(start, tz="UTC").value
    keep = (t >= t0) & (t < t0 + days * 86_400_000_000_000)
    return t[keep], kwh[keep], temp[keep]


@pytest.fixture(scope="session")
def b21_spring() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cambridge b21, 10 weeks ending after the 2019-03-31 DST change (Europe/London)."""
    return _slice("ucam_b21_2016_2019", "2019-01-28", 70)


@pytest.fixture(scope="session")
def abigail() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phoenix office, 8 weeks of spring 2015 (America/Phoenix, no DST)."""
    return _slice("bdg1_Office_Abigail", "2015-03-01T07:00", 56)
