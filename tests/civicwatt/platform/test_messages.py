"""The XML of profile gb-2008: built byte for byte as the reference writes it, read tolerantly."""

from __future__ import annotations

import math

import pytest

from civicwatt.platform import messages as m
from civicwatt.platform.messages import Ids, MessageError

IDS = Ids("330106A001", "01")
HEAD = ('<?xml version="1.0" encoding="utf-8"?><root><common><building_id>330106A001'
        '</building_id><gateway_id>01</gateway_id><type>{}</type></common>')
HOUR = 1736902800 * 10**9  # 2025-01-15 01:00 UTC = 09:00 Beijing


def test_handshake_and_heartbeat_messages_are_the_reference_text():
    assert m.request(IDS) == HEAD.format("request") + '<id_validate operation="request"/></root>'
    assert m.md5(IDS, "3663317827e99527320b06b759511959") == HEAD.format("md5") + (
        '<id_validate operation="md5"><md5>3663317827e99527320b06b759511959</md5>'
        "</id_validate></root>")
    assert m.notify(IDS) == HEAD.format("notify") + '<heart_beat operation="notify"/></root>'


def test_report_is_the_reference_example():
    text = m.data(IDS, "report", 1042, HOUR, {"01A00": "12.5", "01B00": "30.25"})
    assert text == HEAD.format("report") + (
        '<data operation="report"><sequence>1042</sequence><parser>yes</parser>'
        '<time>20250115090000</time><energy_items><energy_item code="01A00">12.5</energy_item>'
        '<energy_item code="01B00">30.25</energy_item></energy_items></data></root>')


def test_continuous_carries_total_and_current_after_time():
    text = m.data(IDS, "continuous", 7, HOUR, {"01000": "1"}, total=3, current=1)
    assert ('<data operation="continuous"><sequence>7</sequence><parser>yes</parser>'
            '<time>20250115090000</time><total>3</total><current>1</current><energy_items>'
            in text)
    assert "<type>continuous</type>" in text
    with pytest.raises(ValueError, match="total and current"):
        m.data(IDS, "continuous", 7, HOUR, {"01000": "1"})


def test_items_as_meters_sends_one_virtual_meter_per_code():
    text = m.data(IDS, "report", 5, HOUR, {"01000": "9", "01A10": "5.5"}, items_as="meters")
    assert ('<time>20250115090000</time><meter id="1"><function id="1" coding="01000" '
            'error="0">9</function></meter><meter id="2"><function id="1" coding="01A10" '
            'error="0">5.5</function></meter></data>') in text
    assert m.parse(text.encode()).items == (("01000", "9"), ("01A10", "5.5"))


@pytest.mark.parametrize(("value", "text"), [
    (12.5, "12.5"), (30.25, "30.25"), (100.0, "100"), (3.14159, "3.1416"), (0.00004, "0"),
    (-0.0, "0"), (-0.00004, "0"), (1e20, "100000000000000000000"), (2.5e-3, "0.0025"),
    (-7.125, "-7.125"),
])
def test_values_are_plain_decimals_with_at_most_four_places(value, text):
    assert m.format_value(value) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_values_must_be_finite(value):
    with pytest.raises(ValueError, match="not finite"):
        m.format_value(value)


def test_times_are_beijing_time_without_separators():
    assert m.beijing_time(HOUR) == "20250115090000"
    assert m.parse_beijing_time("20250115090000") == HOUR
    for bad in ("2025011509000", "2025-01-15 09", "20251315090000"):
        with pytest.raises(MessageError):
            m.parse_beijing_time(bad)


def test_server_replies_parse_as_the_reference_writes_them():
    challenge = m.parse((HEAD.format("sequence") + '<id_validate operation="sequence"><sequence>'
                         "837261004512</sequence></id_validate></root>").encode())
    assert (challenge.element, challenge.operation) == ("id_validate", "sequence")
    assert challenge.fields["sequence"] == "837261004512"
    ack = m.parse((HEAD.format("report_ack") + '<data operation="report_ack"><sequence>1042'
                   "</sequence><result>pass</result></data></root>").encode())
    assert ack.operation == "report_ack" and ack.number("sequence") == 1042
    assert ack.ids == IDS


def test_parse_tolerates_whitespace_unknown_children_and_a_missing_attribute():
    """quanxiaoxiao's style: indented, two <type>s, an extra <time> in the result."""
    text = b"""
<?xml version="1.0" encoding="utf-8" ?>
<root>
  <common>
    <building_id> 330106A001 </building_id>
    <gateway_id>01</gateway_id>
    <type>result</type>
    <type>time</type>
  </common>
  <id_validate>
    <result>pass</result>
    <time>20250115090000</time>
    <unknown><deep/></unknown>
  </id_validate>
</root>
"""
    message = m.parse(text)
    assert message.operation == "result"  # from <type>: no operation attribute
    assert message.fields == {"result": "pass", "time": "20250115090000"}
    assert message.ids == IDS


def test_parse_reads_both_item_forms_and_skips_an_empty_coding():
    text = (HEAD.format("report") + '<data operation="report"><sequence>1</sequence>'
            '<time>20250115090000</time><meter id="1"><function id="1" coding="01A10" error="0">'
            '5.5</function><function id="2" coding="" error="0">9</function></meter>'
            '<energy_items><energy_item code="01B00">2</energy_item></energy_items></data></root>')
    assert m.parse(text.encode()).items == (("01B00", "2"), ("01A10", "5.5"))


@pytest.mark.parametrize(("payload", "why"), [
    (b'<?xml version="1.0"?><!DOCTYPE root [<!ENTITY a "aaaa">]><root><common/>&a;</root>',
     "DTD"),
    (b"<root><common><type>x</type></common>", "well-formed"),
    (b"<other/>", "expected <root><common>"),
    (HEAD.format("request").encode() + b"</root>", "no operation element"),
])
def test_parse_refuses_what_is_not_a_message(payload, why):
    with pytest.raises(MessageError, match=why):
        m.parse(payload)


def test_text_is_escaped_in_what_we_build():
    text = m.md5(Ids("330106A001", "a<b&c"), "x")
    assert "<gateway_id>a&lt;b&amp;c</gateway_id>" in text
    assert m.parse(text.encode()).ids.gateway_id == "a<b&c"
