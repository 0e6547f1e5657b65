"""Payload parsing and the decoder: every good reading becomes one line, every bad one a reason."""

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.lines import parse_line
from collector.mqtt import payload as P
from collector.mqtt.decode import Decoder, PointInfo
from collector.mqtt.settings import MqttBinding, MqttSettings

NOW = 1_795_000_000 * 10**9  # 2026-11-18, a fixed clock
SUBS = [{"filter": "site/+/meter/+/+", "template": "site/{building}/meter/{point}/{quantity}"}]
V, T = ("value",), ("ts",)


def decoder(**kw) -> Decoder:
    points = [PointInfo("hq.t1", "temperature", {"building": "hq", "zone": "f3"}, -20, 60,
                        MqttBinding(topic="legacy/t1", value_path="d.t", ts_path="d.time")),
              PointInfo("hq.e2", "energy", {"building": "hq"},
                        mqtt=MqttBinding(topic="legacy/e2", scale=0.001))]
    return Decoder(MqttSettings(subscriptions=SUBS, **kw), points, site="demo")


@pytest.mark.parametrize(("ts", "ns"), [
    (1_795_000_000, 1_795_000_000 * 10**9),
    (1_795_000_000_123, 1_795_000_000_123 * 10**6),
    (1_795_000_000_123_456, 1_795_000_000_123_456 * 10**3),
    (1_795_000_000_123_456_789, 1_795_000_000_123_456_789),
    (1_795_000_000.5, 1_795_000_000_500_000_000),
    ("1795000000", 1_795_000_000 * 10**9),
    ("2026-11-18T11:06:40Z", 1_795_000_000 * 10**9),
    ("2026-11-18T19:06:40.25+08:00", 1_795_000_000_250_000_000),
])
def test_timestamps_by_magnitude_and_iso(ts, ns):
    assert P.to_ns(ts) == ns


@pytest.mark.parametrize("ts", ["yesterday", "2026-11-18T08:26:40", True, [1], float("nan")])
def test_bad_timestamps(ts):
    with pytest.raises(P.Rejected) as info:
        P.to_ns(ts)
    assert info.value.reason == P.BAD_TIMESTAMP


@given(st.integers(1_000_000_000, 4_000_000_000), st.sampled_from([1, 10**3, 10**6, 10**9]))
def test_epoch_units_round_trip(seconds, per_second):
    """Any time from 2001 to 2096 in s, ms, µs or ns is told apart by magnitude alone."""
    assert P.to_ns(seconds * per_second) == seconds * 10**9


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)))
def test_iso_matches_datetime(moment):
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    expected = (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    assert P.to_ns(moment.isoformat()) == expected


def test_shapes():
    assert P.parse(b"21.5", V, T, 7) == [(21.5, 7)]
    assert P.parse(b'{"value": 2, "ts": 1795000000}', V, T, 7) == [(2.0, NOW)]
    assert P.parse(b'{"value": 2}', V, T, 7) == [(2.0, 7)]
    got = P.parse(b'[{"value": 1}, {"value": "x"}, {"value": 3, "ts": null}]', V, T, 7)
    assert got[0] == (1.0, 7) and got[2] == (3.0, 7) and got[1].reason == P.NON_NUMERIC
    assert P.parse(b'{"d": {"v": [0, 5]}}', ("d", "v", 1), T, 7) == [(5.0, 7)]


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{", P.BAD_JSON), (b"[1,", P.BAD_JSON), (b"abc", P.NON_NUMERIC), (b"", P.NON_NUMERIC),
    (b"nan", P.NOT_FINITE), (b"-inf", P.NOT_FINITE), (b"\xff\xfe", P.NON_NUMERIC),
    (b'{"value": NaN}', P.NOT_FINITE), (b'{"value": Infinity}', P.NOT_FINITE),
    (b'{"value": true}', P.NON_NUMERIC), (b'{"value": "12"}', P.NON_NUMERIC),
    (b'{"other": 1}', P.NON_NUMERIC), (b'{"value": 1e999}', P.NOT_FINITE),
    (b'{"value": 1, "ts": "soon"}', P.BAD_TIMESTAMP), (b"[" * 100000, P.BAD_JSON),
])
def test_bad_payloads(raw, reason):
    try:
        got = P.parse(raw, V, T, 7)
    except P.Rejected as exc:
        assert exc.reason == reason
    else:
        assert len(got) == 1 and got[0].reason == reason


def test_decoder_template_binding_and_reasons():
    d = decoder(max_payload_bytes=64, future_skew=60, retention=86400)
    msgs = [
        ("site/hq/meter/m01/energy", b'{"value": 10.5, "ts": 1795000000}', NOW),
        ("legacy/t1", b'{"d": {"t": 21.5, "time": "2026-11-18T11:06:40Z"}}', NOW),
        ("legacy/t1", b'{"d": {"t": 99}}', NOW),  # above the point's max of 60
        ("nowhere/x", b"1", NOW),
        ("site/hq/meter/m01/mass", b"1", NOW),  # unknown quantity
        ("site/hq/meter/m01/energy", b"1" * 65, NOW),
        ("site/hq/meter/m01/energy", b'{"value": 1, "ts": 1795000100}', NOW),
        ("site/hq/meter/m01/energy", b'{"value": 1, "ts": 1794000000}', NOW),
        ("site/hq/meter/m01/humidity", b"101", NOW),  # default physical range 0..100
        (None, b"1", NOW),
        ("legacy/e2", b"2500", NOW),  # Wh → kWh by the binding's scale
    ]
    out = d.decode(msgs, NOW)
    assert out.lines == [
        f"energy,building=hq,point=m01,site=demo value=10.5 {NOW}",
        f"temperature,building=hq,point=hq.t1,site=demo,zone=f3 value=21.5 {NOW}",
        f"energy,building=hq,point=hq.e2,site=demo value=2.5 {NOW}",
    ]
    assert [x.reason for x in out.dead] == [
        P.OUT_OF_RANGE, P.UNKNOWN_TOPIC, P.UNKNOWN_TOPIC, P.OVERSIZED, P.FUTURE, P.TOO_OLD,
        P.OUT_OF_RANGE, P.UNKNOWN_TOPIC]
    assert out.dead[1].topic == "nowhere/x" and out.dead[1].payload == b"1"
    assert sum(out.rejected.values()) == 8


def test_array_keeps_good_elements_and_dead_letters_the_payload():
    body = json.dumps([{"value": 1, "ts": 1795000000}, {"value": None},
                       {"value": 2, "ts": 1795000001}]).encode()
    out = decoder().decode([("site/b/meter/p/power", body, NOW)], NOW)
    assert len(out.lines) == 2 and out.rejected == {P.NON_NUMERIC: 1}
    assert out.dead[0].payload == body and "1 of 3" in out.dead[0].detail


# -- a hypothesis corpus: whatever arrives, the decoder never raises, and it accounts
#    for every reading: each good one is a line, each bad one is counted under a reason.
JUNK_VALUE = st.one_of(st.none(), st.booleans(), st.text(max_size=5),
                       st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                       st.lists(st.integers(), max_size=2))
JUNK_TS = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=30),
                    st.just("2026-11-18T08:00:00Z"))
