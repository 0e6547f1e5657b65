"""Errors as RFC 9457 problem documents: status, a title and a `detail` that says what was wrong
and how to fix it. Every refusal of the API goes through `ApiError` or a handler here."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from store import StoreError, StoreUnavailable

logger = logging.getLogger("civicwatt.api")
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 413: "Content Too Large", 414: "URI Too Long",
          429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
          503: "Service Unavailable"}


class ApiError(Exception):
    """A refusal with its status, a detail for the client and the reason for the log."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None,
                 reason: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}
        self.reason = f"{reason}: {detail}" if reason else detail


def problem(status: int, detail: str, headers: dict[str, str] | None = None,
            **extra) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, **extra}
    return Response(json.dumps(body, ensure_ascii=False), status, headers,
                    media_type="application/problem+json")


def install(app: FastAPI) -> None:
    """Handlers that turn every error into a problem document (never a traceback)."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        request.state.refusal = exc.reason
        return problem(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['where']}: {e['problem']}" for e in errors)
        request.state.refusal = detail
        return problem(400, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        request.state.refusal = str(exc.detail)
        return problem(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable) -> Response:
        logger.warning("API %s %s: the store is unavailable: %s", request.method,
                       request.url.path, exc)
        return problem(503, "the time-series store is not answering; try again shortly",
                       {"Retry-After": "30"})

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        logger.error("API %s %s: the store refused a query: %s", request.method,
                     request.url.path, exc)
        return problem(502, "the time-series store refused the query; the service log has "
                            "the cause")
