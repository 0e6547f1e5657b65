"""The scheduled statistics' outputs, through the service's schedule (`run_scheduled` and its
PUBLISHERS): XLSX, PDF and HTML beside the JSON in report.out_dir, rows for the portfolio
dashboard in the store, and an e-mail through a real SMTP server (aiosmtpd on loopback) with the
charts inline and the PDF and XLSX attached. An e-mail failure fails the period after its files
were written, and the period is retried (its JSON marker is not written)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import store
from civicwatt.jobs.statistics_delivery import DeliveryError, deliver
from civicwatt.statistics.scheduled import run_scheduled
from tests.civicwatt.reports.smtp import Handler, Server, free_port
from tests.civicwatt.statistics.site import fill, write_site

NOV_2 = dt.date(2026, 11, 2)
XLSX, HTML, PDF, JSON = NAMES = [f"bureau-statistics-2026-10{end}" for end in (
    ".zh.xlsx", ".zh.html", ".zh.pdf", ".json")]


def settings(port: int) -> dict:
    return {"statistics": {"schedule": ["month"]},
            "report": {"language": "zh", "out_dir": "out", "email": {
                "recipients": ["energy@example.gov.cn"], "sender": "civicwatt@example.gov.cn",
                "subject": "{site} — {title} {date}", "attempts": 2, "retry_delay_s": 0.1,
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none",
                         "timeout_s": 5}}}}


@pytest.fixture
def site_for(tmp_path):
    opened = []

    def make(port: int):
        site = write_site(tmp_path / "site", extra=settings(port))
        target = store.open_store(site.store.url, site.base_dir)
        opened.append(target)
        fill(target)
        return site, target
    yield make
    for target in opened:
        target.close()


def test_the_schedule_writes_records_and_emails(site_for, month_doc):
    handler = Handler()
    with Server(handler) as server:
        site, target = site_for(server.port)
        written = run_scheduled(site, target, NOV_2)
    assert [p.name for p in written] == NAMES
    assert all(p.parent == site.base_dir / "out" for p in written)
    assert json.loads(written[-1].read_text())["total"] == month_doc["total"]
    recorded = target.totals("statistics", ("kgce",), 0, 2**62, "all", site.site.timezone,
                             ("level", "id"), {"span": "month"})
    assert len(recorded) == 3 + 2 + 2 + 1  # buildings, institutions, types, site
    site_row = next(r for r in recorded if r.group == ("site", "bureau"))
    assert site_row.values[0] == pytest.approx(month_doc["total"]["kgce"])
    (got,) = handler.received
    message = got.message
    assert message["Subject"] == "测试管理局 Test bureau — 月度能源资源消费统计报告 2026-10"
    assert 'src="cid:trend"' in message.get_body(("html",)).get_content()
    parts = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    assert parts[PDF].get_content().startswith(b"%PDF")
    assert parts[XLSX].get_content_type().endswith("spreadsheetml.sheet")
    assert parts[XLSX].get_content() == written[0].read_bytes()
    assert parts["trend.png"]["Content-ID"] == "<trend>"
    assert "kgce" in message.get_body(("plain",)).get_content()
    assert run_scheduled(site, target, NOV_2) == []  # done: never twice


def test_an_email_failure_fails_the_period_after_its_files(site_for):
    site, target = site_for(free_port())  # nobody listens there
    with pytest.raises(DeliveryError, match=r"statistics 2026-10 written .* not e-mailed"):
        run_scheduled(site, target, NOV_2)
    out = site.base_dir / "out"
    assert (out / PDF).exists()
    assert not (out / JSON).exists()  # no JSON marker: the next run tries again


def test_an_unwritable_folder_is_named(portfolio, month_doc, tmp_path):
    site, target = portfolio
    (tmp_path / "out").write_text("a file where the folder should be")
    with pytest.raises(DeliveryError, match=r"cannot write into .*out"):
        deliver(site, target, month_doc, tmp_path / "out", email=False)
