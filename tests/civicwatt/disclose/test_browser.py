"""The pages in a real browser: Debian's chromium, headless, loading them from /public/.

It dumps the DOM it built and finds the building's annual kgce and target status, and takes
screenshots at 1280 and 375 px that must show text. With CIVICWATT_UPDATE_DOCS=1 the 1280 px
screenshot is also written to docs/disclosure.png (the README's picture).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from civicwatt.service.health import Health
from civicwatt.service.http import HttpServer
from tests.civicwatt.disclose.test_pages import JAN, OCT31, admin_kgce, grouped
from tests.services import require_binary

DOCS = Path(__file__).resolve().parents[3] / "docs" / "disclosure.png"


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    binary = require_binary("chromium")
    profile = tmp_path / "chromium-profile"
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--no-first-run", "--no-default-browser-check", "--disable-extensions",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def served(october_zh):
    server = HttpServer(Health(), "127.0.0.1", 0, public=october_zh.out).start()
    yield server.url + "/public/"
    server.stop()


def test_the_browser_finds_the_annual_kgce_and_the_target_status(served, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", served + "buildings/admin.html").stdout
    kgce = re.search(r'<dd id="annual-kgce">([^<]+)</dd>', dom).group(1)
    assert kgce == grouped(admin_kgce(JAN, OCT31))
    assert re.search(r'<dd id="target-status">([^<]+)</dd>', dom).group(1) == "未达目标"
    assert dom.count("<svg") == 2 and "<title id=\"months-t\">" in dom


def test_the_index_links_each_published_building(served, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", served).stdout
    links = re.findall(r'href="(buildings/[^"]+)"', dom)
    assert links == ["buildings/admin.html", "buildings/library.html"]
    for link in links:
        assert httpx.get(served + link, timeout=10).status_code == 200


@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots_show_the_page(served, tmp_path, width):
    shot = tmp_path / f"admin-{width}.png"
    chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},900",
             served + "buildings/admin.html")
    grey = np.asarray(Image.open(shot).convert("L"))
    assert grey.shape == (900, width)
    dark = grey < 110  # text and bars, on white
    assert len(np.unique(grey)) > 16 and dark.mean() > 0.005, (len(np.unique(grey)), dark.mean())
    half = width // 2  # the content fills the narrow screen, not just a strip of it
    assert dark[:, :half].any() and dark[:, half:].any()
    if width == 1280 and os.environ.get("CIVICWATT_UPDATE_DOCS") == "1":
        shutil.copyfile(shot, DOCS)


def test_the_docs_screenshot_is_a_real_page():
    """docs/disclosure.png, made by the test above, is a browser's picture of a page."""
    grey = np.asarray(Image.open(DOCS).convert("L"))
    assert grey.shape == (900, 1280) and len(np.unique(grey)) > 16 and (grey < 110).mean() > 0.005
