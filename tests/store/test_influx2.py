"""The InfluxDB 2.x/3.x backend against a fake HTTP server.

No InfluxDB 2.x or 3.x server can be installed on this machine (Debian ships 1.6.7
only, and the tests may not download one), so this fake stands in for it; its error
answers copy the bodies real 2.x/3.x servers send. It records every request and checks
what a real 2.x server would check: the path, the token header, the org,
bucket and precision parameters and the line-protocol body.
"""

from __future__ import annotations

import json

import pytest

from store import Row, Series, StoreRejected, StoreUnavailable, open_store
from tests.store.fake_influx2 import serving, url

fake = pytest.fixture(serving, name="fake")


def test_write_sends_line_protocol_with_token_org_bucket_and_ns_precision(fake):
    store = open_store(url(fake))
    series = Series.of("energy", zone="一层 东区", point="m1")
    store.write([Row(series, 1_000, {"value": 1.5, "quality": 0})])
    (request,) = [r for r in fake.requests if r["path"] == "/api/v2/write"]
    assert request["auth"] == "Token t0ken"
    assert request["params"] == {"org": "civic", "bucket": "energy", "precision": "ns"}
    assert request["body"] == r"energy,point=m1,zone=一层\ 东区 value=1.5,quality=0i 1000"


def test_reads_go_through_the_v1_compatible_influxql_endpoint(fake):
    raw = open_store(url(fake)).read_raw("energy", 0, 10_000, points=["m1"])
    assert raw.points == ("m1",)
    assert raw.value.tolist() == [1.5, 2.5]
    (query,) = [r for r in fake.requests if r["path"] == "/query"]
    assert query["params"]["db"] == "energy"
    assert query["params"]["q"].startswith('SELECT "value" FROM "energy" WHERE time >= 0')


# What InfluxDB 2.x and 3.x answer (bodies as the servers word them). Only a refused line
# is a rejection; everything an operator fixes without touching the data is an outage.
ANSWERS = [
    (401, {"code": "unauthorized", "message": "unauthorized access"}, "auth"),
    (403, {"code": "forbidden", "message": "insufficient permissions for write"}, "auth"),
    (404, {"code": "not found", "message": 'bucket "energy" not found'}, "database_missing"),
    (429, {"code": "too many requests", "message": "org exceeded write quota"}, "rate_limited"),
    (503, {"code": "unavailable", "message": "service unavailable"}, "server_error"),
    (500, {"code": "internal error", "message": "engine: cache-max-memory-size exceeded"},
     "server_error"),
    (400, {"code": "invalid", "message": "missing org/bucket value"}, "refused"),
    (400, {"code": "invalid", "message": "unable to parse 'energy value=x 1': invalid number"},
     None),
    (422, {"code": "unprocessable entity", "message": "failure writing points to database: "
           "partial write: field type conflict"}, None),
    (400, {"error": "parsing failed for write_lp endpoint", "data": [
        {"original_line": "energy value=", "line_number": 1,
         "error_message": "No fields were provided"}]}, None),  # InfluxDB 3.x
    (413, {"code": "request too large", "message": "request too large"}, None),
]


@pytest.mark.parametrize(("status", "body", "cause"), ANSWERS)
def test_store_answers_are_outages_unless_a_line_was_refused(fake, status, body, cause):
    fake.fail_with, fake.fail_body = status, body
    with pytest.raises((StoreUnavailable, StoreRejected), match=f"HTTP {status}") as caught:
        open_store(url(fake)).write([Row(Series.of("energy", point="m"), 1, {"value": 1.0})])
    if cause is None:
        assert type(caught.value) is StoreRejected
    else:
        assert type(caught.value) is StoreUnavailable and caught.value.cause == cause


def test_retry_after_is_passed_on_to_the_writer(fake):
    fake.fail_with, fake.fail_headers = 429, {"Retry-After": "7"}
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url(fake)).write([Row(Series.of("energy", point="m"), 1, {"value": 1.0})])
    assert (caught.value.cause, caught.value.retry_after) == ("rate_limited", 7.0)


def test_reads_are_classified_the_same_way_with_retry_after(fake):
    fake.fail_with, fake.fail_headers = 503, {"Retry-After": "4"}
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url(fake)).read_raw("energy", 0, 10)
    assert (caught.value.cause, caught.value.retry_after) == ("server_error", 4.0)
    assert str(caught.value).startswith("influxdb2://127.0.0.1:") and "failure" in str(
        caught.value)


def test_a_refused_delete_is_an_outage_too(fake):
    fake.fail_with, fake.fail_body = 401, {"code": "unauthorized", "message": "unauthorized"}
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url(fake)).delete("energy_interval", 0, 10, where={"site": "hq"})
    assert caught.value.cause == "auth"


def test_unreachable_server_is_unavailable(monkeypatch):
    monkeypatch.setenv("INFLUXDB_TOKEN", "t0ken")
    from tests.services import free_port
    store = open_store(f"influxdb2://127.0.0.1:{free_port()}?org=o&bucket=b")
    with pytest.raises(StoreUnavailable):
        store.write([Row(Series.of("energy", point="m"), 1, {"value": 1.0})])


def test_token_never_appears_in_description(fake):
    assert "t0ken" not in open_store(url(fake)).description


def test_delete_posts_an_inclusive_range_and_a_predicate(fake):
    open_store(url(fake)).delete("energy_interval", 1_000_000_000, 2_000_000_000,
                                 where={"site": "hq"})
    (request,) = [r for r in fake.requests if r["path"] == "/api/v2/delete"]
    assert request["params"] == {"org": "civic", "bucket": "energy"}
    body = json.loads(request["body"])
    assert body["start"].startswith("1970-01-01T00:00:01") and body["start"].endswith("Z")
    assert body["stop"].startswith("1970-01-01T00:00:01.999999999")
    assert body["predicate"] == '_measurement="energy_interval" AND site="hq"'
