"""The poller against a real pymodbus server: readings, failures, offline and back-off."""

from __future__ import annotations

import asyncio
import time

import pytest

from collector.modbus.poller import ModbusPoller, PointTarget, point_series
from collector.modbus.settings import ModbusSettings, RegisterField
from collector.modbus.simulator import SimulatedDevice

pytestmark = pytest.mark.integration


def settings(port: int, devices: list[dict], **gw) -> ModbusSettings:
    return ModbusSettings.model_validate({
        "gateways": [{"id": "gw", "host": "127.0.0.1", "port": port, "timeout": 0.3, **gw}],
        "devices": [{"gateway": "gw", **d} for d in devices],
    })


def target(device: str, point: str, quantity: str = "power", **reg) -> PointTarget:
    return PointTarget(point, device, RegisterField(**reg),
                       point_series(quantity, site="hq", building="b1", zone="f3",
                                    purpose="01A10", point=point))


def run(coro):
    return asyncio.run(coro)


def test_poll_reads_decodes_and_tags_rows(modbus_server):
    dev = SimulatedDevice(3)
    dev.set_value("input", 0, 230.5, "float32", "CDAB")
    dev.set_value("input", 12, 123456789, "uint32")   # Wh counter
    dev.set_value("holding", 100, -125, "int16")  # 0.1 degC
    dev.set_value("holding", 101, 0b100, "uint16")
    dev.set_bits("coil", 7, [True])
    server = modbus_server(dev)
    s = settings(server.port, [{"id": "m1", "unit": 3}])
    targets = [
        target("m1", "v", "voltage", function="input", address=0, type="float32", order="CDAB"),
        target("m1", "e", "energy", function="input", address=12, type="uint32", scale=0.001),
        target("m1", "t", "temperature", address=100, type="int16", scale=0.1),
        target("m1", "alarm", "status", address=101, type="uint16", bit=2),
        target("m1", "relay", "status", function="coil", address=7),
    ]
    got: list = []
    poller = ModbusPoller(s, targets, got.extend)
    assert poller.plan_lines() == ["m1 unit 3: 3 reads covering 16 registers + 1 bit for 5 points"]
    rows = run(poller.poll_device("m1"))
    by_point = {r.series.tag("point"): r for r in rows}
    assert {p: r.fields["value"] for p, r in by_point.items()} == {
        "v": 230.5, "e": pytest.approx(123456.789), "t": -12.5, "alarm": 1.0, "relay": 1.0}
    assert all(r.fields["quality"] == 0 for r in rows)
    e = by_point["e"]
    assert e.series.measurement == "energy"
    assert e.series.tag_dict == {"site": "hq", "building": "b1", "zone": "f3",
                                 "purpose": "01A10", "point": "e"}
    assert abs(e.time_ns - time.time_ns()) < 5e9
    st = poller.state["m1"]
    assert (st.online, st.reads_ok, st.reads_failed, st.readings) == (True, 3, 0, 5)
    [mon] = poller.state_rows(123, "replica-0")
    assert mon.series.measurement == "civicwatt" and mon.time_ns == 123
    assert mon.series.tag_dict == {"component": "modbus", "instance": "replica-0", "device": "m1"}
    assert mon.fields["online"] == 1 and mon.fields["readings"] == 5
    poller.close()


def test_counter_wrap_is_passed_on_as_read(modbus_server):
    dev = SimulatedDevice(1)
    server = modbus_server(dev)
    poller = ModbusPoller(settings(server.port, [{"id": "m", "unit": 1}]),
                          [target("m", "e", "energy", address=0, type="uint16")], lambda r: None)

    async def two_polls():
        dev.set_value("holding", 0, 65535, "uint16")
        a = await poller.poll_device("m")
        dev.set_value("holding", 0, 3, "uint16")
        b = await poller.poll_device("m")
        return a[0].fields["value"], b[0].fields["value"]

    assert run(two_polls()) == (65535.0, 3.0)
    poller.close()


