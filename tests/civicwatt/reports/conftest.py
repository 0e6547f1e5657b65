"""Fixtures for the report tests: a known site in a store, and its report rendered once."""

from __future__ import annotations

import datetime as dt

import pytest

from civicwatt.config import load_site
from civicwatt.reports.fonts import font_for
from civicwatt.reports.job import build_report
from civicwatt.reports.render import write_all
from store import open_store
from tests.civicwatt.reports import known_week as kw


@pytest.fixture(scope="session")
def known_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("known-site")
    path = kw.write_site(folder)
    config = load_site(path)
    store = open_store(config.store.url)
    kw.fill(config, store)
    store.close()
    return path


@pytest.fixture(scope="session")
def rendered_zh(known_site, tmp_path_factory):
    config = load_site(known_site)
    report = build_report(config, kw.DAY, "zh", now=dt.datetime(2026, 11, 26, 0, 30,
                                                                 tzinfo=dt.UTC))
    return write_all(report, "zh", font_for("zh"), tmp_path_factory.mktemp("out-zh"))
