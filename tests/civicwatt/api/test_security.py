"""Keys, scopes, expiry, revocation, rate and size limits, CORS and the refusal log, over real
HTTP against a served API."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from civicwatt.api.keys import KeyStore
from tests.civicwatt.api.conftest import serve
from tests.services import wait_until

ENERGY = "/api/v1/buildings/{}/energy?from=2026-10-01&to=2026-10-02"
NS = 1_000_000_000


@pytest.fixture(scope="module")
def keys(served):
    return {scope: served.key(*scope.split(), name=f"k-{scope}") for scope in (
        "read", "read:building:b1", "write:readings", "read:building:b2 write:readings")}


@pytest.mark.parametrize("scope,path,status", [
    ("read", ENERGY.format("b1"), 200),
    ("read", ENERGY.format("b2"), 200),
    ("read", "/api/v1/reports", 200),
    ("read:building:b1", ENERGY.format("b1"), 200),
    ("read:building:b1", ENERGY.format("b2"), 403),
    ("read:building:b1", ENERGY.format("nowhere"), 403),  # no hint that it does not exist
    ("read:building:b1", "/api/v1/buildings/b2", 403),
    ("read:building:b1", "/api/v1/buildings/b1/meters/health", 200),
    ("read:building:b1", "/api/v1/buildings/b2/forecast", 403),
    ("read:building:b1", "/api/v1/reports", 403),  # site-wide files
    ("write:readings", ENERGY.format("b1"), 403),
    ("write:readings", "/api/v1/buildings", 403),
    ("read:building:b2 write:readings", ENERGY.format("b2"), 200),
    ("read:building:b2 write:readings", ENERGY.format("b1"), 403),
])
def test_scope_table(served, keys, scope, path, status):
    response = served.get(path, keys[scope])
    assert response.status_code == status, response.text
    if status == 403:
        assert f"k-{scope}" in response.json()["detail"]


def test_a_building_key_sees_only_its_building_in_lists(served, keys):
    key = keys["read:building:b1"]
    assert served.get("/api/v1/site", key).json()["buildings"] == ["b1"]
    assert [b["id"] for b in served.get("/api/v1/buildings", key).json()["buildings"]] == ["b1"]


def test_both_headers_carry_a_key_and_nothing_else_does(served, keys):
    key = keys["read"]
    path = ENERGY.format("b1")
    assert served.get(path, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert served.get(path, headers={"X-API-Key": key}).status_code == 200
    for headers in ({}, {"Authorization": f"Basic {key}"}, {"Cookie": f"key={key}"}):
        response = served.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="civicwatt"'
    assert served.get(path + f"&api_key={key}").status_code == 401


def test_expiry_and_revocation_table(tmp_path):
    """Made, expired and revoked by another process's KeyStore, as `civicwatt apikey` does."""
    server, served = serve(tmp_path, days=1)
    try:
        other = KeyStore(served.keys.path)
        now = time.time_ns()
        cases = {
            "active": (other.create("active", ("read",), now + 3600 * NS)[1], 200),
            "expired": (other.create("expired", ("read",), now + 1 * NS)[1], 401),
            "revoked": (other.create("revoked", ("read",), None)[1], 401),
        }
        path = ENERGY.format("b1")
        assert served.get(path, cases["revoked"][0]).status_code == 200  # verified and cached
        other.revoke("revoked")
        time.sleep(1.3)  # the expiry passes; the verifier re-reads keys every second
        for name, (key, status) in cases.items():
            response = served.get(path, key)
            assert response.status_code == status, (name, response.text)
            if status == 401:
                assert response.json()["detail"] == f"API key refused: it is {name}"
        assert served.get(path, cases["active"][0][:-1] + "x").status_code == 401
        assert served.get(path, "cw_000000000000_" + "a" * 43).status_code == 401
    finally:
        server.stop()
        served.store.close()


def test_rate_limit_per_key_says_when_to_retry(tmp_path):
    server, served = serve(tmp_path, api={"rate_limit": {"per_s": 0.5, "burst": 3}}, days=1)
    try:
        key, other = served.key("read", name="busy"), served.key("read", name="calm")
        statuses = [served.get("/api/v1/site", key).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = served.get("/api/v1/site", key)
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 2
        assert served.get("/api/v1/site", other).status_code == 200  # per key
    finally:
        server.stop()
        served.store.close()


def test_failed_keys_from_one_address_are_cut_off_before_hashing(tmp_path):
    server, served = serve(tmp_path, api={"auth_failures_per_min": 3}, days=0)
    try:
        good = served.key("read")
        bad = good[:-1] + ("A" if good[-1] != "A" else "B")
        statuses = [served.get("/api/v1/site", bad).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert served.get("/api/v1/site", good).status_code == 429  # the address, not the key
    finally:
        server.stop()
        served.store.close()


def test_body_and_target_size_limits(served, keys):
    big = httpx.post(served.url + "/api/v1/site", content=b"x" * (2 << 20),
                     headers={"X-API-Key": keys["read"]})
    assert big.status_code == 413 and "api.max_body_bytes" in big.json()["detail"]
    long = served.get("/api/v1/buildings/b1/energy?zone=" + "z" * 5000, keys["read"])
    assert long.status_code == 414 and "api.max_url_bytes" in long.json()["detail"]


def test_no_cors_unless_configured(served, keys, tmp_path):
    origin = {"Origin": "https://portal.example.org"}
    plain = served.get("/api/v1/site", keys["read"], headers=origin)
    assert "access-control-allow-origin" not in plain.headers
    server, other = serve(tmp_path, api={"cors_origins": ["https://portal.example.org"]},
                          days=0)
    try:
        key = other.key("read")
        allowed = other.get("/api/v1/site", key, headers=origin)
        assert allowed.headers["access-control-allow-origin"] == "https://portal.example.org"
        stranger = other.get("/api/v1/site", key, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers
    finally:
        server.stop()
        other.store.close()


def test_refusals_are_logged_with_the_key_name_never_the_key(served, keys, caplog):
    with caplog.at_level(logging.WARNING, logger="civicwatt.api"):
        served.get(ENERGY.format("b2"), keys["read:building:b1"])
        served.get(ENERGY.format("b1"), keys["read"][:-2] + "zz")
        served.get(ENERGY.format("b1"))
        # the line is written as the response ends: on a busy machine after the client has it
        wait_until(lambda: "401, key none: no key" in caplog.text, 10, "the third refusal")
    text = caplog.text
    assert "403, key 'k-read:building:b1'" in text and "may not read building 'b2'" in text
    assert "401, key 'k-read'" in text and "wrong secret key" in text
    assert "401, key none: no key" in text
    assert not any(k in text or k[-43:] in text for k in keys.values())


def test_api_responses_are_not_cached_and_not_sniffed(served, keys):
    response = served.get("/api/v1/site", keys["read"])
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
