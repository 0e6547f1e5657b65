"""The `disclosure:` section in check-config, and a site that publishes nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from civicwatt.cli import app
from civicwatt.config import ConfigError
from tests.civicwatt.disclose.site import write_site


@pytest.mark.parametrize("disclosure,where,says", [
    ({"buildings": ["admin", "annex"]}, "disclosure.buildings[1]",
     "a building id of this site (admin, depot, library)"),
    ({"buildings": ["admin", "library", "admin"]}, "disclosure.buildings[2]", "listed once"),
    ({"enabled": True, "buildings": []}, "disclosure.buildings",
     "at least one building id when disclosure.enabled is true"),
    ({"enabled": "sometimes"}, "disclosure.enabled", "boolean"),
    ({"building": ["admin"]}, "disclosure.building", "unknown key"),
    ({"dir": ""}, "disclosure.dir", "at least 1 character"),
])
def test_check_config_names_disclosure_mistakes(tmp_path, disclosure, where, says):
    with pytest.raises(ConfigError) as caught:
        write_site(tmp_path, disclosure)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert where in text and says in text, text


def test_the_check_config_command_reports_an_unknown_building(tmp_path):
    with pytest.raises(ConfigError):
        write_site(tmp_path, {"buildings": ["nope"]})
    result = CliRunner().invoke(app, ["check-config", str(tmp_path / "site.yaml")])
    assert result.exit_code == 1 and "disclosure.buildings[0]" in result.output
    assert "Traceback" not in result.output


def test_a_site_that_lists_no_building_publishes_nothing(tmp_path):
    site = write_site(tmp_path, {})
    result = CliRunner().invoke(app, ["disclose", "--config", str(site.base_dir / "site.yaml"),
                                      "--year", "2025"])
    assert result.exit_code == 1 and "disclosure.buildings lists no building" in result.output
    assert not (tmp_path / "public").exists()


def test_the_default_out_is_the_folder_run_serves(city, tmp_path):
    site = write_site(tmp_path, {"buildings": ["library"], "dir": "www"})
    (tmp_path / "civicwatt.db").symlink_to(city.base_dir / "civicwatt.db")
    result = CliRunner().invoke(app, ["disclose", "--config", str(site.base_dir / "site.yaml"),
                                      "--year", "2025", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "www" / "buildings").iterdir()) == ["library.html"]


def test_a_store_that_does_not_answer_is_one_message_and_nothing_written(tmp_path):
    from tests.services import free_port

    site = write_site(tmp_path, {"buildings": ["admin"]})
    text = (tmp_path / "site.yaml").read_text()
    (tmp_path / "site.yaml").write_text(text.replace(
        "disclosure:", f"store:\n  url: influxdb1://127.0.0.1:{free_port()}/civicwatt\n"
                       "disclosure:"))
    result = CliRunner().invoke(app, ["disclose", "--config", str(site.base_dir / "site.yaml"),
                                      "--year", "2025", "--out", str(tmp_path / "www")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "the store did not answer" in result.output and "nothing was written" in \
        result.output
    assert not (tmp_path / "www").exists()
