"""A fake InfluxDB 2.x/3.x HTTP server for tests.

No InfluxDB 2.x or 3.x server can be installed on this machine (Debian ships 1.6.7 only,
and the tests may not download one), so this fake stands in for it. It records every
request and checks what a real 2.x server would check: the path, the token header, the org,
bucket and precision parameters and the line-protocol body; its error answers copy the
bodies real 2.x/3.x servers send (`fail_with`, `fail_body`, `fail_headers`).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeInfluxDB2(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.fail_with: int | None = None
        self.fail_body: dict = {"code": "x", "message": "failure"}
        self.fail_headers: dict[str, str] = {}
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    server: FakeInfluxDB2

    def log_message(self, *args) -> None:
        pass

    def _record(self) -> dict:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = {"method": self.command, "path": parts.path,
                   "params": {k: v[-1] for k, v in parse_qs(parts.query).items()},
                   "auth": self.headers.get("Authorization"), "body": body.decode()}
        self.server.requests.append(request)
        return request

    def _reply(self, status: int, document: dict | None = None,
               headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(document).encode() if document is not None else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        request = self._record()
        if self.server.fail_with:
            return self._reply(self.server.fail_with, self.server.fail_body,
                               self.server.fail_headers)
        if request["auth"] != "Token t0ken" or request["path"] not in ("/api/v2/write",
                                                                       "/api/v2/delete"):
            return self._reply(401, {"code": "unauthorized", "message": "unauthorized access"})
        self._reply(204)

    def do_GET(self) -> None:
        request = self._record()
        if self.server.fail_with:
            return self._reply(self.server.fail_with, self.server.fail_body,
                               self.server.fail_headers)
        if request["path"] == "/query" and request["auth"] == "Token t0ken":
            series = {"name": "energy", "tags": {"point": "m1"}, "columns": ["time", "value"],
                      "values": [[1_000, 1.5], [2_000, 2.5]]}
            return self._reply(200, {"results": [{"statement_id": 0, "series": [series]}]})
        self._reply(404, {"error": "not found"})


def serving(monkeypatch) -> Iterator[FakeInfluxDB2]:
    """The fixture body: `fake = pytest.fixture(serving, name="fake")` in a test module."""
    monkeypatch.setenv("INFLUXDB_TOKEN", "t0ken")
    server = FakeInfluxDB2()
    yield server
    server.shutdown()


def url(fake: FakeInfluxDB2) -> str:
    return f"influxdb2://127.0.0.1:{fake.port}?org=civic&bucket=energy"
