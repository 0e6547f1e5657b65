"""The scheduled statistics' delivery: JSON, XLSX, PDF and HTML in report.out_dir/statistics,
rows for the portfolio dashboard in the store, and an e-mail through a real SMTP server
(aiosmtpd on loopback) with the charts inline and the PDF and XLSX attached; an e-mail failure
after the files were written is raised, and the files stay."""

from __future__ import annotations

import json

import pytest

import store
from civicwatt.jobs.statistics_delivery import DeliveryError, deliver
from tests.civicwatt.reports.smtp import Handler, Server, free_port
from tests.civicwatt.statistics.site import fill, write_site


def email(port: int) -> dict:
    return {"report": {"language": "zh", "out_dir": "out", "email": {
        "recipients": ["energy@example.gov.cn"], "sender": "civicwatt@example.gov.cn",
        "subject": "{site} — {title} {date}", "attempts": 2, "retry_delay_s": 0.1,
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout_s": 5}}}}


@pytest.fixture
def filled(tmp_path):
    def make(port: int):
        site = write_site(tmp_path / "site", extra=email(port))
        target = store.open_store(site.store.url, site.base_dir)
        fill(target)
        return site, target
    return make


def test_files_rows_and_the_email(filled, month_doc):
    handler = Handler()
    with Server(handler) as server:
        site, target = filled(server.port)
        try:
            done = deliver(site, target, month_doc)
            recorded = target.totals("statistics", ("kgce",), 0, 2**62, "all",
                                     site.site.timezone, ("level", "id"), {"span": "month"})
        finally:
            target.close()
    names = sorted(p.name for p in done.files)
    assert names == ["bureau-statistics-2026-10.json", "bureau-statistics-2026-10.zh.html",
                     "bureau-statistics-2026-10.zh.pdf", "bureau-statistics-2026-10.zh.xlsx"]
    assert all(p.parent == site.base_dir / "out" / "statistics" for p in done.files)
    assert json.loads(done.files[0].read_text()) == month_doc
    site_row = next(r for r in recorded if r.group == ("site", "bureau"))
    assert site_row.values[0] == pytest.approx(month_doc["total"]["kgce"])
    assert done.rows == 3 + 2 + 2 + 1  # buildings, institutions, types, site
    (got,) = handler.received
    message = got.message
    assert message["Subject"] == "测试管理局 Test bureau — 月度能源资源消费统计报告 2026-10"
    assert 'src="cid:trend"' in message.get_body(("html",)).get_content()
    parts = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    assert parts["bureau-statistics-2026-10.zh.pdf"].get_content().startswith(b"%PDF")
    xlsx = parts["bureau-statistics-2026-10.zh.xlsx"]
    assert xlsx.get_content_type().endswith("spreadsheetml.sheet")
    assert xlsx.get_content() == (site.base_dir / "out/statistics/"
                                  "bureau-statistics-2026-10.zh.xlsx").read_bytes()
    assert parts["trend.png"]["Content-ID"] == "<trend>"
    assert "kgce" in message.get_body(("plain",)).get_content()


def test_an_email_failure_is_raised_after_the_files_are_written(filled, month_doc):
    site, target = filled(free_port())  # nobody listens there
    try:
        with pytest.raises(DeliveryError, match=r"statistics 2026-10 written .* not e-mailed"):
            deliver(site, target, month_doc)
    finally:
        target.close()
    assert (site.base_dir / "out/statistics/bureau-statistics-2026-10.zh.pdf").exists()


def test_an_unwritable_folder_is_named(filled, month_doc):
    site, target = filled(free_port())
    (site.base_dir / "out").write_text("a file where the folder should be")
    try:
        with pytest.raises(DeliveryError, match=r"cannot write into .*out/statistics"):
            deliver(site, target, month_doc, email=False)
    finally:
        target.close()
