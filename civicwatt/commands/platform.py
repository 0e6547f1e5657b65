"""`civicwatt platform push|status|serve`: upload to the energy-monitoring platform (数据远传).

push    send the hours of some local days; exit 0 once all are acked, 1 at once when the
        platform refuses the key, 1 after the retry budget when it cannot be reached, 2 when
        the platform refused some hours (kept; see `status`)
status  acked / pending / refused hours per building
serve   a receiver of the same profile, for commissioning without the real platform
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from civicwatt.commands.common import load_site_or_exit

app = typer.Typer(help="Upload hourly sub-item energy to the building energy-monitoring "
                       "platform (数据远传).", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True, highlight=False)
ConfigOption = Annotated[Path, typer.Option("--config", help="the site YAML")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{flag} {text!r}: write a local date as YYYY-MM-DD, e.g. 2026-06-01") \
            from None


def _site(config: Path):
    site = load_site_or_exit(config)
    if site.platform is None:
        raise _fail(f"{config}: no `platform:` section; add one (host, port, auth_key, "
                    "buildings — see README, \"Uploading to the energy-monitoring platform\")")
    return site


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@app.command("push")
def push(
    config: ConfigOption,
    from_: Annotated[str, typer.Option("--from", help="first local day, YYYY-MM-DD")],
    to: Annotated[str, typer.Option("--to", help="last local day (inclusive), YYYY-MM-DD")],
    retries: Annotated[int, typer.Option("--retries", min=0, help="reconnects after a failure "
                                         "(backoff 1 s doubling to 60 s) before giving up")] = 5,
    resend: Annotated[bool, typer.Option("--resend", help="send acked and refused hours of the "
                                         "range again")] = False,
) -> None:
    """Send the hours of local days FROM … TO to the platform; exit 0 once all are acked."""
    first, last = _date(from_, "--from"), _date(to, "--to")
    if last < first:
        raise _fail(f"--to {to} is before --from {from_} (both days are included)")
    site = _site(config)
    from civicwatt.platform import push as pushing
    from civicwatt.platform.outbox import OutboxError
    from civicwatt.platform.session import KeyRefused, LinkDown
    from store import StoreError

    try:
        job = pushing.prepare(site, first, last, resend)
    except (StoreError, OutboxError) as exc:
        raise _fail(str(exc)) from None
    try:
        _push(job, site, first, last, retries, KeyRefused, LinkDown)
    finally:
        job.close()


def _push(job, site, first, last, retries, KeyRefused, LinkDown) -> None:
    from civicwatt.platform import push as pushing

    days = f"{first}" + (f" … {last}" if last != first else "")
    waiting = job.scanned.waiting
    if waiting:
        points = sorted({p for h in waiting for p in h.missing})
        err.print(f"[yellow]note:[/] {len(waiting)} hour(s) of {days} wait for metering to "
                  f"complete (meters {escape(', '.join(points[:6]))}); they are not sent now")
    if not job.scanned.ready:
        raise _fail(f"no metered hours for {days} in the store ({site.store.url or 'civicwatt.db'}"
                    f"): run `civicwatt meter --config … --from {first} --to "
                    f"{last + dt.timedelta(days=1)}` first")
    pending = job.pending()
    total = sum(len(hours) for hours in pending.values())
    where = f"{site.platform.host}:{site.platform.port}"
    if total == 0:
        err.print(f"all {job.scanned.ready} hour(s) of {days} are already acked by {where}; "
                  "--resend sends them again")
        _exit_for_refused(job)
        return
    stop = _stop_on_signals()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"上传 upload to {where}", total=total)
        try:
            pushing.send(job, retries, stop, lambda *_: bar.advance(task))
        except KeyRefused as exc:
            raise _fail(str(exc)) from None
        except LinkDown as exc:
            left = sum(len(h) for h in job.pending().values())
            raise _fail(f"{exc}. {left} hour(s) of {days} are still pending; they are kept and "
                        "go with the next push or the running service") from None
    left = sum(len(h) for h in job.pending().values())
    if left:
        raise _fail(f"interrupted: {total - left} of {total} hour(s) sent, {left} still pending "
                    "(kept; push again to send them)")
    err.print(f"{total} hour(s) of {days} sent to {where} and acked "
              f"({', '.join(f'{p.building} → {p.platform_id}' for p in job.plans)})")
    _exit_for_refused(job)


def _exit_for_refused(job) -> None:
    refused = job.refused()
    if refused:
        raise _fail(f"the platform refused {refused} hour(s) of the range (logged above); their "
                    "values are kept: `civicwatt platform status` lists them; fix and push "
                    "again with --resend", code=2)


@app.command("status")
def status(
    config: ConfigOption,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Acked, pending and refused hours per building (scans the store for new hours first)."""
    site = _site(config)
    import time

    from civicwatt.platform.outbox import Outbox, OutboxError
    from civicwatt.platform.plan import plan_buildings
    from civicwatt.platform.profiles import get
    from civicwatt.platform.scan import scan
    from civicwatt.platform.service import DAY_NS
    from store import StoreError, open_store

    settings = site.platform
    plans = plan_buildings(site, settings, get(settings.profile))
    try:
        outbox = Outbox(site.base_dir / site.service.spool)
    except OutboxError as exc:
        raise _fail(str(exc)) from None
    now = time.time_ns()
    waiting = None
    try:
        store = open_store(site.store.url, site.base_dir)
        try:
            waiting = len(scan(store, site, plans, outbox, now - settings.lookback_days * DAY_NS,
                               now, now).waiting)
        finally:
            store.close()
    except StoreError as exc:
        err.print(f"[yellow]warning:[/] {escape(str(exc))}; showing the outbox as last scanned")
    rows = outbox.status([p.building for p in plans])
    outbox.close()
    ids = {p.building: p.platform_id for p in plans}
    records = [{"building": r.building, "platform_id": ids[r.building], "hours": r.hours,
                "acked": r.acked, "pending": r.pending, "remetered": r.changed,
                "refused": r.refused, "oldest_pending": _local(r.oldest_pending_ns, site),
                "last_ack": _local(r.last_ack_ns, site),
                "last_acked_hour": _local(r.last_acked_hour_ns, site)} for r in rows]
    if as_json:
        typer.echo(json.dumps({"platform": f"{settings.host}:{settings.port}",
                               "buildings": records, "waiting_for_metering": waiting},
                              ensure_ascii=False))
        return
    table = Table(title=f"platform {settings.profile} {settings.host}:{settings.port} "
                        f"(gateway {settings.gateway_id})", title_justify="left")
    headings = ("楼 building", "平台编号 platform id", "已确认 acked", "待发 pending",
                "重算 re-metered", "被拒 refused", "最早待发 oldest pending",
                "最近确认 last ack")
    for heading in headings:
        table.add_column(heading)
    for r in records:
        table.add_row(r["building"], r["platform_id"], str(r["acked"]), str(r["pending"]),
                      str(r["remetered"]), str(r["refused"]), r["oldest_pending"] or "—",
                      r["last_ack"] or "—")
    console = Console() if Console().is_terminal else Console(width=160)
    console.print(table)
    if waiting:
        console.print(f"{waiting} more hour(s) wait for metering to complete.")


