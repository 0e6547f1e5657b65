"""A point's series in the store: the one definition, for MQTT, Modbus and every other source.

Measurement = the point's quantity; tags site, building, zone, purpose and
point (empty ones are dropped by `Series`). Readers (metering, reports,
dashboards) find a point's readings by these tags, so every collector must
build them the same way: here.
"""

from __future__ import annotations

from store.types import Series


def point_series(quantity: str, *, site: str, point: str, building: str = "", zone: str = "",
                 purpose: str = "") -> Series:
    return Series.of(quantity, site=site, building=building, zone=zone, purpose=purpose,
                     point=point)
