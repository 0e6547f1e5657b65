"""The XML messages of profile `gb-2008` (reference §4–§6): building them and reading them.

Every message is one envelope — `<root><common>building_id, gateway_id, type</common>` and one
operation element — built here as exact text, so tests can compare it byte for byte with the
reference. Parsing is tolerant the way the reference asks a receiver to be: whitespace between
elements, unknown children ignored, the operation attribute first and `<type>` as fallback; a
DTD is refused (no entity tricks from the network). Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+08:00")
NS = 1_000_000_000
DataKind = Literal["report", "continuous"]
ItemsAs = Literal["energy_items", "meters"]
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_TIME = re.compile(r"^\d{14}$")


class MessageError(ValueError):
    """A payload that is not a message of this profile."""


@dataclass(frozen=True)
class Ids:
    """Who is talking: the platform's building id and the collector (gateway) number."""

    building_id: str
    gateway_id: str


@dataclass(frozen=True)
class Message:
    """One parsed message: the envelope, the operation and its plain children."""

    ids: Ids
    type: str
    element: str  # id_validate, heart_beat, data, …
    operation: str  # the `operation` attribute, else `<type>`
    fields: Mapping[str, str] = field(default_factory=dict)  # sequence, md5, result, time, …
    items: tuple[tuple[str, str], ...] = ()  # (code, value text) of a data message

    def number(self, name: str) -> int | None:
        text = self.fields.get(name, "")
        return int(text) if text.isdigit() else None


# -- values and times ----------------------------------------------------------------------
def format_value(value: float) -> str:
    """A plain decimal, `.` separator, no exponent, at most 4 decimals (reference §7)."""
    if not math.isfinite(value):
        raise ValueError(f"value {value} is not finite; the platform takes finite numbers only")
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def beijing_time(time_ns: int) -> str:
    """`YYYYMMDDhhmmss` in Beijing time (UTC+08:00, no DST) of a UTC instant."""
    return dt.datetime.fromtimestamp(time_ns // NS, BEIJING).strftime("%Y%m%d%H%M%S")


def parse_beijing_time(text: str) -> int:
    """The UTC instant (ns) of a `YYYYMMDDhhmmss` Beijing time."""
    if not _TIME.match(text):
        raise MessageError(f"time {text!r} is not YYYYMMDDhhmmss")
    try:
        local = dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise MessageError(f"time {text!r}: {exc}") from None
    return int(local.timestamp()) * NS


# -- building ------------------------------------------------------------------------------
def envelope(ids: Ids, type_: str, operation: str) -> str:
    return (f"{_XML_DECLARATION}<root><common><building_id>{escape(ids.building_id)}"
            f"</building_id><gateway_id>{escape(ids.gateway_id)}</gateway_id>"
            f"<type>{escape(type_)}</type></common>{operation}</root>")


def _element(name: str, operation: str, children: Mapping[str, str] | None = None) -> str:
    if not children:
        return f'<{name} operation="{operation}"/>'
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in children.items())
    return f'<{name} operation="{operation}">{inner}</{name}>'


def request(ids: Ids) -> str:
    return envelope(ids, "request", _element("id_validate", "request"))


def md5(ids: Ids, digest: str) -> str:
    return envelope(ids, "md5", _element("id_validate", "md5", {"md5": digest}))


def notify(ids: Ids) -> str:
    return envelope(ids, "notify", _element("heart_beat", "notify"))


def data(ids: Ids, kind: DataKind, sequence: int, hour_ns: int, items: Mapping[str, str],
         total: int | None = None, current: int | None = None,
         items_as: ItemsAs = "energy_items") -> str:
    """A `report` or `continuous` packet of one hour: every item, values already formatted."""
    parts = [f"<sequence>{sequence}</sequence><parser>yes</parser>"
             f"<time>{beijing_time(hour_ns)}</time>"]
    if kind == "continuous":
        if total is None or current is None:
            raise ValueError("a continuous packet carries total and current")
        parts.append(f"<total>{total}</total><current>{current}</current>")
    if items_as == "energy_items":
        parts.append("<energy_items>" + "".join(
            f"<energy_item code={quoteattr(code)}>{value}</energy_item>"
            for code, value in items.items()) + "</energy_items>")
    else:
        parts += [f'<meter id="{n}"><function id="1" coding={quoteattr(code)} error="0">'
                  f"{value}</function></meter>" for n, (code, value) in
                  enumerate(items.items(), start=1)]
    return envelope(ids, kind, f'<data operation="{kind}">{"".join(parts)}</data>')


# -- the platform's side (the commissioning receiver) ---------------------------------------
def challenge(ids: Ids, sequence: str) -> str:
    return envelope(ids, "sequence", _element("id_validate", "sequence", {"sequence": sequence}))


def result(ids: Ids, passed: bool) -> str:
    return envelope(ids, "result", _element("id_validate", "result",
                                            {"result": "pass" if passed else "fail"}))


def clock(ids: Ids, time_ns: int) -> str:
    return envelope(ids, "time", _element("heart_beat", "time", {"time": beijing_time(time_ns)}))


def data_ack(ids: Ids, kind: DataKind, sequence: str, passed: bool) -> str:
    op = f"{kind}_ack"
    return envelope(ids, op, _element("data", op, {"sequence": sequence,
                                                    "result": "pass" if passed else "fail"}))


# -- parsing -------------------------------------------------------------------------------
def parse(payload: bytes) -> Message:
    """Read one message; `MessageError` says why a payload is not one."""
    text = payload.strip().rstrip(b"\x00")
    if b"<!DOCTYPE" in text.upper() or b"<!ENTITY" in text.upper():
        raise MessageError("a DTD is not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise MessageError(f"not well-formed XML: {exc}") from None
    common = root.find("common")
    if root.tag != "root" or common is None:
        raise MessageError(f"expected <root><common>…, got <{root.tag}>")
    ids = Ids(_text(common, "building_id"), _text(common, "gateway_id"))
    type_ = _text(common, "type")
    operations = [child for child in root if child.tag != "common"]
    if not operations:
        raise MessageError(f"no operation element after <common> (type {type_!r})")
    op = operations[0]
    fields = {child.tag: (child.text or "").strip() for child in op if len(child) == 0}
    return Message(ids, type_, op.tag, op.get("operation") or type_, fields, _items(op))


def _text(parent: ET.Element, name: str) -> str:
    found = parent.find(name)
    return (found.text or "").strip() if found is not None else ""


def _items(op: ET.Element) -> tuple[tuple[str, str], ...]:
    """`<energy_items><energy_item code>` or the 2008 `<meter><function coding>` form; a
    function with an empty `coding` is skipped."""
    found = [(item.get("code", "").strip(), (item.text or "").strip())
             for item in op.iterfind("energy_items/energy_item")]
    found += [(function.get("coding", "").strip(), (function.text or "").strip())
              for function in op.iterfind("meter/function")]
    return tuple((code, value) for code, value in found if code)
