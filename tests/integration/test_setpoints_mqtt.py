"""Setpoint commands against a real Mosquitto, simulated controllers and an independent recorder.

Time is compressed: the job, the rules and the controllers share an injected
clock that the test moves in 5-minute ticks; only MQTT delivery (and, in the
outage test, the broker's message expiry) runs in real time.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from civicwatt.config import load_site
from civicwatt.jobs.setpoints import SetpointJob
from store import open_store
from tests.integration.sim_controller import Recorder, SimController
from tests.services import wait_until

pytestmark = pytest.mark.integration

SITE = "hq"
COOL_BOUNDS = (26.0, 28.5)  # public-institution floor .. comfort band high
# 2026-07-15 is a Wednesday (a workday in China); local = UTC+8
T0 = datetime(2026, 7, 15, 5, 30, tzinfo=UTC)  # 13:30 local, sharp at 14:00-16:00


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def site_yaml(tmp: Path, broker, mode: str = "live", store_url: str | None = None,
              service: dict | None = None, **setpoints) -> Path:
    data = {
        "version": 1,
        "site": {"id": SITE, "name": "HQ", "timezone": "Asia/Shanghai", "country": "CN"},
        "buildings": [{"id": "b1", "floor_area_m2": 1000, "occupants": 50,
                       "zones": [{"id": "f2"}, {"id": "f3"}]}],
        "mqtt": {"url": broker.url, "client_id": f"cw-{tmp.name[-12:]}"},
        "store": {"url": store_url or f"sqlite:///{tmp}/audit.db"},
        "setpoints": {
            "mode": mode, "seed": 11, "expiry": 1800, "refresh_before": 600,
            "period_schedule": [{"start": "14:00", "end": "16:00", "period": "sharp"}],
            "policy": {"comfort_cooling": {"low": 24, "high": 28.5}},
            "levels": {"periods": {"sharp": 2}, "dr_topic": "civicwatt/{site}/dr/level"},
            "rate_limits": {"min_dwell": 600, "per_point_hour": 4, "per_site_hour": 20},
            "zones": [
                {"zone": "f2", "controllers": [
                    {"point": "f2.cool", "mode": "cool", "baseline": 26.5},
                    {"point": "f2.heat", "mode": "heat", "baseline": 20}]},
                {"zone": "f3", "controllers": [
                    {"point": "f3.cool", "mode": "cool", "baseline": "reported",
                     "fallback": 26.5}]},
            ],
            **setpoints,
        },
    }
    if service:
        data["service"] = service
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


class Rig:
    """One job, two cooling controllers, a recorder and a shared clock."""

    def __init__(self, tmp: Path, broker, mode: str = "live", store_url: str | None = None,
                 service: dict | None = None, **setpoints) -> None:
        self.clock = Clock(T0)
        self.broker = broker
        self.recorder = Recorder(broker.host, broker.port)
        self.config = load_site(site_yaml(tmp, broker, mode, store_url, service, **setpoints))
        self.store = open_store(self.config.store.url)
        self.job = SetpointJob(self.config, store=self.store, clock=self.clock,
                               rng=random.Random(3))
        zones = {z.zone: z for z in self.config.setpoints.zones}
        self.sims = {}
        for point, zone in (("f2.cool", "f2"), ("f3.cool", "f3")):
            controller = next(c for c in zones[zone].controllers if c.point == point)
            self.sims[point] = SimController(
                broker.host, broker.port, self.job.command_topic(zones[zone], controller),
                self.job.state_topic(zones[zone], controller), self.clock, schedule=26.5)
            self.sims[point].connect()
        assert self.job.start(), "the job could not connect"
        self.wait(lambda: all(self.job.governor.point(p).own == 26.5 for p in self.sims),
                  "the controllers' retained states")

    def wait(self, check, what: str, timeout: float = 10) -> None:
        """Take in what the broker delivered until `check()` holds."""
        def received() -> bool:
            self.job.receive()
            return check()

        wait_until(received, timeout, what)

    def step(self, minutes: int = 5) -> list:
        """Advance the clock, let the controllers run their watchdog, evaluate once, settle."""
        self.clock.now += timedelta(minutes=minutes)
        for sim in self.sims.values():
            sim.tick()
        report = self.job.tick()
        published = [c for c in report.commands
                     if c.live and self.job.governor.point(c.point).command_id == c.command_id
                     and self.sims.get(c.point) and self.sims[c.point].client.is_connected()]
        self.wait(lambda: all(self.job.governor.point(c.point).status in ("applied", "rejected")
                              for c in published), "controllers to apply the commands")
        return report.commands

    def run_until(self, end: datetime) -> list:
        sent = []
        while self.clock.now < end:
            sent += self.step()
        return sent

    def close(self) -> None:
        self.job.stop()
        for sim in self.sims.values():
            sim.disconnect()
        self.recorder.stop()

    def audit(self) -> list:
        rows = self.store.read_rows("setpoint_command", 0, 2**62)
        return sorted(rows, key=lambda r: r.time_ns)

    def check_recorded(self) -> list[dict]:
        """What the independent recorder saw obeys every rule on the wire."""
        commands = self.recorder.commands()
        settings = self.config.setpoints
        by_point: dict[str, list[tuple[datetime, bool]]] = {}
        for message in commands:
            props = message["properties"]
            payload = json.loads(message["payload"])
            assert message["retain"] == 0
            assert props["message-expiry-interval"] > 0
            assert props["user-properties"]["command_id"] == payload["command_id"]
            assert props["correlation-data"] == payload["command_id"]
            assert props["response-topic"] == f"civicwatt/{SITE}/setpoints/response"
            assert set(payload) >= {"value", "unit", "mode", "level", "reason", "expires_at",
                                    "command_id"}
            assert COOL_BOUNDS[0] <= payload["value"] <= COOL_BOUNDS[1]
            sent = datetime.fromisoformat(payload["expires_at"]) - timedelta(
                seconds=settings.expiry)
            previous = payload["previous"]
            sheds = previous is not None and (payload["value"] > previous if payload["mode"]
                                              == "cool" else payload["value"] < previous)
            by_point.setdefault(message["topic"], []).append((sent, sheds))
        limit = settings.rate_limits
        for entries in by_point.values():
            for i, (t, sheds) in enumerate(entries):
                window = [u for u, _ in entries if t <= u < t + timedelta(hours=1)]
                assert len(window) <= limit.per_point_hour
                if i and not sheds:  # sheds skip the dwell: delaying them is the unsafe side
                    assert t - entries[i - 1][0] >= timedelta(seconds=limit.min_dwell)
        assert self.recorder.retained("civicwatt/+/+/+/hvac/+/set") == []
        return commands


@pytest.fixture
def rig(tmp_path, mosquitto):
    rigs: list[Rig] = []

    def make(**kw) -> Rig:
        rigs.append(Rig(tmp_path, mosquitto, **kw))
        return rigs[-1]

    yield make
    for r in rigs:
        r.close()


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, 15, hour - 8, minute, tzinfo=UTC)


def test_sharp_period_demand_limit_then_ramped_restore(rig) -> None:
    r = rig()
    sim = r.sims["f2.cool"]
    r.run_until(local(13, 55))
    assert sim.setpoint == 26.0  # pre-cooled within comfort (the 26 °C floor)
    r.run_until(local(14, 5))
    assert sim.setpoint == 27.5  # level 2: baseline 26.5 + 1.0 (Guideline 36)
    assert r.sims["f3.cool"].setpoint == 27.5  # `reported` baseline: no stacking on echoes
    r.run_until(local(15, 55))
    assert sim.setpoint == 27.5 and r.sims["f3.cool"].setpoint == 27.5  # refreshed, held
    restore_start = len(sim.applied)
    r.run_until(local(17, 30))
    assert sim.setpoint == 26.5 and r.sims["f3.cool"].setpoint == 26.5
    ramp = [27.5] + [v for _, v in sim.applied[restore_start:]]
    assert all(0 <= a - b <= 0.5 for a, b in zip(ramp, ramp[1:], strict=False))  # no jump back
    assert 27.0 in ramp and ramp[-1] == 26.5
    commands = r.check_recorded()
    assert commands, "nothing was recorded"
    statuses = {row.fields["status"] for row in r.audit()}
    assert statuses == {"applied"}
    rules = {row.series.tag("rule") for row in r.audit()}
    assert {"precool", "demand_limit", "restore"} <= rules


def test_demand_response_level_from_mqtt(rig, mosquitto) -> None:
    import paho.mqtt.client as mqtt

    r = rig()
    r.clock.now = local(9)
    r.step()
    assert r.sims["f2.cool"].applied == []  # flat period, occupied: nothing to command
    utility = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    utility.connect(mosquitto.host, mosquitto.port)
    utility.loop_start()
    until = (r.clock.now + timedelta(minutes=40)).isoformat()
    utility.publish(f"civicwatt/{SITE}/dr/level", json.dumps({"level": 3, "expires_at": until}),
                    qos=1).wait_for_publish(5)
    r.wait(lambda: r.job._dr is not None, "the DR level")
    r.step()
    assert r.sims["f2.cool"].setpoint == 28.5  # 26.5 + 2.0 at level 3
    r.run_until(local(11))
    assert r.sims["f2.cool"].setpoint == 26.5  # DR ended at 09:45: ramped back
    utility.disconnect()
    utility.loop_stop()
    r.check_recorded()


def test_manual_override_is_left_alone(rig) -> None:
    r = rig(hold=3 * 3600)
    r.run_until(local(14, 5))
    sim = r.sims["f2.cool"]
    assert sim.setpoint == 27.5
    sim.person_sets(25.0)  # someone is too warm
    # the state reaches civicwatt within milliseconds, long before its next evaluation
    r.wait(lambda: r.job.governor.point("f2.cool").reported == 25.0, "the person's state")
    r.run_until(local(17, 30))
    assert sim.setpoint == 25.0  # never re-asserted, not even by the restore
    assert r.sims["f3.cool"].setpoint == 26.5  # the other zone carried on normally
    statuses = [row.fields["status"] for row in r.audit() if row.series.tag("point") == "f2.cool"]
    assert "overridden" in statuses
    r.check_recorded()


def test_controller_outage_longer_than_expiry_never_applies_late(rig) -> None:
    r = rig(expiry=1, refresh_before=0)
    sim = r.sims["f2.cool"]
    sim.disconnect()  # its session (and subscription) stays with the broker
    r.clock.now = local(14, 5)
    report = r.job.tick()
    sent = [c for c in report.commands if c.point == "f2.cool"]
    assert sent and r.job.governor.point("f2.cool").status == "sent"
    import time

    time.sleep(2.2)  # past the 1 s message expiry on the broker's whole-second clock
    probe = r.recorder  # a message without expiry proves the broker did queue for the session
    import paho.mqtt.client as mqtt

    other = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    other.connect(probe.host, probe.port)
    other.loop_start()
    other.publish(sim.command_topic, b"probe", qos=1).wait_for_publish(5)
    other.disconnect()
    other.loop_stop()
    sim.connect(clean=False)
    wait_until(lambda: any(p == b"probe" for _, p, _ in sim.received), 10, "the probe")
    assert sim.applied == [] and sim.setpoint == 26.5  # the stale command never arrived
    assert all(p == b"probe" for _, p, _ in sim.received)
    r.clock.now += timedelta(minutes=5)
    changes = r.job.tick().changes
    assert any(c.status == "expired" and c.point == "f2.cool" for c in changes)
    rows = [row for row in r.audit() if row.series.tag("point") == "f2.cool"]
    assert rows[0].fields["status"] == "expired"


def test_dry_run_sends_nothing(rig) -> None:
    r = rig(mode="dry-run")
    r.run_until(local(17, 0))
    assert r.recorder.commands() == []
    assert all(sim.applied == [] for sim in r.sims.values())
    audit = r.audit()
    assert audit and {row.fields["status"] for row in audit} == {"planned"}


def test_audit_trail_in_influxdb(rig, influx_url) -> None:
    """The lifecycle in InfluxDB 1.x: one row per command, its status rewritten in place."""
    r = rig(store_url=influx_url)
    r.run_until(local(14, 10))
    rows = [row for row in r.audit() if row.series.tag("point") == "f2.cool"]
    assert [row.series.tag("rule") for row in rows] == ["precool", "refresh", "demand_limit"]
    last = rows[-1]
    assert last.fields["status"] == "applied" and last.fields["value"] == 27.5
    assert last.fields["previous"] == 26.0
    assert datetime.fromisoformat(last.fields["expires_at"]) == local(14, 0) + timedelta(
        minutes=30)
    assert dict(last.series.tags) == {"site": SITE, "building": "b1", "zone": "f2",
                                      "point": "f2.cool", "rule": "demand_limit"}


def test_controller_rejection_backs_off(rig) -> None:
    """A controller whose clock says the command is already expired rejects it; civicwatt
    records the rejection and leaves the point alone instead of retrying every tick."""
    r = rig(hold=2 * 3600)
    sim = r.sims["f2.cool"]
    sim.clock = lambda: r.clock.now + timedelta(hours=1)  # a controller clock far ahead
    r.run_until(local(15, 30))
    assert sim.applied == [] and sim.setpoint == 26.5
    assert [reason for _, reason in sim.rejected] == ["expired"]  # one try, then hands off
    rows = [row for row in r.audit() if row.series.tag("point") == "f2.cool"]
    assert [row.fields["status"] for row in rows] == ["rejected"]
    assert r.sims["f3.cool"].setpoint == 27.5  # the other zone is unaffected
    r.check_recorded()


def test_restart_never_stacks_an_offset_on_its_own_echo(rig, tmp_path) -> None:
    """After a restart the controller reports our 27.5 °C; with `baseline: reported` a naive
    service would take that as the baseline and command 28.5. The audit trail prevents it."""
    r = rig()
    r.run_until(local(14, 5))
    assert r.sims["f3.cool"].setpoint == 27.5
    r.job.stop()
    r.job = SetpointJob(r.config, store=r.store, clock=r.clock, rng=random.Random(5))
    assert r.job.start()
    r.wait(lambda: r.job.governor.point("f3.cool").reported == 27.5, "retained states")
    assert r.job.governor.baselines()["f3.cool"] is None  # the echo is not a baseline
    r.run_until(local(15, 0))
    assert r.sims["f3.cool"].setpoint == 27.5 and r.sims["f2.cool"].setpoint == 27.5
    assert max(v for _, v in r.sims["f3.cool"].applied) == 27.5
    r.check_recorded()
