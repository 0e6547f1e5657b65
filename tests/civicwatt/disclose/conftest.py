"""The disclosure fixture site, its SQLite store filled from 2022 to October 2026, and the pages
`civicwatt disclose` writes from it (run through the real command line)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicwatt.cli import app
from civicwatt.config import SiteConfig
from store import open_store
from tests.civicwatt.disclose.site import fill, write_site


@dataclass
class Generated:
    site: SiteConfig
    out: Path

    def page(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")

    def pages(self) -> dict[str, str]:
        return {p.relative_to(self.out).as_posix(): p.read_text(encoding="utf-8")
                for p in self.out.rglob("*.html")}


def disclose(config: Path, *args: str):
    return CliRunner().invoke(app, ["disclose", "--config", str(config), *args])


@pytest.fixture(scope="session")
def city(tmp_path_factory) -> SiteConfig:
    site = write_site(tmp_path_factory.mktemp("city"))
    store = open_store(site.store.url, site.base_dir)
    fill(store)
    store.close()
    return site


def _generate(city: SiteConfig, name: str, *args: str) -> Generated:
    out = city.base_dir / name
    result = disclose(city.base_dir / "site.yaml", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return Generated(city, out)


@pytest.fixture(scope="session")
def october_zh(city) -> Generated:
    """2026 through October, in Chinese (the default language of the site)."""
    return _generate(city, "out-zh", "--year", "2026", "--month", "2026-10")


@pytest.fixture(scope="session")
def year_en(city) -> Generated:
    """The whole of 2025, in English."""
    return _generate(city, "out-en", "--year", "2025", "--lang", "en")
