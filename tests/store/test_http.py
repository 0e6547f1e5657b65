"""The one mapping from InfluxDB's HTTP answers to store errors, against a real InfluxDB 1.x."""

from __future__ import annotations

import pytest

from store.errors import StoreRejected, StoreUnavailable
from store.http import InfluxHTTP, classify

pytestmark = pytest.mark.integration


@pytest.fixture
def http(influxdb):
    client = InfluxHTTP(influxdb.http, "influxdb1://test")
    list(client.query("h", "CREATE DATABASE h", method="POST"))
    yield client
    client.close()


def test_a_line_influxdb_cannot_parse_is_rejected_with_its_words(http):
    with pytest.raises(StoreRejected) as caught:
        http.request("POST", "/write", {"db": "h"}, body=b"m v=notanumber 1")
    text = str(caught.value)
    assert text.startswith("influxdb1://test: HTTP 400: ") and "unable to parse" in text


def test_a_query_influxdb_cannot_parse_is_rejected_not_an_outage(http):
    with pytest.raises(StoreRejected) as caught:
        list(http.query("h", "SELEC nothing"))
    assert "HTTP 400" in str(caught.value) and "error parsing query" in str(caught.value)


def test_an_error_inside_the_results_names_the_query(http):
    http.request("POST", "/write", {"db": "h"}, body=b"m v=1 1")
    query = "SELECT v FROM m GROUP BY time(1m)"
    with pytest.raises(StoreRejected) as caught:
        list(http.query("h", query))
    assert "query failed" in str(caught.value) and query in str(caught.value)


def test_a_missing_database_on_write_is_an_outage_of_its_own_cause(http):
    with pytest.raises(StoreUnavailable) as caught:
        http.request("POST", "/write", {"db": "never_created"}, body=b"m v=1 1")
    assert caught.value.cause == "database_missing" and "database not found" in str(
        caught.value)


@pytest.mark.parametrize(("status", "text", "write", "kind", "cause"), [
    (400, "unable to parse 'x'", True, StoreRejected, None),
    (400, "unable to parse 'x'", False, StoreRejected, None),
    (400, "missing org", True, StoreUnavailable, "refused"),
    (400, "missing org", False, StoreRejected, None),  # a query the server cannot run
    (399, "unable to parse", True, StoreUnavailable, "refused"),  # not ≥ 400: never a reading
    (404, "page missing", True, StoreUnavailable, "database_missing"),
    (409, 'bucket "b" not found', True, StoreUnavailable, "database_missing"),
    (409, "database is locked", True, StoreUnavailable, "refused"),
    (409, "not found", True, StoreUnavailable, "refused"),
    (413, "too large", True, StoreRejected, None),
    (422, "partial write: field type conflict", True, StoreRejected, None),
    (422, "quota", True, StoreUnavailable, "refused"),
    (499, "whatever", True, StoreUnavailable, "refused"),
    (500, "unable to parse", True, StoreUnavailable, "server_error"),
])
def test_classify_table(status, text, write, kind, cause):
    error = classify(status, text, "where", write=write)
    assert type(error) is kind and str(error) == f"where: HTTP {status}: {text}"
    assert getattr(error, "cause", None) == cause


def test_retry_after_in_seconds_is_kept_and_an_http_date_is_ignored():
    assert classify(503, "busy", "w", retry_after="12").retry_after == 12.0
    assert classify(429, "slow down", "w", retry_after="-3").retry_after == 0.0
    assert classify(429, "slow", "w", retry_after="Wed, 21 Oct 2026 07:28:00 GMT"
                    ).retry_after is None
    assert classify(429, "slow", "w").retry_after is None
