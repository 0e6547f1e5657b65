"""Real services for integration tests: Mosquitto and InfluxDB 1.x on free loopback ports.

Each service runs in its own temporary folder with a config of its own and is
stopped at the end. In CI (`CI=true`) a missing binary is a test failure,
never a skip: a skipped integration suite would hide exactly the failures
these tests exist for.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(message: str) -> None:
    """Something a test needs is not here: a failure in CI (`CI=true`), a skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def require_binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if not path:
        missing(f"{name} is not installed: apt-get install the packages in "
                "deploy/debian-packages.txt (see .ci/run)")
    return path


def require_file(path: Path) -> Path:
    if not path.exists():
        missing(f"{path} not found: the real building data lives in shared/data beside the "
                "repository")
    return path


def wait_until(check, timeout: float = 15.0, what: str = "condition") -> None:
    """Poll `check()` until it is truthy, failing with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


class _Process:
    name = "service"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.log = folder / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.folder
            )
        try:
            wait_until(self._ready_or_dead, what=f"{self.name} to answer")
        except TimeoutError as exc:
            self.stop()
            log = self.log.read_text()[-2000:]
            raise RuntimeError(f"{self.name} did not start; log:\n{log}") from exc

    def _ready_or_dead(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited; log:\n{self.log.read_text()[-2000:]}")
        return self.ready()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


class Mosquitto(_Process):
    """A real Mosquitto broker; `extra_conf` adds lines (TLS listeners, password files)."""

    name = "mosquitto"

    def __init__(self, folder: Path, extra_conf: str = "", port: int | None = None) -> None:
        super().__init__(folder)
        self.binary = require_binary("mosquitto")
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.extra_conf = extra_conf
        self.conf = folder / "mosquitto.conf"

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def command(self) -> list[str]:
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            # started as root, Mosquitto drops to user `mosquitto`, which cannot write into a
            # root-owned temporary folder: its queues would silently not survive a restart
            "user root\n"
            "persistence true\n"
            f"persistence_location {self.folder}/\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            f"{self.extra_conf}\n"
        )
        return [self.binary, "-c", str(self.conf)]

    def ready(self) -> bool:
        return _port_open(self.port)


class InfluxDB1(_Process):
    """A real InfluxDB 1.x (`influxd`) with both listeners on free ports.

    With `auth=True` it runs with `auth-enabled = true` and an admin user (`ADMIN`); the
    helpers below (`query`, `create_user`, `set_password`) then authenticate as that admin.
    """

    name = "influxd"
    ADMIN = ("admin", "admin-secret")

    def __init__(self, folder: Path, auth: bool = False) -> None:
        super().__init__(folder)
        self.binary = require_binary("influxd")
        self.port = free_port()
        self.rpc_port = free_port()
        self.conf = folder / "influxdb.conf"
        self.auth = auth
        self._admin_made = False

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, database: str = "civicwatt_test") -> str:
        return f"influxdb1://127.0.0.1:{self.port}/{database}"

    def command(self) -> list[str]:
        self.conf.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:{self.rpc_port}"\n'
            f'[meta]\n  dir = "{self.folder}/meta"\n'
            f'[data]\n  dir = "{self.folder}/data"\n  wal-dir = "{self.folder}/wal"\n'
            '  query-log-enabled = false\n'
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
            f'  max-body-size = 0\n  auth-enabled = {str(self.auth).lower()}\n'
            '[monitor]\n  store-enabled = false\n'
            '[continuous_queries]\n  enabled = false\n'
        )
        return [self.binary, "-config", str(self.conf)]

    def ready(self) -> bool:
        with urllib.request.urlopen(f"{self.http}/ping", timeout=1) as response:
            return response.status == 204

    def start(self) -> None:
        super().start()
        if self.auth and not self._admin_made:  # the first admin needs no credentials, once
            self.query(f"CREATE USER {self.ADMIN[0]} WITH PASSWORD '{self.ADMIN[1]}' WITH ALL "
                       "PRIVILEGES", method="POST", as_admin=False)
            self._admin_made = True

    def query(self, q: str, database: str = "civicwatt_test", method: str = "GET",
              as_admin: bool = True) -> dict:
        """Run an InfluxQL query (for assertions independent of civicwatt's reader)."""
        import base64
        import json
        import urllib.parse

        params = urllib.parse.urlencode({"db": database, "q": q, "epoch": "ns"})
        request = urllib.request.Request(f"{self.http}/query?{params}", method=method)
        if self.auth and as_admin:
            token = base64.b64encode(":".join(self.ADMIN).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def create_user(self, user: str, password: str, database: str) -> None:
        """A non-admin user with read and write rights on `database` (created here)."""
        for statement in (f'CREATE DATABASE "{database}"',
                          f"CREATE USER {user} WITH PASSWORD '{password}'",
                          f'GRANT ALL ON "{database}" TO {user}'):
            self.query(statement, database, method="POST")

    def set_password(self, user: str, password: str) -> None:
        self.query(f"SET PASSWORD FOR {user} = '{password}'", method="POST")
