"""The scheduled statistics' files and e-mail: a period's document → XLSX, PDF (and its HTML)
beside the JSON in `report.out_dir`, its rows into the store's `statistics` measurement for the
portfolio dashboard, and — when `report.email` is set — an e-mail like the daily report's (HTML
body with the charts inline, the PDF and the XLSX attached).

`publish` is the publisher the service's statistics schedule runs for each finished period
(`civicwatt.statistics.scheduled.PUBLISHERS`, before the JSON that marks the period done). It
raises `DeliveryError` when nothing could be written, and after writing when the e-mail failed,
so the job is logged as failed and the period retried the next day — never a silent drop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from civicwatt.config import SiteConfig
from store import Store, StoreError

logger = logging.getLogger(__name__)
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class DeliveryError(Exception):
    """The statistics were not written or not e-mailed; str() says what and how to fix it."""


@dataclass
class Delivered:
    period: str
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    emailed_to: list[str] = field(default_factory=list)


def publish(site: SiteConfig, stats, folder: Path) -> list[Path]:
    """The schedule's publisher `(site, stats, folder) -> files` (civicwatt/statistics/
    scheduled.py)."""
    from store import open_store

    store = open_store(site.store.url, site.base_dir)
    try:
        done = deliver(site, store, stats.to_json(), folder)
    finally:
        store.close()
    logger.info("Statistics %s: %s%s", done.period, ", ".join(p.name for p in done.files),
                f"; e-mailed to {', '.join(done.emailed_to)}" if done.emailed_to else "")
    return done.files


def deliver(site: SiteConfig, store: Store, doc: Mapping, folder: Path,
            lang: str | None = None, now: dt.datetime | None = None,
            email: bool | None = None) -> Delivered:
    """Write, record and (with `report.email`, unless email=False) send one period."""
    from civicwatt.statistics_outputs.files import OutputError, write_files
    from civicwatt.statistics_outputs.store_rows import statistics_rows

    lang = lang or site.report.language or site.site.language
    period = str(doc["period"])
    stem = folder / f"{site.site.id}-statistics-{period}"
    done = Delivered(period)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files, rendered = write_files(
            site, doc, store, lang, xlsx=Path(f"{stem}.{lang}.xlsx"),
            pdf=Path(f"{stem}.{lang}.pdf"), html=Path(f"{stem}.{lang}.html"), now=now)
    except OSError as exc:
        raise DeliveryError(f"statistics {period}: cannot write into {folder}: "
                            f"{exc.strerror or exc} (report.out_dir)") from None
    except OutputError as exc:
        raise DeliveryError(f"statistics {period}: {exc}") from None
    done.files += files
    try:
        rows = statistics_rows(doc, site.site.id, site.site.timezone)
        store.write(rows)
        done.rows = len(rows)
    except StoreError as exc:  # the files are there; the dashboard catches up next run
        logger.warning("Statistics %s written to %s but not recorded for the portfolio "
                       "dashboard: the store refused (%s)", period, folder, exc)
    if (site.report.email is not None) if email is None else email:
        _send(site, doc, rendered, files, lang, done)
    return done


def _send(site: SiteConfig, doc: Mapping, rendered, files: list[Path], lang: str,
          done: Delivered) -> None:
    from civicwatt.reports.mail import EmailError, build_message, send
    from civicwatt.statistics_outputs.pdf import summary_headline
    from civicwatt.statistics_outputs.report import StatisticsReport
    from civicwatt.statistics_outputs.text import texts

    settings = site.report.email
    if settings is None:
        raise DeliveryError("e-mail needs a `report.email` section (recipients, sender, smtp)")
    report = StatisticsReport(doc, site.site.name, str(doc.get("currency") or ""))
    subject = settings.subject.format(site=site.site.name,
                                      title=texts(lang)[f"title.{report.kind}"],
                                      date=report.period)
    pdf = next(p for p in files if p.suffix == ".pdf")
    message = build_message(settings, subject, rendered.email_html,
                            summary_headline(report, lang), rendered.images, pdf)
    for path in files:
        if path.suffix == ".xlsx":
            message.add_attachment(path.read_bytes(), maintype=XLSX_TYPE[0],
                                   subtype=XLSX_TYPE[1], filename=path.name)
    try:
        delivery = send(settings, message)
    except EmailError as exc:
        raise DeliveryError(f"statistics {report.period} written ({pdf}) but not e-mailed: "
                            f"{exc}") from None
    done.emailed_to = delivery.recipients
