"""Store URLs: the backend each names, and clear errors for the ones that can't work."""

import re

import pytest

from store import StoreURLError, open_store
from store.sqlite import SQLiteStore


def test_no_url_means_embedded_sqlite_in_the_base_folder(tmp_path):
    store = open_store(None, base_dir=tmp_path)
    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path / "civicwatt.db"


def test_relative_path_is_sqlite_under_base(tmp_path):
    assert open_store("data/x.db", base_dir=tmp_path).path == tmp_path / "data/x.db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("influxdb1://127.0.0.1:8086", "names no database"),
        ("influxdb1://127.0.0.1:8086/", "names no database"),
        ("influxdb2://127.0.0.1:8086?org=o", "lacks bucket"),
        ("influxdb2://127.0.0.1:8086?org=o&bucket=b&token_env=NO_SUCH_TOKEN_VAR",
         "NO_SUCH_TOKEN_VAR"),
        ("postgres://u:secret@h/db", "unknown scheme 'postgres'"),
    ],
)
def test_bad_urls_say_what_and_how_to_fix(url, message):
    with pytest.raises(StoreURLError, match=message) as error:
        open_store(url)
    assert "secret" not in str(error.value)


def test_password_never_appears_in_description():
    store = open_store("influxdb1://admin:s3cret@127.0.0.1:8086/db")
    assert "s3cret" not in store.description
    assert store.description == "influxdb1://admin:***@127.0.0.1:8086/db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("influxdb1://h:80x/db", "store URL 'influxdb1://h:80x/db': Port could not be cast"),
        ("influxdb1://h:8086/db?batch=lots", "check the host, the port and the batch"),
        ("influxdb1:///db", "it names no host"),
        ("influxdb2://u:hunter2@h:8086?org=o&bucket=b&token_env=NO_SUCH_TOKEN_VAR", "***"),
    ],
)
def test_malformed_influx_urls_are_store_url_errors(url, message):
    with pytest.raises(StoreURLError, match=re.escape(message)) as error:
        open_store(url)
    assert "hunter2" not in str(error.value)
