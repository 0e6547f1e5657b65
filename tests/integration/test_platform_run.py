"""`civicwatt run` uploads to the platform: a restart in the middle loses and duplicates
nothing; a kill -9 re-sends at most the one hour in flight; /healthz and /metrics show the link.

The receiver runs in the test process (a `Gate`: it holds back one ack), so the service can be
stopped or killed with a packet in flight at a known point.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from civicwatt.config import load_site
from civicwatt.platform.hourly import HOUR_NS
from civicwatt.platform.messages import beijing_time
from civicwatt.platform.receiver import ReceiverSettings
from rules.clock import local_midnight_ns
from store import open_store
from tests.civicwatt.platform import demo_hours
from tests.civicwatt.platform.gate import Gate
from tests.integration.test_run_service import get
from tests.services import wait_until

ROOT = Path(__file__).parents[2]


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Counters for three days ending the day before yesterday (the service meters them all),
    within the upload's lookback."""
    monkeypatch.setenv("PLATFORM_KEY", demo_hours.KEY)
    today = dt.datetime.now(ZoneInfo(demo_hours.TZ)).date()
    first = today - dt.timedelta(days=3)
    config = demo_hours.write_site(tmp_path, 1, every_s=1, heartbeat_s=2, reply_timeout_s=5)
    end = local_midnight_ns(first + dt.timedelta(days=2), ZoneInfo(demo_hours.TZ))
    demo_hours.fill(config, first, 2, end_ns=end)
    return config


def point_at(config: Path, port: int) -> None:
    data = yaml.safe_load(config.read_text())
    data["platform"]["port"] = port
    data["service"].update(http="127.0.0.1:0", forecast_every_s=86400)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


class Run:
    def __init__(self, config: Path, log: Path) -> None:
        self.log_path = log
        self.log = log.open("a")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "civicwatt", "run", "--config",
                                      str(config)], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=config.parent)

    def url(self) -> str:
        found = re.findall(r"Serving /healthz, /metrics\S*(?: and /api/v1)? on (http://\S+)",
                           self.log_path.read_text())
        assert found
        return found[-1]

    def stop(self, sig=signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(90)
        self.log.close()
        return code


def metered_hours(config: Path) -> set[str]:
    """Hours of the main meter's metered intervals in the store (as the platform writes them),
    read directly, not through the uploader."""
    site = load_site(config)
    store = open_store(site.store.url, site.base_dir)
    try:
        rows = store.read_rows("energy_interval", 0, 2**62, where={"point": "demo.main"})
    finally:
        store.close()
    return {beijing_time(r.time_ns - r.time_ns % HOUR_NS) for r in rows}


def received(receiver: Gate) -> Counter:
    lines = receiver.settings.out.read_text().splitlines()
    return Counter((r["time"], r["code"]) for r in map(json.loads, lines))


def run_until_held(site: Path, tmp_path: Path, hold: int) -> tuple[Gate, Run]:
    """A receiver holding back the ack of data packet `hold`, and the service that sent it."""
    receiver = Gate(ReceiverSettings(key=demo_hours.KEY, out=tmp_path / "rx.jsonl"),
                    hold=hold).start()
    point_at(site, receiver.address[1])
    run = Run(site, tmp_path / "run.log")
    if not receiver.held.wait(120):
        run.stop(signal.SIGKILL)
        receiver.stop()
        raise AssertionError((tmp_path / "run.log").read_text()[-3000:])
    return receiver, run


@pytest.mark.integration
def test_a_restart_in_the_middle_loses_and_duplicates_nothing(site, tmp_path):
    receiver, first = run_until_held(site, tmp_path, 10)
    second = None
    try:
        first.proc.send_signal(signal.SIGTERM)  # packet 10 is in flight: its ack held back
        receiver.release.set()
        assert first.proc.wait(90) == 0, (tmp_path / "run.log").read_text()[-3000:]
        first.log.close()
        assert receiver.data_packets == 10  # it finished the packet in flight, sent no more
        hours = metered_hours(site)
        second = Run(site, tmp_path / "run.log")
        wait_until(lambda: {t for t, _ in received(receiver)} == hours, 120,
                   "every hour at the receiver")
        url = second.url()
        wait_until(lambda: json.loads(get(f"{url}/healthz")[1])["components"]["platform"]
                   ["buildings"]["demo"]["pending_hours"] == 0, 30, "nothing pending")
        health = json.loads(get(f"{url}/healthz")[1])["components"]["platform"]
        status, metrics = get(f"{url}/metrics")
        assert second.stop() == 0
    finally:
        for run in (first, second):  # a failed assertion must not leave a service running
            if run is not None and run.proc.poll() is None:
                run.proc.kill()
        receiver.release.set()
        receiver.stop()
    counts = received(receiver)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert {t for t, _ in counts} == hours and len(hours) >= 48
    demo = health["buildings"]["demo"]
    assert health["ok"] and demo["state"] == "authenticated" and demo["platform_id"] == \
        demo_hours.PLATFORM_ID
    assert demo["acked_hours"] == len(hours) and demo["last_ack"] and demo["last_acked_hour"]
    assert status == 200
    assert 'civicwatt_platform_pending_hours{building="demo"} 0.0' in metrics
    assert 'civicwatt_platform_connected{building="demo"} 1.0' in metrics
    assert 'civicwatt_platform_packets_total{building="demo",kind="continuous"}' in metrics
    log = (tmp_path / "run.log").read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.integration
def test_a_kill_9_re_sends_only_the_hour_in_flight(site, tmp_path):
    receiver, first = run_until_held(site, tmp_path, 5)
    try:
        in_flight = max(received(receiver))[0]  # recorded, its ack never reaches the uploader
        first.stop(signal.SIGKILL)
        receiver.release.set()
        hours = metered_hours(site)
        second = Run(site, tmp_path / "run.log")
        wait_until(lambda: {t for t, _ in received(receiver)} == hours, 120,
                   "every hour at the receiver")
        assert second.stop() == 0
    finally:
        for run in (first, second):  # a failed assertion must not leave a service running
            if run is not None and run.proc.poll() is None:
                run.proc.kill()
        receiver.release.set()
        receiver.stop()
    counts = received(receiver)
    assert {t for t, _ in counts} == hours  # nothing lost
    assert {t for (t, _), n in counts.items() if n > 1} == {in_flight}
