"""Nothing unsafe leaves, nothing wedges the job: real Mosquitto, simulated controllers.

A controller reporting NaN, a command the rules got wrong, a broker that stops
answering (no PUBACK) or is gone, a zone whose evaluation raises, an audit row
the store refuses, a tampered audit trail, and the link's own TLS and password
set-up from the site config.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import random
import signal
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
import yaml

import civicwatt.jobs.setpoints as jobs
from civicwatt.config import load_site
from civicwatt.jobs.setpoints import SetpointJob
from store import Row, Series
from tests.integration.test_mqtt_tls_auth import PASSWORD, secured_broker  # noqa: F401
from tests.integration.test_setpoints_mqtt import SITE, Rig, local, site_yaml
from tests.services import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(tmp_path, mosquitto):
    rigs: list[Rig] = []

    def make(broker=None, **kw) -> Rig:
        rigs.append(Rig(tmp_path, broker or mosquitto, **kw))
        return rigs[-1]

    yield make
    for r in rigs:
        r.close()


def strict_json(payload: bytes) -> dict:
    """Parse as a strict JSON reader (not Python's) would: NaN/Infinity are errors."""
    def no_constant(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(payload, parse_constant=no_constant)


def publish_retained(broker, topic: str, payload: bytes) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.publish(topic, payload, qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def statuses(r: Rig, point: str) -> list[str]:
    return [row.fields["status"] for row in r.audit() if row.series.tag("point") == point]


def test_a_nan_or_out_of_range_state_is_ignored_and_no_zone_stops(rig, mosquitto, caplog):
    r = rig()
    f2, f3 = r.sims["f2.cool"], r.sims["f3.cool"]
    publish_retained(mosquitto, f2.state_topic, b"NaN")  # Python's json.loads accepts it
    publish_retained(mosquitto, f3.state_topic, b'{"value": 99}')  # outside the device's 5..35

    with caplog.at_level(logging.WARNING, logger="civicwatt.jobs.setpoints"):
        r.wait(lambda: r.job._bad_state == {"f2.cool", "f3.cool"}, "the bad states")
    assert sum("not a setpoint within its device range" in m for m in caplog.messages) == 2
    assert r.job.governor.point("f2.cool").reported == 26.5  # the last good value stays
    r.run_until(local(14, 5))
    assert f2.setpoint == 27.5 and f3.setpoint == 27.5  # both zones commanded, on fallback too
    for message in r.recorder.commands():
        body = strict_json(message["payload"].encode())
        assert body["previous"] is None or math.isfinite(body["previous"])
    assert set(statuses(r, "f2.cool")) == set(statuses(r, "f3.cool")) == {"applied"}
    r.step()  # later ticks still work
    assert r.job.governor.point("f3.cool").reported == 27.5 and not r.job._bad_state


def test_an_unsafe_command_is_refused_at_the_boundary_and_audited(rig, caplog):
    """A bug upstream (here: a governor that asks for 24 °C) never reaches the wire."""
    r = rig()
    decide = r.job.governor.decide

    def buggy(targets, now):
        return [dataclasses.replace(d, value=24.0) if d.target.point == "f2.cool" else d
                for d in decide(targets, now)]

    r.job.governor.decide = buggy
    with caplog.at_level(logging.ERROR, logger="civicwatt.jobs.setpoints"):
        r.run_until(local(14, 5))
    assert r.sims["f2.cool"].applied == [] and r.sims["f3.cool"].setpoint == 27.5
    assert all(strict_json(m["payload"].encode())["value"] >= 26
               for m in r.recorder.commands())
    rows = [row for row in r.audit() if row.series.tag("point") == "f2.cool"]
    assert rows and {row.fields["status"] for row in rows} == {"refused"}
    assert "below the public-institution cooling floor of 26" in rows[0].fields["detail"]
    assert any("refused before publish" in m and "f2.cool" in m for m in caplog.messages)


def test_no_puback_is_unconfirmed_and_in_force_until_the_broker_answers(
        tmp_path, rig, mosquitto_factory):
    broker = mosquitto_factory()
    r = rig(broker)
    r.job.link.puback_timeout = 0.5
    r.clock.now = local(14, 0)
    os.kill(broker.proc.pid, signal.SIGSTOP)  # alive, TCP open, but no PUBACK
    try:
        first = r.job.tick()
        assert {c.point for c in first.commands} == {"f2.cool", "f3.cool"}
        assert {r.job.governor.point(p).status for p in r.sims} == {"unconfirmed"}
        assert set(statuses(r, "f2.cool")) == {"unconfirmed"}
        r.clock.now = local(14, 5)
        assert r.job.tick().commands == []  # possibly applied: no second command meanwhile
    finally:
        os.kill(broker.proc.pid, signal.SIGCONT)

    r.wait(lambda: all(r.job.governor.point(p).status == "applied" for p in r.sims),
           "the held commands to be delivered and applied", 15)
    assert r.sims["f2.cool"].setpoint == 27.5
    r.job.tick()
    assert set(statuses(r, "f2.cool")) == {"applied"}


def test_a_live_command_without_a_broker_is_failed_not_planned(rig, mosquitto_factory):
    broker = mosquitto_factory()
    r = rig(broker)
    broker.stop()
    wait_until(lambda: not r.job.link.connected, 10, "the link to notice")
    r.clock.now = local(14, 5)
    r.job.tick()
    assert set(statuses(r, "f2.cool")) == set(statuses(r, "f3.cool")) == {"failed"}
    ok, details = r.job.check()
    assert not ok and details["connected"] is False and "disconnected" in details["error"]
    assert details["commands"]["failed"] == 2
    broker.start()
    wait_until(lambda: r.job.link.connected, 15, "the link to reconnect")
    r.sims["f2.cool"].disconnect()
    r.sims["f2.cool"].connect()
    r.sims["f3.cool"].disconnect()
    r.sims["f3.cool"].connect()
    r.step()  # failed commands were never in force: the next evaluation sends them
    assert r.sims["f2.cool"].setpoint == 27.5 and r.sims["f3.cool"].setpoint == 27.5
    assert r.job.check()[0] is True


def test_one_zone_that_raises_never_stops_the_others(rig, monkeypatch, caplog):
    r = rig()
    real = jobs.zone_targets

    def broken(settings, inputs, level, zone, reported):
        if zone.zone == "f2":
            raise ZeroDivisionError("a bug in one zone")
        return real(settings, inputs, level, zone, reported)

    monkeypatch.setattr(jobs, "zone_targets", broken)
    with caplog.at_level(logging.ERROR, logger="civicwatt.jobs.setpoints"):
        r.run_until(local(14, 5))
    assert r.sims["f3.cool"].setpoint == 27.5 and r.sims["f2.cool"].applied == []
    assert any("zone f2 skipped" in m for m in caplog.messages)
    monkeypatch.setattr(jobs, "zone_targets", real)
    publish = r.job.link.publish_command

    def flaky(topic, *args):
        if "/f3/" in topic:
            raise OSError("socket gone mid-publish")
        return publish(topic, *args)

    r.job.link.publish_command = flaky
    r.step()
    assert r.sims["f2.cool"].setpoint == 27.5  # f2 goes out although f3's publish raised


def test_an_audit_row_the_store_refuses_never_wedges_later_ticks(rig, caplog):
    r = rig(mode="dry-run")
    bad = Row(Series.of("setpoint_command", site=SITE, point="x"), 1, {"value": float("nan")})
    r.job._pending_rows.append(bad)
    with caplog.at_level(logging.ERROR, logger="civicwatt.jobs.setpoints"):
        r.run_until(local(14, 5))
    assert r.job._pending_rows == []
    assert {row.series.tag("point") for row in r.audit()} == {"f2.cool", "f3.cool"}
    assert sum("dropped, the store refuses it" in m for m in caplog.messages) == 1


def test_values_recovered_from_the_audit_trail_are_re_clamped(rig, caplog):
    r = rig()
    now = local(14, 5)
    series = Series.of("setpoint_command", site=SITE, building="b1", zone="f2", point="f2.cool",
                       rule="demand_limit")
    r.store.write([Row(series, int((now - timedelta(minutes=1)).timestamp() * 1e9),
                       {"value": 22.0, "status": "sent", "command_id": "tampered",
                        "expires_at": (now + timedelta(minutes=20)).isoformat()})])
    job = SetpointJob(r.config, store=r.store, clock=lambda: now, rng=random.Random(1))
    with caplog.at_level(logging.WARNING, logger="civicwatt.jobs.setpoints"):
        assert job.recover(now) == 1
    assert job.governor.point("f2.cool").value == 26.0
    assert any("taken back as 26 °C" in m for m in caplog.messages)


def _tls_site(tmp_path, broker, password_env: str) -> SetpointJob:
    path = site_yaml(tmp_path, broker)
    data = yaml.safe_load(path.read_text())
    data["mqtt"] = {"url": f"mqtt://127.0.0.1:{broker.tls_port}",  # TLS from the `tls:` section
                    "client_id": "cw-setpoint-tls", "username": "meter",
                    "password": "${" + password_env + "}",
                    "tls": {"ca_file": "certs/ca.pem"}}  # relative to the config folder
    path.write_text(yaml.safe_dump(data))
    return SetpointJob(load_site(path), clock=lambda: datetime(2026, 7, 15, 6, tzinfo=UTC))


def test_the_link_uses_the_sites_tls_section_relative_paths_and_password(
        tmp_path, secured_broker, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CW_SP_PASSWORD", PASSWORD)
    monkeypatch.chdir("/")  # a relative CA path must not depend on the working directory
    job = _tls_site(tmp_path, secured_broker, "CW_SP_PASSWORD")
    try:
        assert job.start(10), job.check()
        ok, details = job.check()
        assert ok and details["connected"] and details["broker"].endswith(
            f":{secured_broker.tls_port}")
    finally:
        job.stop()


def test_a_wrong_password_shows_in_health_without_the_password(
        tmp_path, secured_broker, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CW_SP_PASSWORD", "not-the-password-4711")
    job = _tls_site(tmp_path, secured_broker, "CW_SP_PASSWORD")
    try:
        assert job.start(3) is False
        wait_until(lambda: job.check()[1].get("error"), 10, "the refusal")
        ok, details = job.check()
        assert not ok and "bad user name or password for user 'meter'" in details["error"]
        assert "not-the-password-4711" not in json.dumps(details)
    finally:
        job.stop()
