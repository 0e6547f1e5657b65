"""/public/ over real HTTP: the generated pages without a key, and nothing else the folder holds."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from civicwatt.disclose.write import MANIFEST
from civicwatt.service.health import Health
from civicwatt.service.http import HttpServer


@pytest.fixture
def folder(october_zh, tmp_path):
    copy = tmp_path / "public"
    shutil.copytree(october_zh.out, copy)
    return copy


@pytest.fixture
def server(folder):
    running = HttpServer(Health(), "127.0.0.1", 0, public=folder).start()
    yield running
    running.stop()


def raw_get(url: str, target: str) -> int:
    """The status of GET `target` sent as written (httpx would normalise `..` away)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        head = sock.recv(4096).decode("latin-1")
    return int(head.split()[1])


def test_the_pages_are_served_without_a_key(server, october_zh):
    index = httpx.get(server.url + "/public/", timeout=10)
    assert index.status_code == 200 and index.text == october_zh.page("index.html")
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in index.headers["content-security-policy"]
    assert index.headers["x-content-type-options"] == "nosniff"
    page = httpx.get(server.url + "/public/buildings/admin.html", timeout=10)
    assert page.status_code == 200 and 'id="annual-kgce"' in page.text
    css = httpx.get(server.url + "/public/site.css", timeout=10)
    assert css.headers["content-type"].startswith("text/css") and "@media print" in css.text
    bare = httpx.get(server.url + "/public", timeout=10)
    assert bare.status_code == 308 and bare.headers["location"] == "/public/"
    again = httpx.get(server.url + "/public/", headers={"If-None-Match": index.headers["etag"]},
                      timeout=10)
    assert again.status_code == 304


@pytest.mark.parametrize("target", [
    "/public/../site.yaml", "/public/%2e%2e/site.yaml", "/public/..%2fsite.yaml",
    "/public/buildings/../../site.yaml", "/public/buildings/..%2f..%2fsite.yaml",
    "/public//etc/passwd", "/public/%2fetc%2fpasswd", "/public/.%2e/.%2e/etc/passwd",
    "/public/secret.txt", "/public/" + MANIFEST, "/public/buildings/", "/public/buildings",
    "/public/.index.html.part", "/public/index.html%00.css",
])
def test_nothing_outside_the_manifest_is_served(server, folder, target):
    (folder / "secret.txt").write_text("not generated")
    (folder.parent / "site.yaml").write_text("password: hunter2")
    (folder / ".index.html.part").write_text("half")
    assert raw_get(server.url, target) in (400, 404)


def test_a_page_edited_after_generation_is_not_served(server, folder):
    (folder / "index.html").write_text("<p>defaced</p>")
    assert httpx.get(server.url + "/public/", timeout=10).status_code == 404
    assert httpx.get(server.url + "/public/site.css", timeout=10).status_code == 200


def test_a_listed_symlink_out_of_the_folder_is_not_followed(server, folder):
    outside = folder.parent / "outside.html"
    outside.write_text("outside")
    target = folder / "buildings" / "admin.html"
    target.unlink()
    target.symlink_to(outside)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"]["buildings/admin.html"] = hashlib.sha256(b"outside").hexdigest()
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert httpx.get(server.url + "/public/buildings/admin.html", timeout=10).status_code == 404


def test_a_new_run_is_served_without_a_restart(server, folder, year_en):
    assert "2026" in httpx.get(server.url + "/public/", timeout=10).text
    for path in year_en.out.rglob("*"):
        if path.is_file():
            (folder / path.relative_to(year_en.out)).write_bytes(path.read_bytes())
    fresh = httpx.get(server.url + "/public/", timeout=10)
    assert fresh.status_code == 200 and fresh.text == year_en.page("index.html")


def test_before_the_first_run_it_says_how_to_make_the_pages(tmp_path):
    running = HttpServer(Health(), "127.0.0.1", 0, public=tmp_path).start()
    try:
        answer = httpx.get(running.url + "/public/", timeout=10)
    finally:
        running.stop()
    assert answer.status_code == 404 and "civicwatt disclose" in answer.text


def test_only_get_and_head(server):
    assert httpx.post(server.url + "/public/index.html", timeout=10).status_code == 405
    assert httpx.head(server.url + "/public/index.html", timeout=10).status_code == 200


def test_run_serves_the_folder_only_when_enabled(city, october_zh, tmp_path):
    from civicwatt.service.run import Service

    for enabled, expected in ((True, 200), (False, 404)):
        site = city.model_copy(update={"disclosure": city.disclosure.model_copy(
            update={"enabled": enabled, "dir": str(october_zh.out)}),
            "service": city.service.model_copy(update={"spool": str(tmp_path / "s.db")})})
        service = Service(site)
        service.http.start()
        try:
            answer = httpx.get(service.http.url + "/public/buildings/admin.html", timeout=10)
        finally:
            service.http.stop()
            service.store.close()
        assert answer.status_code == expected
