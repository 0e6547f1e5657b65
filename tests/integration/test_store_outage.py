"""Store errors are outages, not bad data: a real InfluxDB 1.x with `auth-enabled = true`.

civicwatt is configured with a password the database does not know yet (a rotation half
done). Every reading must stay in the spool — none dead-lettered — the writer must say so
once (not once per attempt) and retry with backoff, and when the database learns the new
password every reading lands without a restart or a replay step.
"""

from __future__ import annotations

import logging
import threading

import pytest

from collector.spool import Spool
from collector.writer import Writer
from store import open_store
from tests.services import wait_until

pytestmark = pytest.mark.integration
T0 = 1_795_000_000 * 10**9


def lines(n: int, start: int = 0) -> list[str]:
    return [f"energy,point=p{i % 7},site=s value={i}.5 {T0 + i * 10**9}"
            for i in range(start, start + n)]


def test_a_wrong_password_keeps_every_reading_until_the_right_one_lands_them_all(
        tmp_path, influxdb_factory, caplog):
    server = influxdb_factory(auth=True)
    server.create_user("civicwatt", "old-secret", "auth")
    store = open_store(f"influxdb1://civicwatt:new-secret@127.0.0.1:{server.port}/auth")
    spool = Spool(tmp_path / "s.db")
    for k in range(3):
        spool.append_lines(lines(1000, k * 1000))
    writer = Writer(spool, store, batch_lines=1000, max_backoff=0.2)
    thread = threading.Thread(target=writer.run, daemon=True)
    with caplog.at_level(logging.INFO, logger="collector.writer"):
        thread.start()
        wait_until(lambda: writer.stats.outage and writer.stats.outage.attempts >= 8, 30,
                   "the writer to retry")
        outage = writer.stats.outage
        assert outage.cause == "auth" and "HTTP 401: authorization failed" in outage.error
        assert outage.error.startswith(f"influxdb1://civicwatt:***@127.0.0.1:{server.port}/auth")
        assert "new-secret" not in outage.error
        assert Spool(tmp_path / "s.db").depth == 3000
        assert spool.dead_letters() == [] and writer.stats.dead == 0
        assert writer.stats.requests == outage.attempts  # no bisection of a refused batch
        server.set_password("civicwatt", "new-secret")  # the DBA finishes the rotation
        wait_until(lambda: Spool(tmp_path / "s.db").depth == 0, 30, "the spool to drain")
        writer.stop()
        thread.join(15)
    count = server.query("SELECT count(value) FROM energy", "auth")
    assert count["results"][0]["series"][0]["values"][0][1] == 3000
    assert spool.dead_letters() == [] and writer.stats.store_ok
    down = [r for r in caplog.records if "unavailable (auth)" in r.getMessage()]
    back = [r for r in caplog.records if "is back after" in r.getMessage()]
    assert len(down) == 1 and len(back) == 1, caplog.text  # one line per state change


def test_a_missing_database_the_user_may_not_create_is_an_outage_too(tmp_path,
                                                                      influxdb_factory):
    server = influxdb_factory(auth=True)
    server.create_user("civicwatt", "secret", "other")
    store = open_store(f"influxdb1://civicwatt:secret@127.0.0.1:{server.port}/gone")
    spool = Spool(tmp_path / "s.db")
    spool.append_lines(lines(10))
    writer = Writer(spool, store)
    from store import StoreUnavailable

    with pytest.raises(StoreUnavailable) as caught:
        writer.drain_once()
    assert caught.value.cause == "database_missing"
    assert "CREATE DATABASE" in str(caught.value)
    assert spool.depth == 10 and spool.dead_letters() == []
