"""Warnings about a valid site config: figures that will mislead a reader, not stop a job.

`check-config` prints them after its summary and still exits 0. Each names
the field, the value and what to do, like a config problem.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from civicwatt.config.errors import _MISSING
from civicwatt.config.site import SiteConfig

Found = tuple[tuple, object, str]
BASELINE_TOLERANCE = 0.10


def advice(config: SiteConfig, today: dt.date | None = None) -> list[Found]:
    """Every warning for a loaded config; `today` (the site's local date) for tests."""
    today = today or dt.datetime.now(ZoneInfo(config.site.timezone)).date()
    return [*_baselines(config), *_base_prices(config, today), *_api(config)]


def _baselines(config: SiteConfig) -> list[Found]:
    """An own baseline's per-m² and per-person figures describe one base-year total: per-m² ×
    area and per-person × occupants should agree."""
    found: list[Found] = []
    for i, b in enumerate(config.buildings):
        base = b.baseline
        if base is None or base.kind != "own" or not base.kgce_per_m2 \
                or not base.kgce_per_person or not b.occupants:
            continue
        by_area, by_people = base.kgce_per_m2 * b.floor_area_m2, base.kgce_per_person * b.occupants
        gap = abs(by_area - by_people) / max(by_area, by_people)
        if gap > BASELINE_TOLERANCE:
            found.append((("buildings", i, "baseline", "kgce_per_person"), base.kgce_per_person,
                          f"per m² × area gives {by_area:,.0f} kgce but per person × occupants "
                          f"{by_people:,.0f} kgce ({gap:.0%} apart): an own baseline is one "
                          f"{base.year} total, so check the figures, floor_area_m2 and occupants "
                          "(or say kind: national_average / provincial_average / quota if they "
                          "are a reference, not this building's own)"))
    return found


def _base_prices(config: SiteConfig, today: dt.date) -> list[Found]:
    """A ratio tariff bills today's month and yesterday's (the daily report's day) in
    multiples of the flat price unless metering.base_prices has the month."""
    if config.metering is None:
        return []
    from civicwatt.metering.files import InputError, load_site_tariff

    try:
        tariff = load_site_tariff(config)
    except (InputError, FileNotFoundError):
        return []  # a config problem, reported by the loader
    if tariff.price_basis != "ratio":
        return []
    days = (today - dt.timedelta(days=1), today)
    missing = list(dict.fromkeys(f"{d:%Y-%m}" for d in days if not tariff.cost_is_money(d)))
    if not missing:
        return []
    example = ", ".join(f"{m}: <flat price>" for m in missing)
    given = config.metering.base_prices
    return [(("metering", "base_prices"), _MISSING if given is None else given,
             f"tariff {tariff.name!r} holds price ratios (flat = 1) and there is no base price "
             f"for {' and '.join(missing)}: costs of those months are reported as multiples of "
             "the flat price (× flat price), not money. Add the agency-purchase (代理购电) flat "
             f"price per kWh: metering.base_prices: {{{example}}}")]


def _api(config: SiteConfig) -> list[Found]:
    from civicwatt.api.settings import plain_public_address

    if not plain_public_address(config.api, config.service.http):
        return []
    return [(("service", "http"), config.service.http,
             "the API (api.enabled) answers on a non-loopback address over plain HTTP, so API "
             "keys cross the network in clear text: put it behind a TLS reverse proxy (README, "
             "'TLS') on 127.0.0.1, or set api.tls")]
