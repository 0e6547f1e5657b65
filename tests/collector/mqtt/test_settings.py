"""The `mqtt:` settings reject bad config with messages naming the field and the fix."""

import pytest
from pydantic import ValidationError

from collector.mqtt.settings import MqttBinding, MqttSettings, Subscription


def test_protocol_may_be_written_as_a_number():
    assert MqttSettings(protocol=5).protocol == "5"
    assert MqttSettings(protocol="3.1.1").protocol == "3.1.1"


def test_defaults_are_a_persistent_qos1_v5_session():
    s = MqttSettings()
    assert (s.protocol, s.qos, s.host, s.port) == ("5", 1, "127.0.0.1", 1883)
    assert s.session_expiry > 0


def test_password_never_shows_in_repr():
    s = MqttSettings(username="meter", password="s3cret-value")
    assert "s3cret-value" not in repr(s) and "s3cret-value" not in str(s.model_dump())
    assert s.password.get_secret_value() == "s3cret-value"


@pytest.mark.parametrize(("fields", "needle"), [
    ({"url": "http://x:1883"}, "mqtt://"),
    ({"url": "mqtt://u:pw@x:1883"}, "password"),
    ({"group": "a/b"}, "one topic level"),
    ({"client_id": "a/b"}, "client id"),
    ({"surprise": 1}, "Extra inputs"),
    ({"subscriptions": [{"filter": "a/+"}, {"filter": "a/+"}]}, "listed twice"),
])
def test_bad_settings_name_the_problem(fields, needle):
    with pytest.raises(ValidationError, match=needle):
        MqttSettings(**fields)


@pytest.mark.parametrize(("sub", "needle"), [
    ({"filter": "a/#/b"}, "last one"),
    ({"filter": "a/b+"}, "whole level"),
    ({"filter": "$share/g/a"}, "group"),
    ({"filter": "a/+", "template": "a/{building}/x"}, "levels"),
    ({"filter": "a/+", "template": "a/{nope}"}, "unknown field"),
    ({"filter": "a/+", "template": "a/fixed"}, "name the level"),
    ({"filter": "a/+/+", "template": "a/{point}/{point}"}, "twice"),
    ({"filter": "a/+", "template": "b/{point}"}, "filter has 'a'"),
    ({"filter": "a/+", "quantity": "mass"}, "unknown quantity"),
    ({"filter": "a/+", "value_path": "a..b"}, "dotted path"),
])
def test_bad_subscriptions(sub, needle):
    with pytest.raises(ValidationError, match=needle):
        Subscription(**sub)


def test_tls_files_must_exist(tmp_path):
    settings = MqttSettings(tls={"ca_file": "missing.pem"})
    with pytest.raises(ValueError, match="missing.pem' does not exist"):
        settings.tls.resolved(tmp_path)
    (tmp_path / "ca.pem").write_text("x")
    tls = MqttSettings(tls={"ca_file": "ca.pem"}).tls.resolved(tmp_path)
    assert tls.ca_file == tmp_path / "ca.pem"
    with pytest.raises(ValidationError, match="both cert_file and key_file"):
        MqttSettings(tls={"cert_file": tmp_path / "c.pem"})


def test_shared_filter_and_binding():
    s = MqttSettings(group="collectors", subscriptions=[{"filter": "bms/#"}])
    assert s.subscribe_filter("bms/#") == "$share/collectors/bms/#"
    assert MqttBinding(topic="bms/b1/m1").value_path == "value"
    with pytest.raises(ValidationError, match="exact"):
        MqttBinding(topic="bms/+/m1")
