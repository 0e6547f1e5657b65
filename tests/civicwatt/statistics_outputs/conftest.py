"""The statistics document the outputs are made from, computed by the real core
(`civicwatt.statistics.compute`) on the three-building portfolio of the statistics tests
(tests/civicwatt/statistics/site.py) in an embedded SQLite store."""

from __future__ import annotations

import copy

import pytest

import store
from civicwatt.statistics import compute
from tests.civicwatt.statistics.site import fill, write_site


@pytest.fixture(scope="session")
def portfolio(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portfolio")
    site = write_site(folder)
    target = store.open_store(site.store.url, site.base_dir)
    fill(target)
    yield site, target
    target.close()


@pytest.fixture(scope="session")
def month_doc(portfolio) -> dict:
    site, target = portfolio
    return compute(site, target, "2026-10").to_json()


@pytest.fixture
def doc(month_doc) -> dict:
    """A copy a test may change."""
    return copy.deepcopy(month_doc)


@pytest.fixture(scope="session")
def config(portfolio) -> str:
    """The portfolio's site YAML (its store is the one `portfolio` filled)."""
    return str(portfolio[0].base_dir / "site.yaml")
