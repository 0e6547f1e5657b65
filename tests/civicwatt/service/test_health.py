"""/healthz and /metrics over real HTTP, and jobs that fail without taking the process down."""

from __future__ import annotations

import gc
import json
import logging
import urllib.error
import urllib.request
import weakref

import pytest

from civicwatt.service.health import Health, HealthServer, Metric
from civicwatt.service.scheduling import guarded


@pytest.fixture
def served():
    health = Health()
    server = HealthServer(health, port=0).start()
    yield health, server.url
    server.stop()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_healthz_is_200_when_every_component_is_ok_and_503_otherwise(served):
    health, url = served
    state = {"connected": True}
    health.add_check("broker", lambda: (state["connected"], {"connected": state["connected"]}))
    health.add_check("spool", lambda: (True, {"depth": 12}))
    status, body = get(f"{url}/healthz")
    assert status == 200
    assert json.loads(body)["components"]["spool"] == {"ok": True, "depth": 12}
    state["connected"] = False
    status, body = get(f"{url}/healthz")
    assert status == 503
    assert json.loads(body)["status"] == "degraded"


def test_a_check_that_raises_marks_its_component_unhealthy(served):
    health, url = served
    health.add_check("store", lambda: 1 / 0)
    status, body = get(f"{url}/healthz")
    assert status == 503
    assert "ZeroDivisionError" in json.loads(body)["components"]["store"]["error"]


def test_metrics_are_prometheus_text_with_jobs_and_providers(served, caplog):
    health, url = served
    health.add_metrics(lambda: [Metric("civicwatt_spool_depth", 42),
                                Metric("civicwatt_readings_received_total", 7, "counter",
                                       {"component": "collector"})])
    guarded("meter", lambda: None, health)()
    with caplog.at_level(logging.ERROR):
        guarded("forecast", lambda: 1 / 0, health)()  # must not raise
    assert "Job forecast failed (ZeroDivisionError" in caplog.text
    status, body = get(f"{url}/metrics")
    text = body.decode()
    assert status == 200
    assert "civicwatt_spool_depth 42.0" in text
    assert 'civicwatt_readings_received_total{component="collector"} 7.0' in text
    assert 'civicwatt_job_runs_total{job="meter"} 1.0' in text
    assert 'civicwatt_job_failures_total{job="forecast"} 1.0' in text
    assert health.jobs["forecast"].last_error == "ZeroDivisionError: division by zero"


class _Document:
    """Stands in for a rendered report: an object in a reference cycle."""

    def __init__(self) -> None:
        self.me = self


@pytest.mark.parametrize("fails", [False, True])
def test_a_jobs_garbage_is_collected_when_it_ends(fails):
    alive: list[weakref.ref] = []

    def job() -> None:
        alive.append(weakref.ref(_Document()))
        if fails:
            raise RuntimeError("render failed")

    gc.disable()  # only the job's own collection may free the cycle
    try:
        guarded("report", job, Health())()
        assert alive[0]() is None, "the job's reference cycles outlived it"
    finally:
        gc.enable()


def test_unknown_paths_are_404(served):
    assert get(f"{served[1]}/nope")[0] == 404
