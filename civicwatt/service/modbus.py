"""The Modbus poller of a site: built from its config, and its state for /metrics and /healthz."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from civicwatt.config import SiteConfig
from civicwatt.service.health import Metric
from collector.modbus.poller import ModbusPoller, resolve_targets
from collector.modbus.profiles import shipped_profiles
from collector.series import point_series
from store import Row


def build_poller(site: SiteConfig, sink: Callable[[Sequence[Row]], None],
                 shard: tuple[int, int] = (0, 1),
                 room: Callable[[], bool] | None = None) -> ModbusPoller:
    """A poller for the site's Modbus points (this replica's shard), readings to `sink`;
    `room()` tells a poller backing off from a full spool when to read again."""
    profiles = shipped_profiles()
    bindings = [(point_series(p.quantity, site=site.site.id, point=p.id, **p.tags), p.modbus)
                for p in site.points if p.modbus is not None]
    targets = resolve_targets(site.modbus, profiles, bindings)
    return ModbusPoller(site.modbus, targets, sink, profiles=profiles, shard=shard, room=room)


def poller_metrics(poller: ModbusPoller) -> list[Metric]:
    """Per-device gauges and counters for /metrics."""
    out: list[Metric] = []
    for device, st in poller.state.items():
        labels = {"device": device, "gateway": st.gateway}
        out += [
            Metric("civicwatt_modbus_online", float(bool(st.online)), "gauge", labels,
                   "1 if the device answered its last poll"),
            Metric("civicwatt_modbus_reads_total", st.reads_ok, "counter", labels),
            Metric("civicwatt_modbus_read_failures_total", st.reads_failed, "counter", labels),
            Metric("civicwatt_modbus_readings_total", st.readings, "counter", labels),
            Metric("civicwatt_modbus_last_poll_seconds", st.last_poll_s, "gauge", labels),
        ]
    out += [Metric("civicwatt_readings_dropped_total", n, "counter", {"reason": reason},
                   "Modbus readings not taken or not kept (spool_full, not_finite)")
            for reason, n in sorted(poller.gate.dropped.items())]
    return out


def poller_check(poller: ModbusPoller) -> tuple[bool, dict]:
    """/healthz: unhealthy while a device is offline (or never answered) or while readings
    are dropped because the spool is full; `problems` names each."""
    detail, offline = {}, {}
    for device in poller.state:
        state, error = poller.status(device)
        detail[device] = state
        if state == "offline":
            offline[device] = error
    problems = [f"device {d} offline: {e}" for d, e in offline.items()]
    if poller.gate.refusing:
        problems.append(f"spool full: Modbus readings are dropped "
                        f"({poller.gate.dropped.get('spool_full', 0)} so far) and polling "
                        "backs off until the store drains the spool")
    return not problems, {"devices": detail, "offline": offline,
                          "dropped": dict(poller.gate.dropped), "problems": problems}
