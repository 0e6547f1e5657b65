"""A small fake of Grafana's HTTP API that records every call.

No Grafana server can run in this environment, so `civicwatt dashboards push` is
tested against this stand-in. It implements only the endpoints the push uses,
with Grafana's status codes for them (404 for unknown uids, 401 without valid
credentials, 409 for an existing folder uid), and keeps state so a second push
sees what the first one stored.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str
    path: str
    body: dict | None
    authorization: str


@dataclass
class FakeGrafana:
    version: str = "11.3.0"
    token: str = "glsa_test"
    basic: tuple[str, str] = ("admin", "secret")
    calls: list[Call] = field(default_factory=list)
    datasources: dict[str, dict] = field(default_factory=dict)
    folders: dict[str, dict] = field(default_factory=dict)
    dashboards: dict[str, dict] = field(default_factory=dict)

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                auth = self.headers.get("Authorization", "")
                fake.calls.append(Call(self.command, self.path, body, auth))
                status, reply = fake.route(self.command, self.path, body, auth)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def writes(self) -> list[tuple[str, str]]:
        return [(c.method, c.path) for c in self.calls if c.method != "GET"]

    def _authorised(self, auth: str) -> bool:
        if auth == f"Bearer {self.token}":
            return True
        expected = base64.b64encode(":".join(self.basic).encode()).decode()
        return auth == f"Basic {expected}"

    def route(self, method: str, path: str, body: dict | None, auth: str) -> tuple[int, dict]:
        if not self._authorised(auth):
            return 401, {"message": "Unauthorized"}
        if (method, path) == ("GET", "/api/frontend/settings"):
            return 200, {"buildInfo": {"version": self.version, "commit": "abc"}}
        if m := re.fullmatch(r"/api/datasources/uid/([\w-]+)", path):
            uid = m.group(1)
            if uid not in self.datasources:
                return 404, {"message": "Data source not found"}
            if method == "GET":
                return 200, {k: v for k, v in self.datasources[uid].items()
                             if k != "secureJsonData"}
            if method == "PUT":
                self.datasources[uid] = {**body, "id": self.datasources[uid]["id"]}
                return 200, {"message": "Datasource updated", "id": 1}
        if (method, path) == ("POST", "/api/datasources"):
            if body["uid"] in self.datasources:
                return 409, {"message": "data source with the same uid already exists"}
            self.datasources[body["uid"]] = {**body, "id": len(self.datasources) + 1}
            return 200, {"message": "Datasource added", "id": 1}
        if m := re.fullmatch(r"/api/folders/([\w-]+)", path):
            uid = m.group(1)
            if uid not in self.folders:
                return 404, {"message": "folder not found"}
            if method == "GET":
                return 200, self.folders[uid]
            if method == "PUT":
                if body.get("uid") not in (None, uid):
                    self.folders[body["uid"]] = self.folders.pop(uid)
                    uid = body["uid"]
                self.folders[uid].update(title=body.get("title", self.folders[uid]["title"]),
                                         uid=uid, version=self.folders[uid]["version"] + 1)
                return 200, self.folders[uid]
        if (method, path) == ("POST", "/api/folders"):
            uid = body.get("uid") or f"generated{len(self.folders)}"
            if uid in self.folders:
                return 409, {"message": "a folder with the same uid already exists"}
            self.folders[uid] = {"id": len(self.folders) + 1, "uid": uid,
                                 "title": body["title"], "version": 1}
            return 200, self.folders[uid]
        if m := re.fullmatch(r"/api/dashboards/uid/([\w-]+)", path):
            stored = self.dashboards.get(m.group(1))
            if stored is None:
                return 404, {"message": "Dashboard not found"}
            return 200, stored
        if (method, path) == ("POST", "/api/dashboards/db"):
            board = dict(body["dashboard"])
            folder = body.get("folderUid", "")
            if folder and folder not in self.folders:
                return 400, {"message": "folder not found"}
            old = self.dashboards.get(board["uid"])
            board["version"] = (old["dashboard"]["version"] + 1) if old else 1
            board["id"] = old["dashboard"]["id"] if old else len(self.dashboards) + 1
            self.dashboards[board["uid"]] = {"dashboard": board,
                                             "meta": {"folderUid": folder, "slug": "x"}}
            return 200, {"status": "success", "uid": board["uid"], "version": board["version"]}
        return 404, {"message": f"no route {method} {path}"}
