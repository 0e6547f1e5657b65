"""POST /api/v1/readings: manual readings and bills from another system (scope write:readings).

The same checks, audit and dirty-day marks as `civicwatt readings import`: every item is
checked first and nothing is written if any is wrong (400 listing each, as `readings[i]` /
`bills[i]`); the key's name is the audit's user. Re-sending the same body changes nothing.
"""


import logging
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field

from civicwatt.api.auth import Principal
from civicwatt.api.context import Api
from civicwatt.api.problems import ApiError, problem
from civicwatt.readings.apply import apply_plan
from civicwatt.readings.audit import AuditError, AuditLog
from civicwatt.readings.sheets import Cell
from civicwatt.readings.validate import Plan, plan_import

logger = logging.getLogger("civicwatt.api")
MAX_ITEMS = 10_000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ReadingIn(_In):
    point: str = Field(max_length=200, description="a point id of the site config")
    timestamp: str = Field(max_length=64, description="ISO 8601; without an offset it is read "
                           "in the site's timezone")
    value: float = Field(description="the counter's reading in the point's unit")
    note: str = Field(default="", max_length=500, description="'reset' allows a counter to "
                      "go backwards")


class BillIn(_In):
    point: str = Field(max_length=200)
    start: str = Field(alias="from", max_length=64, description="first day (or time)")
    end: str = Field(alias="to", max_length=64, description="last day, inclusive (or an "
                     "exclusive time)")
    amount: float = Field(description="consumption of the period in the point's unit")
    cost: float | None = Field(default=None, description="the billed cost; overrides the "
                               "computed one for the period")
    note: str = Field(default="", max_length=500)


class ReadingsIn(_In):
    reason: str = Field(min_length=1, max_length=500, description="why (kept in the audit)")
    readings: list[ReadingIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    bills: list[BillIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    dry_run: bool = Field(default=False, description="check and report; write nothing")


class Change(BaseModel):
    where: str
    kind: str
    point: str
    time_ns: int
    value: float
    supersedes: bool


class ReadingsOut(BaseModel):
    imported: int = Field(description="changes written (0 on a dry run)")
    unchanged: int = Field(description="items equal to what is recorded")
    changes: list[Change]
    notes: list[str]
    dry_run: bool


def cells(body: ReadingsIn) -> list[Cell]:
    out = [Cell("readings", i, "readings", {"point": r.point, "timestamp": r.timestamp,
                                            "value": r.value, "note": r.note},
                f"readings[{i}]") for i, r in enumerate(body.readings)]
    out += [Cell("bills", i, "bills", {"point": b.point, "from": b.start, "to": b.end,
                                       "amount": b.amount, "cost": b.cost, "note": b.note},
                 f"bills[{i}]") for i, b in enumerate(body.bills)]
    return out


def router(api: Api) -> APIRouter:
    routes = APIRouter(tags=["readings"])
    site = api.site

    def write(body: ReadingsIn, user: str) -> tuple[Plan, int]:
        try:
            audit = AuditLog(site.base_dir / site.service.spool)
        except AuditError as exc:
            raise ApiError(503, "the audit cannot be opened right now; try again shortly",
                           {"Retry-After": "5"}, str(exc)) from None
        try:
            plan = plan_import(site, api.store, audit, cells(body))
            if plan.problems or body.dry_run:
                return plan, 0
            return plan, apply_plan(site, api.store, audit, plan, "api", user,
                                    body.reason.strip())
        finally:
            audit.close()

    @routes.post("/readings", response_model=ReadingsOut, summary="Enter manual readings and "
                 "bills (scope write:readings)",
                 responses={400: {"description": "an item is wrong: nothing was written"}})
    async def post_readings(who: Annotated[Principal, Depends(api.guard.principal)],
                            body: Annotated[ReadingsIn, Body()]):
        if "write:readings" not in who.key.scopes:
            raise ApiError(403, f"key {who.name!r} (scope {who.key.scope}) may not write "
                           "readings; that needs scope write:readings", reason="scope")
        if not body.reason.strip():
            raise ApiError(400, "reason is empty; say why — the audit keeps it")
        plan, count = await api.run(write, body, who.name)
        if plan.problems:
            detail = f"{len(plan.problems)} problem(s); nothing written: " + "; ".join(
                plan.problems[:20])
            return problem(400, detail, errors=[{"where": p.split(":", 1)[0], "problem": p}
                                                for p in plan.problems])
        logger.info("readings written by key %r: %d change(s), %d unchanged%s", who.name,
                    count, len(plan.unchanged), " (dry run)" if body.dry_run else "")
        return api.json({
            "imported": count, "unchanged": len(plan.unchanged), "notes": plan.notes,
            "dry_run": body.dry_run,
            "changes": [{"where": c.where, "kind": c.entry.kind, "point": c.entry.point,
                         "time_ns": c.entry.time_ns, "value": c.entry.value,
                         "supersedes": c.replaces is not None or c.collected is not None}
                        for c in plan.changes]})

    return routes
