"""The three-building portfolio filled once per backend (SQLite and a real InfluxDB 1.x)."""

from __future__ import annotations

import pytest

from store import open_store
from tests.civicwatt.statistics.site import fill, write_site


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    """(site, store) on embedded SQLite."""
    site = write_site(tmp_path_factory.mktemp("portfolio"))
    store = open_store(site.store.url, site.base_dir)
    fill(store)
    yield site, store
    store.close()


@pytest.fixture(params=["sqlite", "influxdb1"])
def either(request, tmp_path):
    """(site, store) on each backend."""
    url = "" if request.param == "sqlite" else request.getfixturevalue("influx_url")
    site = write_site(tmp_path, url)
    store = open_store(site.store.url, site.base_dir)
    fill(store)
    yield site, store
    store.close()
