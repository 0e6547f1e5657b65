"""`civicwatt deadletter list|replay`: inspect, then re-ingest after the config is fixed."""

import os
import subprocess
import sys
import time
from pathlib import Path

from collector.lines import parse_line
from collector.spool import Spool

ROOT = Path(__file__).resolve().parents[2]
NOW = int(time.time())


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "civicwatt", *args], cwd=ROOT, text=True,
                          capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
                          timeout=60)


def test_list_and_replay_after_a_config_fix(tmp_path):
    spool_path = tmp_path / "spool.db"
    spool = Spool(spool_path)
    spool.append_lines([], [
        (NOW * 10**9, "bms/b1/m7/power", f'{{"value": 3.5, "ts": {NOW}}}'.encode(),
         "unknown_topic", "no template"),
        (NOW * 10**9, "bms/b1/m8/power", b"nan", "not_finite", "value nan"),
    ])
    spool.delete([], [(b"energy,point=x value=1.0 1", "HTTP 400: field type conflict")])

    listed = cli("deadletter", "list", "--spool", str(spool_path))
    assert listed.returncode == 0, listed.stderr
    assert "3 dead letter(s)" in listed.stdout and "unknown_topic" in listed.stdout
    assert "bms/b1/m7/power" in listed.stdout

    replay = cli("deadletter", "replay", "--spool", str(spool_path), "--mqtt",
                 "mqtt://127.0.0.1:1883", "--topic", "bms/+/+/+", "--template",
                 "bms/{building}/{point}/{quantity}")
    assert replay.returncode == 0, replay.stderr
    assert "2 recovered into the spool, 1 still rejected" in replay.stdout
    spool.refresh()
    rows = [parse_line(line) for b in spool.peek(100) for line in b.lines.decode().split("\n")]
    assert sorted((r.series.measurement, r.series.tag("point"), r.fields["value"])
                  for r in rows) == [("energy", "x", 1.0), ("power", "m7", 3.5)]
    (left,) = spool.dead_letters()
    assert (left.reason, left.attempts) == ("not_finite", 1)


def test_missing_spool_is_a_clear_error(tmp_path):
    result = cli("deadletter", "list", "--spool", str(tmp_path / "nope.db"))
    assert result.returncode == 1 and "no such spool file" in result.stderr
    assert "Traceback" not in result.stderr
