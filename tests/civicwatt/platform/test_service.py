"""The upload in `civicwatt run`: an outage backs off and then backfills everything, and
/healthz and /metrics say what the link is doing (the service's PlatformLink, in-process)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from civicwatt.config import load_site
from civicwatt.platform.hourly import NS
from civicwatt.platform.receiver import Receiver, ReceiverSettings
from civicwatt.platform.scan import day_range_ns
from civicwatt.platform.service import PlatformLink
from store import open_store
from tests.civicwatt.platform import demo_hours
from tests.services import free_port, wait_until


@pytest.fixture
def link(demo_config, tmp_path, monkeypatch):
    """The demo site's link to a platform that is down (nothing listens on its port)."""
    monkeypatch.setenv("PLATFORM_KEY", demo_hours.KEY)
    port = free_port()
    data = demo_config.read_text().replace("port: 1\n", f"port: {port}\n")
    config = tmp_path / "site.yaml"
    config.write_text(data)
    site = load_site(config)
    store = open_store(site.store.url)
    made = PlatformLink(site, store, tmp_path / "spool.db")
    yield made, port
    made.stop(timeout_s=10)
    store.close()


def test_an_outage_backs_off_shows_in_health_and_then_everything_is_backfilled(link, tmp_path):
    platform, port = link
    _, end = day_range_ns("Asia/Shanghai", demo_hours.FIRST,
                          demo_hours.FIRST + dt.timedelta(days=1))
    platform.scan(end + 3600 * NS)  # both days' 48 hours
    platform.start()
    uploader = platform.uploaders[0]
    wait_until(lambda: uploader.status.connects >= 2, 20, "two failed attempts")
    ok, details = platform.check()
    demo = details["buildings"]["demo"]
    assert not ok and demo["state"] == "backing_off"
    assert "cannot connect to the platform" in demo["last_error"]
    assert demo["pending_hours"] == 48 and demo["last_ack"] is None
    metrics = {(m.name, tuple(sorted(m.labels.items()))): m.value for m in platform.metrics()}
    assert metrics[("civicwatt_platform_connected", (("building", "demo"),))] == 0.0
    assert metrics[("civicwatt_platform_pending_hours", (("building", "demo"),))] == 48
    receiver = Receiver(ReceiverSettings(key=demo_hours.KEY, out=tmp_path / "rx.jsonl",
                                         port=port)).start()
    try:
        wait_until(lambda: platform.check()[1]["buildings"]["demo"]["pending_hours"] == 0, 60,
                   "the backfill after the outage")
    finally:
        receiver.stop()
    ok, details = platform.check()
    assert ok and details["buildings"]["demo"]["acked_hours"] == 48
    assert details["buildings"]["demo"]["last_acked_hour"].startswith("2026-03-03T15:00")
    lines = [json.loads(x) for x in (tmp_path / "rx.jsonl").read_text().splitlines()]
    assert {x["kind"] for x in lines} == {"continuous"}
    assert len({x["time"] for x in lines}) == 48
