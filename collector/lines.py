"""Parse the spool's line protocol back into `Row`s, for stores that take rows (SQLite, 2.x).

Only what `store.lineprotocol` writes needs to parse: escaped measurement and
tags, float / `i` integer / boolean / quoted string fields, a time in ns.
Series keys repeat, so each key is parsed once and cached.
"""

from __future__ import annotations

from functools import lru_cache

from store.types import FieldValue, Row, Series


def _split(text: str, sep: str, quotes: bool = True) -> list[str]:
    """Split on `sep` where it is not backslash-escaped (nor inside quotes, for fields)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if c == '"' and quotes:
            quoted = not quoted
        if c == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ' ,="\\':
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@lru_cache(maxsize=100_000)
def parse_key(key: str) -> Series:
    measurement, *tags = _split(key, ",", quotes=False)
    pairs = []
    for tag in tags:
        parts = _split(tag, "=", quotes=False)
        if len(parts) != 2:
            raise ValueError(f"bad tag {tag!r}")
        pairs.append((_unescape(parts[0]), _unescape(parts[1])))
    return Series(_unescape(measurement), tuple(pairs))


def _first_space(body: str) -> tuple[str, str]:
    i = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
        elif body[i] == " ":
            return body[:i], body[i + 1:]
        else:
            i += 1
    return body, ""


def _field_value(text: str) -> FieldValue:
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if text in ("t", "T", "true", "True", "TRUE"):
        return True
    if text in ("f", "F", "false", "False", "FALSE"):
        return False
    if text.endswith("i"):
        return int(text[:-1])
    return float(text)


def parse_line(line: str) -> Row:
    """One line of line protocol (with a time) → Row; ValueError if it is not valid."""
    if "\\" not in line and '"' not in line:  # nothing escaped or quoted: plain splits
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] and parts[1] and parts[2].lstrip("-").isdigit():
            if parts[1].startswith("value=") and "," not in parts[1]:  # what collectors spool
                try:
                    return Row(parse_key(parts[0]), int(parts[2]),
                               {"value": float(parts[1][6:])})
                except ValueError:  # `1i`, `t`: the general rules below
                    pass
            fields: dict[str, FieldValue] = {}
            for item in parts[1].split(","):
                name, eq, value = item.partition("=")
                if not name or not eq or "=" in value:
                    raise ValueError(f"bad field {item!r} in {line[:200]!r}")
                fields[name] = _field_value(value)
            return Row(parse_key(parts[0]), int(parts[2]), fields)
    body, _, time_text = line.rpartition(" ")
    key, field_text = _first_space(body)
    if not key or not field_text or not time_text.lstrip("-").isdigit():
        raise ValueError(f"not a line-protocol line with a time: {line[:200]!r}")
    fields: dict[str, FieldValue] = {}
    for item in _split(field_text, ","):
        name = _split(item, "=")
        if len(name) != 2 or not name[0]:
            raise ValueError(f"bad field {item!r} in {line[:200]!r}")
        fields[_unescape(name[0])] = _field_value(name[1])
    return Row(parse_key(key), int(time_text), fields)
