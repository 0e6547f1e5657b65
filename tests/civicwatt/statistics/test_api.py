"""GET /api/v1/statistics over real HTTP: the CLI's document, scoped keys, bad periods."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from civicwatt.api.context import Api
from civicwatt.api.keys import KeyStore
from civicwatt.cli import app
from civicwatt.service.health import Health
from civicwatt.service.http import HttpServer
from store import open_store
from tests.civicwatt.statistics.site import fill, write_site


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    site = write_site(tmp_path_factory.mktemp("stats-api"), extra={
        "api": {"enabled": True, "rate_limit": {"per_s": 10_000, "burst": 10_000},
                "auth_failures_per_min": 10_000},
        "service": {"http": "127.0.0.1:0", "spool": "state.db"}})
    store = open_store(site.store.url, site.base_dir)
    fill(store)
    keys = KeyStore(site.base_dir / site.service.spool)
    server = HttpServer(Health(), "127.0.0.1", 0, Api(site, store, keys)).start()
    yield site, server.url, keys
    server.stop()
    store.close()


def get(url: str, key: str | None, period: str) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/statistics", params={"period": period},
                     headers={"X-API-Key": key} if key else {}, timeout=60)


def test_the_api_serves_the_cli_document(served):
    site, url, keys = served
    key = keys.create("portal", ["read"], None)[1]
    response = get(url, key, "2026-Q3")
    assert response.status_code == 200 and response.headers["content-type"] == \
        "application/json"
    cli = CliRunner().invoke(app, ["statistics", "--config", str(site.base_dir / "site.yaml"),
                                   "--period", "2026-Q3", "--json"])
    assert response.json() == json.loads(cli.stdout)
    assert [b["id"] for b in response.json()["buildings"]] == ["b1", "b2", "b3"]


def test_a_building_key_sees_only_its_building(served):
    _, url, keys = served
    key = keys.create("school", ["read:building:b3"], None)[1]
    doc = get(url, key, "2026-10").json()
    assert [b["id"] for b in doc["buildings"]] == ["b3"]
    assert [i["id"] for i in doc["institutions"]] == ["Education bureau"]
    assert doc["total"]["kgce"] == doc["buildings"][0]["kgce"]
    assert doc["total"]["floor_area_m2"] == 8000


@pytest.mark.parametrize("period,status,detail", [
    ("2026-13", 400, "month must be in 1..12"),
    ("2026-Q9", 400, "2026-Q3 (a quarter)"),
    ("2026-02-29", 400, "day is out of range"),  # not a leap year
    ("1999", 400, "years 2000 to 2100"),
])
def test_bad_periods_are_problems(served, period, status, detail):
    _, url, keys = served
    response = get(url, keys.create(f"k{period}", ["read"], None)[1], period)
    assert response.status_code == status
    assert detail in response.text


def test_a_period_without_data_has_zeros_and_says_why(served):
    _, url, keys = served
    doc = get(url, keys.create("future", ["read"], None)[1], "2099-01").json()
    assert doc["total"]["kgce"] == 0 and doc["total"]["completeness"]["days_with_data"] == 0
    assert get(url, keys.create("leap", ["read"], None)[1], "2028-02-29").status_code == 200


def test_keys_are_checked(served):
    _, url, keys = served
    assert get(url, None, "2026-10").status_code == 401
    writer = keys.create("writer", ["write:readings"], None)[1]
    assert get(url, writer, "2026-10").status_code == 403
