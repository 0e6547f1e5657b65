"""`civicwatt deadletter list|export|purge|replay`: the spool's dead letters, for operators.

The dead-letter table is capped (`service.dead_letter_capacity`); past the cap, bad messages
are *held* in the spool and /healthz says "dead-letter full" until they are exported and
purged. Nothing here deletes without `--yes`, and export never deletes.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from civicwatt.commands.collect import ConfigOpt, MqttOpt, TemplateOpt, TopicOpt, _fail, _settings

deadletter_app = typer.Typer(
    help="Inspect, export, purge and re-ingest messages the collector could not store "
         "(死信: 查看/导出/清理/重放).\n\n"
         "Examples:\n\n"
         "  civicwatt deadletter list --spool spool.db --reason unknown_topic\n\n"
         "  civicwatt deadletter export --spool spool.db --out dead.jsonl\n\n"
         "  civicwatt deadletter purge --spool spool.db --before 2026-11-01 --yes",
    no_args_is_help=True)

SpoolOpt = Annotated[Path, typer.Option("--spool", help="the spool file (service.spool in the "
                                                         "site config, default spool.db)")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="only this reason code")]
BeforeOpt = Annotated[str, typer.Option(
    "--before", help="received before this UTC date (YYYY-MM-DD) or ISO 8601 time with offset")]


def _open(spool: Path):
    """The spool, never created here: a wrong path or another file is a clear error."""
    from collector.spool import Spool, SpoolError

    try:
        return Spool(spool, create=False)
    except SpoolError as exc:
        raise _fail(f"--spool {spool}: {str(exc).removeprefix(f'spool {spool}: ')}") from None


def _check_reason(box, reason: str | None) -> None:
    """An unknown --reason is an error naming the known ones (never an empty listing)."""
    from collector.mqtt.payload import REASONS

    known = sorted(set(REASONS) | set(box.dead_counts()))
    if reason is not None and reason not in known:
        raise _fail(f"--reason {reason!r} is not a dead-letter reason; known: "
                    f"{', '.join(known)}")


def _instant(text: str) -> tuple[int, str]:
    """--before → (epoch ns, how it was read). A date is midnight UTC."""
    try:
        if len(text) == 10:
            when = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            when = datetime.fromisoformat(text)
            if when.tzinfo is None:
                raise ValueError("no UTC offset")
    except ValueError:
        raise _fail(f"--before {text!r}: not a date or time; write YYYY-MM-DD (midnight UTC) "
                    "or an ISO 8601 time with its offset, e.g. 2026-11-01T08:00+08:00"
                    ) from None
    shown = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return int(when.timestamp()) * 10**9 + when.microsecond * 1000, shown


def _when(received_ns: int) -> str:
    return datetime.fromtimestamp(received_ns / 1e9, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@deadletter_app.command("list")
def deadletter_list(
    spool: SpoolOpt = Path("spool.db"),
    reason: ReasonOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="rows to show")] = 50,
) -> None:
    """Dead letters: time, reason, topic, payload, detail (死信列表).

    Example: civicwatt deadletter list --spool spool.db --reason out_of_range
    """
    box = _open(spool)
    _check_reason(box, reason)
    counts = box.dead_counts()
    console = Console()
    held = f"; {box.held} held over the cap of {box.dead_capacity}" if box.held else ""
    console.print(f"{spool}: {sum(counts.values())} dead letter(s) — " + (
        ", ".join(f"{k} {v}" for k, v in counts.items()) or "none") + held, soft_wrap=True)
    table = Table()
    for column in ("id", "received (UTC)", "reason", "topic", "payload", "detail"):
        table.add_column(column, overflow="fold")
    for row in box.dead_letters(reason, limit):
        payload = row.payload[:80].decode("utf-8", "replace") + ("…" if len(row.payload) > 80
                                                                  else "")
        table.add_row(str(row.id) + (" held" if row.held else ""), _when(row.received_ns)[:19],
                      row.reason, row.topic or "", payload, row.detail)
    console.print(table)


def _records(rows) -> Iterator[dict]:
    for row in rows:
        record = {"id": row.id, "received_utc": _when(row.received_ns),
                  "received_ns": row.received_ns, "source": row.source, "topic": row.topic,
                  "reason": row.reason, "detail": row.detail, "attempts": row.attempts,
                  "held": bool(row.held)}
        try:
            record["payload"] = row.payload.decode("utf-8")
        except UnicodeDecodeError:
            record["payload_base64"] = base64.b64encode(row.payload).decode()
        yield record


@deadletter_app.command("export")
def deadletter_export(
    out: Annotated[Path, typer.Option("--out", help="FILE.jsonl (one JSON object a line) or "
                                                    "FILE.csv (UTF-8 with BOM, for Excel)")],
    spool: SpoolOpt = Path("spool.db"),
    reason: ReasonOpt = None,
    before: Annotated[str | None, typer.Option(
        "--before", help="only those received before this UTC date or ISO time")] = None,
) -> None:
    """Write dead letters (held ones too) to a file, losslessly; deletes nothing (导出死信).

    Payloads that are not UTF-8 go as `payload_base64`. Example:
    civicwatt deadletter export --spool spool.db --out dead-2026-11.jsonl
    """
    box = _open(spool)
    _check_reason(box, reason)
    before_ns = _instant(before)[0] if before else None
    total = box.count_dead(reason, before_ns)
    partial = out.with_name(out.name + ".partial")
    try:
        written = _write(partial, _records(box.iter_dead(reason, before_ns)), total,
                         out.suffix.lower() == ".csv")
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise _fail(f"--out {out}: cannot write ({exc.strerror or exc}); choose a writable "
                    "path") from None
    Console().print(f"exported {written} dead letter(s) from {spool} to {out}")


def _write(path: Path, records: Iterator[dict], total: int, as_csv: bool) -> int:
    from rich.progress import Progress

    columns = ["id", "received_utc", "received_ns", "source", "topic", "reason", "detail",
               "attempts", "held", "payload", "payload_base64"]
    written = 0
    with path.open("w", encoding="utf-8-sig" if as_csv else "utf-8", newline="") as handle, \
            Progress(console=Console(stderr=True), transient=True,
                     disable=total < 10_000) as bar:
        task = bar.add_task("导出 exporting", total=total)
        writer = csv.DictWriter(handle, columns) if as_csv else None
        if writer is not None:
            writer.writeheader()
        for record in records:
            if writer is not None:
                writer.writerow(record)
            else:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
            if written % 1000 == 0:
                bar.update(task, completed=written)
    return written


@deadletter_app.command("purge")
def deadletter_purge(
    before: BeforeOpt,
    spool: SpoolOpt = Path("spool.db"),
    reason: ReasonOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="really delete (without it: only say what "
                                                    "would be deleted)")] = False,
) -> None:
    """Delete dead letters received before a date, after `export` (清理死信).

    Without --yes it only counts. Held messages then move into the freed places.
    Example: civicwatt deadletter purge --spool spool.db --before 2026-11-01 --yes
    """
    box = _open(spool)
    _check_reason(box, reason)
    before_ns, shown = _instant(before)
    which = f"dead letter(s){f' with reason {reason}' if reason else ''} received before {shown}"
    if not yes:
        count = box.count_dead(reason, before_ns)
        Console().print(f"would delete {count} {which} from {spool}; nothing deleted. Export "
                        f"them first (civicwatt deadletter export --spool {spool} --out FILE "
                        f"--before {before}), then run again with --yes")
        return
    deleted = box.purge_dead(before_ns, reason)
    Console().print(f"deleted {deleted} {which} from {spool}; {box.dead} left, {box.held} held")


@deadletter_app.command("replay")
def deadletter_replay(
    spool: SpoolOpt = Path("spool.db"),
    config: ConfigOpt = None,
    mqtt: MqttOpt = None,
    topic: TopicOpt = None,
    template: TemplateOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """Re-decode dead letters with the current config; what now passes goes to the spool (重放).

    A running `civicwatt collect` on the same spool writes them to the store.
    Example: civicwatt deadletter replay --spool spool.db --config site.yaml
    """
    import time

    box = _open(spool)
    _check_reason(box, reason)
    decoder = None
    if config or mqtt:
        _, decoder, _, _ = _settings(config, mqtt or None, topic or [], template or [], None,
                                     None)
        if decoder is None:
            raise _fail(f"{config} has no `mqtt:` section: dead letters are MQTT messages, "
                        "so replay needs the MQTT settings that decode them")
    recovered = still = 0
    after = 0
    while rows := box.dead_letters(reason, 1000, after_id=after):
        after = rows[-1].id
        lines: list[str] = []
        done: list[int] = []
        bad: list[tuple[int, str, str]] = []
        for row in rows:
            if row.source == "store":  # the store refused the line itself: retry it as is
                lines.append(row.payload.decode("utf-8", "replace"))
                done.append(row.id)
                continue
            if decoder is None:
                bad.append((row.id, row.reason, row.detail))
                continue
            out = decoder.decode([(row.topic, row.payload, row.received_ns)], time.time_ns())
            if out.dead:
                bad.append((row.id, out.dead[0].reason, out.dead[0].detail))
            else:
                lines += out.lines
                done.append(row.id)
        box.resolve_dead(lines, done, bad)
        recovered += len(done)
        still += len(bad)
    if decoder is None and still:
        Console(stderr=True).print("note: give --config (or --mqtt with --topic/--template) to "
                                   "re-decode MQTT messages; only store-refused lines were "
                                   "retried")
    Console().print(f"replayed: {recovered} recovered into the spool, {still} still rejected")
