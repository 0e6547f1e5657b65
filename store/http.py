"""HTTP for the InfluxDB backends: pooled keep-alive connections, and the one mapping from an
HTTP answer to a store error (`classify`), shared by InfluxDB 1.x and 2.x/3.x."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from urllib.parse import urlencode

import urllib3

from store.errors import StoreError, StoreRejected, StoreUnavailable
from store.influxql import parse_results

#: what a 400/422 says when the store refused a *line* (1.x, 2.x and 3.x wordings); any other
#: 4xx body is about the request or the account, never a reason to dead-letter data
_BAD_LINE = ("unable to parse", "partial write", "field type conflict", "invalid field",
             "invalid tag", "invalid number", "invalid boolean", "bad timestamp",
             "missing fields", "missing tag", "beyond retention", "max-values-per-tag",
             "parsing failed", "invalid line", "failed to parse", "line protocol")


def classify(status: int, text: str, where: str, write: bool = True,
             retry_after: str | None = None) -> StoreError:
    """The store error for an HTTP error answer (status ≥ 400) to a write or a query.

    Credentials, a missing database, a rate limit and server errors are outages
    (`StoreUnavailable` with a cause); only a write refused for a bad line is `StoreRejected`.
    A query the server cannot run (400) is `StoreRejected` too: retrying cannot help.
    """
    message = f"{where}: HTTP {status}: {text}"
    lowered = text.lower()
    hint = _seconds(retry_after)
    if status in (401, 403):
        return StoreUnavailable(message, "auth")
    if status == 404 or "not found" in lowered and ("database" in lowered
                                                    or "bucket" in lowered):
        return StoreUnavailable(message, "database_missing")
    if status == 429:
        return StoreUnavailable(message, "rate_limited", hint)
    if status >= 500:
        return StoreUnavailable(message, "server_error", hint)
    if status == 413 or not write and status == 400:
        return StoreRejected(message)  # too big: bisecting splits it; a bad query: a bug
    if status in (400, 422) and any(p in lowered for p in _BAD_LINE):
        return StoreRejected(message)
    return StoreUnavailable(message, "refused", hint)


def _seconds(retry_after: str | None) -> float | None:
    """A Retry-After header in seconds (the HTTP-date form is ignored: backoff applies)."""
    try:
        return max(0.0, float(retry_after)) if retry_after else None
    except ValueError:
        return None


#: queries longer than this go in a POST form, not the URL (servers and proxies cap URLs at 8 KiB)
LONG_QUERY = 4096
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


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
            raise StoreUnavailable(f"{self.description}: {type(exc).__name__}: {exc}",
                                   "network") from exc
        if response.status >= 400:
            raise classify(response.status, _error_text(response), self.description,
                           write=path.endswith("/write"),
                           retry_after=response.headers.get("Retry-After"))
        return response

    def query(self, database: str, query: str, method: str = "GET") -> Iterator[dict]:
        """Run InfluxQL with chunked results, yielding each result's series."""
        fields = {"db": database, "q": query, "epoch": "ns", "chunked": "true",
                  "chunk_size": "20000"}
        if len(query) > LONG_QUERY:  # e.g. a regex of every root meter: a form has no limit
            response = self.request("POST", "/query", body=urlencode(fields).encode(),
                                    headers=FORM, preload=False)
        else:
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
    """The error a 1.x (`error`) or 2.x/3.x (`message`) JSON body carries, else the text."""
    return error_text(response.data)


def error_text(body: bytes | str | None) -> str:
    text = (body.decode(errors="replace") if isinstance(body, bytes) else body or "").strip()
    try:
        document = json.loads(text)
        return str(document.get("error") or document.get("message") or text)[:500]
    except (ValueError, AttributeError):
        return text[:500]
