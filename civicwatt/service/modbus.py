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
                 shard: tuple[int, int] = (0, 1)) -> ModbusPoller:
    """A poller for the site's Modbus points (this replica's shard), readings to `sink`."""
    profiles = shipped_profiles()
    bindings = [(point_series(p.quantity, site=site.site.id, point=p.id, **p.tags), p.modbus)
                for p in site.points if p.modbus is not None]
    targets = resolve_targets(site.modbus, profiles, bindings)
    return ModbusPoller(site.modbus, targets, sink, profiles=profiles, shard=shard)


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
    return out


def poller_check(poller: ModbusPoller) -> tuple[bool, dict]:
    """/healthz: healthy while at least one device (or none configured) is online."""
    states = poller.state.values()
    offline = {s.device: s.last_error for s in states if s.online is False}
    healthy = not states or len(offline) < len(poller.state)
    detail = {s.device: ("unknown" if s.online is None else "online" if s.online else "offline")
              for s in states}
    return healthy, {"devices": detail, "offline": offline}