def test_busy_device_is_retried_and_then_read(modbus_server):
    dev = SimulatedDevice(2)
    dev.set_value("holding", 0, 42, "uint16")
    dev.busy_for = 2
    server = modbus_server(dev)
    poller = ModbusPoller(settings(server.port, [{"id": "m", "unit": 2, "retries": 2}]),
                          [target("m", "x", address=0)], lambda r: None, busy_wait=0.01)
    rows = run(poller.poll_device("m"))
    assert [r.fields["value"] for r in rows] == [42.0]
    assert dev.requests == 3
    poller.close()


def test_busy_past_retries_gives_no_reading_but_device_stays_online(modbus_server):
    dev = SimulatedDevice(2)
    dev.busy_for = 10
    server = modbus_server(dev)
    poller = ModbusPoller(settings(server.port, [{"id": "m", "unit": 2, "retries": 1}]),
                          [target("m", "x", address=0)], lambda r: None, busy_wait=0.01)
    assert run(poller.poll_device("m")) == []
    st = poller.state["m"]
    assert st.online is True and "device busy" in st.last_error
    assert dev.requests == 2
    poller.close()


def test_illegal_address_isolates_points_and_names_the_register(modbus_server, caplog):
    dev = SimulatedDevice(5)
    dev.set_value("holding", 0, 1, "uint16")
    dev.set_value("holding", 4, 2, "uint16")
    dev.set_value("holding", 6, 3, "uint16")
    dev.illegal.append(("holding", 4, 5))  # one bad register among three points
    server = modbus_server(dev)
    poller = ModbusPoller(settings(server.port, [{"id": "m9", "unit": 5}]),
                          [target("m9", "a", address=0), target("m9", "bad", address=4),
                           target("m9", "c", address=6)], lambda r: None)
    assert poller.plan_lines() == ["m9 unit 5: 1 read covering 7 registers for 3 points"]
    with caplog.at_level("ERROR"):
        rows = run(poller.poll_device("m9"))
    assert sorted((r.series.tag("point"), r.fields["value"]) for r in rows) == [
        ("a", 1.0), ("c", 3.0)]  # no reading (and never a 0) for the bad one
    st = poller.state["m9"]
    assert st.online is True
    assert "unit 5 holding 4: exception 0x02 illegal data address (point bad" in st.last_error
    assert "m9" in caplog.text and "holding 4" in caplog.text
    # the plan now keeps the bad register out of merged reads: next poll is clean of retries
    before = dev.requests
    rows = run(poller.poll_device("m9"))
    assert len(rows) == 2 and dev.requests - before == len(poller.plans["m9"].reads)
    poller.close()


def test_nan_float_is_not_a_reading(modbus_server):
    dev = SimulatedDevice(1)
    dev.set_value("input", 0, float("nan"), "float32")
    dev.set_value("input", 2, 5.0, "float32")
    server = modbus_server(dev)
    poller = ModbusPoller(settings(server.port, [{"id": "m", "unit": 1}]),
                          [target("m", "nan", function="input", address=0, type="float32"),
                           target("m", "ok", function="input", address=2, type="float32")],
                          lambda r: None)
    rows = run(poller.poll_device("m"))
    assert [(r.series.tag("point"), r.fields["value"]) for r in rows] == [("ok", 5.0)]
    poller.close()


def test_rtu_over_tcp_framing(modbus_server):
    dev = SimulatedDevice(7)
    dev.set_value("holding", 10, 3.25, "float32", "BADC")
    server = modbus_server(dev, framer="rtu")
    s = settings(server.port, [{"id": "m", "unit": 7}], transport="rtu_over_tcp")
    poller = ModbusPoller(s, [target("m", "x", address=10, type="float32", order="BADC")],
                          lambda r: None)
    assert [r.fields["value"] for r in run(poller.poll_device("m"))] == [3.25]
    poller.close()


