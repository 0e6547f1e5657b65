"""The ASGI application of service.http: /healthz, /metrics and, with an `Api`, /api/v1.

/healthz and /metrics keep their contract (the same JSON and Prometheus text, 200 or 503)
and need no key; /api/v1 is built from one router per endpoint family, with its OpenAPI
document at /api/v1/openapi.json (no interactive docs: they would load scripts from a CDN).
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, generate_latest
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from civicwatt import __version__
from civicwatt.api import problems
from civicwatt.api.context import Api
from civicwatt.api.middleware import Access, AccessStats, Limits
from civicwatt.api.models import Problem
from civicwatt.api.routes import energy, forecast, meters, reports, site, statistics
from civicwatt.api.settings import ApiSettings
from civicwatt.service.health import Health, prometheus_collector

PREFIX = "/api/v1"
ROUTERS = (site.router, energy.router, forecast.router, meters.router, reports.router,
           statistics.router)
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_REFUSALS = {status: {"model": Problem, "description": text, "content": _PROBLEM}
             for status, text in (
    (400, "a parameter is malformed or names nothing in the site config"),
    (401, "no key, or a malformed, unknown, revoked or expired one"),
    (403, "the key's scope does not cover this"), (404, "no such building or report"),
    (413, "the body is larger than api.max_body_bytes"),
    (414, "the request target is longer than api.max_url_bytes"),
    (429, "rate limit reached; see Retry-After"),
    (503, "the store or the key file is not answering; see Retry-After"))}


def build_app(health: Health, api: Api | None = None) -> FastAPI:
    """The app; its request counts join /metrics."""
    settings = api.site.api if api is not None else ApiSettings()
    app = FastAPI(title="civicwatt API", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=f"{PREFIX}/openapi.json" if api is not None else None,
                  description="Read access to a site's metered energy, forecasts, reports and "
                              "meter health. Send a key made with `civicwatt apikey create` as "
                              "`Authorization: Bearer KEY` or `X-API-Key: KEY`.")
    problems.install(app)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(prometheus_collector(health))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        healthy, body = health.snapshot()
        return Response(json.dumps(body, ensure_ascii=False, default=str), 200 if healthy
                        else 503, media_type="application/json")

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry),
                        media_type="text/plain; version=0.0.4; charset=utf-8")

    if api is not None:
        for make in ROUTERS:
            app.include_router(make(api), prefix=PREFIX, responses=_REFUSALS)
    if api is not None and settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"],
                           max_age=600)
    app.add_middleware(Limits, max_url_bytes=settings.max_url_bytes,
                       max_body_bytes=settings.max_body_bytes)
    stats = AccessStats()
    app.add_middleware(Access, stats=stats)
    health.add_metrics(stats.metrics)
    return app
