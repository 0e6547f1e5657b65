"""Modbus polling: planned reads next to one request per point, same fleet, same run.

    python -m bench.modbus_poll [--devices 200] [--cycles 5] [--interval 2]

A pymodbus server in its own process simulates the fleet on loopback (every device a
unit id behind one Modbus TCP gateway that allows a connection per device). Each device
has 40 points. Two register maps are measured:

- `bms-40`: a 40-point meter/controller map (30 float32, 6 uint32 counters, 4 status
  words) with one unused register between values, the common layout of BMS controllers;
- `sdm630`: the shipped Eastron SDM630 profile (40 points spread over 5 blocks of its
  real register map), at the default max_gap of 10.

For each: requests per cycle and the median full-cycle time (all devices polled at
once, from the cycle's start until the last device's readings are decoded), for the
planner and for per-point polling. Then the real scheduler runs `--interval` second
ticks for a few cycles and reports whether every device was polled on every tick.
Goals: >= 10x fewer requests than per-point polling; every device within a 2 s cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import time
from pathlib import Path

from collector.modbus.plan import plan_per_point
from collector.modbus.poller import ModbusPoller, PointTarget, point_series
from collector.modbus.profiles import shipped_profiles
from collector.modbus.settings import ModbusSettings, RegisterField

ROOT = Path(__file__).resolve().parents[1]


def bms_40() -> dict[str, RegisterField]:
    """40 points: float32 at 0,3,6,... (one spare register between), then counters, status."""
    regs: dict[str, RegisterField] = {}
    addr = 0
    for i in range(30):
        regs[f"f{i}"] = RegisterField(function="input", address=addr, type="float32")
        addr += 3
    for i in range(6):
        regs[f"e{i}"] = RegisterField(function="input", address=addr, type="uint32",
                                      order="CDAB", scale=0.01)
        addr += 2
    for i in range(4):
        regs[f"s{i}"] = RegisterField(function="input", address=addr, type="uint16")
        addr += 1
    return regs


def _serve(maps: dict[str, dict], devices: int, queue: mp.Queue, stop: mp.Event) -> None:
    from collector.modbus.simulator import SimulatedDevice, SimulatorServer

    sims = []
    for unit in range(1, devices + 1):
        dev = SimulatedDevice(unit, size=400)
        for i, (_, reg) in enumerate(maps.items()):
            value = float(unit * 100 + i) if reg.type.startswith("float") else unit * 100 + i
            dev.set_value(reg.fn, reg.addr, value, reg.type, reg.order)
        sims.append(dev)
    with SimulatorServer(sims) as server:
        queue.put(server.port)
        stop.wait()


def make_poller(port: int, devices: int, regs: dict[str, RegisterField],
                sink=lambda rows: None, interval: float = 2.0) -> ModbusPoller:
    settings = ModbusSettings.model_validate({
        "gateways": [{"id": "gw", "host": "127.0.0.1", "port": port, "timeout": 3.0}],
        "devices": [{"id": f"d{u:03d}", "gateway": "gw", "unit": u, "interval": interval}
                    for u in range(1, devices + 1)],
    })
    targets = [PointTarget(f"d{u:03d}.{name}", f"d{u:03d}", reg,
                           point_series("power", site="bench", building="b", zone="z",
                                        purpose="01A10", point=f"d{u:03d}.{name}"))
               for u in range(1, devices + 1) for name, reg in regs.items()]
    return ModbusPoller(settings, targets, sink)


async def _cycles(poller: ModbusPoller, cycles: int) -> tuple[list[float], int, int]:
    times, readings = [], 0
    before = sum(link.requests for link in set(poller.links.values()))
    for _ in range(cycles):
        start = time.perf_counter()
        results = await asyncio.gather(*(poller.poll_device(d) for d in poller.devices))
        times.append(time.perf_counter() - start)
        readings = sum(len(r) for r in results)
    requests = sum(link.requests for link in set(poller.links.values())) - before
    return times, requests // cycles, readings


def measure(port: int, devices: int, regs: dict[str, RegisterField], cycles: int,
            per_point: bool) -> tuple[float, int, int]:
    poller = make_poller(port, devices, regs)
    if per_point:
        for d, plan in list(poller.plans.items()):
            poller.plans[d] = plan_per_point(plan.points)

    async def go() -> tuple[list[float], int, int]:
        await _cycles(poller, 1)  # connect every device first; not timed
        return await _cycles(poller, cycles)

    times, requests, readings = asyncio.run(go())
    poller.close()
    return statistics.median(times), requests, readings


def scheduled(port: int, devices: int, regs: dict[str, RegisterField], interval: float,
              ticks: int) -> tuple[int, int, float]:
    """Run the real scheduler; return (devices polled on every tick, devices, worst lag s)."""
    stamps: dict[str, list[float]] = {}

    def sink(rows) -> None:
        device = rows[0].series.tag("point").split(".")[0]
        stamps.setdefault(device, []).append(time.time())

    poller = make_poller(port, devices, regs, sink, interval)

    async def go() -> None:
        task = asyncio.create_task(poller.run())
        await asyncio.sleep(interval * (ticks + 1) + 0.5)
        poller.stop()
        await task

    asyncio.run(go())
    good, lag = 0, 0.0
    for d in poller.devices:
        ts = stamps.get(d, [])[1:ticks + 1]  # skip the first tick (connecting)
        if len(ts) == ticks:
            good += 1
        lag = max([lag] + [t - (t // interval) * interval for t in ts])
    return good, devices, lag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    sdm = shipped_profiles()["eastron-sdm630"].registers
    maps = {"bms-40": bms_40(), "sdm630": dict(sdm)}
    print(f"{args.devices} simulated devices x 40 points on loopback, median of "
          f"{args.cycles} cycles (pymodbus server in its own process)\n")
    print(f"{'map':8} {'polling':10} {'requests/cycle':>15} {'cycle s':>8} {'readings':>9}")
    for name, regs in maps.items():
        stop = mp.Event()
        queue: mp.Queue = mp.Queue()
        proc = mp.Process(target=_serve, args=(regs, args.devices, queue, stop), daemon=True)
        proc.start()
        port = queue.get(timeout=60)
        try:
            planned = measure(port, args.devices, regs, args.cycles, per_point=False)
            naive = measure(port, args.devices, regs, args.cycles, per_point=True)
            for label, (cycle, requests, readings) in (("planned", planned),
                                                        ("per-point", naive)):
                print(f"{name:8} {label:10} {requests:>15,} {cycle:>8.3f} {readings:>9,}")
            ratio = naive[1] / planned[1]
            print(f"{name:8} {'ratio':10} {ratio:>14.1f}x {naive[0] / planned[0]:>7.1f}x "
                  f"{'(goal >= 10x fewer requests: ' + ('met' if ratio >= 10 else 'NOT met')})")
            if name == "bms-40":
                good, total, lag = scheduled(port, args.devices, regs, args.interval, 3)
                print(f"{name:8} scheduled: {good}/{total} devices polled on each of 3 "
                      f"{args.interval:g} s ticks, worst lag after tick {lag:.3f} s "
                      f"(goal: every device within the cycle: "
                      f"{'met' if good == total and lag < args.interval else 'NOT met'})")
            print()
        finally:
            stop.set()
            proc.join(10)


if __name__ == "__main__":
    main()
