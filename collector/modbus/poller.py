"""The Modbus poller: every device on its own schedule, readings to a sink.

Scheduling is plain asyncio, one task per device: a device polls at the multiples
of its interval (epoch-aligned, so devices with the same interval form a group that
ticks together), skips ticks it missed, and backs off exponentially while offline
(interval x 1, 2, 4, ... up to `max_backoff`). Devices never wait for each other
except where the wire forces it: a serial line or a gateway marked `one_in_flight`
is one `Link` with one request at a time; devices behind a Modbus TCP gateway that
allows concurrency get a connection each.

A read that fails produces no reading (never a 0): the points whose words came
from it are skipped. Timeouts mark the device offline; "device busy" is retried;
"illegal data address" is not retried but isolates the points of that read so the
next attempt finds the one bad register, and is reported with device and register.
Device state (online/offline, last error, counters) is kept in `DeviceState`s for
self-monitoring (`state_rows`); a device that has not answered within
`NEVER_ANSWERED_INTERVALS` of its intervals since start counts as offline (`status`).

A sink that refuses (the spool is full while the store is down) stops the polling: the
`SinkGate` backs off and asks `room()` before the poller reads again, instead of reading
values it cannot keep, and counts what is dropped (collector/modbus/state.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from collector.modbus.client import (
    Link,
    ModbusBusy,
    ModbusError,
    ModbusIllegalAddress,
    ModbusTimeout,
)
from collector.modbus.decode import value_of
from collector.modbus.plan import DevicePlan, Read, plan_reads, shard_of
from collector.modbus.settings import (
    BIT_FUNCTIONS,
    Device,
    DeviceProfile,
    ModbusBinding,
    ModbusSettings,
    RegisterField,
    device_fields,
)
from collector.modbus.state import NOT_FINITE, SPOOL_FULL, DeviceState, SinkGate
from collector.series import point_series  # noqa: F401 (re-exported)
from store.types import Row, Series

_LOG = logging.getLogger(__name__)

Sink = Callable[[Sequence[Row]], None]


@dataclass(frozen=True, slots=True)
class PointTarget:
    """One site point read from Modbus: where from, and the series its readings go to."""

    point: str
    device: str
    register: RegisterField
    series: Series


def resolve_targets(settings: ModbusSettings, profiles: Mapping[str, DeviceProfile],
                    bindings: Iterable[tuple[Series, ModbusBinding]]) -> list[PointTarget]:
    """Resolve (series, binding) pairs into targets; run `check_modbus` first."""
    all_profiles = {**profiles, **{p.name: p for p in settings.profiles}}
    devices = {d.id: d for d in settings.devices}
    out = []
    for series, b in bindings:
        dev = devices[b.device]
        reg = b.inline if b.inline is not None else device_fields(dev, all_profiles)[b.field or ""]
        out.append(PointTarget(series.tag("point"), dev.id, reg, series))
    return out


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _effective(dev: Device, profile: DeviceProfile | None) -> tuple[float, int, bool]:
    """(interval, max_gap, one_register_per_request): the device's own, else the profile's."""
    d = profile.defaults if profile is not None else None
    explicit = dev.model_fields_set

    def pick(name: str, default: object) -> object:
        if name in explicit or d is None or getattr(d, name) is None:
            return default
        return getattr(d, name)

    return (float(pick("interval", dev.interval)), int(pick("max_gap", dev.max_gap)),  # type: ignore[arg-type]
            bool(pick("one_register_per_request", dev.one_register_per_request)))


class ModbusPoller:
    """Polls the devices of this shard and hands readings to `sink`."""

    def __init__(
        self,
        settings: ModbusSettings,
        targets: Sequence[PointTarget],
        sink: Sink,
        *,
        profiles: Mapping[str, DeviceProfile] | None = None,
        shard: tuple[int, int] = (0, 1),
        max_backoff: float = 300.0,
        busy_wait: float = 0.1,
        clock: Callable[[], float] = time.time,
        room: Callable[[], bool] | None = None,
    ) -> None:
        """`room()`, if given, says whether the sink would take readings now (asked while
        backing off from a refusing sink, so no device is read in vain)."""
        self.sink = sink
        self.max_backoff = max_backoff
        self.busy_wait = busy_wait
        self.clock = clock
        all_profiles = {**(profiles or {}), **{p.name: p for p in settings.profiles}}
        gateways = {g.id: g for g in settings.gateways}
        by_device: dict[str, list[PointTarget]] = {}
        for t in targets:
            by_device.setdefault(t.device, []).append(t)
        index, count = shard
        self.devices: dict[str, Device] = {}
        self.intervals: dict[str, float] = {}
        self.plans: dict[str, DevicePlan] = {}
        self.links: dict[str, Link] = {}
        self.state: dict[str, DeviceState] = {}
        self._targets: dict[str, dict[str, PointTarget]] = {}
        self._gap: dict[str, tuple[int, bool]] = {}
        self._isolated: dict[str, frozenset[str]] = {}
        shared: dict[str, Link] = {}
        for dev in settings.devices:
            if shard_of(dev.id, count) != index or dev.id not in by_device:
                continue
            gw = gateways[dev.gateway]
            interval, max_gap, one_reg = _effective(dev, all_profiles.get(dev.profile or ""))
            self.devices[dev.id] = dev
            self.intervals[dev.id] = interval
            self._gap[dev.id] = (max_gap, one_reg)
            self._targets[dev.id] = {t.point: t for t in by_device[dev.id]}
            self._isolated[dev.id] = frozenset()
            self.plans[dev.id] = self._plan(dev.id)
            timeout = dev.timeout if dev.timeout is not None else gw.timeout
            if gw.serialized:
                if gw.id not in shared:
                    shared[gw.id] = Link.for_gateway(gw)
                self.links[dev.id] = shared[gw.id]
            else:
                self.links[dev.id] = Link.for_gateway(gw, timeout)
            self.state[dev.id] = DeviceState(dev.id, gw.id, dev.unit)
        self._stop = asyncio.Event()
        self.gate = SinkGate(room, max_backoff)
        self.started_at = clock()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- planning ---------------------------------------------------------------
    def _plan(self, device_id: str) -> DevicePlan:
        max_gap, one_reg = self._gap[device_id]
        points = [(p, t.register) for p, t in self._targets[device_id].items()]
        return plan_reads(points, max_gap=max_gap, one_register_per_request=one_reg,
                          isolate=self._isolated[device_id])

    def plan_lines(self) -> list[str]:
        """One start-up log line per device, e.g. "m1 unit 3: 3 reads covering ..."."""
        return [self.plans[d].summary(f"{d} unit {dev.unit}") for d, dev in self.devices.items()]

    # -- one poll -----------------------------------------------------------------
    async def poll_device(self, device_id: str) -> list[Row]:
        """Poll one device once: read its plan, decode, update state, return the rows."""
        dev, st, link = self.devices[device_id], self.state[device_id], self.links[device_id]
        timeout = dev.timeout if dev.timeout is not None else link.timeout
        st.polls += 1
        started = time.monotonic()
        answered = timed_out = False
        plan = self.plans[device_id]
        results: list[list[int] | list[bool] | None] = [None] * len(plan.reads)
        stamps = [0] * len(plan.reads)
        i = 0
        while i < len(plan.reads):
            read = plan.reads[i]
            try:
                results[i] = await self._read(dev, link, read, timeout, st.online is not False)
                stamps[i] = time.time_ns()
                st.reads_ok += 1
                answered = True
            except ModbusTimeout as exc:
                st.reads_failed += 1
                self._error(st, exc, "")
                timed_out = True
                break
            except ModbusIllegalAddress as exc:
                answered = True
                names = self._points_in(plan, i)
                merged = len(names) > 1 or read.count > self._words(device_id, names)
                if merged and not set(names) <= self._isolated[device_id]:
                    # a merged read was refused: give its points reads of their own, retry now
                    self._isolated[device_id] |= frozenset(names)
                    self.plans[device_id] = self._plan(device_id)
                    _LOG.info("modbus %s: %s refused (%s); reading its %d point(s) one by one",
                              device_id, exc.where, exc.message, len(names))
                    plan = self.plans[device_id]
                    results = [None] * len(plan.reads)
                    stamps = [0] * len(plan.reads)
                    i = 0
                    continue
                st.reads_failed += 1
                self._error(st, exc, f" (point {', '.join(names)}; check its address)")
            except ModbusError as exc:  # busy after retries, other exception codes
                answered = True
                st.reads_failed += 1
                self._error(st, exc, "")
            i += 1
        rows = self._rows(device_id, plan, results, stamps)
        st.last_poll_s = time.monotonic() - started
        if timed_out and not answered:
            if st.online is not False:
                _LOG.warning("modbus %s (unit %d) is offline: %s", device_id, dev.unit,
                             st.last_error)
            st.online = False
            st.failures += 1
        else:
            if st.online is False:
                _LOG.info("modbus %s (unit %d) is back online", device_id, dev.unit)
            st.online = True
            st.failures = 0
            if not timed_out and len(rows) == len(plan.points):
                st.last_error = ""
        if rows:
            st.last_ok_ns = rows[-1].time_ns
            st.readings += len(rows)
        return rows

    async def _read(self, dev: Device, link: Link, read: Read, timeout: float,
                    retry_timeouts: bool) -> list[int] | list[bool]:
        attempt = 0
        while True:
            try:
                return await link.read(dev.unit, read.function, read.address, read.count,
                                       timeout)
            except ModbusBusy:
                if attempt >= dev.retries:
                    raise
                await asyncio.sleep(self.busy_wait * (attempt + 1))
            except ModbusTimeout:
                if attempt >= dev.retries or not retry_timeouts:
                    raise
            attempt += 1

    def _words(self, device_id: str, names: Sequence[str]) -> int:
        """Registers the largest of the named points needs."""
        return max((self._targets[device_id][n].register.words for n in names), default=0)

    @staticmethod
    def _points_in(plan: DevicePlan, read_index: int) -> list[str]:
        return [plan.points[k][0] for k, locs in enumerate(plan.locations)
                if any(ri == read_index for ri, _ in locs)]

    def _error(self, st: DeviceState, exc: ModbusError, extra: str) -> None:
        text = f"{exc}{extra}"
        st.last_error = text
        if isinstance(exc, ModbusIllegalAddress) and text not in st.errors_seen:
            st.errors_seen.add(text)
            _LOG.error("modbus %s: %s", st.device, text)

    def _rows(self, device_id: str, plan: DevicePlan,
              results: Sequence[list[int] | list[bool] | None], stamps: Sequence[int]) -> list[Row]:
        rows: list[Row] = []
        targets = self._targets[device_id]
        for (name, reg), locs in zip(plan.points, plan.locations, strict=True):
            if any(results[ri] is None for ri, _ in locs):
                continue
            if reg.fn in BIT_FUNCTIONS:
                ri, off = locs[0]
                value = value_of(reg, bit=bool(results[ri][off]))  # type: ignore[index]
            else:
                words = [int(results[ri][off]) for ri, off in locs]  # type: ignore[index]
                value = value_of(reg, words)
            if not isinstance(value, float):
                continue  # strings are not readings
            if not math.isfinite(value):  # NaN/inf is "not available", not a value
                self.gate.drop(NOT_FINITE, 1)
                continue
            t_ns = max(stamps[ri] for ri, _ in locs)
            rows.append(Row(targets[name].series, t_ns, {"value": value, "quality": 0}))
        return rows

    # -- scheduling -----------------------------------------------------------------
    def _next_tick(self, device_id: str, after: float) -> float:
        interval = self.intervals[device_id]
        return (math.floor(after / interval) + 1) * interval

    async def _device_loop(self, device_id: str) -> None:
        st = self.state[device_id]
        interval = self.intervals[device_id]
        st.next_poll = self._next_tick(device_id, self.clock())
        while not self._stop.is_set():
            delay = st.next_poll - self.clock()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                if self._stop.is_set():
                    return
            if self.gate.blocked():
                self.gate.drop(SPOOL_FULL, len(self._targets[device_id]))
                st.next_poll = self._next_tick(device_id, self.clock())
                continue
            try:
                rows = await self.poll_device(device_id)
            except Exception:  # never let one device's surprise stop its loop
                _LOG.exception("modbus %s: poll failed", device_id)
                rows = []
            if rows:
                self._deliver(device_id, rows)
            now = self.clock()
            if st.online is False:
                backoff = min(interval * 2 ** (st.failures - 1), max(self.max_backoff, interval))
                st.next_poll = self._next_tick(device_id, now + backoff - interval)
            else:
                st.next_poll = self._next_tick(device_id, now)

    async def run(self) -> None:
        """Poll until `stop()`; logs each device's plan first."""
        self._loop = asyncio.get_running_loop()
        self.started_at = self.clock()
        for line in self.plan_lines():
            _LOG.info("modbus plan: %s", line)
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._device_loop(d), name=f"modbus:{d}")
                       for d in self.devices]
        try:
            await asyncio.gather(*self._tasks)
        finally:
            self.close()

    def _deliver(self, device_id: str, rows: list[Row]) -> None:
        """Hand rows to the sink; a refusal makes the gate back off and count them."""
        try:
            self.sink(rows)
        except Exception as exc:
            self.gate.refused(device_id, len(rows), exc)
            return
        self.gate.accepted()

    def status(self, device_id: str) -> tuple[str, str]:
        """("online" | "offline" | "unknown", last error); see `DeviceState.status`."""
        return self.state[device_id].status(self.intervals[device_id],
                                            self.clock() - self.started_at)

    def start_background(self) -> threading.Thread:
        """Run the poller on an event loop of its own in a daemon thread (for `civicwatt run`,
        whose jobs are threads); `stop()` from any thread ends it."""
        started = threading.Event()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            started.set()
            await self.run()

        thread = threading.Thread(target=asyncio.run, args=(main(),), name="modbus-poller",
                                  daemon=True)
        thread.start()
        started.wait(10)
        self._thread = thread
        return thread

    def stop(self, wait: float | None = 10.0) -> None:
        """Stop polling; safe from any thread. Waits for a background thread to finish."""
        loop = self._loop
        if loop is not None and loop.is_running() and not _in_loop(loop):
            loop.call_soon_threadsafe(self._stop.set)
        else:
            self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait)

    def close(self) -> None:
        for link in set(self.links.values()):
            link.close()

    # -- self-monitoring --------------------------------------------------------------
    def state_rows(self, time_ns: int, instance: str = "") -> list[Row]:
        """Per-device state as `civicwatt` self-monitoring rows (component=modbus)."""
        return [Row(Series.of("civicwatt", component="modbus", instance=instance, device=d),
                    time_ns, st.fields())
                for d, st in self.state.items()]
