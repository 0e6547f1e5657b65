"""Every store test runs on each backend that runs here: embedded SQLite and real InfluxDB 1.x."""

from __future__ import annotations

import pytest

from store import open_store


@pytest.fixture(params=["sqlite", "influxdb1"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = open_store(f"sqlite://{tmp_path}/store.db")
    else:
        opened = open_store(request.getfixturevalue("influx_url"))
    yield opened
    opened.close()
