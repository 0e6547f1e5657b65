"""Config problems: every one names the file, the field path, the bad value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    value: object
    allowed: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        shown = "" if self.value is _MISSING else f" = {_short(self.value)}"
        return f"{where}: {self.path}{shown} — {self.allowed}"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _short(value: object) -> str:
    text = repr(value.isoformat() if isinstance(value, date) else value)
    return text if len(text) <= 80 else text[:77] + "..."


class ConfigError(Exception):
    """The config cannot be used; `problems` lists every reason at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def render_path(path: tuple) -> str:
    """('points', 12, 'modbus', 'address') → 'points[12].modbus.address'."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
