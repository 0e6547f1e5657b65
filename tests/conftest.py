"""Shared fixtures: real Mosquitto and InfluxDB 1.x on free loopback ports.

`mosquitto` and `influxdb` are shared by a whole test session (fast); tests
that stop, restart or reconfigure a service use the factories and get one of
their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.services import InfluxDB1, Mosquitto


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


def _factory(tmp_path_factory, kind):
    """Start services of one kind on demand; stop them all when the test ends."""
    started = []

    def make(*args, **kwargs):
        service = kind(tmp_path_factory.mktemp(kind.name), *args, **kwargs)
        service.start()
        started.append(service)
        return service

    return make, started


@pytest.fixture
def mosquitto_factory(tmp_path_factory) -> Iterator:
    """`make(extra_conf="")` → a started Mosquitto of the test's own."""
    make, started = _factory(tmp_path_factory, Mosquitto)
    yield make
    for broker in started:
        broker.stop()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory) -> Iterator[InfluxDB1]:
    server = InfluxDB1(tmp_path_factory.mktemp("influxdb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influxdb_factory(tmp_path_factory) -> Iterator:
    """`make(auth=False)` → a started InfluxDB 1.x of the test's own (to stop and restart;
    `auth=True`: `auth-enabled = true` with an admin user, see `InfluxDB1`)."""
    make, started = _factory(tmp_path_factory, InfluxDB1)
    yield make
    for server in started:
        server.stop()


@pytest.fixture
def influx_url(influxdb: InfluxDB1) -> str:
    """A store URL on the shared InfluxDB with a database of this test's own."""
    return influxdb.url(f"t_{uuid.uuid4().hex[:12]}")
