"""`civicwatt platform push|status|serve` end to end: the demo's metered hours to the receiver.

Both sides run as the commands an operator runs. The receiver (`serve`) shares its codec with
the uploader, so the framing also has hand-written byte tests (tests/civicwatt/platform) and
the receiver has tests against an independent client.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.civicwatt.platform import demo_hours
from tests.services import free_port

ROOT = Path(__file__).parents[2]
FIRST = dt.date(2026, 3, 2)  # a Monday; two days of the demo building
DAYS = (FIRST, FIRST + dt.timedelta(days=1))
KEY = demo_hours.KEY
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PLATFORM_KEY": KEY}


def civicwatt(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "civicwatt", *args], env=ENV, text=True,
                          capture_output=True, timeout=timeout)


class Serve:
    """`civicwatt platform serve` in the background."""

    def __init__(self, out: Path, *args: str) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "civicwatt", "platform", "serve", "--port", "0", "--out",
             str(out), *args], env=ENV, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        first = self.proc.stdout.readline()
        assert first.startswith("listening on 127.0.0.1:"), first + self.proc.stderr.read()
        self.port = int(first.rsplit(":", 1)[1])

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, err
        return err

    def items(self) -> list[dict]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines()]


@pytest.fixture(scope="module")
def metered(tmp_path_factory) -> Path:
    """The demo site with two metered days; each test copies it."""
    folder = tmp_path_factory.mktemp("demo-metered")
    os.environ.setdefault("PLATFORM_KEY", KEY)
    config = demo_hours.write_site(folder, 1)
    demo_hours.fill(config, FIRST, len(DAYS))
    return folder


@pytest.fixture
def site(metered, tmp_path):
    """A fresh copy (its own store and outbox); `site(port, **platform)` points it at a port."""
    folder = tmp_path / "site"
    shutil.copytree(metered, folder)
    path = folder / "site.yaml"

    def configure(port: int, **platform) -> Path:
        config = yaml.safe_load(path.read_text())
        config["platform"].update(port=port, **platform)
        config["store"]["url"] = "sqlite://" + str(folder / "civicwatt.db")
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
        return path

    return configure


def push(config: Path, *extra: str) -> subprocess.CompletedProcess:
    return civicwatt("platform", "push", "--config", str(config), "--from", str(DAYS[0]),
                     "--to", str(DAYS[-1]), *extra)


@pytest.mark.integration
def test_push_uploads_the_demo_hours_through_a_drop_and_01000_is_the_reports_load(
        site, tmp_path):
    receiver = Serve(tmp_path / "rx.jsonl", "--drop-after", "5", "--building-id",
                     demo_hours.PLATFORM_ID)
    config = site(receiver.port)
    result = push(config)
    log = receiver.stop()
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + log
    items = receiver.items()
    hours = sorted({i["time"] for i in items})
    assert len(hours) == 48  # every hour of both local days, nothing else
    assert hours[0] == f"{DAYS[0]:%Y%m%d}000000" and hours[-1] == f"{DAYS[-1]:%Y%m%d}230000"
    per_key = Counter((i["time"], i["code"]) for i in items)
    assert max(per_key.values()) == 1  # nothing arrived twice
    assert {i["kind"] for i in items} == {"continuous"}  # all backfill: push sends history
    codes = {code for _, code in per_key}
    assert {"01000", "01A00", "01A10", "01A20", "01B00", "01B10", "01B20", "01C00", "01C10",
            "01C20", "01D00", "01D10"} == codes
    assert all(sum(1 for t, _ in per_key if t == h) == len(codes) for h in hours)
    assert "connection reset" in log  # the 5th packet was dropped …
    assert "reconnecting" in result.stderr  # … and the uploader came back for it
    site_load = {}
    for day in DAYS:
        site_load |= demo_hours.report_hours(config, day)
    assert len(site_load) == 48
    for item in items:
        if item["code"] == "01000":
            assert item["value"] == pytest.approx(round(site_load[item["time"]], 4), abs=1e-9), \
                item["time"]
    level1 = {(i["time"], i["code"]): i["value"] for i in items}
    for h in hours:  # the level-1 sums are the sums of what is sent below them
        assert level1[(h, "01A00")] == pytest.approx(
            level1[(h, "01A10")] + level1[(h, "01A20")], abs=2e-4)
    status = civicwatt("platform", "status", "--config", str(config), "--json")
    assert status.returncode == 0, status.stderr
    [row] = json.loads(status.stdout)["buildings"]
    assert (row["acked"], row["pending"], row["refused"]) == (48, 0, 0)


@pytest.mark.integration
@pytest.mark.parametrize(("encrypt", "flag"), [(False, "--no-encrypt"), (True, "--encrypt")])
def test_aes_on_and_off(site, tmp_path, encrypt, flag):
    receiver = Serve(tmp_path / "rx.jsonl", flag)
    result = push(site(receiver.port, encrypt=encrypt))
    log = receiver.stop()
    assert result.returncode == 0, result.stderr
    assert len({i["time"] for i in receiver.items()}) == 48
    assert ("AES" if encrypt else "plain XML") in result.stderr
    assert "frame skipped" not in log


@pytest.mark.integration
def test_a_receiver_that_insists_on_aes_never_answers_a_plain_client(site, tmp_path):
    receiver = Serve(tmp_path / "rx.jsonl", "--encrypt")
    result = push(site(receiver.port, encrypt=False, reply_timeout_s=1), "--retries", "0")
    receiver.stop()
    assert result.returncode == 1
    assert "no id_validate sequence from the platform" in result.stderr
    assert "check encrypt and aes_key" in result.stderr
    assert "48 hour(s) of 2026-03-02 … 2026-03-03 are still pending" in result.stderr


@pytest.mark.integration
@pytest.mark.parametrize("order", ["seq+key", "key+seq"])
def test_a_wrong_key_fails_fast_and_says_which_md5_order_was_used(site, tmp_path, order):
    # the platform's auth key differs; its AES key is ours, so it can read the handshake
    receiver = Serve(tmp_path / "rx.jsonl", "--key", "FEDCBA9876543210", "--aes-key", KEY)
    started = time.monotonic()
    result = push(site(receiver.port, md5_order=order, reply_timeout_s=30))
    took = time.monotonic() - started
    receiver.stop()
    assert result.returncode == 1
    assert took < 20  # no retries, no reply timeout: the refusal is final
    message = " ".join(result.stderr.split())
    assert "the platform at 127.0.0.1" in message and "refused the key" in message
    assert f"md5_order {order}" in message
    assert "Traceback" not in result.stderr and KEY not in result.stderr
    assert receiver.items() == []


@pytest.mark.integration
def test_an_unreachable_platform_exits_non_zero_after_the_retry_budget(site):
    started = time.monotonic()
    result = push(site(free_port(), reply_timeout_s=2), "--retries", "2")
    took = time.monotonic() - started
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "cannot connect to the platform at 127.0.0.1" in message
    assert "gave up after 2 retries" in message
    assert "48 hour(s) of 2026-03-02 … 2026-03-03 are still pending" in message
    assert took >= 3  # backoff 1 s + 2 s between the three attempts
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_a_second_push_sends_nothing_twice_unless_asked(site, tmp_path):
    receiver = Serve(tmp_path / "rx.jsonl")
    config = site(receiver.port)
    assert push(config).returncode == 0
    first = len(receiver.items())
    again = push(config)
    assert again.returncode == 0, again.stderr
    assert "already acked" in again.stderr
    assert len(receiver.items()) == first
    resend = push(config, "--resend")
    receiver.stop()
    assert resend.returncode == 0, resend.stderr
    assert len(receiver.items()) == 2 * first


@pytest.mark.integration
def test_push_interrupted_then_run_again_loses_and_duplicates_nothing(site, tmp_path):
    receiver = Serve(tmp_path / "rx.jsonl")
    config = site(receiver.port)
    proc = subprocess.Popen([sys.executable, "-m", "civicwatt", "platform", "push", "--config",
                             str(config), "--from", str(DAYS[0]), "--to", str(DAYS[-1])],
                            env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not receiver.items() and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    sent_first = len({i["time"] for i in receiver.items()})
    if proc.returncode == 0:  # finished before the signal landed: nothing to resume
        assert sent_first == 48
    else:
        assert proc.returncode == 1 and "interrupted" in err, err
        assert 0 < sent_first < 48
    again = push(config)
    receiver.stop()
    assert again.returncode == 0, again.stderr
    per_key = Counter((i["time"], i["code"]) for i in receiver.items())
    assert len({t for t, _ in per_key}) == 48 and max(per_key.values()) == 1
