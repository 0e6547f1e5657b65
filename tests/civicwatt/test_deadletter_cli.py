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


def test_list_of_a_file_that_is_not_a_spool_is_a_clear_error(tmp_path):
    from store import open_store

    store = tmp_path / "civicwatt.db"
    open_store(f"sqlite://{store}").close()
    text = tmp_path / "site.yaml"
    text.write_text("version: 1\n" * 200)
    for path, says in ((store, "not a civicwatt spool"), (text, "not an SQLite file")):
        before = path.read_bytes()
        result = cli("deadletter", "list", "--spool", str(path))
        assert result.returncode == 1, result.stdout
        assert says in result.stderr and str(path) in result.stderr
        assert "Traceback" not in result.stderr
        assert path.read_bytes() == before


def test_an_unknown_reason_names_the_known_ones(tmp_path):
    spool_path = tmp_path / "spool.db"
    Spool(spool_path).append_lines([], [(NOW * 10**9, "t", b"x", "site_specific", "d")])
    for command in ("list", "export", "replay"):
        extra = ["--out", str(tmp_path / "x.jsonl")] if command == "export" else []
        result = cli("deadletter", command, "--spool", str(spool_path), "--reason",
                     "nonsense", *extra)
        assert result.returncode == 1, (command, result.stdout)
        assert "'nonsense' is not a dead-letter reason" in result.stderr
        assert "unknown_topic" in result.stderr and "store_rejected" in result.stderr
        assert "site_specific" in result.stderr  # reasons found in the file count too
    listed = cli("deadletter", "list", "--spool", str(spool_path), "--reason", "site_specific")
    assert listed.returncode == 0 and "site_specific" in listed.stdout


def filled(tmp_path: Path) -> Path:
    """A spool with three dead letters on two days (one binary, one held over the cap)."""
    spool_path = tmp_path / "spool.db"
    spool = Spool(spool_path, dead_capacity=2)
    day1, day2 = 1_793_491_200 * 10**9, 1_793_577_600 * 10**9  # 2026-11-01, 11-02 UTC
    spool.append_lines([], [(day1, "bms/b1/m1/energy", "读数 12,5".encode(), "non_numeric",
                             "not a number"),
                            (day1 + 5, "bms/b1/m2/energy", b"\xff\x00", "bad_json", "bytes")])
    spool.append_lines([], [(day2, "bms/b1/m3/energy", b'{"value": -1}', "out_of_range",
                             "below 0")])
    return spool_path


def test_export_writes_every_dead_letter_losslessly_and_deletes_nothing(tmp_path):
    import base64
    import csv
    import json

    spool_path = filled(tmp_path)
    out = tmp_path / "dead.jsonl"
    result = cli("deadletter", "export", "--spool", str(spool_path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "exported 3 dead letter(s)" in result.stdout
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["reason"] for r in records] == ["non_numeric", "bad_json", "out_of_range"]
    assert records[0]["payload"] == "读数 12,5" and records[0]["received_utc"].startswith(
        "2026-11-01T00:00:00")
    assert base64.b64decode(records[1]["payload_base64"]) == b"\xff\x00"
    assert [r["held"] for r in records] == [False, False, True]
    assert len(Spool(spool_path).dead_letters(limit=None)) == 3
    as_csv = tmp_path / "dead.csv"
    result = cli("deadletter", "export", "--spool", str(spool_path), "--out", str(as_csv),
                 "--before", "2026-11-02")
    assert result.returncode == 0, result.stderr
    with as_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["topic"] for r in rows] == ["bms/b1/m1/energy", "bms/b1/m2/energy"]
    assert rows[0]["payload"] == "读数 12,5"
    bad = cli("deadletter", "export", "--spool", str(spool_path), "--out",
              str(tmp_path / "no" / "such" / "dir" / "x.jsonl"))
    assert bad.returncode == 1 and "cannot write" in bad.stderr and "Traceback" not in bad.stderr


def test_purge_says_what_it_would_delete_and_needs_yes(tmp_path):
    spool_path = filled(tmp_path)
    listed = cli("deadletter", "list", "--spool", str(spool_path))
    assert "3 dead letter(s)" in listed.stdout and "1 held over the cap of 2" in listed.stdout
    dry = cli("deadletter", "purge", "--spool", str(spool_path), "--before", "2026-11-02")
    assert dry.returncode == 0, dry.stderr
    assert "would delete 2 dead letter(s) received before 2026-11-02 00:00:00 UTC" in dry.stdout
    assert "nothing deleted" in dry.stdout and "--yes" in dry.stdout
    assert len(Spool(spool_path).dead_letters(limit=None)) == 3
    done = cli("deadletter", "purge", "--spool", str(spool_path), "--before",
               "2026-11-02T08:00:00+08:00", "--yes")  # the same instant, written locally
    assert done.returncode == 0, done.stderr
    assert "deleted 2 dead letter(s)" in done.stdout
    (left,) = Spool(spool_path, dead_capacity=2).dead_letters(limit=None)
    assert (left.reason, left.held) == ("out_of_range", 0)  # promoted into a freed place
    for before in ("yesterday", "2026-13-01", "2026-11-02T08:00"):
        result = cli("deadletter", "purge", "--spool", str(spool_path), "--before", before)
        assert result.returncode == 1 and "--before" in result.stderr
        assert "YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr
