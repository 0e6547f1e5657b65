"""`civicwatt apikey create|list|revoke`: the JSON contract, what is stored, and every mistake a
user can make named with an exit code 1 and no traceback."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from typer.testing import CliRunner

from civicwatt.api.keys import KEY_PATTERN, KeyStore, Verifier
from civicwatt.cli import app
from tests.civicwatt.api.site import write_site


@pytest.fixture
def config(tmp_path):
    write_site(tmp_path)
    return str(tmp_path / "site.yaml")


def civicwatt(*args: str):
    return CliRunner().invoke(app, list(args))


def test_create_prints_the_key_once_and_stores_only_its_hash(config, tmp_path):
    made = civicwatt("apikey", "create", "--config", config, "--name", "bureau portal",
                     "--scope", "read", "--json")
    assert made.exit_code == 0, made.output
    doc = json.loads(made.stdout)
    assert {"name": "bureau portal", "scope": "read"}.items() <= doc.items()
    assert KEY_PATTERN.match(doc["key"]) and doc["expires_at"] is None
    stored = sqlite3.connect(tmp_path / "state.db").execute("SELECT * FROM api_keys").fetchall()
    assert len(stored) == 1 and doc["key"] not in repr(stored)
    assert stored[0][3].startswith("$argon2id$")
    outcome = Verifier(KeyStore(tmp_path / "state.db")).verify(doc["key"])
    assert outcome.reason == "ok" and outcome.key.name == "bureau portal"


def test_a_key_made_while_the_service_runs_works_at_once(tmp_path):
    """The verifier re-reads the table every second; a key it does not know yet is looked up
    at once, so `apikey create` then a request is never a 401."""
    keys = KeyStore(tmp_path / "state.db")
    verifier = Verifier(keys, refresh_s=3600)
    first = keys.create("portal", ["read"], None)[1]
    assert verifier.verify(first).reason == "ok"  # the first request reads the table
    second = keys.create("school", ["read:building:b1"], None)[1]
    time.sleep(Verifier.UNKNOWN_REFRESH_S)
    assert verifier.verify(second).reason == "ok"
    assert verifier.verify("cw_000000000000_" + "x" * 43).reason == "unknown"


def test_scopes_expiry_list_and_revoke(config):
    made = civicwatt("apikey", "create", "--config", config, "--name", "auditor", "--scope",
                     "read:building:b1", "--scope", "write:readings", "--expires", "2099-01-01",
                     "--json")
    doc = json.loads(made.stdout)
    assert doc["scope"] == "read:building:b1 write:readings"
    assert doc["expires_at"] == "2099-01-01T00:00+08:00"  # the site's midnight
    listed = json.loads(civicwatt("apikey", "list", "--config", config, "--json").stdout)
    assert [(k["name"], k["status"]) for k in listed["keys"]] == [("auditor", "active")]
    assert doc["key"] not in json.dumps(listed)
    assert civicwatt("apikey", "revoke", "--config", config, "--name", "auditor").exit_code == 0
    listed = json.loads(civicwatt("apikey", "list", "--config", config, "--json").stdout)
    assert listed["keys"][0]["status"] == "revoked" and listed["keys"][0]["revoked_at"]
    table = civicwatt("apikey", "list", "--config", config)
    assert "auditor" in table.stdout and "revoked" in table.stdout


@pytest.mark.parametrize("args,says", [
    (["--scope", "admin"], "--scope 'admin': use read, read:building:ID"),
    (["--scope", "read:building:b9"], "no building 'b9' in the site; buildings: b1, b2"),
    (["--scope", "read", "--expires", "2020-01-01"], "is not in the future"),
    (["--scope", "read", "--expires", "next week"], "write a local date YYYY-MM-DD"),
    (["--scope", "read", "--name", "bad\nname"], "1 to 64 printable characters"),
])
def test_create_mistakes_are_named(config, args, says):
    base = ["apikey", "create", "--config", config]
    result = civicwatt(*base, *(args if "--name" in args else ["--name", "x", *args]))
    assert result.exit_code == 1
    assert says in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_names_are_unique_among_active_keys_and_revoke_names_what_exists(config):
    assert civicwatt("apikey", "create", "--config", config, "--name", "p", "--scope",
                     "read").exit_code == 0
    again = civicwatt("apikey", "create", "--config", config, "--name", "p", "--scope", "read")
    assert again.exit_code == 1 and "already named 'p'" in again.output
    missing = civicwatt("apikey", "revoke", "--config", config, "--name", "q")
    assert missing.exit_code == 1 and "no active key named 'q'; active keys: p" in missing.output
