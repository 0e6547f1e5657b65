"""Topic filters and templates, checked against an independent regex model of MQTT matching."""

import re

from hypothesis import given
from hypothesis import strategies as st

from collector.mqtt.topics import TopicTemplate, filter_matches

LEVEL = st.text(alphabet="ab$_-1", max_size=3).filter(lambda s: "+" not in s and "#" not in s)
TOPIC = st.lists(LEVEL, min_size=1, max_size=5).map("/".join)
FILTER_LEVEL = st.one_of(LEVEL, st.just("+"))
FILTER = st.tuples(st.lists(FILTER_LEVEL, min_size=1, max_size=5), st.booleans()).map(
    lambda t: "/".join(t[0] + (["#"] if t[1] else [])))


def _regex_match(topic_filter: str, topic: str) -> bool:
    if topic.startswith("$") and topic_filter[:1] in "+#":
        return False
    levels = topic_filter.split("/")
    pattern = ""
    for i, level in enumerate(levels):
        sep = "/" if i else ""
        if level == "#":
            pattern = pattern + "(/.*)?" if i else ".*"
            break
        pattern += sep + ("[^/]*" if level == "+" else re.escape(level))
    return re.fullmatch(pattern, topic) is not None


@given(FILTER, TOPIC)
def test_filter_matching_agrees_with_a_regex_model(topic_filter, topic):
    assert filter_matches(topic_filter, topic) == _regex_match(topic_filter, topic)


@given(FILTER, TOPIC)
def test_a_template_matches_exactly_what_its_filter_matches(topic_filter, topic):
    levels = topic_filter.split("/")
    template = "/".join("{" + n + "}" if lv == "+" else lv for lv, n in
                        zip(levels, ["site", "building", "zone", "purpose", "point", "quantity"],
                            strict=False))
    compiled = TopicTemplate.compile(topic_filter, template)
    fields = compiled.match(topic)
    assert (fields is not None) == filter_matches(topic_filter, topic)
    if fields is not None:
        parts = topic.split("/")
        for i, name in compiled.fields:
            assert fields[name] == parts[i]


def test_issue_example():
    t = TopicTemplate.compile("site/+/meter/+/energy", "site/{building}/meter/{point}/{quantity}")
    assert t.match("site/hq/meter/m01/energy") == {
        "building": "hq", "point": "m01", "quantity": "energy"}
    assert t.match("site/hq/meter/m01/power") is None
    assert t.match("site/hq/meter/m01") is None


def test_ignore_levels_and_hash():
    t = TopicTemplate.compile("bms/+/+/+/#", "bms/{building}/_/{point}/#")
    assert t.match("bms/b1/x/p1") == {"building": "b1", "point": "p1"}
    assert t.match("bms/b1/x/p1/deep/er") == {"building": "b1", "point": "p1"}
    assert t.match("bms/b1/x") is None
