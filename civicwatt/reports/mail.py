"""Send the report by e-mail: HTML body (charts inline by Content-ID) + the PDF attached.

SMTP over implicit TLS (port 465), STARTTLS (587) or plain (25, for a relay on
localhost); credentials come from the config, where they are `${ENV}`
references. Transient failures (connection errors, 4xx replies) are retried
with doubling back-off; permanent ones (5xx: bad credentials, refused
recipients) stop at once. Every failure ends in an `EmailError` that names the
server, the recipients and the last reply — never a silent drop.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from civicwatt.reports.settings import EmailSettings, SmtpSettings

logger = logging.getLogger(__name__)


class EmailError(Exception):
    """The report was not delivered to every recipient; str() says why and to whom."""


@dataclass(frozen=True)
class Delivery:
    recipients: list[str]
    attempts: int


def build_message(settings: EmailSettings, subject: str, html: str, text: str,
                  images: dict[str, bytes], pdf: Path) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]
    for name, png in images.items():
        html_part.add_related(png, "image", "png", cid=f"<{name}>", filename=f"{name}.png",
                              disposition="inline")
    message.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf",
                           filename=pdf.name)
    return message


def send(settings: EmailSettings, message: EmailMessage,
         sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Deliver `message` to every recipient, retrying transient failures."""
    smtp = settings.smtp
    where = f"{smtp.host}:{smtp.effective_port} ({smtp.security})"
    delay = settings.retry_delay_s
    last = ""
    for attempt in range(1, settings.attempts + 1):
        try:
            refused = _send_once(smtp, settings, message)
        except _PERMANENT as exc:
            raise EmailError(f"e-mail to {', '.join(settings.recipients)} via {where} failed "
                             f"and was not retried (permanent error): {_describe(exc)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            last = _describe(exc)
            if _permanent_reply(exc):
                raise EmailError(f"e-mail to {', '.join(settings.recipients)} via {where} "
                                 f"failed and was not retried (permanent error): {last}") from None
            logger.warning("e-mail attempt %d/%d via %s failed: %s", attempt, settings.attempts,
                           where, last)
            if attempt < settings.attempts:
                sleep(delay)
                delay *= 2
            continue
        if refused:
            rejected = "; ".join(f"{r}: {code} {text.decode(errors='replace')}"
                                 for r, (code, text) in refused.items())
            raise EmailError(f"e-mail via {where}: the server refused some recipients "
                             f"({rejected}); the others got it")
        return Delivery(list(settings.recipients), attempt)
    raise EmailError(f"e-mail to {', '.join(settings.recipients)} via {where} failed after "
                     f"{settings.attempts} attempts: {last}")


_PERMANENT = (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError)


def _permanent_reply(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipients refused: " + "; ".join(
            f"{r} {code} {text.decode(errors='replace')}" for r, (code, text) in
            exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"


def _send_once(smtp: SmtpSettings, settings: EmailSettings,
               message: EmailMessage) -> dict:
    context = ssl.create_default_context(cafile=smtp.ca_file)
    port = smtp.effective_port
    if smtp.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout_s,
                                                context=context)
    else:
        client = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout_s)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.username:
            password = smtp.password.get_secret_value() if smtp.password else ""
            if not password:
                raise EmailError(f"report.email.smtp.username is {smtp.username!r} but the "
                                 "password is empty: set the environment variable its "
                                 "${NAME} names")
            client.login(smtp.username, password)
        return client.send_message(message, from_addr=settings.sender,
                                   to_addrs=list(settings.recipients))
