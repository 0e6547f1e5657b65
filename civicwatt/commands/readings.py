"""`civicwatt readings template|import|list|void|fill`: manual readings and bills (手工补录).

Every entry, correction and void is kept in the audit of the site's state file
(service.spool) and marks its local days for re-metering; the service meters them on its next
run (or run `civicwatt meter --config`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape

from civicwatt.commands.common import load_site_or_exit

app = typer.Typer(help="Manual readings and bills: template, import, list, void, fill.",
                  no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)
ConfigOption = Annotated[Path, typer.Option("--config", metavar="FILE", help="the site YAML")]
UserOption = Annotated[str, typer.Option("--user", help="who enters this (kept in the audit)")]
ReasonOption = Annotated[str, typer.Option("--reason", help="why (kept in the audit)")]
PointOption = Annotated[str, typer.Option("--point", help="the point id")]
NS = 10**9
SHOWN = 50  # changes listed one per line; the rest are counted


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(1)


@contextmanager
def _opened(config: Path):
    """(site, store, audit), closed afterwards; user errors exit 1 with the message."""
    from civicwatt.readings.audit import AuditError, AuditLog
    from store import StoreError, open_store
    site = load_site_or_exit(config)
    try:
        audit = AuditLog(site.base_dir / site.service.spool)
    except AuditError as exc:
        raise _fail(str(exc)) from None
    try:
        store = open_store(site.store.url, site.base_dir)
    except StoreError as exc:
        audit.close()
        raise _fail(f"store: {exc}") from None
    try:
        yield site, store, audit
    except StoreError as exc:
        raise _fail(f"store {store.description}: {exc}; nothing was changed — run the command "
                    "again when the store answers") from None
    finally:
        store.close()
        audit.close()


def _words(text: str, flag: str) -> str:
    if not text.strip():
        raise _fail(f"{flag} is empty; say who and why — the audit keeps it")
    return text.strip()


def template(
    config: ConfigOption,
    out_path: Annotated[Path, typer.Option("--out", metavar="FILE.xlsx",
                                           help="the workbook to write")],
    points: Annotated[str | None, typer.Option("--points", metavar="P1,P2",
                                               help="list these points (default: the manual "
                                                    "points, else every counter)")] = None,
) -> None:
    """Write an Excel template: readings and bills sheets, the points, instructions."""
    from civicwatt.readings.template import manual_points, write_template
    site = load_site_or_exit(config)
    wanted = [p.strip() for p in points.split(",") if p.strip()] if points else None
    known = {p.id for p in site.points}
    if wanted and (unknown := [p for p in wanted if p not in known]):
        raise _fail(f"--points: {', '.join(unknown)} not in the site config")
    if out_path.suffix.lower() != ".xlsx":
        raise _fail(f"--out {out_path}: the template is an Excel workbook; name it *.xlsx")
    chosen = manual_points(site, wanted)
    try:
        write_template(site, out_path, chosen)
    except OSError as exc:
        raise _fail(f"--out {out_path}: {exc.strerror or exc}") from None
    out.print(f"wrote {out_path} ({len(chosen)} point(s))")


def import_(
    file: Annotated[Path, typer.Argument(metavar="FILE.(xlsx|csv)", help="the readings file")],
    config: ConfigOption,
    user: UserOption,
    reason: ReasonOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change; "
                                          "write nothing")] = False,
) -> None:
    """Check every row, then import all of them or none."""
    from civicwatt.readings.apply import apply_plan
    from civicwatt.readings.sheets import SheetError, read_file
    from civicwatt.readings.validate import plan_import
    user, reason = _words(user, "--user"), _words(reason, "--reason")
    try:
        rows, ignored = read_file(file)
    except SheetError as exc:
        raise _fail(str(exc)) from None
    with _opened(config) as (site, store, audit):
        plan = plan_import(site, store, audit, rows)
        for note in plan.notes:
            err.print(f"note: {escape(note)}")
        if plan.problems:
            err.print(f"[bold red]{file}: {len(plan.problems)} problem(s); nothing imported[/]")
            for problem in plan.problems:
                err.print(f"  {escape(problem)}")
            raise typer.Exit(1)
        zone = ZoneInfo(site.site.timezone)
        for change in plan.changes[:SHOWN]:
            e = change.entry
            what = "supersedes" if change.replaces or change.collected is not None else "adds"
            shown = _local(e.time_ns, zone) + (f" … {_local(e.end_ns, zone)}" if e.end_ns else "")
            out.print(f"{'would ' if dry_run else ''}{what[:-1] if dry_run else what} {e.kind} "
                      f"{e.point} {shown} = {e.value:g} ({change.where})", markup=False)
        if len(plan.changes) > SHOWN:
            out.print(f"… and {len(plan.changes) - SHOWN} more change(s)")
        if dry_run:
            out.print(f"dry run: {len(plan.changes)} change(s), {len(plan.unchanged)} row(s) "
                      "unchanged; nothing written")
            return
        count = apply_plan(site, store, audit, plan, "import", user, reason)
    out.print(f"imported {count} change(s) from {file.name}; {len(plan.unchanged)} row(s) "
              "unchanged" + ("; their days are marked for re-metering" if count else ""))


def list_(
    config: ConfigOption,
    point: Annotated[str | None, typer.Option("--point", help="only this point")] = None,
    from_: Annotated[str | None, typer.Option("--from", metavar="YYYY-MM-DD",
                                              help="first local date")] = None,
    to: Annotated[str | None, typer.Option("--to", metavar="YYYY-MM-DD",
                                           help="last local date (exclusive)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Every manual reading and bill with its status (active, superseded, void)."""
    site = load_site_or_exit(config)
    zone = ZoneInfo(site.site.timezone)
    if point is not None and point not in {p.id for p in site.points}:
        raise _fail(f"--point {point!r} is not in the site config")
    start = _midnight(from_, "--from", zone)
    end = _midnight(to, "--to", zone)
    from civicwatt.readings.audit import AuditError, AuditLog
    from civicwatt.readings.listing import entry_json
    try:
        audit = AuditLog(site.base_dir / site.service.spool)
    except AuditError as exc:
        raise _fail(str(exc)) from None
    try:
        entries = audit.entries(point, start, end)
    finally:
        audit.close()
    docs = [entry_json(e, zone) for e in entries]
    if as_json:
        print(json.dumps({"readings": docs}, ensure_ascii=False, indent=1))
        return
    if not docs:
        out.print("no manual readings or bills")
    for d in docs:
        out.print(f"{d['status']:<10} {d['point']} {d['timestamp']} {d['value']:g} "
                  f"{d['source']} {d['user']}: {d['reason']}", markup=False)


