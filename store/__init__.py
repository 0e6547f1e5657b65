"""The one place that speaks to a time-series database.

`open_store(url)` picks the backend by URL scheme:

| URL | backend |
|---|---|
| `sqlite:///path/to/civicwatt.db` or a plain path | embedded SQLite (the default) |
| `influxdb1://[user:password@]host:port/db` | InfluxDB 1.x |
| `influxdb2://host:port?org=ORG&bucket=BUCKET` (token in `$INFLUXDB_TOKEN`) | InfluxDB 2.x / 3.x |
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from store.base import Aggregate, Store
from store.errors import StoreError, StoreRejected, StoreUnavailable, StoreURLError
from store.types import Bucket, Latest, RawReadings, Row, Series, Totals

DEFAULT_SQLITE = "civicwatt.db"

__all__ = ["Aggregate", "Bucket", "Latest", "RawReadings", "Row", "Series", "Store",
           "StoreError", "StoreRejected", "StoreURLError", "StoreUnavailable", "Totals",
           "open_store"]


def open_store(url: str | None, base_dir: Path | None = None) -> Store:
    """Open the store a URL names; None or "" means the embedded SQLite default."""
    if not url:
        return _sqlite((base_dir or Path.cwd()) / DEFAULT_SQLITE)
    parts = urlsplit(url)
    if parts.scheme in ("influxdb1", "influxdb2"):
        return _influx(url, parts)
    if parts.scheme == "sqlite":
        return _sqlite(Path(url.removeprefix("sqlite://")))
    if parts.scheme == "" :
        return _sqlite(Path(url) if Path(url).is_absolute() else (base_dir or Path.cwd()) / url)
    raise StoreURLError(f"store URL {url.split('@')[-1]!r}: unknown scheme {parts.scheme!r}; "
                        "use sqlite:///path, influxdb1://host:8086/db or "
                        "influxdb2://host:8086?org=ORG&bucket=BUCKET")


def _influx(url: str, parts) -> Store:
    """An InfluxDB backend; a bad host, port or option names the URL instead of a traceback."""
    from store.influx1 import InfluxDB1Store
    from store.influx2 import InfluxDB2Store

    shown = parts.scheme + "://" + url.split("@")[-1].split("://")[-1]
    try:
        if not parts.hostname:
            raise ValueError("it names no host")
        backend = InfluxDB1Store if parts.scheme == "influxdb1" else InfluxDB2Store
        return backend(parts)
    except StoreURLError:
        raise
    except ValueError as exc:
        raise StoreURLError(f"store URL {shown!r}: {exc}; check the host, the port and the "
                            "batch/timeout options") from None


def _sqlite(path: Path) -> Store:
    from store.sqlite import SQLiteStore
    return SQLiteStore(path)
