"""Push the datasource, the civicwatt folder and every dashboard to Grafana's HTTP API.

Upserts, idempotently: the datasource by uid (create or update), the folder by
uid (created with our uid, renamed in place, never re-created), each dashboard
by uid into that folder (skipped when Grafana already holds the same JSON, so a
second push creates no new dashboard versions). Every failure becomes one
`DashboardsError` whose message says what happened and how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import niquests
from grafana_client import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaServerError,
    GrafanaTimeoutError,
    GrafanaUnauthorizedError,
)

from civicwatt.dashboards.context import FOLDER_TITLE, FOLDER_UID
from civicwatt.dashboards.model import Json
from civicwatt.dashboards.provisioning import DashboardsError

#: schemaVersion 39 dashboards and the InfluxQL datasource settings used here.
MIN_GRAFANA = (10, 4)
T = TypeVar("T")


@dataclass
class PushResult:
    grafana_version: str = ""
    datasource: str = ""  # created / updated
    folder: str = ""  # created / renamed / unchanged
    dashboards: dict[str, str] = field(default_factory=dict)  # uid → created/updated/unchanged


def credential_from_env(url: str) -> str | tuple[str, str] | None:
    """GRAFANA_TOKEN, else GRAFANA_USER + GRAFANA_PASSWORD, else user:password in the URL."""
    token = os.environ.get("GRAFANA_TOKEN")
    if token:
        return token
    user, password = os.environ.get("GRAFANA_USER"), os.environ.get("GRAFANA_PASSWORD")
    if user and password is not None:
        return (user, password)
    parts = urlsplit(url)
    if parts.username and parts.password:
        return None  # grafana-client reads them from the URL
    raise DashboardsError(
        "no Grafana credentials: export GRAFANA_TOKEN (a service-account token with the Admin "
        "role) or GRAFANA_USER and GRAFANA_PASSWORD")


def connect(url: str, timeout: float = 10.0) -> GrafanaApi:
    return GrafanaApi.from_url(url, credential=credential_from_env(url), timeout=timeout)


def _call(url: str, what: str, fn: Callable[[], T]) -> T:
    """Run one API call; turn every failure into one clear DashboardsError."""
    try:
        return fn()
    except GrafanaUnauthorizedError as exc:
        raise DashboardsError(
            f"Grafana at {url} refused the credentials while {what} (401 Unauthorized): check "
            "GRAFANA_TOKEN, or GRAFANA_USER/GRAFANA_PASSWORD") from exc
    except GrafanaTimeoutError as exc:
        raise DashboardsError(f"Grafana at {url} did not answer in time while {what}: "
                              "is it overloaded? retry, or raise --timeout") from exc
    except GrafanaServerError as exc:
        raise DashboardsError(f"Grafana at {url} failed while {what} "
                              f"({exc.status_code}): {_detail(exc)}; see Grafana's log") from exc
    except GrafanaClientError as exc:
        hint = ("the credentials lack permission: datasources and folders need an Admin "
                "(or service account with the Admin role)" if exc.status_code == 403
                else _detail(exc))
        raise DashboardsError(f"Grafana at {url} rejected {what} ({exc.status_code}): "
                              f"{hint}") from exc
    except GrafanaException as exc:
        raise DashboardsError(f"cannot reach Grafana at {url} while {what}: {exc.message}"
                              ) from exc
    except (niquests.exceptions.RequestException, OSError) as exc:
        raise DashboardsError(f"cannot reach Grafana at {url} while {what}: "
                              f"{type(exc).__name__}: {exc}; is the URL right and Grafana "
                              "running?") from exc


def _detail(exc: GrafanaException) -> str:
    response = exc.response
    if isinstance(response, dict):
        return str(response.get("message") or response)
    return str(response or exc.message)[:200]


def _exists(url: str, what: str, fn: Callable[[], T]) -> T | None:
    """The object, or None on 404."""
    try:
        return _call(url, what, fn)
    except DashboardsError as exc:
        cause = exc.__cause__
        if isinstance(cause, GrafanaClientError) and cause.status_code == 404:
            return None
        raise


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _comparable(board: Json) -> Json:
    return {k: v for k, v in board.items() if k not in ("id", "version")}


def push(api: GrafanaApi, url: str, boards: dict[str, Json], datasource: Json,
         message: str = "civicwatt dashboards push") -> PushResult:
    result = PushResult()
    version = _call(url, "reading its version", lambda: api.version) or ""
    result.grafana_version = version
    if _version(version) < MIN_GRAFANA:
        raise DashboardsError(
            f"Grafana at {url} is version {version or 'unknown'}; civicwatt's dashboards "
            f"(schemaVersion 39) need Grafana ≥ {'.'.join(map(str, MIN_GRAFANA))}: upgrade it")

    uid = datasource["uid"]
    if _exists(url, f"looking up datasource {uid}",
               lambda: api.datasource.get_datasource_by_uid(uid)) is None:
        _call(url, f"creating datasource {uid}",
              lambda: api.datasource.create_datasource(datasource))
        result.datasource = "created"
    else:
        _call(url, f"updating datasource {uid}",
              lambda: api.datasource.update_datasource_by_uid(uid, datasource))
        result.datasource = "updated"

    folder = _exists(url, f"looking up folder {FOLDER_UID}",
                     lambda: api.folder.get_folder(FOLDER_UID))
    if folder is None:
        _call(url, f"creating folder {FOLDER_UID}",
              lambda: api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID))
        result.folder = "created"
    elif folder.get("title") != FOLDER_TITLE:
        _call(url, f"renaming folder {FOLDER_UID}",
              lambda: api.folder.update_folder(FOLDER_UID, title=FOLDER_TITLE, overwrite=True))
        result.folder = "renamed"
    else:
        result.folder = "unchanged"

    for board in boards.values():
        buid = board["uid"]
        current: Any = _exists(url, f"reading dashboard {buid}",
                               lambda b=buid: api.dashboard.get_dashboard(b))
        if current and current.get("meta", {}).get("folderUid") == FOLDER_UID \
                and _comparable(current.get("dashboard", {})) == _comparable(board):
            result.dashboards[buid] = "unchanged"
            continue
        payload = {"dashboard": {**board, "id": None}, "folderUid": FOLDER_UID,
                   "overwrite": True, "message": message}
        _call(url, f"saving dashboard {buid}",
              lambda p=payload: api.dashboard.update_dashboard(p))
        result.dashboards[buid] = "updated" if current else "created"
    return result
