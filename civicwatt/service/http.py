"""service.http: the ASGI app (`civicwatt.api.app`) on uvicorn, in a thread of `civicwatt run`.

The socket is bound in the constructor, so a taken address fails start-up with a message
instead of a log line in a thread; uvicorn runs on its own event loop in a daemon thread
(signals stay with the main thread, which owns SIGTERM) and `stop()` lets requests in flight
finish for up to 5 s.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import uvicorn

from civicwatt.api.app import build_app
from civicwatt.service.health import Health

logger = logging.getLogger(__name__)


class HttpServer:
    """/healthz, /metrics, (given an `Api`) /api/v1 and (given a folder) /public/ on
    host:port; port 0 picks one."""

    def __init__(self, health: Health, host: str = "127.0.0.1", port: int = 8080,
                 api=None, public: Path | None = None) -> None:
        self.health, self.api, self.public = health, api, public
        self.socket = _bind(host, port)
        settings = api.site.api if api is not None else None
        tls = settings.tls if settings is not None else None
        base = api.site.base_dir if api is not None else Path(".")
        config = uvicorn.Config(
            build_app(health, api, public), log_config=None, access_log=False, lifespan="off",
            server_header=False, timeout_graceful_shutdown=5, timeout_keep_alive=30,
            proxy_headers=bool(settings and settings.forwarded_allow_ips),
            forwarded_allow_ips=",".join(settings.forwarded_allow_ips) if settings else None,
            ssl_certfile=str(base / tls.cert_file) if tls else None,
            ssl_keyfile=str(base / tls.key_file) if tls else None,
            h11_max_incomplete_event_size=16 * 1024)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        scheme = "https" if self.server.config.ssl_certfile else "http"
        return f"{scheme}://{host if ':' not in host else f'[{host}]'}:{port}"

    def start(self, timeout: float = 15.0) -> HttpServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"service.http {self.url}: the HTTP server did not start; see "
                              "the log above")
            time.sleep(0.01)
        what = "/healthz, /metrics" + (" and /api/v1" if self.api is not None else "")
        logger.info("Serving %s on %s", what, self.url)
        if self.public is not None:
            logger.info("Serving the disclosure pages in %s under %s/public/", self.public,
                        self.url)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(10)
        self.socket.close()
        if self.api is not None:
            self.api.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise OSError(f"service.http {host}:{port}: {exc.strerror}; choose a free address "
                      "for service.http or stop the process that holds it") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
