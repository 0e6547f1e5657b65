"""POST /api/v1/readings over real HTTP: scopes, keys, the import's validation (nothing written
when any item is wrong), the audit with the key's name as the user, and the log."""

from __future__ import annotations

import logging

import httpx
import pytest

from civicwatt.readings.audit import AuditLog
from tests.civicwatt.api.conftest import serve

GOOD = {"reason": "BMS export", "readings": [
    {"point": "b1.water", "timestamp": "2026-11-05T08:00+08:00", "value": 10000.0},
    {"point": "b1.water", "timestamp": "2026-11-06T08:00+08:00", "value": 10012.5}]}


SCOPES = ("read", "read:building:b1", "write:readings", "read write:readings")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server, served = serve(tmp_path_factory.mktemp("readings"), days=0)
    # keys before the first request: the server's key cache refreshes once a second
    served.keys_by = {s: served.key(*s.split(), name=f"k-{s}") for s in SCOPES}
    served.keys_by["expired"] = served.key("write:readings", name="old", expires_ns=1)
    served.keys_by["writer"] = served.key("write:readings", name="bms-bridge")
    yield served
    server.stop()
    served.store.close()


def post(api, body, key=None, headers=None):
    sent = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{api.url}/api/v1/readings", json=body, headers={**sent,
                      **(headers or {})}, timeout=30)


def audit(api):
    log = AuditLog(api.site.base_dir / api.site.service.spool)
    try:
        return [(e.point, e.value, e.status, e.user, e.reason, e.source) for e in log.entries()]
    finally:
        log.close()


@pytest.mark.parametrize(("scope", "status"), [
    (None, 401), ("read", 403), ("read:building:b1", 403), ("expired", 401),
    ("write:readings", 200), ("read write:readings", 200)])
def test_scope_table(api, scope, status):
    key = api.keys_by[scope] if scope else None
    res = post(api, {"reason": "scope check", "readings": [], "dry_run": True}, key)
    assert res.status_code == status, res.text
    if status == 403:
        assert f"'k-{scope}'" in res.json()["detail"]
        assert "needs scope write:readings" in res.json()["detail"]


@pytest.mark.parametrize(("body", "says"), [
    ({"reason": "x", "readings": [{"point": "nope", "timestamp": "2026-11-05T08:00+08:00",
                                   "value": 1}]}, "readings[0]: point 'nope' is not in the site"),
    ({"reason": "x", "readings": [{"point": "b1.water", "timestamp": "soon", "value": 1}]},
     "readings[0]: timestamp 'soon' is not a time"),
    ({"reason": "x", "bills": [{"point": "b1.water", "from": "2026-11-05", "to": "2026-11-01",
                                "amount": 3}]}, "bills[0]: to (2026-11-01) is not after from"),
    ({"reason": "x", "readings": [{"point": "b1.water", "timestamp": "2026-11-05",
                                   "value": "many"}]}, "value"),
    ({"reason": "", "readings": []}, "reason"),
    ({"readings": []}, "reason"),
    ({"reason": "x", "readings": [], "extra": 1}, "extra"),
])
def test_validation_table_writes_nothing(api, body, says):
    key = api.keys_by["write:readings"]
    before = audit(api)
    res = post(api, body, key)
    assert res.status_code == 400, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert says in res.json()["detail"]
    assert audit(api) == before


def test_one_bad_item_writes_nothing_then_the_good_body_is_audited_under_the_key_name(api,
                                                                                      caplog):
    key = api.keys_by["writer"]
    bad = {"reason": "BMS export", "readings": [*GOOD["readings"], {
        "point": "b1.water", "timestamp": "2026-11-07T08:00+08:00", "value": 5.0}]}
    res = post(api, bad, key)
    assert res.status_code == 400 and "readings[2]: value 5 is below" in res.json()["detail"]
    assert [e["where"] for e in res.json()["errors"]] == ["readings[2]"]
    assert not [a for a in audit(api) if a[3] == "bms-bridge"]
    with caplog.at_level(logging.INFO, logger="civicwatt.api"):
        res = post(api, GOOD, key)
    assert res.status_code == 200, res.text
    assert res.json()["imported"] == 2 and res.json()["unchanged"] == 0
    assert [a for a in audit(api) if a[3] == "bms-bridge"] == [
        ("b1.water", 10000.0, "active", "bms-bridge", "BMS export", "api"),
        ("b1.water", 10012.5, "active", "bms-bridge", "BMS export", "api")]
    logged = caplog.text
    assert "'bms-bridge'" in logged and key not in logged
    again = post(api, GOOD, key)  # re-sending changes nothing
    assert again.json()["imported"] == 0 and again.json()["unchanged"] == 2
    raw = api.store.read_raw("water", 0, 2**62, ["b1.water"]).of("b1.water")[1].tolist()
    assert raw == [10000.0, 10012.5]
