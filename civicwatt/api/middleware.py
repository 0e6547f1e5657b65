"""ASGI middleware of service.http: size limits, then counting and logging every request.

`Limits` refuses a request target longer than `api.max_url_bytes` (414) and a body larger
than `api.max_body_bytes` (413, by Content-Length or while it streams) before any route runs.
`Access` counts requests by route and status for /metrics, stamps API responses with
`Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, and logs every write and
every refused request (4xx) with the key's name and the reason — never the key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from civicwatt.api.problems import problem
from civicwatt.service.health import Metric

logger = logging.getLogger("civicwatt.api")


class _TooLarge(Exception):
    pass


class Limits:
    def __init__(self, app, max_url_bytes: int, max_body_bytes: int) -> None:
        self.app, self.max_url, self.max_body = app, max_url_bytes, max_body_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if target > self.max_url:
            return await problem(414, f"the request target is {target} bytes; at most "
                                      f"{self.max_url} (api.max_url_bytes)")(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await problem(413, f"the body is larger than {self.max_body} bytes "
                                      "(api.max_body_bytes)")(scope, receive, send)
        seen = 0

        async def bounded():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise _TooLarge
            return message

        try:
            await self.app(scope, bounded, send)
        except _TooLarge:
            await problem(413, f"the body is larger than {self.max_body} bytes "
                               "(api.max_body_bytes)")(scope, receive, send)


_API_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]


class AccessStats:
    """Requests by route and status, and the time spent on them, for /metrics."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, int]] = Counter()
        self.seconds: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.counts[(method, route, status)] += 1
            self.seconds[(method, route)] += seconds

    def metrics(self) -> list[Metric]:
        with self._lock:
            counts, seconds = dict(self.counts), dict(self.seconds)
        out = [Metric("civicwatt_http_requests_total", n, "counter",
                      {"method": m, "route": r, "status": str(s)}, "HTTP requests answered")
               for (m, r, s), n in counts.items()]
        out += [Metric("civicwatt_http_request_seconds_total", v, "counter",
                       {"method": m, "route": r}, "time spent answering them")
                for (m, r), v in seconds.items()]
        return out


class Access:
    """Counts every request into `stats`; a log line per refused API request."""

    def __init__(self, app, stats: AccessStats) -> None:
        self.app, self.stats = app, stats

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        api = scope["path"].startswith("/api/")

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if api:
                    message["headers"] = [*message.get("headers", []), *_API_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "(unmatched)"
            if api and route.startswith("/") and not route.startswith("/api/"):
                route = "/api/v1" + route  # FastAPI names the route without its prefix
            self.stats.add(scope["method"], route, status, time.perf_counter() - started)
            if api and scope["method"] not in ("GET", "HEAD", "OPTIONS") and status < 400:
                state = scope.get("state") or {}
                logger.info("API write %s %s: %d, key %s", scope["method"], scope["path"],
                            status, _name(state))
            if api and 400 <= status < 500:
                state = scope.get("state") or {}
                client = (scope.get("client") or ("-",))[0]
                logger.warning("API refused %s %s from %s: %d, key %s: %s", scope["method"],
                               scope["path"], client, status, _name(state),
                               state.get("refusal", "refused"))


def _name(state: dict) -> str:
    name = state.get("key_name")
    return f"{name!r} (id {state.get('key_id')})" if name is not None else "none"
