"""`civicwatt report` as a user runs it: paths printed, e-mail sent or failure reported with
exit 2, and every bad input a one-line error without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.civicwatt.reports import known_week as kw
from tests.civicwatt.reports.smtp import Handler, Server, free_port

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "civicwatt", "report", *args], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=300)


def with_report_section(site: Path, folder: Path, section: str) -> Path:
    path = folder / "site.yaml"
    path.write_text(site.read_text(encoding="utf-8") + section, encoding="utf-8")
    tariff = site.parent / "test-tariff.yaml"
    (folder / tariff.name).write_text(tariff.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_writes_the_files_and_emails_them(known_site, tmp_path):
    handler = Handler()
    with Server(handler) as server:
        config = with_report_section(known_site, tmp_path, f"""
report:
  email:
    recipients: [energy@example.gov.cn]
    sender: civicwatt@example.gov.cn
    smtp: {{host: 127.0.0.1, port: {server.port}, security: none,
           username: "${{TEST_SMTP_USER:-}}"}}
""")
        done = run("--config", str(config), "--date", "2026-11-25", "--lang", "en",
                   "--out", str(tmp_path / "out"), "--email")
    assert done.returncode == 0, done.stderr
    printed = [Path(line) for line in done.stdout.splitlines()]
    assert printed[0].name == "hq-2026-11-25-report.en.html"
    assert printed[1].name == "hq-2026-11-25-report.en.pdf"
    assert all(p.is_file() for p in printed) and len(printed) == 12
    assert "Traceback" not in done.stderr and "e-mailed to energy@example.gov.cn" in done.stderr
    (got,) = handler.received
    assert got.rcpt_tos == ["energy@example.gov.cn"]
    assert got.message["Subject"] == "市行政中心 City Hall — Daily energy report 2026-11-25"
    assert "Daily energy report" in got.message.get_body(("html",)).get_content()
    assert "The site used 2,286 kWh" in got.message.get_body(("plain",)).get_content()


def test_failed_email_exits_2_after_writing_the_files(known_site, tmp_path):
    config = with_report_section(known_site, tmp_path, f"""
report:
  email:
    recipients: [energy@example.gov.cn]
    sender: civicwatt@example.gov.cn
    attempts: 2
    retry_delay_s: 0
    smtp: {{host: 127.0.0.1, port: {free_port()}, security: none, timeout_s: 2}}
""")
    done = run("--config", str(config), "--date", "2026-11-25", "--lang", "en", "--out",
               str(tmp_path / "out"), "--email")
    assert done.returncode == 2
    assert "e-mail not sent" in done.stderr and "failed after 2 attempts" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "out" / "hq-2026-11-25-report.en.pdf").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--date", "2026-13-01"], "--date 2026-13-01: not a date; use YYYY-MM-DD"),
    (["--lang", "fr"], "--lang fr: use zh or en"),
    (["--email"], "--email needs a `report.email` section"),
])
def test_bad_input_is_one_clear_error(known_site, tmp_path, args, message):
    done = run("--config", str(known_site), "--out", str(tmp_path), *args)
    assert done.returncode == 1
    assert message in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())


def test_missing_config_and_bad_report_section(known_site, tmp_path):
    done = run("--config", str(tmp_path / "nope.yaml"))
    assert done.returncode == 1 and "nope.yaml" in done.stderr and "Traceback" not in done.stderr
    config = with_report_section(known_site, tmp_path, """
report:
  font: No Such Font
  anomalies: {after_hours: "25:00-06:00", imbalanse: 0.2}
""")
    done = run("--config", str(config))
    assert done.returncode == 1
    text = " ".join(done.stderr.split())
    assert "report.anomalies.after_hours" in text and "25:00 is not a time of day" in text
    assert "report.anomalies.imbalanse" in text and "unknown key" in text


def test_configured_font_that_is_missing_fails_before_reading(known_site, tmp_path):
    config = with_report_section(known_site, tmp_path, "\nreport: {font: No Such Font}\n")
    done = run("--config", str(config), "--date", str(kw.DAY), "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert "'No Such Font' is not installed" in " ".join(done.stderr.split())
    assert not (tmp_path / "o").exists()
