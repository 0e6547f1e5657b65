"""`civicwatt platform …` refuses bad input with one clear line and exit 1, never a traceback."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from civicwatt.cli import app
from tests.civicwatt.platform import demo_hours


@pytest.fixture
def config(demo_config, monkeypatch):
    monkeypatch.setenv("PLATFORM_KEY", demo_hours.KEY)
    return demo_config


def run(*args: str):
    result = CliRunner().invoke(app, ["platform", *args], env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    return result


@pytest.mark.parametrize(("args", "said"), [
    (("--from", "2026-03-03", "--to", "2026-03-02"), "--to 2026-03-02 is before --from"),
    (("--from", "3/2/2026", "--to", "2026-03-02"), "--from '3/2/2026': write a local date as "
                                                   "YYYY-MM-DD"),
    (("--from", "2020-01-01", "--to", "2020-01-02"), "no metered hours for 2020-01-01 … "
                                                     "2020-01-02"),
])
def test_bad_push_arguments(config, args, said):
    result = run("push", "--config", str(config), *args)
    assert result.exit_code == 1
    assert said in " ".join(result.output.split())


def test_commands_need_a_platform_section(config, tmp_path):
    data = yaml.safe_load(config.read_text())
    data.pop("platform")
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(data, allow_unicode=True))
    for command in (["status"], ["push", "--from", "2026-03-02", "--to", "2026-03-02"]):
        result = run(command[0], "--config", str(bare), *command[1:])
        assert result.exit_code == 1 and "no `platform:` section" in result.output


def test_serve_refuses_a_bad_md5_order_and_a_key_aes_cannot_use(tmp_path):
    result = run("serve", "--port", "0", "--key", "k", "--out", str(tmp_path / "o"),
                 "--md5-order", "key-seq")
    assert result.exit_code == 1 and "use seq+key or key+seq" in result.output
    result = run("serve", "--port", "0", "--key", "short", "--out", str(tmp_path / "o"),
                 "--encrypt")
    assert result.exit_code == 1 and "AES needs a 16-character --key or an --aes-key" in \
        result.output

