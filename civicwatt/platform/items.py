"""One hour of one building → the platform's items: every metered code, its sums, class totals.

Pure. Each meter contributes its own share (its value minus its sub-meters', the report's
`contributions`) under its platform code; shares roll up the code layout (level 3 → 2 → 1 →
class), so each level-1 sum is sent too; each class total is the sum of the building's root
meters of that class — exactly the report's load for 01000. Values are converted to the
platform's unit for the class and formatted as the profile writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from civicwatt.platform.plan import BuildingPlan, parent_code
from civicwatt.platform.units import class_code
from civicwatt.reports.splits import contributions

NAN = float("nan")


def hour_items(plan: BuildingPlan, values: Mapping[str, float], purpose: Mapping[str, str],
               fmt: Callable[[float], str]) -> dict[str, str]:
    """`values`: the hour's sum per member point (absent = no data); `purpose`: each point's
    purpose as stored (falls back to the config's). Codes in sorted order."""
    present = [p for p in plan.members if p in values]
    key = {p: plan.code_of.get(purpose.get(p) or plan.purpose[p],
                               plan.code_of[plan.purpose[p]]) for p in present}
    own = contributions({p: (values[p], NAN, NAN) for p in present}, present, key, plan.parent)
    rolled: dict[str, float] = {}
    for code, (value, _, _) in own.items():
        node: str | None = code
        while node is not None:
            rolled[node] = rolled.get(node, 0.0) + value
            node = parent_code(node)
    totals: dict[str, float] = {}
    for root in plan.roots:
        if root in values:
            cls = class_code(key[root])
            totals[cls] = totals.get(cls, 0.0) + values[root]
    for cls in {class_code(c) for c in rolled} - set(totals):
        rolled.pop(cls, None)  # no root meter of the class reported: no total to send
    rolled.update(totals)
    return {code: fmt(value * plan.factors[class_code(code)])
            for code, value in sorted(rolled.items())}
