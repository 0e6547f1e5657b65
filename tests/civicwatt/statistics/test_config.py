"""Building metadata in the site config and `civicwatt buildings import`: every mistake named
by file, line and field; old configs stay valid."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from typer.testing import CliRunner

from civicwatt.cli import app
from civicwatt.config import ConfigError, load_site
from civicwatt.config.buildings import check_building_metadata
from civicwatt.config.site import Building
from tests.civicwatt.statistics.site import write_site
from tests.civicwatt.test_config import EXAMPLE


def site_with(tmp_path, **changes) -> list:
    """Problems of the fixture site with building b1's keys changed."""
    site = write_site(tmp_path)
    data = yaml.safe_load((site.base_dir / "site.yaml").read_text())
    data["buildings"][0].update(changes.pop("b1", {}))
    data.update(changes)
    (site.base_dir / "site.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    try:
        load_site(site.base_dir / "site.yaml")
    except ConfigError as exc:
        return [(p.path, p.allowed) for p in exc.problems]
    return []


def test_the_example_and_old_configs_stay_valid():
    site = load_site(EXAMPLE)
    assert site.targets.kgce_per_m2 == 0.05 and site.statistics.schedule == ["month", "quarter",
                                                                             "year"]


@pytest.mark.parametrize("changes,path,why", [
    ({"b1": {"type": "zoo"}}, "buildings[0].type", "'office', 'mall'"),
    ({"b1": {"cooled_area_m2": 20000}}, "buildings[0].cooled_area_m2", "at most floor_area_m2"),
    ({"b1": {"quota": {"kgce_per_m2": {"constraint": 5, "guide": 9}}}},
     "buildings[0].quota.kgce_per_m2", "guide value is the stricter"),
    ({"b1": {"quota": {"kgce_per_m3": {"constraint": 5}}}}, "buildings[0].quota.kgce_per_m3",
     "unknown key"),
    ({"b1": {"baseline_year": 2019, "baseline": {"kind": "own", "year": 2020,
                                                 "kgce_per_m2": 9}}},
     "buildings[0].baseline_year", "baseline.year says 2020"),
    ({"statistics": {"quotas": {"hotel": {"kgce_per_m2": {"constraint": 50}}}}},
     "statistics.quotas.hotel", "no building has type hotel"),
    ({"targets": {"base_year": 2025, "target_year": 2020}}, "targets",
     "must be after base_year"),
])
def test_bad_metadata_is_named(tmp_path, changes, path, why):
    found = site_with(tmp_path, **changes)
    assert any(p.startswith(path) and why in allowed for p, allowed in found), found


def test_aliases_and_platform_letters_map_to_types(tmp_path):
    assert site_with(tmp_path, b1={"type": "hospital"}) == []
    b = Building(id="x", floor_area_m2=10, occupants=1, type="D")
    assert b.type == "education"
    platform = SimpleNamespace(buildings={"x": "330302A110"})
    (found,) = check_building_metadata({0: b}, platform, None)
    assert found[0] == ("buildings", 0, "type") and "use type: office" in found[2]
    assert check_building_metadata({0: b}, SimpleNamespace(buildings={"x": "330302D110"}),
                                   None) == []


CSV = ("id,name,institution,type,floor_area_m2,heated_area_m2,occupants,baseline_year,"
       "quota_kgce_per_m2_constraint,quota_kgce_per_m2_guide,quota_source\n"
       "hq.a,一号办公楼,财政局,office,12000,,450,2020,12.5,9.8,浙江省定额\n"
       "hq.s,实验小学,教育局,school,8000,8000,900,,,,\n")


def test_import_writes_yaml_a_site_config_loads(tmp_path):
    (tmp_path / "b.csv").write_text(CSV, encoding="utf-8-sig")
    done = CliRunner().invoke(app, ["buildings", "import", str(tmp_path / "b.csv")])
    assert done.exit_code == 0, done.output
    buildings = yaml.safe_load(done.stdout)["buildings"]
    assert buildings[0] == {"id": "hq.a", "name": "一号办公楼", "floor_area_m2": 12000.0,
                            "occupants": 450, "institution": "财政局", "type": "office",
                            "quota": {"kgce_per_m2": {"constraint": 12.5, "guide": 9.8},
                                      "source": "浙江省定额"}, "baseline_year": 2020}
    assert buildings[1]["type"] == "education" and buildings[1]["heated_area_m2"] == 8000
    assert "2 buildings, 2 institutions, types: education, office" in done.stderr
    site = write_site(tmp_path / "site")
    data = yaml.safe_load((site.base_dir / "site.yaml").read_text())
    data["buildings"] += buildings
    (site.base_dir / "site.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    assert [b.id for b in load_site(site.base_dir / "site.yaml").buildings][-2:] == [
        "hq.a", "hq.s"]


def test_import_accepts_gb18030_from_excel(tmp_path):
    (tmp_path / "b.csv").write_bytes(CSV.encode("gb18030"))
    done = CliRunner().invoke(app, ["buildings", "import", str(tmp_path / "b.csv")])
    assert done.exit_code == 0 and "实验小学" in done.stdout


@pytest.mark.parametrize("text,problems", [
    ("id,floor_area_m2,occupants,colour\nx,1,1,red\n", ["1: header = ['colour'] — unknown"]),
    ("id,name\nx,y\n", ["1: header = ['floor_area_m2', 'occupants'] — required"]),
    ("id,floor_area_m2,occupants\n", ["rows — no building rows"]),
    ("id,type,floor_area_m2,occupants\nx,zoo,-5,2\nx,office,5,many\nx,office,5,2\nx,A,5,2\n",
     ["2: type = 'zoo'", "2: floor_area_m2 = '-5' — Input should be greater than 0",
      "3: occupants = 'many'", "5: id = 'x' — already used on line 4"]),
    ("id,floor_area_m2,occupants,quota_kgce_per_m2_guide,quota_kgce_per_m2_constraint\n"
     "x,5,2,9,5\n", ["2: quota_kgce_per_m2_constraint/guide"]),
])
def test_import_names_every_bad_row_and_writes_nothing(tmp_path, text, problems):
    (tmp_path / "b.csv").write_text(text)
    out = tmp_path / "out.yaml"
    done = CliRunner().invoke(app, ["buildings", "import", str(tmp_path / "b.csv"),
                                    "--out", str(out)])
    assert done.exit_code == 1 and not out.exists()
    assert "Traceback" not in done.output
    for problem in problems:
        assert f"b.csv:{problem}" in done.stderr or problem in done.stderr, done.stderr
    assert f"{len(problems)} problem(s)" in done.stderr


def test_import_does_not_overwrite_without_force(tmp_path):
    (tmp_path / "b.csv").write_text(CSV)
    (tmp_path / "out.yaml").write_text("keep")
    done = CliRunner().invoke(app, ["buildings", "import", str(tmp_path / "b.csv"), "--out",
                                    str(tmp_path / "out.yaml")])
    assert done.exit_code == 1 and "--force" in done.stderr
    assert (tmp_path / "out.yaml").read_text() == "keep"
    missing = CliRunner().invoke(app, ["buildings", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "cannot read it" in missing.stderr
