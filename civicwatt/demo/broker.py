"""The demo's MQTT broker: Mosquitto when it is installed, else amqtt embedded in this process.

amqtt speaks MQTT 3.1.1 only, so a demo on it runs the collector with
`protocol: "3.1.1"`; everything else is the same pipeline.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the demo's MQTT broker did not open port {port} within {timeout:.0f} s")


class DemoBroker:
    """A broker on a free loopback port; `protocol` is what clients must speak."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.kind = "mosquitto" if shutil.which("mosquitto") else "amqtt"
        self.protocol = "5" if self.kind == "mosquitto" else "3.1.1"
        self._process: subprocess.Popen | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> DemoBroker:
        if self.kind == "mosquitto":
            self._start_mosquitto()
            _wait_for_port(self.port)
        else:
            self._start_amqtt()
        logger.info("Demo MQTT broker (%s) on %s", self.kind, self.url)
        return self

    def _start_mosquitto(self) -> None:
        conf = self.folder / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                        f"persistence true\npersistence_location {self.folder}/\n"
                        "max_queued_messages 0\n")
        log = (self.folder / "mosquitto.log").open("ab")
        self._process = subprocess.Popen([shutil.which("mosquitto") or "mosquitto", "-c",
                                          str(conf)], stdout=log, stderr=subprocess.STDOUT)

    def _start_amqtt(self) -> None:
        from amqtt.broker import Broker

        config = {"listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
                  "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin":
                              {"allow_anonymous": True}}}
        started = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            broker = Broker(config, loop=self._loop)
            self._loop.run_until_complete(broker.start())
            self._broker = broker
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="amqtt-broker", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the demo's embedded MQTT broker (amqtt) did not start in 10 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
        if self._loop is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            future.result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
