"""Report files (listing, paging, download, path traversal) and injection attempts in every
identifier a request can carry: each is refused before the store is asked anything."""

from __future__ import annotations

import http.client
from urllib.parse import quote, urlsplit

import pytest

from civicwatt.api.context import Api
from civicwatt.service.health import Health
from civicwatt.service.http import HttpServer
from tests.civicwatt.api.conftest import Served

SECRET = "TOP-SECRET-CONTENT"
FILES = {"hq-2026-10-01-report.zh.html": "<html>一</html>", "hq-2026-10-01-report.zh.pdf": "%PDF",
         "hq-2026-10-01-summary.en.csv": "a,b\n", "hq-2026-10-02-report.en.html": "<html>2</html>",
         "other-2026-10-01-report.zh.html": "x", "notes.txt": "x"}


@pytest.fixture(scope="module")
def reports(served):
    folder = served.site.base_dir / served.site.report.out_dir
    folder.mkdir(exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    (served.site.base_dir / "secret.txt").write_text(SECRET)
    (folder / "hq-2026-10-03-report.zh.html").symlink_to(served.site.base_dir / "secret.txt")
    return folder


def raw_get(url: str, target: str, key: str) -> tuple[int, bytes]:
    """A GET with the request target exactly as written (no client-side normalising)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.putheader("X-API-Key", key)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_reports_are_listed_newest_first_with_their_files(served, reader, reports):
    doc = served.get("/api/v1/reports", reader).json()
    assert [d["date"] for d in doc["reports"]] == ["2026-10-02", "2026-10-01"]
    first = doc["reports"][1]["files"]
    assert [f["name"] for f in first] == ["hq-2026-10-01-report.zh.html",
                                          "hq-2026-10-01-report.zh.pdf",
                                          "hq-2026-10-01-summary.en.csv"]
    assert first[2] == {"name": "hq-2026-10-01-summary.en.csv", "kind": "summary",
                        "language": "en", "format": "csv", "bytes": 4,
                        "url": "/api/v1/reports/2026-10-01/hq-2026-10-01-summary.en.csv"}
    page = served.get("/api/v1/reports?limit=1", reader).json()
    assert [d["date"] for d in page["reports"]] == ["2026-10-02"]
    assert page["next"] == "/api/v1/reports?limit=1&offset=1"
    last = served.get(page["next"], reader).json()
    assert [d["date"] for d in last["reports"]] == ["2026-10-01"] and last["next"] is None
    ranged = served.get("/api/v1/reports?from=2026-10-02&to=2026-10-03", reader).json()
    assert [d["date"] for d in ranged["reports"]] == ["2026-10-02"]


def test_a_report_file_downloads_as_an_attachment(served, reader, reports):
    response = served.get(FILES_URL := "/api/v1/reports/2026-10-01/hq-2026-10-01-report.zh.html",
                          reader)
    assert response.status_code == 200, FILES_URL
    assert response.text == "<html>一</html>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert served.get("/api/v1/reports/2026-10-09", reader).status_code == 404


@pytest.mark.parametrize("target", [
    "/api/v1/reports/2026-10-01/../../secret.txt",
    "/api/v1/reports/2026-10-01/..%2F..%2Fsecret.txt",
    "/api/v1/reports/2026-10-01/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/api/v1/reports/2026-10-01/..%5c..%5csecret.txt",
    "/api/v1/reports/2026-10-01/%2Fetc%2Fpasswd",
    "/api/v1/reports/2026-10-01//etc/passwd",
    "/api/v1/reports/2026-10-01/..",
    "/api/v1/reports/2026-10-01/.",
    "/api/v1/reports/2026-10-01/secret.txt",
    "/api/v1/reports/2026-10-01/notes.txt",
    "/api/v1/reports/2026-10-01/other-2026-10-01-report.zh.html",
    "/api/v1/reports/2026-10-01/hq-2026-10-02-report.en.html",  # another day's file
    "/api/v1/reports/2026-10-03/hq-2026-10-03-report.zh.html",  # a symlink out of the folder
    "/api/v1/reports/2026-10-01/hq-2026-10-01-report.zh.html%00.png",
    "/api/v1/reports/..%2F2026-10-01/hq-2026-10-01-report.zh.html",
    "/api/v1/reports/2026-10-01/~%2F.ssh%2Fid_rsa",
])
def test_path_traversal_never_reaches_a_file(served, reader, reports, target):
    status, body = raw_get(served.url, target, reader)
    assert status in (400, 404), (target, status)
    assert SECRET.encode() not in body and b"<html>" not in body


class Recording:
    """A store that records every argument it is called with (a real store underneath)."""

    def __init__(self, store) -> None:
        self.store, self.seen = store, []

    def __getattr__(self, name):
        method = getattr(self.store, name)

        def call(*args, **kwargs):
            self.seen.append(repr((name, args, kwargs)))
            return method(*args, **kwargs)

        return call


PAYLOADS = ["b1' OR '1'='1", 'b1" OR 1=1 --', "b1; DROP MEASUREMENT energy_interval",
            "b1\\", '" GROUP BY *', "/.*/", "b1\x00", "b1\nb2", "$(touch /tmp/x)", "楼1", "*",
            "b1' AND time > 0 --", "../b1", "%27"]


@pytest.fixture(scope="module")
def recorded(served, tmp_path_factory):
    recording = Recording(served.store)
    server = HttpServer(Health(), "127.0.0.1", 0, Api(served.site, recording, served.keys)).start()
    yield Served(server.url, served.site, recording, served.keys, server.api, served.folder), \
        recording
    server.stop()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_every_identifier_is_refused_before_the_store(recorded, reader, payload):
    served, recording = recorded
    q = quote(payload, safe="")
    day = "from=2026-10-01&to=2026-10-02"
    targets = [f"/api/v1/buildings/{q}", f"/api/v1/buildings/{q}/energy?{day}",
               f"/api/v1/buildings/{q}/forecast", f"/api/v1/buildings/{q}/meters/health",
               f"/api/v1/buildings/b1/energy?{day}&class={q}",
               f"/api/v1/buildings/b1/energy?{day}&purpose={q}",
               f"/api/v1/buildings/b1/energy?{day}&zone={q}",
               f"/api/v1/buildings/b1/energy?{day}&period={q}",
               f"/api/v1/buildings/b1/energy?{day}&by={q}",
               f"/api/v1/buildings/b1/energy?{day}&interval={q}",
               f"/api/v1/buildings/b1/energy?from={q}&to=2026-10-02",
               f"/api/v1/buildings/b1/forecast?zone={q}",
               f"/api/v1/buildings/b1/forecast?target={q}",
               f"/api/v1/buildings/b1/meters/health?hours={q}",
               f"/api/v1/reports/{q}", f"/api/v1/reports/2026-10-01/{q}",
               f"/api/v1/reports?from={q}", f"/api/v1/reports?limit={q}"]
    before = len(recording.seen)
    for target in targets:
        status, body = raw_get(served.url, target, reader)
        assert status in (400, 404), (target, status, body[:200])
    assert len(recording.seen) == before, recording.seen[before:]
