"""/public/ on service.http: the files `civicwatt disclose` wrote, read-only, without a key.

Only a file the manifest lists, under its listed name, with the content it was written with
(SHA-256), is sent: anything else in the folder, a name with `..`, a symlink out of it or a
page edited after generation is a 404. The manifest is re-read when it changes, so a fresh
`civicwatt disclose` is served without a restart.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from civicwatt.disclose.write import MANIFEST

logger = logging.getLogger(__name__)
PREFIX = "/public"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*")
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json"}
HEADERS = {"cache-control": "public, max-age=300", "x-content-type-options": "nosniff",
           "referrer-policy": "no-referrer",
           "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                                      "base-uri 'none'; form-action 'none'; "
                                      "frame-ancestors 'self'"}


class PublicFiles:
    """The generated files of one folder, by the manifest `civicwatt disclose` wrote last."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._stamp: tuple[int, int] | None = None
        self._files: dict[str, str] = {}

    def listed(self) -> dict[str, str]:
        """name → SHA-256 of every file the last run wrote ({} before the first run)."""
        try:
            stat = (self.root / MANIFEST).stat()
        except OSError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                files = json.loads((self.root / MANIFEST).read_bytes())["files"]
            except (OSError, ValueError, KeyError, TypeError):
                logger.warning("%s: not a disclosure manifest; /public/ serves nothing until "
                               "`civicwatt disclose` writes it again", self.root / MANIFEST)
                files = {}
            self._files = {k: v for k, v in files.items() if isinstance(k, str) and
                           isinstance(v, str) and _NAME.fullmatch(k) and ".." not in k}
            self._stamp = stamp
        return self._files

    def read(self, name: str) -> bytes | None:
        """The file's bytes if the manifest lists it and it is still what was written."""
        digest = self.listed().get(name)
        if digest is None:
            return None
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            return None
        try:
            body = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(body).hexdigest() != digest:
            logger.warning("/public/%s differs from what `civicwatt disclose` wrote; not served "
                           "until it is generated again", name)
            return None
        return body


def install(app: FastAPI, root: Path) -> None:
    """Mount the folder's generated pages on /public/."""
    files = PublicFiles(root)

    async def public(request: Request, name: str = "") -> Response:
        name = name or "index.html"
        body = files.read(name)
        if body is None:
            text = ("no such public page" if files.listed() else
                    "no public pages yet: run `civicwatt disclose --config SITE --year YEAR`")
            return PlainTextResponse(text, 404, headers={"x-content-type-options": "nosniff"})
        etag = f'"{files.listed()[name]}"'
        headers = {**HEADERS, "etag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        kind = _TYPES.get(Path(name).suffix, "application/octet-stream")
        return Response(body, media_type=kind, headers=headers)

    app.add_api_route(PREFIX, lambda: RedirectResponse(f"{PREFIX}/", 308),
                      methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route(f"{PREFIX}/", public, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route(f"{PREFIX}/{{name:path}}", public, methods=["GET", "HEAD"],
                      include_in_schema=False)
