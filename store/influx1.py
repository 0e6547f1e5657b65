"""InfluxDB 1.x: line protocol `POST /write` in batches, InfluxQL `/query` for reads.

URL: `influxdb1://[user:password@]host:port/database[?tls=true&batch=5000&timeout=10]`.
The database is created on first use if it is missing.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Mapping, Sequence
from urllib.parse import SplitResult, parse_qs, unquote

from store.errors import StoreRejected, StoreURLError
from store.http import InfluxHTTP
from store.influxql import InfluxQLReader, delete_statement, ident
from store.lineprotocol import encode
from store.types import Row


class InfluxDB1Store(InfluxQLReader):
    def __init__(self, url: SplitResult) -> None:
        self.database = unquote(url.path.lstrip("/"))
        if not self.database or "/" in self.database:
            raise StoreURLError(
                f"store URL {redact(url)!r} names no database: "
                "use influxdb1://host:8086/DATABASE")
        options = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.batch_size = int(options.get("batch", 5000))
        scheme = "https" if options.get("tls", "false").lower() == "true" else "http"
        headers = {}
        if url.username:
            token = f"{unquote(url.username)}:{unquote(url.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        self.description = redact(url)
        self._http = InfluxHTTP(f"{scheme}://{url.hostname}:{url.port or 8086}",
                                self.description, headers, float(options.get("timeout", 10)))
        self._created = False
        self._lock = threading.Lock()
        super().__init__(self._run)

    def _run(self, query: str):
        """Query; a database not created yet reads as empty."""
        try:
            yield from self._http.query(self.database, query)
        except StoreRejected as exc:
            if "database not found" not in str(exc):
                raise

    def _ensure_database(self) -> None:
        if not self._created:
            list(self._http.query(self.database, f"CREATE DATABASE {ident(self.database)}",
                                  method="POST"))
            self._created = True

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        with self._lock:
            self._ensure_database()
        for start in range(0, len(rows), self.batch_size):
            self.write_lines(encode(rows[start:start + self.batch_size]))

    def write_lines(self, body: bytes) -> None:
        """POST one pre-encoded line-protocol batch (nanosecond precision)."""
        try:
            self._http.request("POST", "/write", {"db": self.database, "precision": "ns"},
                               body=body)
        except StoreRejected as exc:
            if "database not found" not in str(exc):
                raise
            self._created = False
            with self._lock:
                self._ensure_database()
            self._http.request("POST", "/write", {"db": self.database, "precision": "ns"},
                               body=body)

    def delete(self, measurement: str, start_ns: int, end_ns: int,
               where: Mapping[str, str] | None = None) -> None:
        list(self._run_post(delete_statement(measurement, start_ns, end_ns, where)))

    def _run_post(self, statement: str):
        try:
            yield from self._http.query(self.database, statement, method="POST")
        except StoreRejected as exc:
            if "database not found" not in str(exc):
                raise

    def ping(self) -> None:
        self._http.request("GET", "/ping")

    def close(self) -> None:
        self._http.close()


def redact(url: SplitResult) -> str:
    """The URL without its password, for logs and messages."""
    netloc = url.hostname or ""
    if url.port:
        netloc += f":{url.port}"
    if url.username:
        netloc = f"{url.username}:***@{netloc}"
    return url._replace(netloc=netloc).geturl()
