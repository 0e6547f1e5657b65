"""Health and metrics: what `/healthz` (JSON, 200 or 503) and `/metrics` (Prometheus text) show.

Components report their state here (broker connected, store reachable, spool
depth); jobs report each run. The HTTP server (`civicwatt.service.http`) only
reads these snapshots, so a slow scrape never blocks the pipeline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

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


def prometheus_collector(health: Health) -> _Collector:
    """A prometheus_client collector of `health.metrics()` (for a registry of its own)."""
    return _Collector(health)


def __getattr__(name: str):
    """`HealthServer` is the ASGI server of `civicwatt.service.http` now (same calls)."""
    if name == "HealthServer":
        from civicwatt.service.http import HttpServer

        return HttpServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
