"""GET /api/v1/buildings/{id}/energy over real HTTP on the SQLite store: sums, own shares by
sub-item and zone, filters, intervals, the old schema, and the range limits.

Per local day the fixture's meters give: b1.main 960 kWh with sub-meters light 288 and hvac
384, hvac's sub-meter dc 96; water 48 m3; each TOU period a third of the day.
"""

from __future__ import annotations

import pytest

from tests.civicwatt.api.conftest import serve

PATH = "/api/v1/buildings/b1/energy"


def rows(served, key, **params):
    response = served.get(PATH, key, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def amounts(doc, *labels):
    return {tuple(r[k] for k in ("start", "class", *labels)): r["amount"] for r in doc["rows"]}


def test_daily_energy_for_a_month_is_each_class_per_local_day(served, reader):
    doc = rows(served, reader, **{"from": "2026-10-01", "to": "2026-11-01"})
    assert doc["interval"] == "day" and doc["timezone"] == "Asia/Shanghai"
    assert doc["cost_unit"] == "x_flat_price"  # the Beijing tariff's ratios, no base price
    assert (doc["from"], doc["to"], doc["by"]) == ("2026-10-01", "2026-11-01", ["class"])
    electricity = [r for r in doc["rows"] if r["class"] == "electricity"]
    assert len(electricity) == 31
    assert electricity[0] == {"start": "2026-10-01T00:00:00+08:00",
                              "end": "2026-10-02T00:00:00+08:00", "class": "electricity",
                              "unit": "kWh", "amount": 960.0, "cost": 480.0, "co2_kg": 576.0,
                              "kgce": pytest.approx(117.984)}
    water = [r for r in doc["rows"] if r["class"] == "water"]
    assert {r["amount"] for r in water} == {48.0} and water[0]["unit"] == "m3"
    totals = {t["class"]: t["amount"] for t in doc["totals"]}
    assert totals == {"electricity": 960.0 * 31, "water": 48.0 * 31}


def test_sub_items_and_zones_take_each_meters_own_share(served, reader):
    doc = rows(served, reader, **{"from": "2026-10-02", "to": "2026-10-03",
                                  "by": ["purpose", "zone"], "class": "electricity"})
    day = "2026-10-02T00:00:00+08:00"
    assert amounts(doc, "purpose", "zone") == {
        (day, "electricity", "01000", "b1"): 288.0, (day, "electricity", "01A10", "b1.f1"): 288.0,
        (day, "electricity", "01B10", "b1.f2"): 288.0,
        (day, "electricity", "01D10", "b1.f2.dc"): 96.0}
    assert sum(r["amount"] for r in doc["rows"]) == 960.0  # adds up to the main meter


@pytest.mark.parametrize("params,expected", [
    ({"zone": "b1.f2"}, 384.0),  # the floor and the data room nested in it
    ({"zone": "b1.f2.dc"}, 96.0),
    ({"purpose": "01A00"}, 288.0),  # 01A10 lies under 01A00
    ({"purpose": "01B00"}, 288.0),  # hvac's own share; the data room is 01D10
    ({"period": "peak"}, 320.0),
    ({"class": "water"}, 48.0),
])
def test_filters(served, reader, params, expected):
    doc = rows(served, reader, **{"from": "2026-10-05", "to": "2026-10-06", **params})
    assert [r["amount"] for r in doc["rows"]] == [expected]


def test_periods_hours_and_months(served, reader):
    by_period = rows(served, reader, **{"from": "2026-10-05", "to": "2026-10-06",
                                        "by": "period", "class": "electricity"})
    assert {r["period"]: r["amount"] for r in by_period["rows"]} == {
        "valley": 320.0, "flat": 320.0, "peak": 320.0}
    hours = rows(served, reader, **{"from": "2026-10-05", "to": "2026-10-06",
                                    "interval": "hour", "class": "electricity"})
    assert len(hours["rows"]) == 24 and {r["amount"] for r in hours["rows"]} == {40.0}
    assert hours["rows"][1]["start"] == "2026-10-05T01:00:00+08:00"
    month = rows(served, reader, **{"from": "2026-09-01", "to": "2026-12-01",
                                    "interval": "month"})
    assert amounts(month) == {("2026-10-01T00:00:00+08:00", "electricity"): 29760.0,
                              ("2026-10-01T00:00:00+08:00", "water"): 1488.0}
    assert month["rows"][0]["end"] == "2026-11-01T00:00:00+08:00"


def test_rows_metered_before_energy_classes_count_as_their_purposes_class(tmp_path):
    server, served = serve(tmp_path, days=2, classes=False)
    try:
        key = served.key("read")
        doc = rows(served, key, **{"from": "2026-10-01", "to": "2026-10-02"})
    finally:
        server.stop()
        served.store.close()
    electricity = [r for r in doc["rows"] if r["class"] == "electricity"]
    assert [r["amount"] for r in electricity] == [960.0]  # `kwh` stands in for `amount`
    assert {r["class"] for r in doc["rows"]} <= {"electricity", "water"}


@pytest.mark.parametrize("params,says", [
    ({"from": "2026-01-01", "to": "2027-01-01", "interval": "15m"},
     "interval=15m covers at most 31 days per request; 2026-01-01 to 2027-01-01 is 365 days"),
    ({"from": "2026-01-01", "to": "2026-06-01", "interval": "hour"}, "at most 92 days"),
    ({"from": "2020-01-01", "to": "2026-01-01", "interval": "day"}, "at most 732 days"),
    ({"from": "2026-10-02", "to": "2026-10-02"}, "to (2026-10-02) must be after from"),
    ({"from": "2026-10-32", "to": "2026-11-01"}, "query.from"),
    ({"to": "2026-11-01"}, "query.from: Field required"),
    ({"from": "2026-10-01", "to": "2026-11-01", "interval": "week"}, "query.interval"),
    ({"from": "2026-10-01", "to": "2026-11-01", "by": "colour"}, "query.by"),
    ({"from": "2026-10-01", "to": "2026-11-01", "class": "steam"},
     "class='steam' is not a class of this site"),
    ({"from": "2026-10-01", "to": "2026-11-01", "zone": "b2"},
     "zone='b2' is not a zone of building 'b1'"),
    ({"from": "2026-10-01", "to": "2026-11-01", "purpose": "09Z99"}, "purpose='09Z99'"),
    ({"from": "2026-10-01", "to": "2026-11-01", "period": "noon"},
     "period='noon' is not a period of this site; one of"),
])
def test_bad_requests_are_400_and_say_what_to_change(served, reader, params, says):
    response = served.get(PATH, reader, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.json()["detail"]
