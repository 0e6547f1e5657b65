"""`civicwatt backtest` end to end on a slice of real data, and its user errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.services import require_file

ROOT = Path(__file__).resolve().parents[2]
DATA = Path("/work/shared/data/bdg1_Office_Abigail.csv")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "civicwatt", "backtest", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    df = pd.read_csv(require_file(DATA), dtype=str, keep_default_na=False).iloc[2000:2000 + 24 * 30]
    path = tmp_path / "abigail.csv"
    df.to_csv(path, index=False)
    return path


def test_json_metrics_and_predictions_csv(small_csv: Path, tmp_path: Path):
    out = tmp_path / "pred.csv"
    r = run("--csv", str(small_csv), "--tz", "America/Phoenix", "--test-days", "3",
            "--predictions", str(out), "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert set(result) == {"cv_rmse", "nmbe", "mape", "n", "baseline", "warnings"}
    assert result["n"] == 72
    assert set(result["baseline"]) == {"cv_rmse", "nmbe", "mape"}
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["timestamp", "actual", "forecast"]
    assert len(rows) == 1 + 72
    # the printed scores are the ones its own predictions give (not merely "between 0 and 1")
    actual, forecast = (np.array([float(r[i]) for r in rows[1:]]) for i in (1, 2))
    err = actual - forecast
    assert result["cv_rmse"] == pytest.approx(np.sqrt(np.mean(err**2)) / actual.mean(), rel=1e-3)
    assert result["nmbe"] == pytest.approx(err.sum() / (72 * actual.mean()), rel=1e-3, abs=1e-6)
    assert result["cv_rmse"] != pytest.approx(result["baseline"]["cv_rmse"], rel=1e-3)
    assert rows[1][0].endswith("Z")
    # the first origin is local midnight in Phoenix = 07:00 UTC
    assert rows[1][0][11:13] == "07"


def test_naive_timestamps_are_a_clear_error(tmp_path: Path):
    bad = tmp_path / "naive.csv"
    bad.write_text("timestamp,kwh\n2024-01-01T00:00:00,1.0\n2024-01-01T01:00:00,2.0\n")
    r = run("--csv", str(bad), "--json")
    assert r.returncode == 1
    assert "line 2" in r.stderr and "no UTC offset" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_column_bad_number_and_short_file(tmp_path: Path):
    nokwh = tmp_path / "nokwh.csv"
    nokwh.write_text("timestamp,energy\n2024-01-01T00:00:00Z,1\n")
    r = run("--csv", str(nokwh))
    assert r.returncode == 1 and "missing column 'kwh'" in r.stderr
    word = tmp_path / "word.csv"
    word.write_text("timestamp,kwh\n2024-01-01T00:00:00Z,abc\n")
    r = run("--csv", str(word))
    assert r.returncode == 1 and "line 2: column kwh: 'abc'" in r.stderr
    short = tmp_path / "short.csv"
    short.write_text("timestamp,kwh\n" + "".join(
        f"2024-01-01T{h:02d}:00:00Z,1\n" for h in range(24)))
    r = run("--csv", str(short))
    assert r.returncode == 1
    assert "24 hours with a kwh value; a backtest needs at least 168" in r.stderr
    r = run("--csv", str(short), "--tz", "Mars/Base")
    assert r.returncode == 1 and "IANA" in r.stderr
    assert "Traceback" not in r.stderr
