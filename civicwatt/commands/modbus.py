"""`civicwatt modbus read|scan|plan`: commissioning tools.

`read` is mbpoll with decoding: K consecutive values of a type, in a byte order, scaled.
`scan` lists the unit ids that answer behind a gateway. `plan` prints the read plan of
every device in a site config, exactly as the poller will run it (built by
`civicwatt.service.modbus.build_poller`, as `collect` and `run` build it).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(help="Modbus commissioning: read and decode registers, scan units, "
                       "print read plans.", no_args_is_help=True)

TYPES = ("bool", "int16", "uint16", "int32", "uint32", "int48", "uint48", "int64", "uint64",
         "float32", "float64", "string")


def _fail(message: str, hint: str = "") -> typer.Exit:
    err = Console(stderr=True, soft_wrap=True)
    err.print(f"[bold red]错误 error:[/] {escape(message)}", highlight=False)
    if hint:
        err.print(f"  {escape(hint)}", highlight=False)
    return typer.Exit(1)


def parse_target(text: str) -> tuple[str, int]:
    """HOST[:PORT] (IPv6 as [addr]:port) -> (host, port); port defaults to 502."""
    m = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", text.strip())
    if not m:
        raise ValueError(f"{text!r} is not HOST[:PORT], e.g. 192.168.1.20 or 10.0.0.5:5020")
    host = m.group(1) or m.group(3)
    port = int(m.group(2) or m.group(4) or 502)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1-65535")
    return host, port


def parse_units(text: str) -> list[int]:
    """"1-247", "1,3,10-12" -> sorted unit ids, each 1-247."""
    units: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise ValueError(f"--units {text!r}: expected ranges like 1-247 or 1,3,10-12")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not 1 <= lo <= hi <= 247:
            raise ValueError(f"--units {text!r}: unit ids are 1-247, low to high")
        units.update(range(lo, hi + 1))
    return sorted(units)


def _json_value(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf
    return value


@app.command()
def read(
    target: Annotated[str, typer.Argument(metavar="HOST[:PORT]", help="Modbus TCP device or "
                                          "gateway (port 502 by default)")],
    unit: Annotated[int, typer.Option("--unit", metavar="1-247",
                                      help="unit (slave) id, 1-247")],
    address: Annotated[int, typer.Option("--address", min=0, max=65535,
                                         help="0-based protocol address (reference 40001 "
                                              "or 30001 is address 0)")],
    type_: Annotated[str, typer.Option("--type", help=f"one of {', '.join(TYPES)}")],
    order: Annotated[str, typer.Option("--order", help="byte/word order: ABCD (big-endian), "
                                       "CDAB (word-swapped), BADC, DCBA")] = "ABCD",
    function: Annotated[str, typer.Option("--function", help="holding, input, coil or "
                                          "discrete")] = "holding",
    count: Annotated[int, typer.Option("--count", min=1, help="values to read (for string: "
                                       "its length in registers)")] = 1,
    scale: Annotated[float, typer.Option("--scale", help="multiply each value")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=0.05, max=60, help="seconds")] = 2.0,
    reserved_unit: Annotated[bool, typer.Option(
        "--reserved-unit", help="allow unit 248-255 (reserved; some Modbus TCP devices answer "
                                "only on 255)")] = False,
) -> None:
    """Read and decode COUNT consecutive values of TYPE starting at ADDRESS (like mbpoll).

    Examples:

        civicwatt modbus read 192.168.1.20 --unit 1 --address 0 --type uint16

        civicwatt modbus read 127.0.0.1:5020 --unit 1 --function input \\
            --address 342 --type float32 --json
    """
    from collector.modbus.client import Link, ModbusError
    from collector.modbus.decode import decode
    from collector.modbus.settings import BIT_FUNCTIONS, MAX_BITS_PER_READ, TYPE_WORDS

    order = order.upper()
    if not (1 <= unit <= 247 or (reserved_unit and 248 <= unit <= 255)):
        raise _fail(f"--unit {unit} is not a unit id",
                    "unit ids are 1-247; 0 is broadcast, which never answers a read; 248-255 "
                    "are reserved (pass --reserved-unit for a device that answers on 255)")
    if type_ not in TYPES:
        raise _fail(f"--type {type_!r} is not a type", f"use one of {', '.join(TYPES)}")
    if not math.isfinite(scale):
        raise _fail(f"--scale {scale}: not a finite number", "e.g. --scale 0.1")
    if order not in ("ABCD", "DCBA", "BADC", "CDAB"):
        raise _fail(f"--order {order!r} is not a byte order", "use ABCD, CDAB, BADC or DCBA")
    if function not in ("holding", "input", "coil", "discrete"):
        raise _fail(f"--function {function!r} is not a function",
                    "use holding, input, coil or discrete")
    if function in BIT_FUNCTIONS and type_ != "bool":
        raise _fail(f"--function {function} reads bits", "use --type bool")
    try:
        host, port = parse_target(target)
        _resolve(host, port)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    words = 1 if function in BIT_FUNCTIONS else (count if type_ == "string"
                                                 else TYPE_WORDS[type_] * count)
    limit = MAX_BITS_PER_READ if function in BIT_FUNCTIONS else 125
    if words > limit or address + words > 65536:
        raise _fail(f"{count} x {type_} from address {address} needs {words} "
                    f"{'bits' if function in BIT_FUNCTIONS else 'registers'}",
                    f"one read takes at most {limit} and must end by 65535; lower --count")

    async def go() -> list[int] | list[bool]:
        link = Link("tcp", host=host, port=port, timeout=timeout)
        try:
            n = count if function in BIT_FUNCTIONS else words
            return await link.read(unit, function, address, n)  # type: ignore[arg-type]
        finally:
            link.close()

    try:
        raw = asyncio.run(go())
    except ModbusError as exc:
        raise _fail(f"modbus read: {_described(exc)}",
                    _hint(exc.code, exc.message)) from None

    values: list[object] = []
    if function in BIT_FUNCTIONS:
        values = [bool(b) for b in raw]
        regs: list[list[int]] = [[int(b)] for b in raw]
    elif type_ == "string":
        regs = [list(map(int, raw))]
        values = [decode(regs[0], "string", order)]
    else:
        n = TYPE_WORDS[type_]
        regs = [list(map(int, raw[i * n:(i + 1) * n])) for i in range(count)]
        for chunk in regs:
            v = decode(chunk, type_, order)
            values.append(v * scale if scale != 1.0 and not isinstance(v, bool) else v)
    if as_json:
        print(json.dumps({"unit": unit, "address": address, "type": type_, "order": order,
                          "function": function, "values": [_json_value(v) for v in values]},
                         ensure_ascii=False))
        return
    console = Console(soft_wrap=True)
    console.print(f"{host}:{port} unit {unit} {function} {type_} {order}"
                  + (f" x{scale:g}" if scale != 1.0 else ""), highlight=False)
    table = Table()
    second = "registers 寄存器" if function not in BIT_FUNCTIONS else "bit 位"
    for column in ("address 地址", second, "value 值"):
        table.add_column(column, justify="left" if column == second else "right")
    step = 1 if function in BIT_FUNCTIONS or type_ == "string" else TYPE_WORDS[type_]
    for i, (chunk, v) in enumerate(zip(regs, values, strict=True)):
        shown = " ".join(f"{w:04X}" for w in chunk) if function not in BIT_FUNCTIONS else str(
            chunk[0])
        table.add_row(str(address + i * step), shown, repr(v) if isinstance(v, str) else str(v))
    console.print(table)


def _resolve(host: str, port: int) -> None:
    """ValueError when the host name is unknown: said before any Modbus timeout."""
    import socket

    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(f"host {host!r} is not known ({exc.args[-1]}): check the spelling, "
                         "or give the IP address") from None


def _described(exc: Exception) -> str:
    """The error with, when nothing came back at all, the plain fact first."""
    silent = any(text in str(exc) for text in ("cannot connect", "no answer"))
    if getattr(exc, "code", None) is None and silent:
        return f"the host did not answer: {exc}"
    return str(exc)


def _hint(code: int | None, message: str) -> str:
    if code == 2:
        return ("the device has no register there: check the address is 0-based "
                "(manual's 40001 = --address 0) and --function")
    if code == 1:
        return "the device does not support this function: try --function input or holding"
    if code in (10, 11):
        return "the gateway has no answer from that unit: check --unit and the RS-485 wiring"
    if "connect" in message:
        return ("no TCP connection: check the host and port (Modbus TCP is usually 502), that "
                "the device is on and reachable (ping it), and that nothing else holds its only "
                "connection")
    return ("nothing came back, not even a Modbus error: check that the host and port are a "
            "Modbus TCP device or gateway (a gateway with a wrong --unit usually answers with "
            "exception 0x0B), the network, and --timeout for a slow gateway")


@app.command()
def scan(
    target: Annotated[str, typer.Argument(metavar="HOST[:PORT]", help="Modbus TCP device or "
                                          "gateway")],
    units: Annotated[str, typer.Option("--units", help="unit ids to try, e.g. 1-247 or "
                                       "1,3,10-12")] = "1-247",
    timeout: Annotated[float, typer.Option("--timeout", min=0.05,
                                           help="seconds to wait per unit")] = 0.3,
) -> None:
    """List the unit ids that answer (any reply but a timeout or gateway exception).

    Examples:

        civicwatt modbus scan 192.168.1.20

        civicwatt modbus scan 127.0.0.1:5020 --units 1-10 --timeout 0.5
    """
    from rich.progress import Progress

    from collector.modbus.client import Link, ModbusError, ModbusTimeout

    try:
        host, port = parse_target(target)
        ids = parse_units(units)
        _resolve(host, port)
    except ValueError as exc:
        raise _fail(str(exc)) from None

    async def go() -> list[tuple[int, str]]:
        link = Link("tcp", host=host, port=port, timeout=timeout)
        found: list[tuple[int, str]] = []
        try:
            with Progress(transient=True, console=Console(stderr=True)) as progress:
                task = progress.add_task(f"scanning {host}:{port}", total=len(ids))
                for unit in ids:
                    try:
                        await link.read(unit, "holding", 0, 1)
                        found.append((unit, "holding register 0 read"))
                    except ModbusTimeout as exc:
                        if "cannot connect" in exc.message:
                            raise
                    except ModbusError as exc:
                        found.append((unit, f"answered: {exc.message}"))
                    progress.advance(task)
        finally:
            link.close()
        return found

    try:
        found = asyncio.run(go())
    except ModbusError as exc:
        raise _fail(f"modbus scan: {_described(exc)}", _hint(exc.code, exc.message)) from None
    console = Console(soft_wrap=True)
    if not found:
        console.print(f"{host}:{port}: no unit answered among {len(ids)} tried "
                      f"(timeout {timeout:g} s) / 无从站应答")
        raise typer.Exit(1)
    table = Table(title=f"{host}:{port}: {len(found)} unit(s) answer / 个从站应答",
                  title_justify="left")
    table.add_column("unit 从站", justify="right")
    table.add_column("reply 应答")
    for unit, reply in found:
        table.add_row(str(unit), reply)
    console.print(table)


@app.command()
def plan(
    config: Annotated[Path, typer.Option("--config", help="the site YAML")],
) -> None:
    """Print the read plan of every Modbus device in a site config.

    Example:

        civicwatt modbus plan --config config/example-site.yaml
    """
    from civicwatt.commands.common import load_site_or_exit
    from civicwatt.service.modbus import build_poller

    site = load_site_or_exit(config)
    poller = build_poller(site, lambda rows: None)
    console = Console(soft_wrap=True)
    if not site.modbus.devices:
        console.print(f"{config}: no Modbus devices")
        return
    total_reads = total_points = 0
    for dev in site.modbus.devices:
        if dev.id not in poller.plans:
            console.print(f"{dev.id} unit {dev.unit}: no points use this device / 无测点")
            continue
        p = poller.plans[dev.id]
        total_reads += len(p.reads)
        total_points += len(p.points)
        console.print(p.summary(f"{dev.id} unit {dev.unit}") + f" (gateway {dev.gateway}, "
                      f"every {poller.intervals[dev.id]:g} s)", highlight=False)
        for i, r in enumerate(p.reads):
            names = [p.points[k][0] for k, locs in enumerate(p.locations)
                     if any(ri == i for ri, _ in locs)]
            span = f"{r.address}" if r.count == 1 else f"{r.address}-{r.end - 1}"
            console.print(f"  {r.function} {span} ({r.count}): {', '.join(names)}",
                          highlight=False)
    console.print(f"{total_reads} read(s) per cycle for {total_points} point(s) / "
                  f"每周期 {total_reads} 次读取, {total_points} 个测点")
