"""An audit entry as `readings list --json` and the API show it (the JSON contract)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from civicwatt.readings.audit import Entry

NS = 10**9


def _iso(time_ns: int | None, zone: ZoneInfo) -> str | None:
    if time_ns is None:
        return None
    return dt.datetime.fromtimestamp(time_ns / NS, zone).isoformat(timespec="seconds")


def entry_json(e: Entry, zone: ZoneInfo) -> dict:
    """{point, timestamp, value, source, status, user, reason, entered_at, note} plus the kind,
    a bill's `to` and `cost`, and who changed the status, when and why."""
    doc = {"point": e.point, "timestamp": _iso(e.time_ns, zone), "value": e.value,
           "source": e.source, "status": e.status, "user": e.user, "reason": e.reason,
           "entered_at": _iso(e.entered_ns, zone), "note": e.note, "kind": e.kind, "id": e.id}
    if e.kind == "bill":
        doc |= {"from": doc["timestamp"], "to": _iso(e.end_ns, zone), "amount": e.value,
                "cost": e.cost}
    if e.changed_ns is not None:
        doc["changed"] = {"user": e.changed_by, "reason": e.changed_why,
                          "at": _iso(e.changed_ns, zone)}
    return doc
