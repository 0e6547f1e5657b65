"""Every URL and host name in a site config, checked before anything connects.

A mistyped `store.url` used to pass `check-config` and fail hours later in
`collect`; these checks say at once what is wrong and what is allowed. They
look at the text only (no connection, no file created); `store.open_store`
remains the one place that builds a store from a URL.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import parse_qs, urlsplit

STORE_FORMS = ("sqlite:///absolute/path.db, a path relative to the config file, "
               "influxdb1://[user:password@]host:8086/DATABASE or "
               "influxdb2://host:8086?org=ORG&bucket=BUCKET")
_INFLUX_OPTIONS = {"influxdb1": ("tls", "batch", "timeout"),
                   "influxdb2": ("org", "bucket", "token_env", "tls", "batch", "timeout")}
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def host_problem(host: str) -> str | None:
    """Why `host` is not a host name or IP address (None when it is one)."""
    text = host.strip()
    if "://" in text:
        return "give the host alone, without a scheme (e.g. 192.168.1.20 or meter-gw.local)"
    try:
        ipaddress.ip_address(text.strip("[]"))
        return None
    except ValueError:
        pass
    if re.fullmatch(r"[^:\s]+:\d+", text):
        return "give the host alone; the port has a key of its own (`port`)"
    if not text or len(text) > 253 or not all(_LABEL.match(p) for p in text.rstrip(".").split(".")):
        return ("not a host name or IP address: letters, digits, '-' and '.' only, "
                "e.g. 192.168.1.20 or meter-gw.local")
    return None


def http_url_problem(url: str) -> str | None:
    """Why `url` is not an http(s)://host[:port][/path] base URL (None when it is one)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "use http://host:port or https://host (e.g. http://localhost:3000)"
    if not parts.hostname:
        return "names no host; e.g. http://localhost:3000"
    if problem := host_problem(parts.hostname):
        return f"host {parts.hostname!r}: {problem}"
    return None


def store_url_problem(url: str, environ: dict[str, str] | None = None) -> str | None:
    """Why a `store.url` cannot work (None when it can); the text names every allowed form."""
    env = os.environ if environ is None else environ
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a bad port or IPv6 bracket
        return f"not a valid URL: {exc}; e.g. influxdb1://127.0.0.1:8086/civicwatt"
    if parts.scheme == "":
        return None  # a plain path, relative to the config file
    if len(parts.scheme) == 1:  # C:\data\civicwatt.db
        return None
    if parts.scheme == "sqlite":
        if parts.netloc or not parts.path.startswith("/"):
            return ("a sqlite URL takes an absolute path after three slashes, e.g. "
                    "sqlite:///var/lib/civicwatt/civicwatt.db; for a path relative to the "
                    "config file write just the path (civicwatt.db)")
        return None
    if parts.scheme not in _INFLUX_OPTIONS:
        return f"unknown scheme {parts.scheme!r}; use {STORE_FORMS}"
    if not parts.hostname:
        return f"names no host; e.g. {parts.scheme}://127.0.0.1:8086/..."
    if problem := host_problem(parts.hostname):
        return f"host {parts.hostname!r}: {problem}"
    if port == 0:
        return "port 0: use the InfluxDB port, 8086 by default"
    options = parse_qs(parts.query, keep_blank_values=True)
    allowed = _INFLUX_OPTIONS[parts.scheme]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        return f"unknown option {', '.join(unknown)}; allowed: {', '.join(allowed)}"
    last = {k: v[-1] for k, v in options.items()}
    if problem := _option_problems(last):
        return problem
    if parts.scheme == "influxdb1":
        database = parts.path.strip("/")
        if not database or "/" in database:
            return ("names no database: put it in the path, "
                    "influxdb1://host:8086/DATABASE (e.g. /civicwatt)")
        return None
    missing = [k for k in ("org", "bucket") if not last.get(k)]
    if missing:
        return (f"lacks {' and '.join(missing)}: influxdb2://host:8086?org=ORG&bucket=BUCKET "
                "(the token comes from the environment, never the URL)")
    if parts.password:
        return "a password in an influxdb2 URL: the token belongs in the environment (token_env)"
    token_env = last.get("token_env", "INFLUXDB_TOKEN")
    if not _ENV_NAME.match(token_env):
        return f"token_env {token_env!r} is not an environment variable name"
    if not env.get(token_env):
        return (f"the environment variable {token_env} holding the InfluxDB token is not "
                "set: export it (or name another with token_env=NAME)")
    return None


def _option_problems(options: dict[str, str]) -> str | None:
    if options.get("tls", "false").lower() not in ("true", "false"):
        return f"tls={options['tls']!r}: use tls=true or tls=false"
    batch = options.get("batch", "5000")
    if not batch.isdigit() or int(batch) < 1:
        return f"batch={batch!r}: a whole number of lines per write, e.g. batch=5000"
    try:
        timeout = float(options.get("timeout", "10"))
    except ValueError:
        timeout = -1.0
    if not 0 < timeout < 3600:
        return f"timeout={options['timeout']!r}: seconds, above 0 and below 3600, e.g. timeout=10"
    return None
