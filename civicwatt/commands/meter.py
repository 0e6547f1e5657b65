"""`civicwatt meter`: energy by time-of-use period, zone and purpose.

Two modes: `--config FILE` meters the store's readings into `energy_interval`
(the job); `--readings/--points/--tariff` meters CSV files offline and prints
totals (a table, or JSON with `--json`).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from civicwatt.metering.files import InputError
from rules.clock import parse_interval
from rules.energy import BY_NAME


def _fail(message: str) -> None:
    err = Console(stderr=True)
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"{flag} {text!r}: write a local date as YYYY-MM-DD, e.g. 2026-06-01")
        raise  # unreachable


OFFLINE = "Offline: CSV files (needs --readings, --points, --tariff, --tz)"
STORE = "Store: the site config"


class OnDuplicate(StrEnum):
    first = "first"
    last = "last"
    mean = "mean"


def meter(
    from_: Annotated[str, typer.Option("--from", metavar="YYYY-MM-DD",
                                       help="First local date (inclusive).")],
    to: Annotated[str, typer.Option("--to", metavar="YYYY-MM-DD",
                                    help="Last local date (exclusive).")],
    config: Annotated[
        Path | None, typer.Option("--config", metavar="FILE", rich_help_panel=STORE,
                                  help="Site YAML: meter the store's readings into "
                                       "energy_interval (the job).")
    ] = None,
    readings: Annotated[
        Path | None, typer.Option("--readings", metavar="FILE", rich_help_panel=OFFLINE,
                                  help="CSV point,timestamp,value (ISO 8601 with offset).")
    ] = None,
    points: Annotated[
        Path | None, typer.Option("--points", metavar="FILE", rich_help_panel=OFFLINE,
                                  help="CSV point,zone,purpose,quantity,unit.")
    ] = None,
    tariff: Annotated[
        Path | None, typer.Option("--tariff", metavar="FILE", rich_help_panel=OFFLINE,
                                  help="Native tariff YAML or OpenEI URDB JSON, or a shipped "
                                       "tariff's name (e.g. guangdong-general-ic).")
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", metavar="ZONE", rich_help_panel=OFFLINE,
                                 help="IANA timezone of the dates, e.g. Asia/Shanghai.")
    ] = None,
    interval: Annotated[
        str | None, typer.Option("--interval", metavar="DURATION",
                                 help="15m (default; with --config: metering.interval), 30m, "
                                      "1h …")
    ] = None,
    emission_factor: Annotated[
        float | None,
        typer.Option("--emission-factor", min=0, max=5, metavar="KG_PER_KWH",
                     rich_help_panel=OFFLINE,
                     help="kgCO2/kWh for every interval (overrides the national table)."),
    ] = None,
    max_gap: Annotated[
        str | None,
        typer.Option("--max-gap", metavar="DURATION", rich_help_panel=OFFLINE,
                     help="Longer steps are gaps (estimated); default 2 intervals."),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", metavar="FILE", rich_help_panel=OFFLINE,
                     help="YAML class → {price, unit[, tiers]} for water, gas, heat, cooling and "
                          "fuels (electricity: --tariff)."),
    ] = None,
    factors: Annotated[
        Path | None,
        typer.Option("--factors", metavar="FILE", rich_help_panel=OFFLINE,
                     help="YAML overriding the shipped kgce/CO2 factors per class."),
    ] = None,
    on_duplicate: Annotated[
        OnDuplicate | None,
        typer.Option("--on-duplicate", rich_help_panel=OFFLINE, case_sensitive=False,
                     help="A point with two different values at one timestamp is an error; "
                          "or keep the first, the last (file order) or their mean."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", rich_help_panel=OFFLINE,
                                          help="Print JSON {rows, warnings, cost_unit}, not a "
                                               "table.")] = False,
) -> None:
    """Meter every energy class by zone and purpose, electricity by TOU period (分类分项计量),
    with cost, standard coal and carbon.

    Two modes: --config meters the store (what `civicwatt run` schedules);
    --readings/--points/--tariff/--tz meter CSV files offline and print totals.

    Examples:

        civicwatt meter --config site.yaml --from 2026-06-01 --to 2026-07-01

        civicwatt meter --readings readings.csv --points points.csv \\
            --tariff guangdong-general-ic --tz Asia/Shanghai \\
            --prices prices.yaml --from 2026-06-01 --to 2026-06-02 --json
    """
    first, end = _date(from_, "--from"), _date(to, "--to")
    if end <= first:
        _fail(f"--to {to} must be after --from {from_} (the end date is exclusive)")
    try:
        interval_ns = parse_interval(interval or "15m")
        gap_ns = _duration(max_gap) if max_gap else None
    except ValueError as exc:
        _fail(str(exc))
    if gap_ns is not None and gap_ns <= 0:
        _fail(f"--max-gap {max_gap}: must be longer than 0 (every reading step would count as "
              "a gap), e.g. 30m")
    if config is not None:
        offline = [flag for flag, given in (
            ("--readings", readings), ("--points", points), ("--tariff", tariff), ("--tz", tz),
            ("--emission-factor", emission_factor is not None), ("--max-gap", max_gap),
            ("--prices", prices), ("--factors", factors),
            ("--on-duplicate", on_duplicate), ("--json", as_json)) if given]
        if offline:
            _fail(f"{', '.join(offline)}: offline-mode option(s), not used with --config (the "
                  "site config sets the tariff, timezone, prices and factors); give either "
                  "--config or the offline files")
        _store_job(config, first, end, interval_ns if interval else None)
        return
    missing = [
        f
        for f, v in (
            ("--readings", readings),
            ("--points", points),
            ("--tariff", tariff),
            ("--tz", tz),
        )
        if v is None
    ]
    if missing:
        _fail(f"offline mode needs {', '.join(missing)} (or use --config FILE for the store)")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"--tz {tz!r} is not an IANA timezone (e.g. Asia/Shanghai, America/New_York)")
    from civicwatt.metering.offline import run_offline

    try:
        out = run_offline(
            readings,
            points,
            tariff,
            tz,
            first,
            end,
            interval_ns,
            emission_factor=emission_factor,
            max_gap_ns=gap_ns,
            prices=prices,
            factors=factors,
            on_duplicate=on_duplicate.value if on_duplicate else None,
        )
    except InputError as exc:
        _fail(str(exc))
    except ValueError as exc:  # tariff gaps, clock/interval mismatch
        _fail(str(exc))
    if as_json:
        json.dump({"rows": out.rows, "warnings": out.warnings, "cost_unit": _cost_unit(out.tariff)},
                  sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    _print_table(out, first, end)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    for warning in out.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def _store_job(config: Path, first: dt.date, end: dt.date, interval_ns: int | None) -> None:
    from civicwatt.config import ConfigError
    from civicwatt.jobs.metering import MeteringConfigError, run_job
    from store import StoreError

    try:
        summary = run_job(config, first, end, interval_ns, progress=sys.stderr.isatty())
    except ConfigError as exc:
        _fail(f"{config} has problems:\n" + "\n".join(f"  {p}" for p in exc.problems))
    except (MeteringConfigError, InputError, FileNotFoundError, StoreError, ValueError) as exc:
        _fail(str(exc))
    if not summary.rows:
        _fail(f"{config}: no readings of its {summary.points} metered point(s) in the store from "
              f"{first} to {end} (end exclusive): nothing to meter. Check the dates, that "
              "store.url is the store `civicwatt collect` fills, and that it has run")
    console = Console()
    others = "".join(f", {amount:,.1f} {BY_NAME[name].unit} {name}"
                     for name, amount in summary.amounts.items() if name != "electricity")
    console.print(
        f"计量完成 metered {summary.points} points × {summary.days} days: "
        f"{summary.rows:,} energy_interval rows, {summary.kwh:,.1f} kWh{others}, "
        f"{summary.estimated:,} estimated intervals",
        highlight=False,
    )
    for e in summary.events:
        when = dt.datetime.fromtimestamp(e["time_ns"] / 1e9, dt.UTC).isoformat()
        console.print(
            f"事件 event: {e['point']} {e['kind']} at {when} ({e['before']:g} → {e['after']:g})",
            highlight=False,
        )
    for b in summary.balances:
        state = "ok" if b.ok else "[yellow]imbalance 不平衡[/yellow]"
        console.print(
            f"平衡 balance {b.parent}: {b.parent_kwh:,.1f} kWh vs sub-meters "
            f"{b.children_kwh:,.1f} kWh ({b.imbalance_pct:+.1f} %) {state}"
        )
    for note in summary.notes:
        console.print(f"[dim]{escape(note)}[/dim]")


def _duration(text: str) -> int:
    from civicwatt.metering.settings import parse_duration

    return parse_duration(text)


def _cost_unit(tariff) -> str:
    """The currency, or `x_flat_price` for a ratio tariff (offline there is no base price)."""
    return tariff.currency if tariff.price_basis == "money" else "x_flat_price"


def _print_table(out, first: dt.date, end: dt.date) -> None:
    console = Console()
    currency = out.tariff.currency if out.tariff.price_basis == "money" else "× flat"
    table = Table(title=f"{out.tariff.name}\n{first} – {end} (end exclusive)")
    for col, just in (
        ("区域\nzone", "left"),
        ("分项\npurpose", "left"),
        ("分类\nenergy", "left"),
        ("时段\nperiod", "left"),
        ("用量\namount", "right"),
        (f"费用\ncost {currency}", "right"),
        ("折标煤\nkgce", "right"),
        ("碳排放\nkg CO₂", "right"),
    ):  # numbers and short labels never wrap; zone and purpose ids fold on a narrow terminal
        table.add_column(col, justify=just, no_wrap=just == "right" or "energy" in col
                         or "period" in col, overflow="fold", min_width=5)
    totals: dict[str, dict[str, float | None]] = {}
    for row in out.rows:
        table.add_row(row["zone"], row["purpose"], row["energy"], row["period"] or "",
                      f"{_fmt(row['amount'])} {row['unit']}", _fmt(row["cost"]),
                      _fmt(row["kgce"]), _fmt(row["co2_kg"]))
        tot = totals.setdefault(row["energy"], {"amount": 0.0, "cost": 0.0, "kgce": 0.0,
                                                "co2_kg": 0.0, "unit": row["unit"]})
        for k in ("amount", "cost", "kgce", "co2_kg"):
            tot[k] = tot[k] + row[k] if row[k] is not None and tot[k] is not None else None
    table.add_section()
    for energy, tot in sorted(totals.items(), key=lambda item: list(BY_NAME).index(item[0])):
        table.add_row("合计 total", "", energy, "", f"{_fmt(tot['amount'])} {tot['unit']}",
                      _fmt(tot["cost"]), _fmt(tot["kgce"]), _fmt(tot["co2_kg"]))
    kgce = [t["kgce"] for t in totals.values()]
    if len(totals) > 1:
        whole = None if None in kgce else sum(kgce)
        table.add_row("综合能耗 total energy", "", "", "", "", "", _fmt(whole), "")
    console.print(table)
    for d in out.demand:
        console.print(
            f"需量电费 demand charge {d.month}: {d.max_kw:,.1f} kW → {d.charge:,.2f} {currency}"
        )
    if out.estimated_intervals:
        console.print(
            f"估算 estimated intervals (gaps, resets, bad steps): {out.estimated_intervals}"
        )
    for e in out.events:
        when = dt.datetime.fromtimestamp(e["time_ns"] / 1e9, dt.UTC).isoformat()
        console.print(
            f"事件 event: {e['point']} {e['kind']} at {when} ({e['before']:g} → {e['after']:g})"
        )
    for note in out.notes:
        console.print(f"[dim]{escape(note)}[/dim]")


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.2f}"
