"""What Grafana's frontend does to an InfluxQL panel query before sending it.

A stand-in for the parts of Grafana that matter to whether a query runs (no
Grafana server can run here): time ranges from the dashboard or the panel's
relative time (`now-24h`, `now/d` = today so far, `14d`), `$timeFilter`,
`$__interval` from the range and the datasource's minimum interval, and
template variables formatted as the InfluxDB datasource formats them: a
multi-value or include-All variable becomes a regex alternation of escaped
values, `All` becomes the variable's custom all value (`.*`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1),
          "d": timedelta(days=1), "w": timedelta(weeks=1)}
_NICE = ["1s", "5s", "10s", "15s", "20s", "30s", "1m", "2m", "5m", "10m", "15m", "20m",
         "30m", "1h", "2h", "3h", "6h", "12h", "1d", "7d", "30d"]


def _duration(text: str) -> timedelta:
    m = re.fullmatch(r"(\d+)([smhdw])", text)
    if not m:
        raise ValueError(f"unsupported duration {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2)]


def _round_down(t: datetime, unit: str) -> datetime:
    if unit == "d":
        return t.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "y":
        return t.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "h":
        return t.replace(minute=0, second=0, microsecond=0)
    raise ValueError(f"unsupported rounding /{unit}")


def parse_time(expr: str, now: datetime) -> datetime:
    """Grafana date math: now, now-6h, now+2d, now/d, now-5d/d (rounding in `now`'s tz)."""
    m = re.fullmatch(r"now(?:([+-])(\d+[smhdw]))?(?:/([dMyh]))?", expr)
    if not m:
        raise ValueError(f"unsupported time expression {expr!r}")
    t = now
    if m.group(1):
        delta = _duration(m.group(2))
        t = t + delta if m.group(1) == "+" else t - delta
    if m.group(3):
        t = _round_down(t, m.group(3))
    return t


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @property
    def filter(self) -> str:
        """$timeFilter exactly as Grafana's InfluxDB datasource writes it."""
        return (f"time >= {int(self.start.timestamp() * 1000)}ms and "
                f"time <= {int(self.end.timestamp() * 1000)}ms")


def panel_range(dashboard: dict, panel: dict, now: datetime) -> TimeRange:
    """The dashboard range, or the panel's relative time (`now/d` → today so far)."""
    relative = panel.get("timeFrom")
    if relative:
        start = relative if relative.startswith("now") else f"now-{relative}"
        return TimeRange(parse_time(start, now), now)
    t = dashboard["time"]
    return TimeRange(parse_time(t["from"], now), parse_time(t["to"], now))


def interval(rng: TimeRange, min_interval: str = "10s", max_points: int = 1000) -> str:
    """$__interval: range / data points, rounded up to a nice step, floored by min interval."""
    raw = max((rng.end - rng.start) / max_points, _duration(min_interval))
    return next((n for n in _NICE if _duration(n) >= raw), _NICE[-1])


def escape_regex(value: str) -> str:
    return re.sub(r"([\\^$*+?.()|{}\[\]/])", r"\\\1", value)


def format_variable(variable: dict, selected: list[str] | str) -> str:
    """Interpolate one variable as the InfluxDB datasource does for raw queries."""
    if selected == "$__all":
        if variable.get("allValue"):
            return variable["allValue"]
        selected = variable["_options"]
    if isinstance(selected, str):
        selected = [selected]
    if not variable.get("multi") and not variable.get("includeAll"):
        return selected[0]
    escaped = [escape_regex(v) for v in selected]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def interpolate(query: str, variables: dict[str, str], rng: TimeRange,
                step: str) -> str:
    """Replace Grafana's macros and already-formatted variables in `query`."""
    out = query.replace("$timeFilter", rng.filter)
    out = out.replace("$__interval_ms", str(int(_duration(step).total_seconds() * 1000)))
    out = out.replace("$__interval", step)
    for name in sorted(variables, key=len, reverse=True):
        value = variables[name]
        out = re.sub(r"\$\{" + name + r"(?::\w+)?\}", lambda _m, v=value: v, out)
        out = out.replace(f"[[{name}]]", value)
        out = re.sub(r"\$" + name + r"\b", lambda _m, v=value: v, out)
    leftover = re.findall(r"\$(?!tag_|col\b)\w+", out)
    if leftover:
        raise ValueError(f"unresolved {leftover} in {out}")
    return out


def local_now(tz: str, when: datetime) -> datetime:
    return when.astimezone(ZoneInfo(tz))


def resolve_variables(run, board: dict, now: datetime, explicit: bool) -> dict[str, str]:
    """Run each variable's query with the ones before it, as Grafana does on load.

    `run(query)` returns the InfluxQL result series; with `explicit`, an "All"
    variable is given every value it lists instead of its all value.
    """
    formatted: dict[str, str] = {}
    rng = panel_range(board, {}, now)
    for var in board["templating"]["list"]:
        query = interpolate(var["query"], formatted, rng, "1m")
        values = sorted({row[1] for s in run(query) for row in s.get("values", [])})
        assert values, f"variable ${var['name']} lists nothing: {query}"
        var = {**var, "_options": values}
        if var["current"]["value"] == ["$__all"]:
            selected = values if explicit else "$__all"
        else:
            selected = var["current"]["value"]
            assert selected in values, f"default {selected!r} of ${var['name']} not in {values}"
        formatted[var["name"]] = format_variable(var, selected)
    return formatted


def run_influxql(http: str, database: str, query: str) -> list[dict]:
    """POST /query as Grafana's InfluxDB datasource does (httpMode POST); the result's series,
    an InfluxQL error raised with the query."""
    import json
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode({"db": database, "q": query, "epoch": "ms"}).encode()
    with urllib.request.urlopen(f"{http}/query", body, timeout=30) as response:
        document = json.load(response)
    series = []
    for result in document.get("results", []):
        if "error" in result:
            raise AssertionError(f"{result['error']}\n  in: {query}")
        series += result.get("series", [])
    return series
