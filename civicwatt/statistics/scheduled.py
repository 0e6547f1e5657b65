"""The scheduled statistics of `civicwatt run`: each finished month, quarter and year.

The job runs daily at `statistics.at` from day `statistics.day` of a month (day 2: late
readings of the 1st are in) and handles each period of `statistics.schedule` that ended before
this month and has no file yet — so a service that was down on the 2nd catches up the next day,
and a restart never writes twice. Each period goes through `PUBLISHERS` in order.

Hook for the outputs (XLSX, PDF, e-mail): add a function `(site, stats, folder) -> [paths]`
to `PUBLISHERS`; it gets the computed `Statistics` and the report folder, and returns the
files it wrote. A publisher that raises makes the job fail (logged, retried the next day,
since the JSON marker is written last).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path

from civicwatt.config import SiteConfig
from civicwatt.statistics.compute import Statistics, compute
from rules.statistics_period import Period, last_finished
from store import Store

logger = logging.getLogger(__name__)
Publisher = Callable[[SiteConfig, Statistics, Path], list[Path]]


def json_path(site: SiteConfig, folder: Path, period: Period) -> Path:
    return folder / f"{site.site.id}-statistics-{period.label}.json"


def write_json(site: SiteConfig, stats: Statistics, folder: Path) -> list[Path]:
    """The period's JSON document (the contract of `civicwatt statistics --json`)."""
    path = json_path(site, folder, stats.period)
    part = path.with_suffix(".json.part")
    part.write_text(json.dumps(stats.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    part.replace(path)  # atomic: a crash never leaves half a file that counts as done
    return [path]


def write_outputs(site: SiteConfig, stats: Statistics, folder: Path) -> list[Path]:
    """XLSX, PDF, the dashboard's rows and the e-mail (civicwatt/jobs/statistics_delivery.py)."""
    from civicwatt.jobs.statistics_delivery import publish

    return publish(site, stats, folder)


#: run in order for each due period; the JSON goes last (it marks the period done)
PUBLISHERS: tuple[Publisher, ...] = (write_outputs, write_json)


def due(site: SiteConfig, folder: Path, today: dt.date) -> list[Period]:
    """Finished periods of `statistics.schedule` without their file yet (none before `day`)."""
    settings = site.statistics
    if today.day < settings.day:
        return []
    return [p for p in last_finished(today, settings.schedule)
            if not json_path(site, folder, p).exists()]


def run_scheduled(site: SiteConfig, store: Store, today: dt.date) -> list[Path]:
    """Compute and publish every due period; the files written."""
    folder = site.base_dir / site.report.out_dir
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for period in due(site, folder, today):
        stats = compute(site, store, period)
        for publish in PUBLISHERS:
            written += publish(site, stats, folder)
        logger.info("Statistics %s: %d buildings, %.1f kgce", period.label,
                    len(stats.buildings), stats.to_json()["total"]["kgce"])
    return written
