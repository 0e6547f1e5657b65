"""`civicwatt apikey create|list|revoke`: keys for the read API (API 密钥).

create  makes a key, prints it once (`--json`: {"name", "key", "scope", ...}); only its hash
        is kept, in the site's state file (service.spool)
list    every key: id, name, scope, created, expires, status (never the key)
revoke  stops every active key of that name within a second, also in a running service
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from civicwatt.api.keys import NAME_PATTERN, SCOPE_PATTERN, ApiKey, ApiKeyError, KeyStore
from civicwatt.commands.common import load_site_or_exit
from civicwatt.config import SiteConfig

app = typer.Typer(help="API keys for the read API (/api/v1): create, list, revoke.",
                  no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True, highlight=False)
ConfigOption = Annotated[Path, typer.Option("--config", help="the site YAML")]
NS = 1_000_000_000


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(1)


def _keys(site: SiteConfig) -> KeyStore:
    try:
        return KeyStore(site.base_dir / site.service.spool)
    except ApiKeyError as exc:
        raise _fail(str(exc)) from None


def _scopes(site: SiteConfig, given: list[str]) -> tuple[str, ...]:
    buildings = [b.id for b in site.buildings]
    for scope in given:
        if not SCOPE_PATTERN.match(scope):
            raise _fail(f"--scope {scope!r}: use read, read:building:ID (ID one of "
                        f"{', '.join(buildings)}) or write:readings")
        if scope.startswith("read:building:") and scope.split(":", 2)[2] not in buildings:
            raise _fail(f"--scope {scope!r}: no building {scope.split(':', 2)[2]!r} in the site; "
                        f"buildings: {', '.join(buildings)}")
    return tuple(dict.fromkeys(given))


def _expiry(site: SiteConfig, text: str | None, now: dt.datetime) -> int | None:
    """A local date (the key stops at its midnight, site time) or an ISO time with offset."""
    if text is None:
        return None
    zone = ZoneInfo(site.site.timezone)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            when = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), zone)
        else:
            when = dt.datetime.fromisoformat(text)
            when = when if when.tzinfo else when.replace(tzinfo=zone)
    except ValueError:
        raise _fail(f"--expires {text!r}: write a local date YYYY-MM-DD (the key stops at its "
                    "midnight, site time) or an ISO time such as 2027-01-01T08:00+08:00") from None
    if when <= now:
        raise _fail(f"--expires {text!r} is not in the future ({_shown(when, zone)}); give a "
                    "later date")
    return int(when.timestamp()) * NS


def _shown(when: dt.datetime | int | None, zone: ZoneInfo) -> str:
    if when is None:
        return "never"
    if isinstance(when, int):
        when = dt.datetime.fromtimestamp(when / NS, dt.UTC)
    return when.astimezone(zone).isoformat(timespec="minutes")


def _record(key: ApiKey, zone: ZoneInfo, now_ns: int) -> dict:
    return {"id": key.id, "name": key.name, "scope": key.scope,
            "created_at": _shown(key.created_ns, zone),
            "expires_at": None if key.expires_ns is None else _shown(key.expires_ns, zone),
            "revoked_at": None if key.revoked_ns is None else _shown(key.revoked_ns, zone),
            "status": key.status(now_ns)}


@app.command("create")
def create(
    config: ConfigOption,
    name: Annotated[str, typer.Option("--name", help="who uses it; logged with every refused "
                                      "request and write (never the key)")],
    scope: Annotated[list[str], typer.Option("--scope", help="read | read:building:ID | "
                                             "write:readings (repeat for several)")],
    expires: Annotated[str | None, typer.Option("--expires", help="local date YYYY-MM-DD: the "
                                                "key stops at its midnight (site time)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print {name, key, scope, ...}")] = False,
) -> None:
    """Make a key and print it once; only its argon2 hash is stored (创建 API 密钥)."""
    site = load_site_or_exit(config)
    if not re.fullmatch(NAME_PATTERN, name) or not name.strip():
        raise _fail(f"--name {name!r}: 1 to 64 printable characters (it appears in the logs)")
    scopes = _scopes(site, scope)
    zone = ZoneInfo(site.site.timezone)
    expires_ns = _expiry(site, expires, dt.datetime.now(dt.UTC))
    keys = _keys(site)
    try:
        key, text = keys.create(name, scopes, expires_ns)
    except ApiKeyError as exc:
        raise _fail(str(exc)) from None
    finally:
        keys.close()
    if as_json:
        typer.echo(json.dumps({"name": key.name, "key": text, "scope": key.scope, "id": key.id,
                               "expires_at": _record(key, zone, 0)["expires_at"]},
                              ensure_ascii=False))
        return
    err.print(f"API key {escape(key.name)!r} (id {key.id}, scope {key.scope}, expires "
              f"{_shown(expires_ns, zone)}). Store it now: it is not shown again. "
              "Send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.")
    typer.echo(text)


@app.command("list")
def list_keys(
    config: ConfigOption,
    as_json: Annotated[bool, typer.Option("--json", help='print {"keys": [...]}')] = False,
) -> None:
    """Every key with its status (active, expired, revoked); never the key itself."""
    site = load_site_or_exit(config)
    zone = ZoneInfo(site.site.timezone)
    keys = _keys(site)
    try:
        found = [_record(k, zone, time.time_ns()) for k in keys.all()]
    except ApiKeyError as exc:
        raise _fail(str(exc)) from None
    finally:
        keys.close()
    if as_json:
        typer.echo(json.dumps({"keys": found}, ensure_ascii=False))
        return
    table = Table(title=f"API keys of {site.site.id}", title_justify="left")
    for column in ("id", "name", "scope", "created_at", "expires_at", "status"):
        table.add_column(column)
    for k in found:
        table.add_row(*(str(k[c] or "—") for c in ("id", "name", "scope", "created_at",
                                                    "expires_at", "status")))
    Console(soft_wrap=True, highlight=False).print(table)


@app.command("revoke")
def revoke(
    config: ConfigOption,
    name: Annotated[str, typer.Option("--name", help="the key's name (see apikey list)")],
) -> None:
    """Revoke every active key of that name; a running service refuses it within a second."""
    site = load_site_or_exit(config)
    keys = _keys(site)
    try:
        revoked = keys.revoke(name)
    except ApiKeyError as exc:
        raise _fail(str(exc)) from None
    finally:
        keys.close()
    err.print(f"revoked {len(revoked)} key(s) named {escape(name)!r}: "
              f"{', '.join(k.id for k in revoked)}")