def _local(time_ns: int | None, site) -> str | None:
    if not time_ns:
        return None
    from zoneinfo import ZoneInfo

    when = dt.datetime.fromtimestamp(time_ns / 1e9, ZoneInfo(site.site.timezone))
    return when.isoformat(timespec="minutes")


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0 picks a free port")],
    key: Annotated[str, typer.Option("--key", envvar="PLATFORM_KEY", show_default=False,
                                     help="the auth key (or $PLATFORM_KEY)")],
    out: Annotated[Path, typer.Option("--out", help="JSON lines, one per received item")],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    aes_key: Annotated[str | None, typer.Option(
        "--aes-key", envvar="PLATFORM_AES_KEY", show_default=False,
        help="16 characters or 32 hex digits; default: --key")] = None,
    encrypt: Annotated[bool | None, typer.Option(
        "--encrypt/--no-encrypt", help="insist on AES or on plain XML; default: follow the "
                                       "client")] = None,
    md5_order: Annotated[str, typer.Option("--md5-order", help="seq+key or key+seq")] = "seq+key",
    building_id: Annotated[list[str] | None, typer.Option(
        "--building-id", help="accept only these building ids (repeatable); default: any "
                              "well-formed one")] = None,
    drop_after: Annotated[int | None, typer.Option(
        "--drop-after", min=1, help="reset the connection instead of acking the N-th data "
                                    "packet (once)")] = None,
    idle_timeout: Annotated[float, typer.Option("--idle-timeout", min=1,
                                                help="close a connection silent this long")] = 300,
    profile: Annotated[str, typer.Option("--profile")] = "gb-2008",
) -> None:
    """A platform receiver for commissioning (调试用平台模拟): prints `listening on HOST:PORT`."""
    from civicwatt.platform.receiver import Receiver, ReceiverSettings

    if md5_order not in ("seq+key", "key+seq"):
        raise _fail(f"--md5-order {md5_order!r}: use seq+key or key+seq")
    try:
        receiver = Receiver(ReceiverSettings(
            key=key, out=out, aes_key=aes_key, encrypt=encrypt, md5_order=md5_order,
            building_ids=frozenset(building_id or ()), drop_after=drop_after,
            idle_timeout_s=idle_timeout, host=host, port=port, profile=profile))
    except (ValueError, OSError) as exc:
        raise _fail(f"cannot start the receiver: {exc}") from None
    stop = _stop_on_signals()
    receiver.start()
    bound_host, bound_port = receiver.address
    print(f"listening on {bound_host}:{bound_port}", flush=True)
    mode = {None: "AES or plain (following the client)", True: "AES",
            False: "plain XML"}[receiver.encrypt]
    err.print(f"profile {profile}, {mode}, md5 {md5_order}; items to {out}")
    stop.wait()
    receiver.stop()
    err.print(f"stopped: {receiver.data_packets} data packet(s), {receiver.items_written} "
              "item(s) written")
