"""The peers of `bench.ingest`: the lossy batched Python script and Node-RED, from bench-peers.

The peer harness (`../shared/bench-peers/`, README there) is read-only: copy it
somewhere writable, make its venv and `npm install` Node-RED as its README says,
and pass the copy with `--peers DIR` (or `$CIVICWATT_BENCH_PEERS`). Each peer
runs unchanged against this benchmark's own Mosquitto and InfluxDB (the ports
go in through the environment variables the harness reads) and writes to its
fixed database `bench`, which is dropped and re-created before every run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.services import InfluxDB1, Mosquitto


class Peers:
    def __init__(self, folder: Path, broker: Mosquitto, influx: InfluxDB1) -> None:
        self.folder = folder
        self.python = folder / ".venv" / "bin" / "python"
        self.red = folder / "nodered" / "node_modules" / "node-red" / "red.js"
        missing = [str(p) for p in (self.python, self.red) if not p.exists()]
        if missing:
            raise SystemExit(f"--peers {folder}: {', '.join(missing)} missing; copy "
                             "../shared/bench-peers somewhere writable and set it up as its "
                             "README says (python3 -m venv .venv; .venv/bin/pip install -r "
                             "requirements.txt; cd nodered && npm install)")
        self.broker, self.influx = broker, influx
        self.env = {**os.environ, "BENCH_MQTT_PORT": str(broker.port),
                    "BENCH_INFLUX_PORT": str(influx.port)}

    def reset_db(self) -> None:
        for q in ("DROP DATABASE bench", "CREATE DATABASE bench"):
            self.influx.query(q, "bench")

    @contextlib.contextmanager
    def python_batch(self):
        """Peer B: paho on_message → requests POST /write, 5,000 lines per POST (auto-ack)."""
        self.reset_db()
        proc = subprocess.Popen([str(self.python), str(self.folder / "py_pipeline.py"),
                                 "--mode", "batch", "--timeout", "900"], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline().strip()
            if line != "READY":
                raise RuntimeError(f"py_pipeline did not subscribe: {line!r}")
            yield proc.pid
        finally:
            _stop(proc)

    @contextlib.contextmanager
    def node_red(self, tmp: Path):
        """Peer A: Node-RED mqtt in (QoS 1) → function → join 5,000 → influxdb batch."""
        self.reset_db()
        user_dir = Path(tempfile.mkdtemp(prefix="nodered-", dir=tmp))
        flows = user_dir / "flows.json"
        subprocess.run([str(self.python), str(self.folder / "nodered" / "make_flow.py"),
                        "batch", str(self.broker.port), str(self.influx.port), str(flows)],
                       check=True, env=self.env)
        log = user_dir / "nodered.log"
        with log.open("w") as out:
            proc = subprocess.Popen(["node", str(self.red), "--settings",
                                     str(self.folder / "nodered" / "settings.js"),
                                     "--userDir", str(user_dir), str(flows)],
                                    stdout=out, stderr=out, cwd=user_dir, env=self.env)
        try:
            deadline = time.monotonic() + 60
            while "Connected to broker" not in log.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Node-RED did not connect:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
            time.sleep(1.0)  # let the SUBSCRIBE complete, as the harness does
            yield proc.pid
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
