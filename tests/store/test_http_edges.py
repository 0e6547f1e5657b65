"""store/http.py at its edges: every wording of a refused line, the error bodies of 1.x and
2.x/3.x, chunked query output split anywhere, one connection attempt per request and the
base URL (written for survivors of mutation testing, see tests/MUTATION.md)."""

from __future__ import annotations

import io
import json
import socket
import threading

import pytest
import urllib3

from store.errors import StoreRejected, StoreUnavailable
from store.http import _BAD_LINE, InfluxHTTP, _lines, classify, error_text

#: one wording per pattern of `_BAD_LINE`, each containing no other pattern
BAD_LINES = {
    "unable to parse": "unable to parse 'm v=': missing field value",
    "partial write": "partial write: dropped=1",
    "field type conflict": 'field type conflict: input field "v" is type float',
    "invalid field": "invalid field format",
    "invalid tag": "invalid tag format",
    "invalid number": "invalid number",
    "invalid boolean": "invalid boolean",
    "bad timestamp": "bad timestamp",
    "missing fields": "missing fields",
    "missing tag": "missing tag key",
    "beyond retention": "points beyond retention policy",
    "max-values-per-tag": "max-values-per-tag limit exceeded (100000/100000)",
    "parsing failed": "parsing failed for write_lp endpoint",
    "invalid line": "error at line 3: invalid line",
    "failed to parse": "failed to parse: unexpected end of input",
    "line protocol": "error in line protocol",
}


def test_every_bad_line_pattern_has_its_own_wording():
    assert set(BAD_LINES) == set(_BAD_LINE)
    for pattern, text in BAD_LINES.items():
        assert [p for p in _BAD_LINE if p in text.lower()] == [pattern]


@pytest.mark.parametrize("text", BAD_LINES.values())
@pytest.mark.parametrize("status", [400, 422])
def test_each_wording_of_a_refused_line_is_a_rejection(status, text):
    error = classify(status, text.upper(), "w")  # servers vary the case
    assert type(error) is StoreRejected
    assert str(error) == f"w: HTTP {status}: {text.upper()}"


@pytest.mark.parametrize(("status", "text", "cause"), [
    (401, "authorization failed", "auth"),
    (403, "unable to parse: forbidden", "auth"),  # credentials first, whatever the body says
    (404, "unable to parse", "database_missing"),
    (400, 'Database Not Found: "x"', "database_missing"),
    (500, 'bucket "b" not found', "database_missing"),
    (429, "unable to parse", "rate_limited"),
    (501, "not implemented", "server_error"),
    (503, "unable to parse", "server_error"),
])
def test_outages_by_status_before_any_wording(status, text, cause):
    error = classify(status, text, "w", retry_after="2")
    assert type(error) is StoreUnavailable and error.cause == cause
    assert error.retry_after == (2.0 if cause in ("rate_limited", "server_error") else None)


def test_retry_after_empty_or_zero():
    assert classify(503, "busy", "w", retry_after="").retry_after is None
    assert classify(503, "busy", "w", retry_after="0").retry_after == 0.0
    assert classify(503, "busy", "w", retry_after="0.5").retry_after == 0.5


def test_classify_is_for_a_write_unless_told():
    assert classify(400, "missing org", "w").cause == "refused"


def test_a_refused_answer_keeps_its_retry_after():
    error = classify(418, "teapot", "w", retry_after="3")
    assert (error.cause, error.retry_after) == ("refused", 3.0)


@pytest.mark.parametrize(("body", "text"), [
    (b'{"error": "database not found: \\"x\\""}', 'database not found: "x"'),  # 1.x
    (b'{"code": "invalid", "message": "unable to parse"}', "unable to parse"),  # 2.x/3.x
    (b'{"error": "", "message": "m"}', "m"),
    (b'{"code": "x"}', '{"code": "x"}'),  # JSON without either: the body as is
    (b'["a list"]', '["a list"]'),
    (b"  plain text \n", "plain text"),
    (b"\xff bad utf-8", "\ufffd bad utf-8"),
    ("already text", "already text"),
    (None, ""),
    (b"", ""),
])
def test_error_text_of_1x_2x_and_plain_bodies(body, text):
    assert error_text(body) == text


def test_error_text_is_cut_to_500_characters():
    assert error_text(b"x" * 600) == "x" * 500
    assert error_text(json.dumps({"error": "y" * 600}).encode()) == "y" * 500


def _response(data: bytes) -> urllib3.HTTPResponse:
    return urllib3.HTTPResponse(body=io.BytesIO(data), preload_content=False)


@pytest.mark.parametrize("data", [
    b'{"a": 1}\n{"b": 2}\n',
    b'{"a": 1}\n\n{"b": 2}',  # no final newline, an empty line between
    b'\n {"a": 1}\n  \n{"b": 2}\n\n',
])
def test_chunked_results_are_split_into_lines(data):
    assert [json.loads(line) for line in _lines(_response(data))] == [{"a": 1}, {"b": 2}]


def test_a_result_longer_than_one_read_is_joined():
    big = json.dumps({"v": "x" * 200_000}).encode()
    assert list(_lines(_response(big + b"\n" + big))) == [big, big]


def test_whitespace_after_the_last_line_is_no_result():
    assert list(_lines(_response(b'{"a": 1}\n  '))) == [b'{"a": 1}']


def test_one_connection_attempt_per_request_the_writer_backs_off_not_urllib3():
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve() -> None:
        listener.settimeout(3)
        try:
            while True:
                conn, _ = listener.accept()
                accepted.append(conn)
                conn.close()  # hang up without an answer
        except OSError:
            return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    http = InfluxHTTP(f"http://127.0.0.1:{listener.getsockname()[1]}", "influxdb1://hangup")
    with pytest.raises(StoreUnavailable) as caught:
        http.request("GET", "/ping")
    assert caught.value.cause == "network"
    assert str(caught.value).startswith("influxdb1://hangup: ")
    assert "MaxRetryError" not in str(caught.value) and ": ProtocolError: " in str(caught.value)
    listener.close()
    thread.join(5)
    assert len(accepted) == 1


@pytest.mark.integration
def test_a_trailing_slash_headers_and_a_write_refused_for_its_request(influxdb):
    http = InfluxHTTP(influxdb.http + "/", "influxdb1://t", headers={"X-A": "1"})
    assert http.base == influxdb.http
    response = http.request("GET", "/ping", headers={"X-B": "2"})
    assert response.status == 204
    # a /write the server refuses for the request, not a line: an outage, not dead letters
    with pytest.raises(StoreUnavailable) as caught:
        http.request("POST", "/write", body=b"m v=1 1")
    assert caught.value.cause == "refused" and "database is required" in str(caught.value)
    http.close()


def test_a_store_that_accepts_and_never_answers_times_out_as_an_outage():
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    http = InfluxHTTP(f"http://127.0.0.1:{listener.getsockname()[1]}", "influxdb1://mute",
                      timeout=0.3)
    with pytest.raises(StoreUnavailable) as caught:
        http.request("POST", "/write", {"db": "d"}, body=b"m v=1 1")
    assert caught.value.cause == "network" and "timed out" in str(caught.value)
    listener.close()
