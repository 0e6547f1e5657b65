"""Topic filters and templates: which topics a filter matches, and what their levels mean.

A template mirrors its filter level by level: `{building}` names the level,
`_` ignores it, a literal repeats it and a final `#` ignores the rest. Under a
literal filter level, `{field}` takes the literal as its value, so filter
`site/+/meter/+/energy` with template `site/{building}/meter/{point}/{quantity}`
gives quantity `energy`. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.mqtt.settings import TEMPLATE_FIELDS


def filter_matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching: `+` is one level (may be empty), `#` the rest; `$…` topics skip wildcards."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    f_levels = topic_filter.split("/")
    t_levels = topic.split("/")
    for i, level in enumerate(f_levels):
        if level == "#":
            return True
        if i >= len(t_levels):
            return False
        if level != "+" and level != t_levels[i]:
            return False
    return len(t_levels) == len(f_levels)


@dataclass(frozen=True, slots=True)
class TopicTemplate:
    """A compiled (filter, template) pair; `match(topic)` gives the named levels or None."""

    filter: str
    template: str
    literals: tuple[tuple[int, str], ...]  # (level, text) the topic must have
    fields: tuple[tuple[int, str], ...]  # (level, field name) taken from the topic
    levels: int  # number of levels before a final `#`
    rest: bool  # the filter ends in `#`

    @classmethod
    def compile(cls, topic_filter: str, template: str) -> TopicTemplate:
        f_levels = topic_filter.split("/")
        t_levels = template.split("/")
        if len(f_levels) != len(t_levels):
            raise ValueError(
                f"template {template!r} has {len(t_levels)} levels but filter "
                f"{topic_filter!r} has {len(f_levels)}; give one template level per filter level")
        literals: list[tuple[int, str]] = []
        fields: list[tuple[int, str]] = []
        rest = False
        for i, (f, t) in enumerate(zip(f_levels, t_levels, strict=True)):
            where = f"template {template!r} level {i + 1} ({t!r})"
            if f == "#":
                if t != "#":
                    raise ValueError(f"{where}: the filter's `#` must be `#` in the template too")
                rest = True
            elif t == "#":
                raise ValueError(f"{where}: `#` only where the filter has `#`")
            elif t.startswith("{") and t.endswith("}"):
                name = t[1:-1]
                if name not in TEMPLATE_FIELDS:
                    raise ValueError(f"{where}: unknown field {name!r}; "
                                     f"use one of {', '.join(TEMPLATE_FIELDS)} or `_`")
                if any(n == name for _, n in fields):
                    raise ValueError(f"{where}: field {name!r} appears twice")
                fields.append((i, name))
                if f != "+":
                    literals.append((i, f))
            elif t == "_":
                if f != "+":
                    literals.append((i, f))
            elif f == "+":
                raise ValueError(f"{where}: the filter has `+` here; name the level "
                                 "`{field}` or ignore it with `_`")
            elif t != f:
                raise ValueError(f"{where}: the filter has {f!r} here; use {f!r}, `_` or "
                                 "a `{field}`")
            else:
                literals.append((i, f))
        return cls(topic_filter, template, tuple(literals), tuple(fields),
                   len(f_levels) - (1 if rest else 0), rest)

    def match(self, topic: str) -> dict[str, str] | None:
        """The template's fields for `topic`, or None if the filter does not match it."""
        levels = topic.split("/")
        if len(levels) < self.levels or (not self.rest and len(levels) != self.levels):
            return None
        if topic.startswith("$") and not (self.literals and self.literals[0][0] == 0):
            return None
        for i, text in self.literals:
            if levels[i] != text:
                return None
        return {name: levels[i] for i, name in self.fields}
