"""InfluxDB 1.x: line protocol `POST /write` in batches, InfluxQL `/query` for reads.

URL: `influxdb1://[user:password@]host:port/database[?tls=true&batch=5000&timeout=10]`.
The database is created when a write finds it missing (needs an admin user; otherwise the
error says to create it). Errors are classified by `store.http.classify`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from urllib.parse import SplitResult, parse_qs, unquote

from store.errors import StoreRejected, StoreUnavailable, StoreURLError
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
        super().__init__(self._run)

    def _run(self, query: str):
        """Query; a database not created yet reads as empty."""
        try:
            yield from self._http.query(self.database, query)
        except StoreRejected as exc:
            if "database not found" not in str(exc):
                raise

    def _create_database(self) -> None:
        """Create the missing database; a user without the right to is told what to ask for."""
        try:
            list(self._http.query(self.database, f"CREATE DATABASE {ident(self.database)}",
                                  method="POST"))
        except (StoreUnavailable, StoreRejected) as exc:
            if "HTTP 403" not in str(exc) and "admin privilege" not in str(exc):
                raise  # down, or a wrong password: the cause is already right
            raise StoreUnavailable(
                f"{self.description}: database {self.database!r} does not exist and this user "
                f"may not create it ({exc}); create it (CREATE DATABASE "
                f"{ident(self.database)}) or grant the user admin rights",
                "database_missing") from exc

    def write(self, rows: Sequence[Row]) -> None:
        for start in range(0, len(rows), self.batch_size):
            self.write_lines(encode(rows[start:start + self.batch_size]))

    def write_lines(self, body: bytes) -> None:
        """POST one pre-encoded line-protocol batch (nanosecond precision)."""
        try:
            self._http.request("POST", "/write", {"db": self.database, "precision": "ns"},
                               body=body)
        except StoreUnavailable as exc:
            if exc.cause != "database_missing":
                raise
            self._create_database()  # idempotent in InfluxDB, so racing writers are fine
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
        """An empty write: unlike GET /ping it checks the credentials and the database too
        (creating it as a first write would), so /healthz catches a rotated password."""
        self.write_lines(b"")

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
