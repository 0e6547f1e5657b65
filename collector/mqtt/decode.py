"""Messages → line-protocol readings for the spool, or dead letters with a reason.

A topic resolves to a point once (cached): first an explicit point binding
(exact topic), then the subscriptions' templates in order. The result is the
point's escaped line-protocol prefix (`energy,building=b1,point=m01 value=`),
so the hot path per reading is: parse, check range and time, format one line.
Pure: the clock (`now_ns`) and receive times are passed in.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from collector.mqtt import payload as P
from collector.mqtt.settings import QUANTITIES, MqttBinding, MqttSettings
from collector.mqtt.topics import TopicTemplate
from collector.series import point_series

log = logging.getLogger(__name__)

#: Physical ranges for points created from a template (no min/max in the config).
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (-90.0, 200.0),
    "humidity": (0.0, 100.0),
    "power_factor": (-1.0, 1.0),
}
_CACHE_LIMIT = 200_000
_LOG_NEW = 20  # new points logged at INFO; the rest at DEBUG
_BAD_UTF8 = P.Rejected(P.UNKNOWN_TOPIC, "topic is not valid UTF-8")


@dataclass(frozen=True)
class PointInfo:
    """What the decoder needs of a configured point (built from the site config)."""

    id: str
    quantity: str
    tags: Mapping[str, str] = field(default_factory=dict)  # building, zone, purpose (site)
    min: float | None = None
    max: float | None = None
    mqtt: MqttBinding | None = None


class Target(NamedTuple):
    prefix: str  # escaped series key + " value="
    value_path: tuple[str | int, ...]
    ts_path: tuple[str | int, ...]
    lo: float
    hi: float
    scale: float


class DeadLetter(NamedTuple):
    received_ns: int
    topic: str | None
    payload: bytes
    reason: str
    detail: str


@dataclass
class Decoded:
    """One batch's result: spool lines, dead letters and per-reason counts."""

    lines: list[str] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)
    stamped: list[int] = field(default_factory=list)