OBJ = st.fixed_dictionaries({}, optional={"value": JUNK_VALUE, "ts": JUNK_TS})
PAYLOAD = st.one_of(
    st.binary(max_size=80),
    OBJ.map(lambda o: json.dumps(o).encode()),
    st.lists(OBJ, max_size=5).map(lambda o: json.dumps(o).encode()),
    st.floats().map(lambda f: repr(f).encode()),
)
TOPIC = st.one_of(st.none(), st.text(max_size=30),
                  st.tuples(st.sampled_from(["hq", "", "b/2", "a b,c=d\\", "x\ny", "楼"]),
                            st.sampled_from(["m1", "", "m\t2"]),
                            st.sampled_from(["energy", "power", "x"])).map(
                      lambda t: f"site/{t[0]}/meter/{t[1]}/{t[2]}"))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(TOPIC, PAYLOAD), max_size=20))
def test_decoder_survives_anything_and_accounts_for_every_reading(corpus):
    d = decoder(max_payload_bytes=60)
    out = d.decode([(t, p, NOW) for t, p in corpus], NOW)
    assert len(out.dead) <= len(corpus)
    for line in out.lines:
        assert "\n" not in line and parse_line(line).fields["value"] == float(
            line.rsplit(" ", 2)[1][6:])
        key, value, ts = line.rsplit(" ", 2)
        assert value.startswith("value=") and math.isfinite(float(value[6:]))
        assert NOW - 400 * 86400 * 10**9 <= int(ts) <= NOW + 300 * 10**9
    # a message is either fully good, or in dead-letter exactly once
    assert len({id(x) for x in out.dead}) == len(out.dead)
    assert set(out.rejected) <= set(P.REASONS)


def _canon(items):
    return [(x.reason, x.detail) if isinstance(x, P.Rejected) else x for x in items]


ELEMENT = st.one_of(
    st.fixed_dictionaries({}, optional={
        "value": st.one_of(st.floats(), st.integers(-10**400, 10**400), st.booleans(),
                           st.none(), st.text(max_size=3)),
        "ts": st.one_of(st.integers(-10**20, 10**20), st.floats(), st.none(),
                        st.just("2026-11-18T11:06:40Z"), st.text(max_size=3)),
    }),
    st.integers(), st.none(), st.lists(st.integers(), max_size=2))


@settings(max_examples=300)
@given(st.lists(ELEMENT, max_size=12))
def test_the_array_fast_path_agrees_with_the_general_path(items):
    fast = P._simple_array(items, V, T, 7)
    general = [P._one_safe(item, V, T, 7) for item in items]
    assert _canon(fast) == _canon(general)
