"""What the pages say: the published buildings' figures, worked out here from the fixture's
daily amounts (not from the code under test), and nothing they must not say."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from zoneinfo import ZoneInfo

import pytest

from civicwatt.disclose.write import MANIFEST
from tests.civicwatt.disclose.site import (
    CO2,
    KGCE,
    METERS,
    MODBUS_HOST,
    MQTT_HOST,
    QUOTA,
    TZ,
    daily,
)


def total(pid: str, first: dt.date, last: dt.date, factor: dict | None = None) -> float:
    quantity = METERS[pid][2]
    scale = 1.0 if factor is None else factor[quantity]
    return sum(daily(pid, first + dt.timedelta(days=i)) * scale
               for i in range((last - first).days + 1))


JAN, OCT31 = dt.date(2026, 1, 1), dt.date(2026, 10, 31)


def admin_kgce(first: dt.date, last: dt.date) -> float:
    # the chiller is a sub-meter of the incomer: the building's total is the incomer alone
    return total("pt-admin-incomer", first, last, KGCE) + total("pt-admin-water", first, last,
                                                                KGCE)


def grouped(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def test_the_building_page_shows_the_year_to_date_and_its_months(october_zh):
    page = october_zh.page("buildings/admin.html")
    kgce = admin_kgce(JAN, OCT31)
    assert f'<dd id="annual-kgce">{grouped(kgce)}</dd>' in page
    water = total("pt-admin-water", JAN, OCT31)
    assert grouped(water / 800, 2) in page  # water per person
    assert grouped(kgce / 20000, 2) in page  # kgce per m²
    assert grouped(kgce / 800, 1) in page  # kgce per person
    co2 = total("pt-admin-incomer", JAN, OCT31, CO2)
    assert grouped(co2) in page
    october = admin_kgce(dt.date(2026, 10, 1), OCT31)
    assert f'<td class="num" id="month-kgce">{grouped(october, 1)}</td>' in page
    for month in range(1, 11):
        first = dt.date(2026, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        assert grouped(admin_kgce(first, last), 1) in page, month


def test_a_running_year_is_compared_with_the_same_months_a_year_before(october_zh):
    page = october_zh.page("buildings/admin.html")
    now = admin_kgce(JAN, OCT31)
    before = admin_kgce(dt.date(2025, 1, 1), dt.date(2025, 10, 31))
    change = (now / before - 1) * 100
    assert f"{change:+.1f}%".replace("-", "−") in page
    whole_2025 = admin_kgce(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert f"{(now / whole_2025 - 1) * 100:+.1f}%".replace("-", "−") not in page


def test_targets_are_pro_rata_and_the_status_follows_every_indicator(october_zh):
    page = october_zh.page("buildings/admin.html")
    fraction = 304 / 365
    kgce, co2 = admin_kgce(JAN, OCT31), total("pt-admin-incomer", JAN, OCT31, CO2)
    met = [kgce / 20000 <= 3.0 * fraction * 0.95, kgce / 800 <= 70.0 * fraction * 0.94,
           co2 / 20000 <= 12.0 * fraction * 0.93]
    assert met == [True, True, False]  # the fixture: energy on track, carbon not
    assert '<dd id="target-status">未达目标</dd>' in page
    assert grouped(12.0 * fraction * 0.93, 2) in page  # the CO₂ target, pro rata
    assert page.count('<td class="bad">') == 1 and page.count('<td class="ok">') == 2
    library = october_zh.page("buildings/library.html")
    lib_kgce = (total("pt-lib-incomer", JAN, OCT31, KGCE) + total("pt-lib-gas", JAN, OCT31,
                                                                   KGCE))
    per_m2, (constraint, guide) = lib_kgce / 8000, (q * fraction for q in QUOTA)
    assert guide < per_m2 < constraint  # the fixture: between the guide and the limit
    assert "高于引导值" in library and grouped(constraint, 2) in library
    assert '<dd id="target-status">达到目标</dd>' in library  # within the limit, no own target


def test_a_whole_year_in_english_with_its_completeness(year_en):
    page = year_en.page("buildings/admin.html")
    kgce = admin_kgce(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert f'<dd id="annual-kgce">{grouped(kgce)}</dd>' in page
    assert "365 of 365 days metered (100%)" in page
    assert '<html lang="en">' in page and "year to date" not in page
    met = kgce / 20000 <= 3.0 * 0.95 and kgce / 800 <= 70.0 * 0.94 and \
        total("pt-admin-incomer", dt.date(2025, 1, 1), dt.date(2025, 12, 31), CO2) / 20000 \
        <= 12.0 * 0.93
    assert f'<dd id="target-status">{"On track" if met else "Above target"}</dd>' in page


def test_completeness_counts_the_days_with_data(city, tmp_path):
    from tests.civicwatt.disclose.conftest import disclose

    out = tmp_path / "nov"
    result = disclose(city.base_dir / "site.yaml", "--year", "2026", "--month", "2026-11",
                      "--out", str(out))
    assert result.exit_code == 0, result.output
    page = (out / "buildings" / "admin.html").read_text()
    today = dt.datetime.now(ZoneInfo(TZ)).date()  # the site's day, not the machine's
    last = min(dt.date(2026, 11, 30), today - dt.timedelta(days=1))
    expected = (last - JAN).days + 1
    assert f"304/{expected} 天有计量数据（{304 / expected:.0%}）" in page


def test_completeness_says_which_classes_are_not_metered(october_zh):
    admin, library = (october_zh.page(f"buildings/{b}.html") for b in ("admin", "library"))
    assert "<li>天然气 (m³): 未安装计量表，不计入</li>" in admin
    assert "<li>水 (m³): 未安装计量表，不计入</li>" in library
    assert "<li>电力 (kWh)" not in admin + library and "<li>天然气" not in library
    # no water meter: water per person is not known, not 0
    water = re.search(r"<dt>人均用水量 \(m³/人\)</dt><dd>([^<]+)</dd>", library).group(1)
    assert water == "–"
    assert "<td class=\"num\">0.00</td>" not in library


def test_the_index_lists_the_published_buildings_only(october_zh):
    index = october_zh.page("index.html")
    assert 'href="buildings/admin.html"' in index and 'href="buildings/library.html"' in index
    assert "depot" not in index.lower() and "车队" not in index
    assert sorted(october_zh.pages()) == ["buildings/admin.html", "buildings/library.html",
                                          "index.html"]
    assert grouped(admin_kgce(JAN, OCT31)) in index


def test_no_point_ids_addresses_or_unpublished_buildings_reach_a_page(october_zh, year_en):
    secrets = [*METERS, MQTT_HOST, MODBUS_HOST, "gw-lib", "lib-main", "cw-city", "mqtt://",
               "city/pt-", "Depot", "车队", "state.db", "setpoint", "occupancy"]
    for generated in (october_zh, year_en):
        files = {**generated.pages(), "site.css": generated.page("site.css"),
                 MANIFEST: generated.page(MANIFEST)}
        for name, text in files.items():
            for secret in secrets:
                assert secret.lower() not in text.lower(), (name, secret)


def test_nothing_finer_than_a_month_is_published(october_zh):
    """Day-level figures: the pages' only dates are the last day covered and the generation
    date, and no table has more rows than months."""
    for name, page in october_zh.pages().items():
        body = page.split("<footer>")[0]  # the footer says when the pages were generated
        days = set(re.findall(r"\d{4}-\d{2}-\d{2}", body))
        assert days <= {"2026-10-31"}, (name, days)
        for body in re.findall(r"<tbody>(.*?)</tbody>", page, re.S):
            assert body.count("<tr") <= 12, name


def test_pages_are_self_contained_accessible_and_printable(october_zh, year_en):
    for generated, lang in ((october_zh, "zh-CN"), (year_en, "en")):
        for name, page in generated.pages().items():
            assert f'<html lang="{lang}">' in page, name
            assert '<meta name="viewport" content="width=device-width' in page
            assert "<script" not in page.lower() and " on" not in re.sub(r">[^<]*<", "><",
                                                                          page).lower()
            urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page))
            assert urls <= {"http://www.w3.org/2000/svg"}, (name, urls)
            assert not re.search(r"\b(src|srcset|@import)\b", page)
            for table in re.findall(r"<table>.*?</table>", page, re.S):
                assert "<caption>" in table and '<th scope="col"' in table, name
                for row in re.findall(r"<tbody>.*?</tbody>", table, re.S):
                    assert row.count("<tr") == row.count('<th scope="row"'), name
    css = october_zh.page("site.css")
    assert "@media print" in css and "@media (max-width" in css
    assert "url(" not in css and "@import" not in css


def test_every_chart_has_a_title_and_a_description_with_its_numbers(october_zh):
    page = october_zh.page("buildings/admin.html")
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(charts) == 2
    for chart in charts:
        assert 'role="img"' in chart
        ids = re.search(r'aria-labelledby="([^"]+)"', chart).group(1).split()
        for kind, element_id in zip(("title", "desc"), ids, strict=True):
            assert re.search(fr'<{kind} id="{element_id}">[^<]+</{kind}>', chart)
    desc = re.search(r'<desc id="months-d">([^<]+)</desc>', charts[0]).group(1)
    for month in range(1, 11):
        first = dt.date(2026, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        assert f"{month:02d} {grouped(admin_kgce(first, last))}" in desc


def test_the_manifest_lists_every_file_written_with_its_hash(october_zh):
    manifest = json.loads(october_zh.page(MANIFEST))["files"]
    on_disk = {p.relative_to(october_zh.out).as_posix() for p in october_zh.out.rglob("*")
               if p.is_file() and p.name != MANIFEST}
    assert set(manifest) == on_disk
    for name, digest in manifest.items():
        assert hashlib.sha256((october_zh.out / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("args,says", [
    (["--year", "2026", "--month", "2025-10"], "--month 2025-10 is not in --year 2026"),
    (["--year", "2026", "--month", "2026-13"], "--month 2026-13: not a month; use YYYY-MM"),
    (["--year", "2026", "--month", "oct"], "not a month"),
    (["--year", "2099"], "2099 has no whole day yet"),
    (["--year", "2026", "--lang", "fr"], "--lang fr: use zh or en"),
    (["--year", "1999"], "greater than or equal to 2000"),
])
def test_bad_requests_are_one_message_and_exit_1(city, tmp_path, args, says):
    from tests.civicwatt.disclose.conftest import disclose

    result = disclose(city.base_dir / "site.yaml", "--out", str(tmp_path / "o"), *args)
    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), \
        result.output
    assert says in result.output, result.output
    assert not (tmp_path / "o").exists()


def test_every_class_a_page_may_show_has_a_name_in_both_languages():
    from civicwatt.disclose.model import CLASS_KEYS, METRICS
    from civicwatt.disclose.text import WORDS

    for language in ("zh", "en"):
        missing = [k for k in (*CLASS_KEYS, *METRICS) if k not in WORDS[language]]
        assert not missing, (language, missing)


def test_the_html_is_well_formed(october_zh, year_en):
    """Every element a page opens is closed in order (a template slip would break layout in
    some browser, or a screen reader's table navigation)."""
    from html.parser import HTMLParser

    void = {"meta", "link", "br", "img", "hr", "input", "rect", "line"}

    class Balance(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []

        def handle_starttag(self, tag, attrs) -> None:
            if tag not in void:
                self.open.append(tag)

        def handle_startendtag(self, tag, attrs) -> None:
            pass

        def handle_endtag(self, tag) -> None:
            assert self.open and self.open[-1] == tag, (self.open[-3:], tag)
            self.open.pop()

    for generated in (october_zh, year_en):
        for name, page in generated.pages().items():
            parser = Balance()
            parser.feed(page)
            parser.close()
            assert parser.open == [], (name, parser.open)
