"""`civicwatt readings template|import|list|void` as a user runs them: the Excel template, all-
or-nothing imports that name every bad row, corrections that supersede without erasing,
voids, re-imports that change nothing, and the append-only audit."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from openpyxl import load_workbook

from civicwatt.readings.audit import AuditLog
from collector.spool import Spool
from store import open_store
from tests.civicwatt.readings_site import listed, make_site, run, write_csv


def store_values(folder, point="water", quantity="water"):
    store = open_store(None, folder)
    try:
        return store.read_raw(quantity, 0, 2**62, [point]).of(point)[1].tolist()
    finally:
        store.close()


def test_template_round_trips_through_openpyxl_and_imports(tmp_path):
    site = make_site(tmp_path)
    out = tmp_path / "t.xlsx"
    res = run("template", "--config", str(site), "--out", str(out))
    assert res.returncode == 0, res.stderr
    book = load_workbook(out)
    readings, bills, points, help_sheet = book.worksheets
    assert [c.value for c in readings[1]] == ["point", "timestamp", "value", "note"]
    assert [c.value for c in bills[1]] == ["point", "from", "to", "amount", "cost", "note"]
    assert [r[0] for r in points.iter_rows(min_row=2, values_only=True)] == [
        "water", "gas", "heat"]  # the manual points
    rule = readings.data_validations.dataValidation[0]
    assert rule.type == "list" and "A2:A5000" in str(rule.sqref) and "$A$2:$A$4" in rule.formula1
    assert "抄表" in help_sheet["A2"].value  # the site's language (zh)
    readings.append(["water", "2026-10-01T00:00+08:00", 100, None])
    readings.append(["water", "2026-11-01T00:00+08:00", 410, "月抄表"])
    bills.append(["heat", dt.date(2026, 10, 1), dt.date(2026, 10, 10), 20, 1000, None])  # cells
    book.save(out)
    res = run("import", str(out), "--config", str(site), "--user", "alice", "--reason", "walk")
    assert res.returncode == 0, res.stderr
    got = listed(site)
    assert [(r["point"], r["value"], r["status"], r["user"], r["reason"]) for r in got] == [
        ("heat", 20.0, "active", "alice", "walk"), ("water", 100.0, "active", "alice", "walk"),
        ("water", 410.0, "active", "alice", "walk")]
    assert set(got[1]) >= {"point", "timestamp", "value", "source", "status", "user", "reason",
                           "entered_at", "note"}
    assert got[2]["note"] == "月抄表" and got[2]["timestamp"] == "2026-11-01T00:00:00+08:00"
    assert got[0]["to"] == "2026-10-11T00:00:00+08:00" and got[0]["cost"] == 1000.0
    assert store_values(tmp_path) == [100.0, 410.0]


def test_template_in_english_and_for_chosen_points(tmp_path):
    site = make_site(tmp_path, lang="en")
    out = tmp_path / "t.xlsx"
    assert run("template", "--config", str(site), "--out", str(out), "--points",
               "main,water").returncode == 0
    book = load_workbook(out)
    assert book.sheetnames == ["readings", "bills", "points", "instructions"]
    assert [r[0] for r in book["points"].iter_rows(min_row=2, values_only=True)] == [
        "main", "water"]
    res = run("template", "--config", str(site), "--out", str(out), "--points", "nope")
    assert res.returncode == 1 and "nope" in res.stderr


def test_one_bad_row_imports_nothing_and_every_problem_names_sheet_and_row(tmp_path):
    site = make_site(tmp_path)
    csv = write_csv(tmp_path / "r.csv", "point,timestamp,value,note\n"
                    "water,2026-10-01T00:00+08:00,100,\n"
                    "wtaer,2026-10-02T00:00+08:00,101,\n"
                    "water,2026-10-03T00:00+08:00,1O2,\n"
                    "water,yesterday,103,\n"
                    "temp,2026-10-05T00:00+08:00,20,\n"
                    "water,2026-10-01T00:00+08:00,104,\n")
    res = run("import", str(csv), "--config", str(site), "--user", "a", "--reason", "r")
    assert res.returncode == 1
    err = " ".join(res.stderr.split())
    assert "5 problem(s); nothing imported" in err
    assert "sheet 'r.csv' row 3: point 'wtaer' is not in the site config" in err
    assert "row 4: value '1O2' is not a number" in err
    assert "row 5: timestamp 'yesterday' is not a time" in err
    assert "row 6: point 'temp' measures temperature" in err
    assert "row 7: point water at the same time as sheet 'r.csv' row 2" in err
    assert listed(site) == [] and store_values(tmp_path) == []


def test_bad_rows_in_a_workbook_name_the_sheet(tmp_path):
    site = make_site(tmp_path, lang="en")
    out = tmp_path / "t.xlsx"
    run("template", "--config", str(site), "--out", str(out))
    book = load_workbook(out)
    book["bills"].append(["heat", "2026-10-10", "2026-10-01", 20, None, None])
    book["bills"].append(["heat", "2026-10-01", "2026-10-31", -5, "lots", None])
    book.save(out)
    res = run("import", str(out), "--config", str(site), "--user", "a", "--reason", "r")
    err = " ".join(res.stderr.split())
    assert res.returncode == 1
    assert "sheet 'bills' row 2: to (2026-10-01) is not after from" in err
    assert "sheet 'bills' row 3: amount -5 is negative" in err
    assert "sheet 'bills' row 3: cost 'lots' is not a number" in err


def test_a_counter_going_backwards_needs_reset_in_the_note(tmp_path):
    site = make_site(tmp_path)
    first = write_csv(tmp_path / "a.csv", "point,timestamp,value\nwater,2026-10-01 08:00,500\n")
    res = run("import", str(first), "--config", str(site), "--user", "a", "--reason", "r")
    assert res.returncode == 0, res.stderr
    assert "read in the site's timezone Asia/Shanghai" in " ".join(res.stderr.split())
    back = write_csv(tmp_path / "b.csv", "point,timestamp,value,note\n"
                     "water,2026-11-01T08:00+08:00,20,\n")
    res = run("import", str(back), "--config", str(site), "--user", "a", "--reason", "r")
    err = " ".join(res.stderr.split())
    assert res.returncode == 1 and "row 2: value 20 is below the reading before it (500" in err
    assert "write 'reset' in the note" in err
    reset = write_csv(tmp_path / "c.csv", "point,timestamp,value,note\n"
                      "water,2026-11-01T08:00+08:00,20,new meter (reset)\n", bom=True)
    res = run("import", str(reset), "--config", str(site), "--user", "a", "--reason", "r")
    assert res.returncode == 0, res.stderr
    earlier = write_csv(tmp_path / "d.csv", "point,timestamp,value\n"
                        "water,2026-09-01T08:00+08:00,900\n")
    res = run("import", str(earlier), "--config", str(site), "--user", "a", "--reason", "r")
    assert res.returncode == 1 and "above the next reading (500" in " ".join(res.stderr.split())


def test_a_correction_supersedes_without_erasing_and_a_void_keeps_the_audit(tmp_path):
    site = make_site(tmp_path)
    a = write_csv(tmp_path / "a.csv", "point,timestamp,value\nwater,2026-10-01T00:00+08:00,100\n"
                  "water,2026-11-01T00:00+08:00,410\n")
    assert run("import", str(a), "--config", str(site), "--user", "alice",
               "--reason", "walk").returncode == 0
    b = write_csv(tmp_path / "b.csv", "point,timestamp,value,note\n"
                  "water,2026-11-01T00:00+08:00,401,typo 410\n")
    res = run("import", str(b), "--config", str(site), "--user", "bob", "--reason", "typo")
    assert res.returncode == 0 and "supersedes reading water" in res.stdout
    got = [(r["value"], r["status"], r["user"], r["reason"], (r.get("changed") or {}).get("user"))
           for r in listed(site, "--point", "water")]
    assert got == [(100.0, "active", "alice", "walk", None),
                   (410.0, "superseded", "alice", "walk", "bob"),
                   (401.0, "active", "bob", "typo", None)]
    assert store_values(tmp_path) == [100.0, 401.0]
    res = run("void", "--config", str(site), "--point", "water", "--at",
              "2026-11-01T00:00+08:00", "--user", "carol", "--reason", "wrong meter")
    assert res.returncode == 0, res.stderr
    assert "earlier value 410" in res.stdout  # the correction undone: the previous value is back
    statuses = [(r["value"], r["status"]) for r in listed(site, "--point", "water")]
    assert statuses == [(100.0, "active"), (410.0, "active"), (401.0, "void")]
    assert store_values(tmp_path) == [100.0, 410.0]
    assert run("void", "--config", str(site), "--point", "water", "--at",
               "2026-11-01T00:00+08:00", "--user", "carol", "--reason", "gone").returncode == 0
    assert [r["status"] for r in listed(site, "--point", "water")] == ["active", "void", "void"]
    assert store_values(tmp_path) == [100.0]  # out of the store, still in the audit
    res = run("void", "--config", str(site), "--point", "water", "--at",
              "2026-11-01T00:00+08:00", "--user", "carol", "--reason", "again")
    assert res.returncode == 1 and "no active reading or bill of water" in res.stderr
    dirty = Spool(tmp_path / "spool.db").dirty_ranges()
    assert {r.reason for r in dirty} == {"import", "void"}


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    site = make_site(tmp_path)
    a = write_csv(tmp_path / "a.csv", "point,timestamp,value\nwater,2026-10-01T00:00+08:00,100\n")
    assert run("import", str(a), "--config", str(site), "--user", "a",
               "--reason", "r").returncode == 0
    before = listed(site)
    spool = Spool(tmp_path / "spool.db")
    dirty = spool.dirty_ranges()
    res = run("import", str(a), "--config", str(site), "--user", "b", "--reason", "again")
    assert res.returncode == 0 and "imported 0 change(s)" in res.stdout
    assert listed(site) == before and spool.dirty_ranges() == dirty
    assert store_values(tmp_path) == [100.0]


def test_dry_run_writes_nothing(tmp_path):
    site = make_site(tmp_path)
    a = write_csv(tmp_path / "a.csv", "point,timestamp,value\nwater,2026-10-01T00:00+08:00,100\n")
    res = run("import", str(a), "--config", str(site), "--user", "a", "--reason", "r",
              "--dry-run")
    assert res.returncode == 0 and "would add reading water" in res.stdout
    assert listed(site) == [] and store_values(tmp_path) == []


@pytest.mark.parametrize(("args", "says"), [
    (["--user", " "], "--user is empty"),
    (["--file", "missing.csv"], "no such file"),
    (["--file", "x.pdf"], "give an Excel workbook (.xlsx) or a CSV file"),
    (["--file", "latin1.csv"], "not UTF-8"),
    (["--file", "nohead.csv"], "no sheet starts with the columns"),
])
def test_unusable_input_is_one_clear_error(tmp_path, args, says):
    site = make_site(tmp_path)
    (tmp_path / "x.pdf").write_text("%PDF")
    (tmp_path / "latin1.csv").write_bytes("point,timestamp,value\nwater,2026-10-01,1,\xe9\n"
                                          .encode("latin-1"))
    (tmp_path / "nohead.csv").write_text("water,2026-10-01,1\n")
    file = str(tmp_path / (args[1] if args[0] == "--file" else "nohead.csv"))
    user = args[1] if args[0] == "--user" else "a"
    res = run("import", file, "--config", str(site), "--user", user, "--reason", "r")
    assert res.returncode == 1 and says in " ".join(res.stderr.split())


def test_the_audit_is_append_only(tmp_path):
    audit = AuditLog(tmp_path / "spool.db")
    from civicwatt.readings.audit import NewEntry
    with audit.transaction() as tx:
        tx.add(NewEntry("reading", "water", 1, 2.0), "import", "a", "r")
    for sql in ("UPDATE manual_entries SET value = 3", "DELETE FROM manual_entries"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            audit._db.execute(sql)
    assert [e.value for e in audit.entries()] == [2.0]
    audit.close()


UNITS = {"energy": ("kWh", "01000"), "water": ("m3", "02000"), "gas": ("m3", "03000"),
         "heat": ("GJ", "04000"), "cooling": ("GJ", "05000"), "diesel": ("kg", "06000"),
         "coal": ("kg", "06000"), "pv": ("kWh", "")}


def test_check_config_accepts_a_manual_point_of_any_class_and_names_a_bad_one(tmp_path):
    from tests.civicwatt.test_meter_command import civicwatt
    site = make_site(tmp_path)
    text = site.read_text().replace("points:\n", "points:\n" + "".join(
        f"  - {{id: m.{q}, building: b1, quantity: {q}, unit: {u}, purpose: '{c}', "
        "manual: {}}\n" for q, (u, c) in UNITS.items()))
    site.write_text(text)
    res = civicwatt("check-config", str(site))
    assert res.returncode == 0, res.stdout + res.stderr
    site.write_text(text.replace("manual: {profile: main}", "manual: {profile: mian}"))
    res = civicwatt("check-config", str(site))
    assert res.returncode == 1 and "mian" in res.stdout + res.stderr
    site.write_text(text.replace("manual: {profile: main}",
                                 "manual: {}, mqtt: {topic: a/b}"))
    res = civicwatt("check-config", str(site))
    assert res.returncode == 1 and "one source" in res.stdout + res.stderr


def test_fill_and_list_refuse_bad_input_cleanly(tmp_path):
    site = make_site(tmp_path)
    base = ["--config", str(site), "--user", "ops", "--reason", "offline"]
    res = run("fill", "--point", "main", "--from", "2026-10-01T06:00", "--to",
              "2026-10-01T18:00", *base)
    assert res.returncode == 1 and "needs a reading at or before --from" in res.stderr
    res = run("fill", "--point", "main", "--from", "2026-10-01", "--to", "2026-10-02",
              "--method", "cubic", *base)
    assert res.returncode == 1 and "--method 'cubic': use linear or profile" in res.stderr
    res = run("fill", "--point", "temp", "--from", "2026-10-01", "--to", "2026-10-02", *base)
    assert res.returncode == 1 and "not a counter" in res.stderr
    res = run("list", "--config", str(site), "--point", "nope")
    assert res.returncode == 1 and "--point 'nope' is not in the site config" in res.stderr
    res = run("list", "--config", str(site), "--from", "01/10/2026")
    assert res.returncode == 1 and "YYYY-MM-DD" in res.stderr
    res = run("void", "--config", str(site), "--point", "water", "--at", "noon",
              "--user", "a", "--reason", "r")
    assert res.returncode == 1 and "--at 'noon'" in res.stderr
