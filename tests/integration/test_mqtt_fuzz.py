"""A hypothesis corpus of good and malformed messages through a running collector.

Each generated message carries the outcome it must have: good ones must land
in InfluxDB with their exact value and time, each bad one must be in the
dead-letter table with its reason, and the collector must keep running.
"""

from __future__ import annotations

import itertools
import json
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.mqtt.decode import Decoder
from collector.mqtt.settings import MqttSettings
from collector.runner import Collector
from collector.spool import Spool
from store import open_store
from tests.integration.mqtt_helpers import publish_all, publisher
from tests.services import wait_until

pytestmark = pytest.mark.integration
NOW = int(time.time())
MAX_BYTES = 512
RUNS = itertools.count()


@pytest.fixture(scope="module")
def running(tmp_path_factory, mosquitto, influxdb):
    folder = tmp_path_factory.mktemp("fuzz")
    db = f"fuzz_{NOW}"
    mqtt_settings = MqttSettings(
        url=mosquitto.url, client_id="fuzz-collector", max_payload_bytes=MAX_BYTES,
        future_skew=300, retention=30 * 86400,
        subscriptions=[
            {"filter": "fz/+/+/#", "template": "fz/{building}/{point}/#",
             "quantity": "temperature"},
            {"filter": "fq/+"},  # no template and no point bindings: unknown topics
        ])
    collector = Collector(mqtt_settings, Decoder(mqtt_settings, site="fuzz"),
                          folder / "spool.db", open_store(influxdb.url(db)), monitor_every=3600)
    collector.start()
    pub = publisher(mosquitto.host, mosquitto.port, "fuzz-publisher")
    yield collector, pub, db, folder / "spool.db"
    pub.loop_stop()
    collector.stop()
    assert collector.writer.stats.store_ok


TS = st.integers(NOW - 20 * 86400, NOW - 10)
VALUE = st.floats(-50, 150, allow_nan=False).map(lambda v: round(v, 3))
JUNK = st.text(max_size=20)


@st.composite
def bad_message(draw):
    """(topic suffix or full topic, payload, reason)."""
    reason = draw(st.sampled_from(["non_numeric", "not_finite", "out_of_range", "future",
                                   "too_old", "oversized", "bad_json", "unknown_topic"]))
    ts = draw(TS)
    if reason == "non_numeric":
        value = draw(st.one_of(JUNK, st.booleans(), st.none(), st.lists(st.integers(),
                                                                          max_size=2)))
        return None, json.dumps({"value": value, "ts": ts}), reason
    if reason == "not_finite":
        return None, draw(st.sampled_from(["NaN", "-inf", '{"value": Infinity}',
                                           f'{{"value": NaN, "ts": {ts}}}'])), reason
    if reason == "out_of_range":
        value = draw(st.one_of(st.floats(201, 1e12), st.floats(-1e12, -91)))
        return None, json.dumps({"value": value, "ts": ts}), reason
    if reason == "future":
        return None, json.dumps({"value": 1.0, "ts": NOW + draw(st.integers(3600, 10**6))}), \
            reason
    if reason == "too_old":
        return None, json.dumps({"value": 1.0, "ts": NOW - draw(st.integers(31, 3000)) * 86400
                                 }), reason
    if reason == "oversized":
        pad = "x" * draw(st.integers(MAX_BYTES, 4 * MAX_BYTES))
        return None, json.dumps({"value": 1.0, "ts": ts, "pad": pad}), reason
    if reason == "bad_json":
        return None, '{"value": 1' + draw(JUNK.filter(lambda s: "}" not in s)), reason
    level = draw(st.text(alphabet="abcxyz019-_", min_size=1, max_size=8))
    return f"fq/{level}", draw(st.binary(max_size=40)), reason


CORPUS = st.tuples(
    st.lists(st.tuples(st.integers(0, 30), TS, VALUE, st.sampled_from(["", "/extra/levels"])),
             max_size=40, unique_by=lambda g: (g[0], g[1])),
    st.lists(bad_message(), max_size=25),
)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(CORPUS)
def test_corpus_good_lands_bad_is_dead_lettered_with_its_reason(running, corpus):
    collector, pub, _, spool_path = running
    good, bad = corpus
    run = f"r{next(RUNS)}x{NOW}"
    messages = [(f"fz/{run}/p{p}{tail}", json.dumps({"value": v, "ts": t}))
                for p, t, v, tail in good]
    expected_bad: dict[str, int] = {}
    for i, (topic, payload, reason) in enumerate(bad):
        messages.insert(min(i * 2, len(messages)), (topic or f"fz/{run}/bad{i}", payload))
        expected_bad[reason] = expected_bad.get(reason, 0) + 1
    spool = Spool(spool_path)
    before = spool.dead_letters(limit=None)
    last_id = before[-1].id if before else 0
    publish_all(pub, messages)

    def dead_now():
        return spool.dead_letters(limit=None, after_id=last_id)

    wait_until(lambda: len(dead_now()) >= len(bad), 30, f"{len(bad)} dead letters")
    counts: dict[str, int] = {}
    for row in dead_now():
        counts[row.reason] = counts.get(row.reason, 0) + 1
    assert counts == expected_bad

    want = {(f"p{p}", t * 10**9): v for p, t, v, _ in good}
    wait_until(lambda: _run_readings(collector, run) == want, 30, "the good readings")
    assert all(math.isfinite(v) for v in want.values())
    assert collector.consumer._thread.is_alive()


def _run_readings(collector, run: str) -> dict:
    rows = collector.store.read_rows("temperature", 0, (NOW + 10**6) * 10**9,
                                     where={"building": run})
    return {(r.series.tag("point"), r.time_ns): r.fields["value"] for r in rows}
