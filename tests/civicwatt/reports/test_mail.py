"""E-mail against a real SMTP server (aiosmtpd on loopback): recipients, subject, HTML body,
inline charts and the PDF; STARTTLS with AUTH; transient failures retried, permanent ones
reported at once, nothing silent. `sleep` is injected so retries don't wait in tests."""

from __future__ import annotations

import pytest

from civicwatt.reports.mail import EmailError, build_message, send
from civicwatt.reports.settings import EmailSettings
from tests.civicwatt.reports.smtp import Handler, Server, free_port, self_signed

RECIPIENTS = ["energy@example.gov.cn", "director@example.gov.cn"]


def settings(port: int, **smtp) -> EmailSettings:
    return EmailSettings.model_validate({
        "recipients": RECIPIENTS, "sender": "civicwatt@example.gov.cn",
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout_s": 5, **smtp},
        "attempts": 3, "retry_delay_s": 0.5})


def message_for(rendered, config: EmailSettings):
    pdf = next(p for p in rendered.files if p.suffix == ".pdf")
    return build_message(config, "市行政中心 — 能源日报 2026-11-25", rendered.email_html,
                         "要点", rendered.images, pdf)


def test_report_arrives_with_body_charts_and_pdf(rendered_zh):
    handler = Handler()
    with Server(handler) as server:
        config = settings(server.port)
        delivery = send(config, message_for(rendered_zh, config))
    assert delivery.attempts == 1
    (got,) = handler.received
    assert got.mail_from == "civicwatt@example.gov.cn"
    assert sorted(got.rcpt_tos) == sorted(RECIPIENTS)
    message = got.message
    assert message["Subject"] == "市行政中心 — 能源日报 2026-11-25"
    html = message.get_body(("html",)).get_content()
    assert "能源日报" in html and "分项能耗" in html
    assert 'src="cid:curve-site-hq"' in html and "data:image" not in html
    parts = {part.get_filename(): part for part in message.walk() if part.get_filename()}
    pdf = parts["hq-2026-11-25-report.zh.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert pdf.get_content() == next(p for p in rendered_zh.files if p.suffix == ".pdf"
                                     ).read_bytes()
    inline = parts["curve-site-hq.png"]
    assert inline["Content-ID"] == "<curve-site-hq>"
    assert inline.get_content().startswith(b"\x89PNG")


def test_starttls_with_login(rendered_zh, tmp_path):
    handler = Handler()
    cert = self_signed(tmp_path)
    with Server(handler, tls=cert, credentials=("civicwatt", "s3cret")) as server:
        config = settings(server.port, security="starttls", username="civicwatt",
                          password="s3cret", ca_file=str(cert[0]))
        send(config, message_for(rendered_zh, config))
        assert len(handler.received) == 1
        wrong = settings(server.port, security="starttls", username="civicwatt",
                         password="wrong", ca_file=str(cert[0]))
        with pytest.raises(EmailError, match="not retried.*535"):
            send(wrong, message_for(rendered_zh, wrong))
    assert len(handler.received) == 1


def test_transient_failure_is_retried_then_delivered(rendered_zh):
    handler = Handler(replies=["451 4.3.0 Mail server temporarily rejected message"] * 2)
    pauses: list[float] = []
    with Server(handler) as server:
        config = settings(server.port)
        delivery = send(config, message_for(rendered_zh, config), sleep=pauses.append)
    assert delivery.attempts == 3 and handler.attempts == 3
    assert pauses == [0.5, 1.0]  # doubling back-off
    assert len(handler.received) == 1


def test_persistent_failure_is_reported_after_the_last_attempt(rendered_zh):
    handler = Handler(replies=["451 4.3.0 Try again later"] * 5)
    pauses: list[float] = []
    with Server(handler) as server:
        config = settings(server.port)
        with pytest.raises(EmailError) as error:
            send(config, message_for(rendered_zh, config), sleep=pauses.append)
    text = str(error.value)
    assert "after 3 attempts" in text and "451" in text and "energy@example.gov.cn" in text
    assert handler.attempts == 3 and len(pauses) == 2 and not handler.received


def test_permanent_rejection_is_not_retried(rendered_zh):
    handler = Handler(replies=["554 5.7.1 Message rejected as spam"])
    with Server(handler) as server:
        config = settings(server.port)
        with pytest.raises(EmailError, match="permanent error.*554"):
            send(config, message_for(rendered_zh, config), sleep=lambda s: None)
    assert handler.attempts == 1


def test_unreachable_server_is_retried_and_reported(rendered_zh):
    config = settings(free_port())  # nothing listens there
    pauses: list[float] = []
    with pytest.raises(EmailError, match=r"127\.0\.0\.1:\d+ \(none\) failed after 3 attempts: "
                                         r"ConnectionRefusedError"):
        send(config, message_for(rendered_zh, config), sleep=pauses.append)
    assert len(pauses) == 2


def test_settings_reject_bad_addresses_and_placeholders():
    with pytest.raises(ValueError, match="not e-mail addresses: nobody"):
        EmailSettings.model_validate({"recipients": ["nobody"], "sender": "a@b.cn",
                                      "smtp": {"host": "x"}})
    with pytest.raises(ValueError, match="unknown placeholder 'day'"):
        EmailSettings.model_validate({"recipients": ["a@b.cn"], "sender": "a@b.cn",
                                      "subject": "{day}", "smtp": {"host": "x"}})
    assert EmailSettings.model_validate({"recipients": ["a@b.cn"], "sender": "a@b.cn",
                                         "smtp": {"host": "x", "security": "tls"}}
                                        ).smtp.effective_port == 465


def test_the_service_job_raises_when_the_email_fails(known_site, tmp_path):
    """`daily` is what `civicwatt run` schedules: a failed send must fail the job."""
    import datetime as dt

    from civicwatt.config import load_site
    from civicwatt.reports.job import ReportError, daily

    config = load_site(known_site)
    broken = settings(free_port()).model_copy(update={"attempts": 1})
    config = config.model_copy(update={"report": config.report.model_copy(
        update={"email": broken, "out_dir": str(tmp_path)})})
    with pytest.raises(ReportError, match=r"report for 2026-11-25 written .*report\.zh\.pdf\) "
                                          r"but not e-mailed: .*ConnectionRefusedError"):
        daily(config, now=dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC))
    assert (tmp_path / "hq-2026-11-25-report.zh.pdf").is_file()