def void_(
    config: ConfigOption,
    point: PointOption,
    at: Annotated[str, typer.Option("--at", metavar="TIMESTAMP",
                                    help="the reading's time (a bill's from), ISO 8601")],
    user: UserOption,
    reason: ReasonOption,
) -> None:
    """Void a reading or bill: it leaves metering, stays in the audit."""
    from civicwatt.readings.apply import VoidError, void
    user, reason = _words(user, "--user"), _words(reason, "--reason")
    with _opened(config) as (site, store, audit):
        if point not in {p.id for p in site.points}:
            raise _fail(f"--point {point!r} is not in the site config")
        zone = ZoneInfo(site.site.timezone)
        time_ns = _instant(at, "--at", zone)
        try:
            done = void(site, store, audit, point, time_ns, user, reason)
        except VoidError as exc:
            raise _fail(str(exc)) from None
    back = (f"; the earlier value {done.restored.value:g} ({done.restored.source}) is active "
            "again" if done.restored else "")
    out.print(f"voided {done.entry.kind} {point} {_local(time_ns, zone)} = "
              f"{done.entry.value:g}{back}", markup=False)


def fill(
    config: ConfigOption,
    point: PointOption,
    from_: Annotated[str, typer.Option("--from", metavar="TIMESTAMP",
                                       help="gap start (ISO 8601 or a local date)")],
    to: Annotated[str, typer.Option("--to", metavar="TIMESTAMP",
                                    help="gap end (ISO 8601 or a local date)")],
    user: UserOption,
    reason: ReasonOption,
    method: Annotated[str, typer.Option("--method", help="linear | profile")] = "linear",
    profile: Annotated[str | None, typer.Option("--profile", help="the reference point for "
                                                "--method profile (default manual.profile)")]
    = None,
) -> None:
    """Write estimated readings for a gap of a connected meter (audited, source fill)."""
    from civicwatt.readings.apply import FILLED, apply_plan
    from civicwatt.readings.fill import FillError, plan_fill
    user, reason = _words(user, "--user"), _words(reason, "--reason")
    if method not in ("linear", "profile"):
        raise _fail(f"--method {method!r}: use linear or profile")
    with _opened(config) as (site, store, audit):
        zone = ZoneInfo(site.site.timezone)
        try:
            plan = plan_fill(site, store, audit, point, _instant(from_, "--from", zone),
                             _instant(to, "--to", zone), method, profile)
        except FillError as exc:
            raise _fail(str(exc)) from None
        count = apply_plan(site, store, audit, plan, "fill", user, reason, FILLED)
    out.print(f"filled {count} estimated reading(s) of {point}; their days are marked for "
              "re-metering")


def _midnight(text: str | None, flag: str, zone: ZoneInfo) -> int | None:
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{flag} {text!r}: write a local date as YYYY-MM-DD") from None
    return int(dt.datetime.combine(day, dt.time(), zone).timestamp()) * NS


def _instant(text: str, flag: str, zone: ZoneInfo) -> int:
    """ISO 8601; without an offset in the site's timezone; a bare date is its local midnight."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            when = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"{flag} {text!r}: write ISO 8601, e.g. 2026-10-31T08:00+08:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return int(when.timestamp() * NS)


def _local(time_ns: int, zone: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(time_ns / NS, zone).isoformat(timespec="seconds")


app.command("template")(template)
app.command("import")(import_)
app.command("list")(list_)
app.command("void")(void_)
app.command("fill")(fill)
