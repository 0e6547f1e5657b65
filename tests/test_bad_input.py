"""Every command, given a wrong input, exits non-zero with one message naming what is wrong.

One table drives the CLI with bad inputs a new user produces: a file saved in the
wrong encoding, a duplicated key, an alias bomb, a URL with a typo, a duplicate
reading, a range without data, an unreachable host, an out-of-range number. Each
row asserts the exit code, that no traceback escaped, and that the message names
the file or flag, the field and the value. Commands run in-process (typer's
runner); the cases that used to hang run in a subprocess with a deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicwatt.cli import app
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]
METERING = ROOT / "tests" / "data" / "metering"
BEIJING = ROOT / "civicwatt" / "data" / "tariffs" / "beijing-general-ic-single-part-under-1kv.yaml"

SITE = """version: 1
site: {id: t, name: Test site, timezone: Asia/Shanghai}
buildings:
  - {id: b1, floor_area_m2: 1000, occupants: 10}
points:
  - {id: b1.main, building: b1, purpose: "01000", quantity: energy, unit: kWh}
"""

#: A 9-level alias bomb: 9^9 strings once expanded (about 2.5 GB and minutes before).
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))

OFFLINE = ["meter", "--from", "2026-06-01", "--to", "2026-06-02", "--tz", "Asia/Shanghai",
           "--points", str(METERING / "points.csv"), "--tariff", str(BEIJING)]
READINGS = (METERING / "readings.csv").read_text()


def site_with(extra: str) -> str:
    return SITE + extra


def hourly_csv(days: int, negative_hours: int = 0) -> str:
    """`timestamp,kwh` from 2024-03-01 UTC: a workday-shaped load, the first hours negative."""
    start = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    rows = ["timestamp,kwh"]
    for h in range(days * 24):
        kwh = -3.0 if h < negative_hours else 10 + 5 * (8 <= h % 24 < 18)
        rows.append(f"{start + dt.timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ},{kwh}")
    return "\n".join(rows) + "\n"


@dataclass
class Case:
    name: str
    args: list[str]
    expect: tuple[str, ...]  # all in the message (whitespace-normalised)
    code: int = 1
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    # -- check-config and every --config command: the file itself -----------------------
    Case("utf-16 config", ["check-config", "{tmp}/site.yaml"], ("site.yaml", "UTF-16", "UTF-8"),
         files={"site.yaml": SITE.encode("utf-16")}),
    Case("latin-1 config", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:2", "byte 0xE9 on line 2", "not UTF-8"),
         files={"site.yaml": "version: 1\nsite: {id: t, name: Caf\xe9}\n".encode("latin-1")}),
    Case("binary config", ["report", "--config", "{tmp}/site.yaml"], ("site.yaml", "binary"),
         files={"site.yaml": bytes(range(256)) * 4}),
    Case("duplicate key", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:4", "site.currency", "duplicate key", "'CNY' on line 3", "'EUR'"),
         files={"site.yaml": SITE.replace("site: {id: t, name: Test site, timezone: Asia/Shanghai}",
                                          "site:\n  currency: CNY\n  currency: EUR")}),
    Case("duplicate key in a list item", ["forecast", "--config", "{tmp}/site.yaml"],
         ("site.yaml:4", "buildings[0].occupants", "duplicate key", "'10' on line 4", "'20'"),
         files={"site.yaml": SITE.replace("occupants: 10}", "occupants: 10, occupants: 20}")}),
    Case("alias bomb", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml", "aliases", "more than 1,000,000 values"), files={"site.yaml": BOMB}),
    Case("recursive alias", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:1", "a[0]", "recursive"), files={"site.yaml": "a: &a [*a]\n"}),
    Case("deep nesting", ["check-config", "{tmp}/site.yaml"], ("site.yaml", "nested more than 64"),
         files={"site.yaml": "[" * 5000 + "]" * 5000}),
    Case("oversized config", ["check-config", "{tmp}/site.yaml"], ("site.yaml", "larger than 8 MB"),
         files={"site.yaml": "# padding\n" * 900_000}),
    Case("config is a folder", ["run", "--config", "{tmp}"], ("is a folder, not a file",)),
    Case("config missing", ["collect", "--config", "{tmp}/nope.yaml"],
         ("nope.yaml", "file not found")),
    Case("empty config", ["check-config", "{tmp}/site.yaml"], ("site.yaml", "the file is empty"),
         files={"site.yaml": "# nothing yet\n"}),
    Case("control character", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:2", "control character #x0001"), files={"site.yaml": "a: 1\nb: '\x01'\n"}),
    Case("tab indentation", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:2", "spaces, not tabs"), files={"site.yaml": "site:\n\tid: t\n"}),
    Case("impossible date", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:8", "'2026-13-31'", "month must be in 1..12"),
         files={"site.yaml": site_with("metering:\n  holidays: [2026-13-31]\n")}),
    Case("tariff given as site config", ["check-config", str(BEIJING)],
         ("this is a tariff, not a site config",)),
    Case("list section as a mapping", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:3", "buildings", "a list"),
         files={"site.yaml": SITE.replace("buildings:\n  - {id: b1, floor_area_m2: 1000, "
                                          "occupants: 10}", "buildings: {}")}),
    Case("infinite area", ["check-config", "{tmp}/site.yaml"],
         ("buildings[0].floor_area_m2", "inf", "a finite number"),
         files={"site.yaml": SITE.replace("floor_area_m2: 1000", "floor_area_m2: .inf")}),
    # -- every URL and host in the config ------------------------------------------------
    Case("store URL scheme", ["check-config", "{tmp}/site.yaml"],
         ("site.yaml:8", "store.url", "'influx://db.local:8086/civicwatt'", "unknown scheme",
          "influxdb1://"),
         files={"site.yaml": site_with("store:\n  url: influx://db.local:8086/civicwatt\n")}),
    Case("store URL without database", ["check-config", "{tmp}/site.yaml"],
         ("store.url", "names no database"),
         files={"site.yaml": site_with("store:\n  url: influxdb1://db.local:8086\n")}),
    Case("store URL bad port", ["check-config", "{tmp}/site.yaml"],
         ("store.url", "'influxdb1://db.local:99999/x'", "Port out of range"),
         files={"site.yaml": site_with("store:\n  url: influxdb1://db.local:99999/x\n")}),
    Case("store URL unknown option", ["check-config", "{tmp}/site.yaml"],
         ("store.url", "unknown option tsl", "tls, batch, timeout"),
         files={"site.yaml": site_with("store:\n  url: influxdb1://h:8086/db?tsl=true\n")}),
    Case("influxdb2 without bucket", ["check-config", "{tmp}/site.yaml"],
         ("store.url", "lacks bucket"),
         files={"site.yaml": site_with("store:\n  url: influxdb2://h:8086?org=o\n")}),
    Case("relative sqlite URL", ["check-config", "{tmp}/site.yaml"],
         ("store.url", "'sqlite://data.db'", "absolute path after three slashes"),
         files={"site.yaml": site_with("store:\n  url: sqlite://data.db\n")}),
    Case("MQTT URL scheme", ["check-config", "{tmp}/site.yaml"],
         ("mqtt.url", "'tcp://broker:1883'", "mqtt://host:1883"),
         files={"site.yaml": site_with("mqtt:\n  url: tcp://broker:1883\n")}),
    Case("MQTT host", ["check-config", "{tmp}/site.yaml"],
         ("mqtt.url", "not a host name"),
         files={"site.yaml": site_with("mqtt:\n  url: mqtt://bro ker:1883\n")}),
    Case("Modbus host with scheme", ["check-config", "{tmp}/site.yaml"],
         ("modbus.gateways[0].host", "'http://10.0.0.5'", "without a scheme"),
         files={"site.yaml": site_with("modbus:\n  gateways:\n    - {id: g, host: "
                                       "'http://10.0.0.5'}\n")}),
    Case("Modbus host with port", ["check-config", "{tmp}/site.yaml"],
         ("modbus.gateways[0].host", "'10.0.0.5:502'", "`port`"),
         files={"site.yaml": site_with("modbus:\n  gateways:\n    - {id: g, host: "
                                       "'10.0.0.5:502'}\n")}),
    Case("SMTP host with scheme", ["check-config", "{tmp}/site.yaml"],
         ("report.email.smtp.host", "'smtp://mail.example.org'", "without a scheme"),
         files={"site.yaml": site_with(
             "report:\n  email:\n    recipients: [a@example.org]\n    sender: b@example.org\n"
             "    smtp: {host: 'smtp://mail.example.org'}\n")}),
    Case("service.http port", ["check-config", "{tmp}/site.yaml"],
         ("service.http", "'127.0.0.1:99999'", "port 1-65535"),
         files={"site.yaml": site_with("service:\n  http: '127.0.0.1:99999'\n")}),
    Case("missing CA file", ["check-config", "{tmp}/site.yaml"],
         ("mqtt.tls.ca_file", "'ca.pem'", "missing"),
         files={"site.yaml": site_with("mqtt:\n  url: mqtts://broker:8883\n  tls: {ca_file: "
                                       "ca.pem}\n")}),
    # -- meter, offline --------------------------------------------------------------------
    Case("conflicting duplicate reading", [*OFFLINE, "--readings", "{tmp}/r.csv"],
         ("r.csv", "point b1.f2.light", "2026-06-01T10:00:00+08:00", "1016.5, 1049.9",
          "--on-duplicate first|last|mean"),
         files={"r.csv": READINGS + "b1.f2.light,2026-06-01T02:00:00Z,1049.9\n"}),
    Case("range without readings", [*OFFLINE[:1], "--from", "2027-01-01", "--to", "2027-01-02",
                                    *OFFLINE[5:], "--readings", str(METERING / "readings.csv")],
         ("no readings cover --from 2027-01-01 --to 2027-01-02", "readings.csv",
          "2026-05-31T23:00:00+08:00")),
    Case("negative emission factor", [*OFFLINE, "--readings", str(METERING / "readings.csv"),
                                      "--emission-factor", "-1"],
         ("--emission-factor",), code=2),
    Case("infinite emission factor", [*OFFLINE, "--readings", str(METERING / "readings.csv"),
                                      "--emission-factor", "inf"], ("--emission-factor",),
         code=2),
    Case("unknown duplicate rule", [*OFFLINE, "--readings", str(METERING / "readings.csv"),
                                    "--on-duplicate", "max"], ("--on-duplicate", "max"), code=2),
    Case("incomplete URDB tariff", [*OFFLINE[:7], "--points", str(METERING / "points.csv"),
                                    "--tariff", "{tmp}/urdb.json",
                                    "--readings", str(METERING / "readings.csv")],
         ("urdb.json", "incomplete URDB tariff", "energyratestructure"),
         files={"urdb.json": json.dumps({"label": "5a1", "utility": "Example Electric",
                                         "demandratestructure": [[{"rate": 12.0}]]})}),
    Case("negative price", ["tariff", "check", "{tmp}/t.yaml"],
         ("t.yaml", "prices", "'flat': -1.0", "cannot be negative"),
         files={"t.yaml": BEIJING.read_text().replace("flat: 1.0", "flat: -1.0")}),
    Case("site config as tariff", [*OFFLINE[:9], "--tariff", "{tmp}/site.yaml",
                                   "--readings", str(METERING / "readings.csv")],
         ("site.yaml", "not a tariff", "versions:"), files={"site.yaml": SITE}),
    Case("readings is a folder", [*OFFLINE, "--readings", "{tmp}"], ("readings", "is a folder")),
    Case("readings binary", [*OFFLINE, "--readings", "{tmp}/r.csv"], ("r.csv", "binary"),
         files={"r.csv": bytes(range(256)) * 4}),
    Case("readings with a runaway field", [*OFFLINE, "--readings", "{tmp}/r.csv"],
         ("r.csv row 2", "not valid CSV", "field larger than field limit"),
         files={"r.csv": "point,timestamp,value\nb1.f2.light,\"" + "x" * 200_000 + "\"\n"}),
    Case("readings row with extra cells", [*OFFLINE, "--readings", "{tmp}/r.csv"],
         ("r.csv row 2", "5 cells", "header has 3"),
         files={"r.csv": "point,timestamp,value\nb1.f2.light,2026-06-01T00:00:00Z,1,2,3\n"}),
    Case("readings header only", [*OFFLINE, "--readings", "{tmp}/r.csv"],
         ("r.csv", "has no readings"), files={"r.csv": "point,timestamp,value\n"}),
    Case("offline flag with --config", ["meter", "--config", "{tmp}/site.yaml", "--from",
                                        "2026-06-01", "--to", "2026-06-02", "--tz", "UTC"],
         ("--tz", "offline-mode option", "not used with --config"), files={"site.yaml": SITE}),
    Case("dates reversed", [*OFFLINE[:1], "--from", "2026-06-02", "--to", "2026-06-01",
                            *OFFLINE[5:], "--readings", str(METERING / "readings.csv")],
         ("--to 2026-06-01 must be after --from 2026-06-02",)),
    Case("max-gap zero", [*OFFLINE, "--readings", str(METERING / "readings.csv"),
                          "--max-gap", "0s"], ("--max-gap 0s", "longer than 0")),
    Case("store without readings", ["meter", "--config", "{tmp}/site.yaml", "--from",
                                     "2026-06-01", "--to", "2026-06-02"],
         ("site.yaml", "no readings of its 1 metered point(s) in the store from 2026-06-01",
          "nothing to meter"),
         files={"site.yaml": site_with(f"metering:\n  tariff: {BEIJING.stem}\n")}),
    # -- backtest ----------------------------------------------------------------------------
    Case("fewer days than --test-days", ["backtest", "--csv", "{tmp}/h.csv"],
         ("h.csv", "30 days of data", "--test-days 28 needs 28 days", "35 days in all",
          "Lower --test-days to 23"), files={"h.csv": hourly_csv(30)}),
    Case("backtest file missing", ["backtest", "--csv", "{tmp}/none.csv"],
         ("none.csv", "file not found")),
    Case("backtest csv is a folder", ["backtest", "--csv", "{tmp}"], ("is a folder",)),
    Case("backtest predictions into a folder", ["backtest", "--csv", "{tmp}/h.csv",
                                                "--predictions", "{tmp}"],
         ("--predictions", "existing folder"), files={"h.csv": hourly_csv(10)}),
    Case("backtest unknown country", ["backtest", "--csv", "{tmp}/h.csv", "--country", "XX"],
         ("country 'XX'", "no holiday calendar"), files={"h.csv": hourly_csv(10)}),
    Case("backtest bad timezone", ["backtest", "--csv", "{tmp}/h.csv", "--tz", "Mars/Base"],
         ("IANA",), files={"h.csv": hourly_csv(10)}),
    # -- modbus -------------------------------------------------------------------------------
    Case("modbus refused connection", ["modbus", "read", "127.0.0.1:{refused}", "--unit", "1",
                                       "--address", "0", "--type", "uint16", "--timeout", "0.5"],
         ("the host did not answer", "127.0.0.1:{refused}", "no TCP connection")),
    Case("modbus unknown host", ["modbus", "read", "no-such-host.invalid", "--unit", "1",
                                 "--address", "0", "--type", "uint16"],
         ("host 'no-such-host.invalid' is not known",)),
    Case("modbus unit 0", ["modbus", "read", "127.0.0.1", "--unit", "0", "--address", "0",
                           "--type", "uint16"], ("--unit 0", "1-247", "broadcast")),
    Case("modbus reserved unit", ["modbus", "read", "127.0.0.1", "--unit", "250", "--address",
                                  "0", "--type", "uint16"], ("--unit 250", "--reserved-unit")),
    Case("modbus scale nan", ["modbus", "read", "127.0.0.1", "--unit", "1", "--address", "0",
                              "--type", "uint16", "--scale", "nan"], ("--scale nan", "finite")),
    Case("modbus scan unit 0", ["modbus", "scan", "127.0.0.1", "--units", "0-5"],
         ("--units '0-5'", "1-247")),
    # -- report, forecast, setpoints, dashboards -------------------------------------------
    Case("report in the future", ["report", "--config", "{tmp}/site.yaml", "--date",
                                  "2999-01-01"], ("--date 2999-01-01", "in the future"),
         files={"site.yaml": SITE}),
    Case("report impossible date", ["report", "--config", "{tmp}/site.yaml", "--date",
                                    "2026-02-30"], ("--date 2026-02-30", "YYYY-MM-DD"),
         files={"site.yaml": SITE}),
    Case("forecast without data", ["forecast", "--config", "{tmp}/site.yaml", "--workers", "1",
                                   "--now", "2026-01-01T00:00:00Z"],
         ("site.yaml", "no forecast could be made"), files={"site.yaml": SITE}),
    Case("forecast naive --now", ["forecast", "--config", "{tmp}/site.yaml", "--now",
                                  "2026-01-01T00:00"], ("--now", "UTC offset"),
         files={"site.yaml": SITE}),
    Case("setpoints without section", ["setpoints", "plan", "--config", "{tmp}/site.yaml"],
         ("site.yaml", "no `setpoints:` section"), files={"site.yaml": SITE}),
    Case("grafana URL", ["dashboards", "push", "--config", "{tmp}/site.yaml", "--grafana",
                         "localhost:3000"], ("--grafana", "'localhost:3000'", "http://"),
         files={"site.yaml": SITE}),
    Case("grafana negative timeout", ["dashboards", "push", "--config", "{tmp}/site.yaml",
                                      "--grafana", "http://localhost:3000", "--timeout", "-1"],
         ("--timeout",), code=2, files={"site.yaml": SITE}),
    Case("dashboards relative path", ["dashboards", "build", "--config", "{tmp}/site.yaml",
                                      "--dashboards-path", "grafana/dash"],
         ("--dashboards-path", "'grafana/dash'", "absolute"), files={"site.yaml": SITE}),
    # -- collect, demo, tariff ----------------------------------------------------------------
    Case("collect --store scheme", ["collect", "--mqtt", "mqtt://127.0.0.1:1883", "--topic",
                                    "a/+", "--template", "a/{point}", "--store",
                                    "influx://h/db"], ("--store", "'influx://h/db'",
                                                       "unknown scheme")),
    Case("collect --mqtt scheme", ["collect", "--mqtt", "tcp://h:1883", "--topic", "a/+",
                                   "--template", "a/{point}"], ("--mqtt", "'tcp://h:1883'")),
    Case("collect unpaired --topic", ["collect", "--mqtt", "mqtt://h:1883", "--topic", "a/+"],
         ("--topic and --template come in pairs",)),
    Case("demo --out is a file", ["demo", "--out", "{tmp}/site.yaml"],
         ("--out", "site.yaml", "a file, not a folder"), files={"site.yaml": SITE}),
    Case("demo --store scheme", ["demo", "--store", "influx://h/db", "--out", "{tmp}/d"],
         ("--store", "'influx://h/db'", "unknown scheme")),
    Case("tariff import of a native file", ["tariff", "import", str(BEIJING)],
         ("not a JSON file",)),
    Case("tariff duplicate JSON key", ["tariff", "check", "{tmp}/t.json"],
         ("t.json", "duplicate key 'label'"), files={"t.json": '{"label": "a", "label": "b"}'}),
]


@pytest.fixture
def refused_port() -> int:
    return free_port()  # nothing listens: the connection is refused


def _normalised(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_clear_message(case: Case, tmp_path: Path, refused_port: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, content in case.files.items():
        target = tmp_path / name
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    for key in ("CIVICWATT_STORE_URL", "INFLUXDB_TOKEN", "GRAFANA_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)

    def fill(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path)).replace("{refused}", str(refused_port))

    result = CliRunner().invoke(app, [fill(a) for a in case.args])
    said = _normalised(result.output)
    assert isinstance(result.exception, SystemExit), (
        f"not a clean exit: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    assert result.exit_code == case.code, said
    for part in case.expect:
        assert _normalised(fill(part)) in said, f"{part!r} not in: {said}"


# -- the inputs that used to hang: run as the user runs them, with a deadline -------------

def _civicwatt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "civicwatt", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("content", [BOMB, "[" * 100_000 + "]" * 100_000],
                         ids=["alias bomb", "100,000 nested lists"])
def test_hostile_yaml_fails_fast(content: str, tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(content)
    result = _civicwatt("check-config", "site.yaml", cwd=tmp_path)  # TimeoutExpired = a hang
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "site.yaml" in result.stdout + result.stderr


def test_an_endless_file_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    result = _civicwatt("check-config", "/dev/zero", cwd=tmp_path)
    assert result.returncode == 1
    assert "larger than 8 MB" in result.stdout + result.stderr


# -- a Modbus host that accepts the connection and never answers --------------------------

@pytest.fixture
def silent_port() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_silent_modbus_host_is_said_to_not_answer(silent_port: int) -> None:
    result = CliRunner().invoke(app, ["modbus", "read", f"127.0.0.1:{silent_port}", "--unit",
                                      "1", "--address", "0", "--type", "uint16", "--timeout",
                                      "0.5"])
    said = _normalised(result.output)
    assert result.exit_code == 1, said
    assert "the host did not answer" in said and "not even a Modbus error" in said
    assert "check --unit" not in said  # the host, not the unit, is what to check first


# -- the good side of the same rules -------------------------------------------------------

def test_duplicates_resolved_on_request_are_reported_in_json(tmp_path: Path) -> None:
    readings = tmp_path / "r.csv"
    readings.write_text(READINGS + "b1.f2.light,2026-06-01T02:00:00Z,1049.9\n"
                        "b1.f2.ahu,2026-05-31T15:15:00Z,1000.5\n")  # an identical copy
    rows = {}
    for rule in ("first", "last", "mean"):
        result = CliRunner().invoke(app, [*OFFLINE, "--readings", str(readings),
                                          "--on-duplicate", rule, "--json"])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert any("b1.f2.light" in w and f"kept the {rule}" in w for w in out["warnings"])
        assert any("same value; each was counted once" in w for w in out["warnings"])
        rows[rule] = sum(r["kwh"] for r in out["rows"] if r["purpose"] == "01A10")
    clean = CliRunner().invoke(app, [*OFFLINE, "--readings", str(METERING / "readings.csv"),
                                     "--json"])
    out = json.loads(clean.stdout)
    assert out["warnings"] == []
    # keeping the file's own first value bills what the clean file bills; the others differ
    assert rows["first"] == pytest.approx(
        sum(r["kwh"] for r in out["rows"] if r["purpose"] == "01A10"))
    assert rows["last"] != pytest.approx(rows["first"])
    assert rows["first"] < rows["mean"] < rows["last"] or rows["last"] < rows["mean"] < rows[
        "first"]


def test_backtest_warns_about_negative_hours(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text(hourly_csv(12, negative_hours=5))
    result = CliRunner().invoke(app, ["backtest", "--csv", str(tmp_path / "h.csv"),
                                      "--test-days", "3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert any("5 hour(s) with negative kWh" in w for w in out["warnings"])


def test_help_pages_show_flags_without_a_type_and_give_examples() -> None:
    commands = [["run"], ["demo"], ["check-config"], ["collect"], ["meter"], ["forecast"],
                ["backtest"], ["report"], ["deadletter", "list"], ["deadletter", "replay"],
                ["modbus", "read"], ["modbus", "scan"], ["modbus", "plan"],
                ["tariff", "import"], ["tariff", "check"], ["setpoints", "plan"],
                ["dashboards", "build"], ["dashboards", "push"], ["disclose"]]
    for command in [[], *commands]:
        page = CliRunner().invoke(app, [*command, "--help"], terminal_width=100).output
        assert "<bool>" not in page, command
        assert re.search(r"--help\s+Show this message", page), command
        if command:
            assert f"civicwatt {' '.join(command)} " in page, f"no example in {command}"
    meter = _normalised(CliRunner().invoke(app, ["meter", "--help"], terminal_width=100).output)
    assert "Store: the site config" in meter and "Offline: CSV files" in meter
    offline = meter[meter.index("Offline: CSV files"):]
    for flag in ("--readings", "--points", "--tariff", "--tz", "--emission-factor",
                 "--on-duplicate", "--json"):
        assert flag in offline, flag