def test_rtu_serial_line(modbus_server):
    """The `rtu` transport (pymodbus's serial client over pyserial) on a pyserial
    socket:// URL: a real RTU byte stream, served by the simulator's RTU framer."""
    a, b = SimulatedDevice(4), SimulatedDevice(6)
    a.set_value("holding", 3, 12.5, "float32")
    b.set_value("input", 0, 7, "uint16")
    server = modbus_server(a, b, framer="rtu")
    s = ModbusSettings.model_validate({
        "gateways": [{"id": "line1", "transport": "rtu", "baudrate": 19200, "parity": "E",
                      "serial_port": f"socket://127.0.0.1:{server.port}"}],
        "devices": [{"id": "m4", "gateway": "line1", "unit": 4},
                    {"id": "m6", "gateway": "line1", "unit": 6}],
    })
    poller = ModbusPoller(s, [target("m4", "x", address=3, type="float32"),
                              target("m6", "y", function="input", address=0)], lambda r: None)
    assert poller.links["m4"] is poller.links["m6"]  # one serial line, one request at a time

    async def both():
        return await asyncio.gather(poller.poll_device("m4"), poller.poll_device("m6"))

    rows = [r for rs in run(both()) for r in rs]
    assert sorted(r.fields["value"] for r in rows) == [7.0, 12.5]
    assert server.max_in_flight == 1
    poller.close()


def test_shard_splits_devices_between_replicas(modbus_server):
    server = modbus_server(*[SimulatedDevice(u) for u in range(1, 21)])
    devs = [{"id": f"m{u}", "unit": u} for u in range(1, 21)]
    targets = [target(f"m{u}", f"p{u}", address=0) for u in range(1, 21)]
    s = settings(server.port, devs)
    seen = [set(ModbusPoller(s, targets, lambda r: None, shard=(i, 3)).devices)
            for i in range(3)]
    assert set().union(*seen) == {f"m{u}" for u in range(1, 21)}
    assert sum(len(x) for x in seen) == 20 and all(seen)


def test_dead_device_goes_offline_backs_off_while_others_keep_schedule(modbus_server):
    """Schedule adherence, not speed: healthy devices poll on every 0.25 s tick (generous
    tolerance) while a dead one is marked offline, probed less and less often, and
    produces no readings; when it answers again it is back online."""
    devices = [SimulatedDevice(u) for u in (1, 2, 3)]
    for d in devices:
        d.set_value("holding", 0, d.unit, "uint16")
    server = modbus_server(*devices)
    interval = 0.25
    s = settings(server.port, [{"id": f"m{u}", "unit": u, "interval": interval, "retries": 0,
                                "timeout": 0.25} for u in (1, 2, 3)])
    polls: dict[str, list[float]] = {"m1": [], "m2": [], "m3": []}

    def sink(rows):
        for r in rows:
            polls[r.series.tag("point").split(".")[0]].append(time.monotonic())

    targets = [target(f"m{u}", f"m{u}.x", address=0) for u in (1, 2, 3)]
    poller = ModbusPoller(s, targets, sink, max_backoff=1.6)
    probes: list[float] = []

    async def scenario():
        task = asyncio.create_task(poller.run())
        await asyncio.sleep(0.5)
        devices[2].mode = "dead"
        dead_since = time.monotonic()
        start_requests = devices[2].requests
        readings_before = len(polls["m3"])
        await asyncio.sleep(3.0)
        assert poller.state["m3"].online is False
        assert "no answer" in poller.state["m3"].last_error
        assert len(polls["m3"]) == readings_before  # not one reading while dead
        probes.append(devices[2].requests - start_requests)
        for d in ("m1", "m2"):
            assert poller.state[d].online is True
        devices[2].mode = "ok"
        await asyncio.sleep(2.5)  # longest back-off is 1.6 s
        poller.stop()
        await task
        return dead_since

    dead_since = run(scenario())
    # dead for 3 s at a 0.25 s interval is 12 ticks; back-off 0.25, 0.5, 1, 1.6 s probes far less
    assert 2 <= probes[0] <= 6
    assert poller.state["m3"].online is True and len(polls["m3"]) > 0
    for d in ("m1", "m2"):
        times = [t for t in polls[d] if t > dead_since]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert len(times) >= 0.7 * 5.5 / interval, (d, len(times))  # ~22 ticks
        assert max(gaps) < 3 * interval, (d, max(gaps))


@pytest.mark.parametrize(("one_in_flight", "expect_max"), [(True, 1), (False, 4)])
def test_one_request_in_flight_per_gateway_when_it_needs_it(modbus_server, one_in_flight,
                                                             expect_max):
    devices = [SimulatedDevice(u) for u in (1, 2, 3, 4)]
    for d in devices:
        d.delay = 0.05
    server = modbus_server(*devices)
    s = settings(server.port, [{"id": f"m{u}", "unit": u} for u in (1, 2, 3, 4)],
                 one_in_flight=one_in_flight)
    poller = ModbusPoller(s, [target(f"m{u}", f"p{u}", address=0) for u in (1, 2, 3, 4)],
                          lambda r: None)

    async def all_at_once():
        return await asyncio.gather(*(poller.poll_device(f"m{u}") for u in (1, 2, 3, 4)))

    results = run(all_at_once())
    assert all(len(rows) == 1 for rows in results)
    assert server.max_in_flight == expect_max
    assert len(set(poller.links.values())) == (1 if one_in_flight else 4)
    poller.close()


def test_background_thread_polls_and_stops_from_another_thread(modbus_server):
    dev = SimulatedDevice(1)
    dev.set_value("holding", 0, 5, "uint16")
    server = modbus_server(dev)
    got: list = []
    poller = ModbusPoller(settings(server.port, [{"id": "m", "unit": 1, "interval": 0.1}]),
                          [target("m", "x", address=0)], got.extend)
    thread = poller.start_background()
    deadline = time.monotonic() + 10
    while len(got) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    poller.stop()
    assert not thread.is_alive()
    assert len(got) >= 3 and {r.fields["value"] for r in got} == {5.0}


def test_dead_device_on_a_shared_serial_line_delays_others_by_at_most_its_timeout(
        modbus_server):
    """On a one-request-at-a-time line a silent device holds the line for its timeout when
    probed; its neighbours still poll on every tick (interval 0.5 s > timeout 0.15 s)."""
    devices = [SimulatedDevice(u) for u in (1, 2, 3)]
    devices[2].mode = "dead"
    server = modbus_server(*devices, framer="rtu")
    interval = 0.5
    s = settings(server.port, [{"id": f"m{u}", "unit": u, "interval": interval, "retries": 0,
                                "timeout": 0.15} for u in (1, 2, 3)],
                 transport="rtu_over_tcp")
    polls: dict[str, list[float]] = {"m1": [], "m2": [], "m3": []}

    def sink(rows):
        polls[rows[0].series.tag("point")].append(time.monotonic())

    poller = ModbusPoller(s, [target(f"m{u}", f"m{u}", address=0) for u in (1, 2, 3)], sink)
    assert len(set(poller.links.values())) == 1

    async def scenario():
        task = asyncio.create_task(poller.run())
        await asyncio.sleep(4.2)
        poller.stop()
        await task

    run(scenario())
    assert poller.state["m3"].online is False and polls["m3"] == []
    assert server.max_in_flight == 1
    for d in ("m1", "m2"):
        gaps = [b - a for a, b in zip(polls[d], polls[d][1:], strict=False)]
        assert len(polls[d]) >= 0.7 * 4.2 / interval, (d, len(polls[d]))
        assert max(gaps) < 2 * interval, (d, max(gaps))
