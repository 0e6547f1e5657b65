"""The report job: open the store, read the day's inputs, assemble the model."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from civicwatt.config import SiteConfig
from civicwatt.reports.assemble import assemble
from civicwatt.reports.data import read_inputs
from civicwatt.reports.meters import meter_tree
from civicwatt.reports.model import DailyReport
from store import open_store


def build_report(config: SiteConfig, day: dt.date, language: str,
                 now: dt.datetime | None = None) -> DailyReport:
    tree = meter_tree(config)
    roots = [p for points in tree.roots.values() for p in points]
    energy = [p.id for p in config.points if p.quantity == "energy" and p.id in tree.building]
    store = open_store(config.store.url, base_dir=config.base_dir)
    try:
        inputs = read_inputs(store, config, day, roots, energy)
    finally:
        store.close()
    generated = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(config.site.timezone))
    return assemble(config, inputs, language, generated, tree)