class Decoder:
    def __init__(self, settings: MqttSettings, points: Iterable[PointInfo] = (),
                 site: str = "") -> None:
        self.settings = settings
        self.site = site
        self.points = {p.id: p for p in points}
        self.bindings = {p.mqtt.topic: p for p in self.points.values() if p.mqtt is not None}
        self.templates = [
            (TopicTemplate.compile(s.filter, s.template), s)
            for s in settings.subscriptions if s.template is not None
        ]
        self.max_bytes = settings.max_payload_bytes
        self.skew_ns = int(settings.future_skew * 1e9)
        self.retention_ns = int(settings.retention * 1e9)
        self._cache: dict[str | bytes, Target | P.Rejected] = {}
        self._created: set[str] = set()

    # -- topic → point -------------------------------------------------------------------
    def resolve(self, topic: str | bytes) -> Target | P.Rejected:
        """The point a topic (text, or UTF-8 bytes off the wire) feeds; cached."""
        hit = self._cache.get(topic)
        if hit is None:
            text = _text(topic)
            hit = self._resolve(text) if text is not None else _BAD_UTF8
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[topic] = hit
        return hit

    def _resolve(self, topic: str) -> Target | P.Rejected:
        point = self.bindings.get(topic)
        if point is not None:
            binding = point.mqtt
            assert binding is not None
            return self._target(point, binding.value_path, binding.ts_path, binding.scale)
        for template, sub in self.templates:
            fields = template.match(topic)
            if fields is None:
                continue
            quantity = fields.pop("quantity", sub.quantity)
            point_id = fields.get("point") or topic
            if any(not v.isprintable() for v in fields.values()):
                return P.Rejected(P.UNKNOWN_TOPIC, f"topic {topic!r} has control characters "
                                  "in a level the template names")
            if any(v == "" for v in fields.values()) or quantity == "":
                return P.Rejected(P.UNKNOWN_TOPIC, f"topic {topic!r} has an empty level where "
                                  f"template {template.template!r} names a field")
            if quantity not in QUANTITIES:
                return P.Rejected(P.UNKNOWN_TOPIC, f"topic {topic!r} gives quantity "
                                  f"{quantity!r}; known: {', '.join(QUANTITIES)}")
            known = self.points.get(point_id)
            if known is None:
                tags = {"site": self.site, **{k: v for k, v in fields.items() if k != "point"}}
                known = PointInfo(point_id, quantity, tags)
                if point_id not in self._created:
                    self._created.add(point_id)
                    level = logging.INFO if len(self._created) <= _LOG_NEW else logging.DEBUG
                    log.log(level, "new point %s (%s) from topic %s via template %s%s",
                            point_id, quantity, topic, template.template,
                            "; further new points are logged at debug level"
                            if len(self._created) == _LOG_NEW else "")
            return self._target(known, sub.value_path, sub.ts_path)
        return P.Rejected(P.UNKNOWN_TOPIC, f"topic {topic!r} matches no point binding and no "
                          "subscription template; add one to the config, then "
                          "`civicwatt deadletter replay`")

    def _target(self, point: PointInfo, value_path: str, ts_path: str,
                scale: float = 1.0) -> Target:
        key = point_series(point.quantity, **{"site": self.site, **point.tags},
                           point=point.id).key
        lo, hi = DEFAULT_RANGES.get(point.quantity, (-math.inf, math.inf))
        lo = point.min if point.min is not None else lo
        hi = point.max if point.max is not None else hi
        return Target(key + " value=", P.split_path(value_path), P.split_path(ts_path), lo, hi,
                      scale)

    # -- messages → lines ----------------------------------------------------------------
    def decode(self, messages: Iterable[tuple], now_ns: int,
               out: Decoded | None = None) -> Decoded:
        """Decode (topic, payload, received_ns, ...) messages; never raises for bad input.

        Topics are str or the raw bytes off the wire. `out.stamped` lists the
        messages (by position) whose readings took their receive time.
        """
        out = out if out is not None else Decoded()
        lines = out.lines
        rejected = out.rejected
        stamped = out.stamped
        newest = now_ns + self.skew_ns
        oldest = now_ns - self.retention_ns
        for index, message in enumerate(messages):
            topic, payload, received_ns = message[0], message[1], message[2]
            target = self.resolve(topic) if topic is not None else _BAD_UTF8
            if type(target) is P.Rejected:
                rejected[target.reason] = rejected.get(target.reason, 0) + 1
                out.dead.append(DeadLetter(received_ns, _text(topic), payload, target.reason,
                                           target.detail))
                continue
            try:
                if len(payload) > self.max_bytes:
                    raise P.Rejected(P.OVERSIZED, f"payload of {len(payload)} bytes exceeds "
                                     f"max_payload_bytes {self.max_bytes}")
                readings = P.parse(payload, target.value_path, target.ts_path, received_ns)
            except P.Rejected as exc:
                rejected[exc.reason] = rejected.get(exc.reason, 0) + 1
                out.dead.append(DeadLetter(received_ns, _text(topic), payload, exc.reason,
                                           exc.detail))
                continue
            prefix, lo, hi, scale = target.prefix, target.lo, target.hi, target.scale
            first_bad: P.Rejected | None = None
            bad = 0
            for item in readings:
                if type(item) is tuple:
                    value, ts = item
                    if scale != 1.0:
                        value *= scale
                    if ts > newest:
                        item = P.Rejected(P.FUTURE, f"time {ts} ns is {(ts - now_ns) / 1e9:.0f} s "
                                          "ahead of this host's clock")
                    elif ts < oldest:
                        item = P.Rejected(P.TOO_OLD, f"time {ts} ns is older than the "
                                          f"retention window ({self.retention_ns / 864e11:g} d)")
                    elif value < lo or value > hi:
                        item = P.Rejected(P.OUT_OF_RANGE, f"value {value!r} is outside the "
                                          f"point's physical range [{lo:g}, {hi:g}]")
                    else:
                        lines.append(f"{prefix}{value!r} {ts}")
                        if ts == received_ns and (not stamped or stamped[-1] != index):
                            stamped.append(index)
                        continue
                bad += 1
                rejected[item.reason] = rejected.get(item.reason, 0) + 1
                first_bad = first_bad or item
            if first_bad is not None:
                detail = first_bad.detail
                if len(readings) > 1:
                    detail = f"{bad} of {len(readings)} readings rejected; first: {detail}"
                out.dead.append(DeadLetter(received_ns, _text(topic), payload, first_bad.reason,
                                           detail))
        return out


def _text(topic: str | bytes | None) -> str | None:
    """A topic for the dead-letter table: text, or None if it is not UTF-8."""
    if type(topic) is bytes:
        try:
            return topic.decode()
        except UnicodeDecodeError:
            return None
    return topic  # type: ignore[return-value]
