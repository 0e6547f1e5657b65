"""HTTP for the InfluxDB backends: pooled keep-alive connections, errors mapped to store errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from urllib.parse import urlencode

import urllib3

from store.errors import StoreRejected, StoreUnavailable
from store.influxql import parse_results


class InfluxHTTP:
    """POSTs line protocol and runs InfluxQL against one InfluxDB base URL."""

    def __init__(self, base: str, description: str, headers: Mapping[str, str] | None = None,
                 timeout: float = 10.0) -> None:
        self.base = base.rstrip("/")
        self.description = description
        self._headers = dict(headers or {})
        self._pool = urllib3.PoolManager(
            maxsize=4, timeout=urllib3.Timeout(connect=3.0, read=timeout), retries=False
        )

    def request(self, method: str, path: str, fields: Mapping[str, str] | None = None,
                body: bytes | None = None, headers: Mapping[str, str] | None = None,
                preload: bool = True) -> urllib3.BaseHTTPResponse:
        url = f"{self.base}{path}"
        if fields:
            url += "?" + urlencode(fields)
        try:
            response = self._pool.request(method, url, body=body, preload_content=preload,
                                          headers={**self._headers, **(headers or {})})
        except urllib3.exceptions.HTTPError as exc:
            raise StoreUnavailable(f"{self.description}: {type(exc).__name__}: {exc}") from exc
        if response.status >= 500:
            raise StoreUnavailable(f"{self.description}: HTTP {response.status}: "
                                   f"{_error_text(response)}")
        if response.status >= 400:
            raise StoreRejected(f"{self.description}: HTTP {response.status}: "
                                f"{_error_text(response)}")
        return response

    def query(self, database: str, query: str, method: str = "GET") -> Iterator[dict]:
        """Run InfluxQL with chunked results, yielding each result's series."""
        fields = {"db": database, "q": query, "epoch": "ns", "chunked": "true",
                  "chunk_size": "20000"}
        response = self.request(method, "/query", fields, preload=False)
        try:
            for line in _lines(response):
                try:
                    yield from parse_results(json.loads(line))
                except ValueError as exc:
                    raise StoreRejected(f"{self.description}: query failed: {exc} "
                                        f"(query: {query[:200]})") from exc
        finally:
            response.release_conn()

    def close(self) -> None:
        self._pool.clear()


def _lines(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    buffer = b""
    for chunk in response.stream(1 << 16):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        yield from (line for line in complete if line.strip())
    if buffer.strip():
        yield buffer


def _error_text(response: urllib3.BaseHTTPResponse) -> str:
    text = response.data.decode(errors="replace").strip()
    try:
        return json.loads(text).get("error", text)
    except (ValueError, AttributeError):
        return text[:500]
