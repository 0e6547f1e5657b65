"""The report job: store → model → files (→ e-mail). Used by `civicwatt report` and by the
service's daily schedule (`service.report_at`, via `daily`), so both behave the same.

`run` raises `ReportError` when nothing could be written (no CJK font, store
down, output folder unwritable); an e-mail failure after the files were
written is returned in `ReportRun.email_error`, never swallowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from civicwatt.config import SiteConfig
from civicwatt.config.meters import meter_tree
from civicwatt.metering.classes import class_roots
from civicwatt.reports.assemble import assemble
from civicwatt.reports.data import read_inputs
from civicwatt.reports.model import CostUnit, DailyReport
from rules.energy import METERED
from store import StoreError, open_store


class ReportError(Exception):
    """The report could not be produced; str() tells the user what to fix."""


@dataclass
class ReportRun:
    report: DailyReport
    files: list[Path]
    emailed_to: list[str]
    email_attempts: int = 0
    email_error: str | None = None


def default_day(config: SiteConfig, now: dt.datetime | None = None) -> dt.date:
    """Yesterday on the site's clock."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(config.site.timezone))
    return local.date() - dt.timedelta(days=1)


def build_report(config: SiteConfig, day: dt.date, language: str,
                 now: dt.datetime | None = None) -> DailyReport:
    """Read the store and assemble the report model (raises StoreError)."""
    tree = meter_tree(config)
    roots = [p for points in tree.roots.values() for p in points]
    energy = [p.id for p in config.points if p.quantity == "energy" and p.id in tree.building]
    others = [p.id for p in config.points if p.quantity in METERED and p.quantity != "energy"]
    other_roots = [p for by in class_roots(config).values() for energy_class, points in
                   by.items() if energy_class != "electricity" for p in points]
    store = open_store(config.store.url, base_dir=config.base_dir)
    try:
        inputs = read_inputs(store, config, day, roots, energy, others, other_roots)
    finally:
        store.close()
    generated = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(config.site.timezone))
    return assemble(config, inputs, language, generated, tree, cost_unit(config, day))


def cost_unit(config: SiteConfig, day: dt.date) -> CostUnit:
    """Whether the day's costs are money: a ratio tariff needs the month's base price."""
    currency = config.site.currency
    if config.metering is None:
        return CostUnit(currency)
    from civicwatt.metering.files import InputError, load_site_tariff

    try:
        tariff = load_site_tariff(config)
    except (InputError, FileNotFoundError) as exc:
        raise ReportError(f"metering.tariff: {exc}") from None
    week_ago = day - dt.timedelta(days=7)
    money = tariff.cost_is_money(day)
    return CostUnit(currency, money,
                    tariff.price_factor(day) if money and tariff.price_basis == "ratio" else None,
                    config.metering.base_prices_source, tariff.name, f"{day:%Y-%m}",
                    tariff.cost_is_money(week_ago) == money)


def run(config: SiteConfig, day: dt.date | None = None, language: str | None = None,
        out: Path | None = None, email: bool = False,
        now: dt.datetime | None = None) -> ReportRun:
    from civicwatt.reports.fonts import FontError, font_for
    from civicwatt.reports.render import write_all

    language = language or config.report.language or config.site.language
    day = day or default_day(config, now)
    if email and config.report.email is None:
        raise ReportError("e-mail needs a `report.email` section (recipients, sender, smtp); "
                          "see config/example-site.yaml")
    try:
        font = font_for(language, config.report.font)
    except FontError as exc:
        raise ReportError(str(exc)) from None
    try:
        report = build_report(config, day, language, now)
    except StoreError as exc:
        raise ReportError(f"store {config.store.url or 'sqlite (default)'}: {exc}; is it "
                          "running? (store.url in the config)") from None
    folder = out if out is not None else _resolve(config, config.report.out_dir)
    try:
        rendered = write_all(report, language, font, folder)
    except OSError as exc:
        raise ReportError(f"cannot write the report into {folder}: "
                          f"{exc.strerror or exc}") from None
    result = ReportRun(report, rendered.files, [])
    if email:
        _send(config, report, rendered, language, result)
    return result


def daily(config: SiteConfig, now: dt.datetime | None = None) -> ReportRun:
    """The service's daily job: yesterday's report, e-mailed when `report.email` is set.

    Raises ReportError when nothing was written or the e-mail failed after its
    retries, so the scheduler logs the job as failed (never a silent drop).
    """
    result = run(config, email=config.report.email is not None, now=now)
    if result.email_error:
        raise ReportError(f"report for {result.report.day} written "
                          f"({result.files[1]}) but not e-mailed: {result.email_error}")
    return result


def _send(config: SiteConfig, report: DailyReport, rendered, language: str,
          result: ReportRun) -> None:
    from civicwatt.reports.mail import EmailError, build_message, send
    from civicwatt.reports.render import highlights
    from civicwatt.reports.text import texts

    settings = config.report.email
    assert settings is not None
    subject = settings.subject.format(site=report.site_name, title=texts(language)["title"],
                                      date=report.day.isoformat())
    pdf = next(p for p in rendered.files if p.suffix == ".pdf")
    message = build_message(settings, subject, rendered.email_html,
                            "\n".join(highlights(report, language)), rendered.images, pdf)
    try:
        delivery = send(settings, message)
    except EmailError as exc:
        result.email_error = str(exc)
        return
    result.emailed_to = delivery.recipients
    result.email_attempts = delivery.attempts


def _resolve(config: SiteConfig, folder: str) -> Path:
    path = Path(folder)
    return path if path.is_absolute() else config.base_dir / path
