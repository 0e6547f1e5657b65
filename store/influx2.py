"""InfluxDB 2.x / 3.x: influxdb-client for writes, the v1-compatible InfluxQL endpoint for reads.

URL: `influxdb2://host:port?org=ORG&bucket=BUCKET[&token_env=INFLUXDB_TOKEN][&tls=true]`.
The token is read from the environment variable named by `token_env`
(default `INFLUXDB_TOKEN`); it never appears in the URL, logs or messages.
Reads use `/query?db=BUCKET`, which needs a DBRP mapping on 2.x (created
automatically for buckets made by `influx setup`) and works as is on 3.x.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import SplitResult, parse_qs

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
from urllib3.exceptions import HTTPError

from store.errors import StoreError, StoreUnavailable, StoreURLError
from store.http import InfluxHTTP, classify, error_text
from store.influx1 import redact
from store.influxql import InfluxQLReader
from store.lineprotocol import encode
from store.types import Row


class InfluxDB2Store(InfluxQLReader):
    def __init__(self, url: SplitResult) -> None:
        options = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.description = redact(url._replace(query="")) + (
            f"?org={options.get('org', '')}&bucket={options.get('bucket', '')}")
        missing = [k for k in ("org", "bucket") if not options.get(k)]
        if missing:
            raise StoreURLError(f"store URL {self.description!r} lacks {', '.join(missing)}: "
                                "use influxdb2://host:8086?org=ORG&bucket=BUCKET")
        token_env = options.get("token_env", "INFLUXDB_TOKEN")
        token = os.environ.get(token_env)
        if not token:
            raise StoreURLError(f"store {self.description}: environment variable {token_env} "
                                "holding the InfluxDB token is not set: export it before start")
        self.org, self.bucket = options["org"], options["bucket"]
        self.batch_size = int(options.get("batch", 5000))
        scheme = "https" if options.get("tls", "false").lower() == "true" else "http"
        base = f"{scheme}://{url.hostname}:{url.port or 8086}"
        self._client = InfluxDBClient(url=base, token=token, org=self.org,
                                      timeout=int(float(options.get("timeout", 10)) * 1000))
        self._writer = self._client.write_api(write_options=SYNCHRONOUS)
        self._http = InfluxHTTP(base, self.description, {"Authorization": f"Token {token}"})
        super().__init__(lambda q: self._http.query(self.bucket, q))

    def write(self, rows: Sequence[Row]) -> None:
        for start in range(0, len(rows), self.batch_size):
            self.write_lines(encode(rows[start:start + self.batch_size]))

    def write_lines(self, body: bytes) -> None:
        """POST one pre-encoded line-protocol batch (the spool writer's path)."""
        try:
            self._writer.write(self.bucket, self.org, body, WritePrecision.NS)
        except ApiException as exc:
            raise self._error(exc, "") from exc
        except (HTTPError, OSError) as exc:
            raise StoreUnavailable(f"{self.description}: {type(exc).__name__}: {exc}",
                                   "network") from exc

    def delete(self, measurement: str, start_ns: int, end_ns: int,
               where: Mapping[str, str] | None = None) -> None:
        """Through /api/v2/delete, whose range is inclusive: stop is end_ns − 1 ns."""
        predicate = " AND ".join([f'_measurement="{_quote(measurement)}"'] + [
            f'{k}="{_quote(v)}"' for k, v in (where or {}).items()])
        try:
            self._client.delete_api().delete(_rfc3339(start_ns), _rfc3339(end_ns - 1), predicate,
                                              self.bucket, self.org)
        except ApiException as exc:
            raise self._error(exc, " delete") from exc
        except (HTTPError, OSError) as exc:
            raise StoreUnavailable(f"{self.description}: {type(exc).__name__}: {exc}",
                                   "network") from exc

    def _error(self, exc: ApiException, what: str) -> StoreError:
        """The same classification as 1.x: only a refused line is a rejection."""
        headers = exc.headers or {}
        return classify(exc.status or 500, error_text(exc.body) or str(exc.reason),
                        self.description + what, write=not what,
                        retry_after=headers.get("Retry-After") if hasattr(headers, "get")
                        else None)

    def ping(self) -> None:
        self._http.request("GET", "/ping")

    def close(self) -> None:
        self._client.close()
        self._http.close()


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _rfc3339(time_ns: int) -> str:
    seconds, nanos = divmod(time_ns, 10**9)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{nanos:09d}Z"
