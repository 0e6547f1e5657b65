"""/healthz says why data is not flowing: the store's cause, a full dead-letter table
(Modbus: tests/collector/modbus/test_poller_health.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from civicwatt.config import load_site
from civicwatt.service.run import Service
from tests.services import wait_until

SITE = """\
version: 1
site: {{id: hq, name: HQ, timezone: Asia/Shanghai, country: CN}}
buildings: [{{id: b1, floor_area_m2: 1000, occupants: 10}}]
store: {{url: "{url}"}}
service: {{http: "127.0.0.1:0", spool: spool.db, dead_letter_capacity: 2}}
"""
T0 = 1_795_000_000 * 10**9


def healthz(service: Service) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{service.http.url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def service_for(tmp_path, url: str) -> Service:
    (tmp_path / "site.yaml").write_text(SITE.format(url=url))
    service = Service(load_site(tmp_path / "site.yaml"))
    service.http.start()
    return service


@pytest.mark.integration
def test_healthz_is_503_naming_the_credentials_until_they_are_fixed(tmp_path,
                                                                     influxdb_factory):
    server = influxdb_factory(auth=True)
    server.create_user("civicwatt", "old-secret", "hq")
    service = service_for(tmp_path, f"influxdb1://civicwatt:new-secret@127.0.0.1:"
                                    f"{server.port}/hq")
    writer = service.pipeline.writer
    try:
        status, body = healthz(service)  # nothing written yet: the ping finds it
        assert status == 503, body
        assert any(p.startswith("store: ") and "HTTP 401" in p for p in body["problems"])
        assert "new-secret" not in json.dumps(body)
        writer.spool.append_lines([f"energy,point=m value=1.0 {T0}"])
        service.pipeline.start()
        wait_until(lambda: writer.stats.outage is not None, 15, "the writer's first attempt")
        status, body = healthz(service)
        store = body["components"]["store"]
        assert (status, store["cause"]) == (503, "auth")
        assert "user and password" in store["what_to_do"]
        assert writer.stats.status().startswith("DOWN since") and "(auth)" in \
            writer.stats.status()
        assert body["components"]["collection"]["dead_letters"] == 0
        server.set_password("civicwatt", "new-secret")
        wait_until(lambda: healthz(service)[0] == 200, 30, "/healthz to recover")
        assert writer.spool.depth == 0 and writer.stats.status() == "ok"
    finally:
        service.pipeline.stop()
        service.http.stop()
        service.store.close()


def test_a_full_dead_letter_table_is_503_while_good_readings_keep_landing(tmp_path):
    service = service_for(tmp_path, f"sqlite://{tmp_path}/store.db")
    spool = service.pipeline.writer.spool
    try:
        bad = [(T0, "bms/x", b"?", "non_numeric", "not a number")] * 3
        assert spool.append_lines([f"energy,point=m value={i}.0 {T0 + i}" for i in range(5)],
                                  bad)
        status, body = healthz(service)
        assert status == 503
        (problem,) = body["problems"]
        assert problem.startswith("collection: dead-letter full (2 of 2; 1 bad messages held)")
        assert "deadletter export" in problem and "purge" in problem
        while service.pipeline.writer.drain_once():
            pass
        assert spool.depth == 0
        assert len(service.store.read_raw("energy", T0, T0 + 10)) == 5
        metrics = {m.name: m.value for m in service._metrics()}
        assert (metrics["civicwatt_dead_letters"], metrics["civicwatt_dead_letters_held"]) == (
            2, 1)
        spool.purge_dead(T0 + 1)
        assert healthz(service)[0] == 200
    finally:
        service.http.stop()
        service.store.close()
