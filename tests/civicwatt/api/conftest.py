"""A served API over real HTTP: the small site, its SQLite store filled with October 2026, keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from civicwatt.api.context import Api
from civicwatt.api.keys import KeyStore
from civicwatt.config import SiteConfig
from civicwatt.service.health import Health
from civicwatt.service.http import HttpServer
from store import Store, open_store
from tests.civicwatt.api.site import fill, write_site

OCTOBER = dt.date(2026, 10, 1)


@dataclass
class Served:
    url: str
    site: SiteConfig
    store: Store
    keys: KeyStore
    api: Api
    folder: Path

    def key(self, *scopes: str, name: str | None = None, expires_ns: int | None = None) -> str:
        return self.keys.create(name or "-".join(scopes) or "none", scopes, expires_ns)[1]

    def get(self, path: str, key: str | None = None, **kwargs) -> httpx.Response:
        headers = {"X-API-Key": key} if key else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.get(self.url + path, headers=headers, timeout=30, **kwargs)


def serve(folder: Path, store_url: str = "", api: dict | None = None, days: int = 31,
          classes: bool = True):
    site = write_site(folder, store_url, api)
    store = open_store(site.store.url, site.base_dir)
    if days:
        fill(store, OCTOBER, days, classes)
    keys = KeyStore(site.base_dir / site.service.spool)
    context = Api(site, store, keys)
    server = HttpServer(Health(), "127.0.0.1", 0, context).start()
    return server, Served(server.url, site, store, keys, context, folder)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    many = {"rate_limit": {"per_s": 10_000, "burst": 10_000}}  # tests send thousands
    server, found = serve(tmp_path_factory.mktemp("api"), api=many)
    yield found
    server.stop()
    found.store.close()


@pytest.fixture(scope="module")
def reader(served) -> str:
    return served.key("read", name="portal")
