"""Write a statistics document's XLSX and PDF: what `civicwatt statistics --xlsx/--pdf` and the
scheduled statistics job call, so both make the same files.

User-caused failures (no CJK font for --lang zh, an unwritable path, the store down while the
trend is read) raise `OutputError` naming what and how to fix it; files already written stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from civicwatt.config import SiteConfig
from store import Store, StoreError


class OutputError(Exception):
    """A file could not be made; str() tells the user what to fix."""


def write_files(site: SiteConfig, doc: Mapping, store: Store, lang: str, *,
                xlsx: Path | None = None, pdf: Path | None = None, html: Path | None = None,
                buildings: Sequence[str] | None = None,
                now: dt.datetime | None = None) -> tuple[list[Path], object | None]:
    """Write the files asked for; return them and the PDF's rendering (for e-mail) or None."""
    from civicwatt.reports.fonts import FontError, font_for
    from civicwatt.statistics_outputs.xlsx import write_xlsx

    written: list[Path] = []
    rendered = None
    if xlsx is not None:
        written.append(_writing(xlsx, lambda: write_xlsx(doc, xlsx, lang, site.site.name)))
    if pdf is not None:
        from civicwatt.statistics_outputs.pdf import write
        from civicwatt.statistics_outputs.report import StatisticsReport
        from civicwatt.statistics_outputs.trend import monthly_trend

        try:
            font = font_for(lang, site.report.font)
        except FontError as exc:
            raise OutputError(str(exc)) from None
        try:
            trend = monthly_trend(site, store, str(doc["period"]), buildings)
        except StoreError as exc:
            raise OutputError(f"the 12-month trend for the PDF: the store cannot answer: {exc}"
                              f"; is it running? (store.url in the config)") from None
        report = StatisticsReport(doc, site.site.name, str(doc.get("currency") or
                                                           site.site.currency), trend, now)
        rendered = _writing(pdf, lambda: write(report, lang, font, pdf, html))
        written += rendered.files
    return written, rendered


def _writing(path: Path, make):
    try:
        return make()
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}; check the folder "
                          "exists and is writable, and that the file is not open in Excel") \
            from None
