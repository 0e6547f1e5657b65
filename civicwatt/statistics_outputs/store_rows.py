"""A statistics document → rows of the `statistics` measurement, for the portfolio dashboard.

Grafana cannot divide each building's sum by its own area nor shift a query by a year, so the
dashboard reads the figures the statistics job computed rather than recomputing them: one row
per building, institution, type and the site per period, at the period's first local midnight.

- tags: `site`, `span` (day/month/quarter/year), `level` (building/institution/type/site),
  `id`, `name`, `type` (a building's type; a type row's own id), `institution` (buildings);
- fields, all floats: every indicator of the document (`kgce`, `kgce_per_m2`, …),
  `estimated_share`, `manual_share`, `rank_in_type`, `ranked_in_type`,
  `yoy_<indicator>_pct`, `mom_<indicator>_pct`, and per quota metric
  `quota_<metric>_constraint|guide|to_constraint|to_guide` and `quota_<metric>_status`
  (0 within the guide or constraint, 1 above the guide, 2 above the constraint).

Writing the same period again overwrites (same series and time): re-running a month is safe.
"""

from __future__ import annotations

from collections.abc import Mapping

from civicwatt.statistics_outputs.columns import BY_KEY
from rules.clock import local_midnight_ns
from rules.statistics_period import Period
from store import Row, Series

MEASUREMENT = "statistics"
#: quota status → a number Grafana can colour by threshold (2 = above the constraint)
STATUS_CODES = {"within_guide": 0.0, "within_constraint": 0.0, "above_guide": 1.0,
                "above_constraint": 2.0}
LEVELS = (("buildings", "building"), ("institutions", "institution"), ("types", "type"),
          ("total", "site"))


def fields_of(row: Mapping) -> dict[str, float]:
    out = {k: float(v) for k, v in row.items() if k in BY_KEY and _number(v)}
    for key in ("estimated_share", "manual_share", "rank_in_type", "ranked_in_type"):
        if _number(row.get(key)):
            out[key] = float(row[key])
    for which in ("yoy", "mom"):
        for key, pct in (row.get(f"{which}_pct") or {}).items():
            if _number(pct):
                out[f"{which}_{key}_pct"] = float(pct)
    for metric, quota in (row.get("quota") or {}).items():
        for key in ("constraint", "guide", "to_constraint", "to_guide"):
            if _number((quota or {}).get(key)):
                out[f"quota_{metric}_{key}"] = float(quota[key])
        if (quota or {}).get("status"):
            out[f"quota_{metric}_status"] = STATUS_CODES[quota["status"]]
    return out


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def statistics_rows(doc: Mapping, site_id: str, tz: str) -> list[Row]:
    period = Period.parse(str(doc.get("period", "")))
    span, time_ns = period.kind, local_midnight_ns(period.start, tz)
    out = []
    for key, level in LEVELS:
        found = doc.get(key)
        rows = [found] if isinstance(found, Mapping) else list(found or [])
        for row in rows:
            fields = fields_of(row)
            if not fields:
                continue
            # a group of buildings without an institution or type has the id "": "-" here
            ident = site_id if level == "site" else str(row.get("id") or "-")
            tags = {"site": site_id, "span": span, "level": level, "id": ident,
                    "name": str(row.get("name") or ident),
                    "type": str(row.get("type") or (ident if level == "type" else "")),
                    "institution": str(row.get("institution") or "")}
            out.append(Row(Series(MEASUREMENT, tuple(tags.items())), time_ns, fields))
    return out
