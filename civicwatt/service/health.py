"""Health and metrics over HTTP: `/healthz` (JSON, 200 or 503) and `/metrics` (Prometheus text).

Components report their state here (broker connected, store reachable, spool
depth); jobs report each run. The HTTP server only reads these snapshots, so
a slow scrape never blocks the pipeline.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger(__name__)


@dataclass
class JobStatus:
    runs: int = 0
    failures: int = 0
    last_start: float | None = None
    last_success: float | None = None
    last_duration_s: float | None = None
    last_error: str | None = None
    running: bool = False


@dataclass(frozen=True)
class Metric:
    """One sample for /metrics: `kind` is "counter" or "gauge"."""

    name: str
    value: float
    kind: str = "gauge"
    labels: dict[str, str] = field(default_factory=dict)
    help: str = ""


Check = Callable[[], tuple[bool, dict]]


class Health:
    """What `/healthz` and `/metrics` show: component checks, job runs, metric providers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checks: dict[str, Check] = {}
        self.jobs: dict[str, JobStatus] = {}
        self._providers: list[Callable[[], Iterable[Metric]]] = []

    def add_check(self, component: str, check: Check) -> None:
        """`check()` returns (healthy, details); it must be quick and never raise. Details
        may list `problems` (one line each, naming the cause and the fix); the snapshot
        gathers them at the top, so a 503 says why in its first lines."""
        self._checks[component] = check

    def add_metrics(self, provider: Callable[[], Iterable[Metric]]) -> None:
        self._providers.append(provider)

    def job_started(self, name: str) -> None:
        with self._lock:
            status = self.jobs.setdefault(name, JobStatus())
            status.runs += 1
            status.running = True
            status.last_start = time.time()

    def job_finished(self, name: str, error: str | None = None) -> None:
        with self._lock:
            status = self.jobs.setdefault(name, JobStatus())
            status.running = False
            status.last_duration_s = time.time() - (status.last_start or time.time())
            if error is None:
                status.last_success = time.time()
            else:
                status.failures += 1
            status.last_error = error

    def snapshot(self) -> tuple[bool, dict]:
        components = {}
        for name, check in self._checks.items():
            try:
                ok, details = check()
            except Exception as exc:  # a broken check is itself a finding
                ok, details = False, {"error": f"{type(exc).__name__}: {exc}"}
            components[name] = {"ok": ok, **details}
        with self._lock:
            jobs = {name: asdict(status) for name, status in self.jobs.items()}
        healthy = all(c["ok"] for c in components.values())
        problems = [f"{name}: {p}" for name, c in components.items() if not c["ok"]
                    for p in c.get("problems") or [c.get("error", "unhealthy")]]
        return healthy, {"status": "ok" if healthy else "degraded", "problems": problems,
                         "components": components, "jobs": jobs}

    def metrics(self) -> list[Metric]:
        samples = [Metric("civicwatt_up", 1.0, help="the service is running")]
        with self._lock:
            for name, status in self.jobs.items():
                labels = {"job": name}
                samples += [
                    Metric("civicwatt_job_runs_total", status.runs, "counter", labels),
                    Metric("civicwatt_job_failures_total", status.failures, "counter", labels),
                    Metric("civicwatt_job_last_success_timestamp_seconds",
                           status.last_success or 0.0, "gauge", labels),
                    Metric("civicwatt_job_last_duration_seconds",
                           status.last_duration_s or 0.0, "gauge", labels),
                ]
        for provider in self._providers:
            try:
                samples += list(provider())
            except Exception:
                logger.exception("A metrics provider failed; its samples are left out")
        return samples


class _Collector:
    """Adapts Health.metrics() to prometheus_client's exposition."""

    def __init__(self, health: Health) -> None:
        self.health = health

    def collect(self):
        families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}
        for metric in self.health.metrics():
            name = metric.name.removesuffix("_total") if metric.kind == "counter" else metric.name
            family = families.get(name)
            if family is None:
                kind = CounterMetricFamily if metric.kind == "counter" else GaugeMetricFamily
                family = families[name] = kind(name, metric.help or name,
                                               labels=sorted(metric.labels))
            family.add_metric([metric.labels[k] for k in sorted(metric.labels)], metric.value)
        yield from families.values()


class HealthServer:
    """Serves /healthz and /metrics on a thread; loopback by default."""

    def __init__(self, health: Health, host: str = "127.0.0.1", port: int = 8080) -> None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(health))
        self.health = health

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.startswith("/healthz"):
                    healthy, body = health.snapshot()
                    self._send(200 if healthy else 503, "application/json",
                               json.dumps(body, ensure_ascii=False, default=str).encode())
                elif self.path.startswith("/metrics"):
                    self._send(200, "text/plain; version=0.0.4; charset=utf-8",
                               generate_latest(registry))
                else:
                    self._send(404, "text/plain", b"try /healthz or /metrics\n")

            def _send(self, status: int, kind: str, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise OSError(f"service.http {host}:{port}: {exc.strerror}; choose a free address "
                          "for service.http or stop the process that holds it") from exc
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="health-http",
                                       daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HealthServer:
        self.thread.start()
        logger.info("Health and metrics on %s/healthz and %s/metrics", self.url, self.url)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
