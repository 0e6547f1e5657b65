"""Line protocol: any tag text (users name zones) and field value survives the round trip."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.lines import parse_line
from store import Row, Series
from store.lineprotocol import encode, format_row

text = st.text(min_size=1, max_size=20).filter(lambda s: "\n" not in s and "\r" not in s)
names = st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True)  # measurements, field keys: ours
values = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-2**63, 2**63 - 1),
                   st.booleans(), text)


@given(measurement=names, tags=st.dictionaries(text, text, max_size=4),
       fields=st.dictionaries(names, values, min_size=1, max_size=4),
       time_ns=st.integers(0, 2**62))
def test_round_trip(measurement, tags, fields, time_ns):
    row = Row(Series(measurement, tuple(tags.items())), time_ns, fields)
    back = parse_line(format_row(row))
    assert back.series == row.series and back.time_ns == time_ns
    assert back.fields == fields
    assert {k: type(v) for k, v in back.fields.items()} == {k: type(v) for k, v in fields.items()}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused_with_the_value(bad):
    with pytest.raises(ValueError, match="not finite"):
        encode([Row(Series.of("energy", point="m"), 1, {"value": bad})])


def test_escaping_of_spaces_commas_equals_and_chinese():
    row = Row(Series.of("energy", zone="一层 东,区=A"), 5, {"k ey": 1.5, "n": 2, "s": 'a"b'})
    assert format_row(row) == r'energy,zone=一层\ 东\,区\=A k\ ey=1.5,n=2i,s="a\"b" 5'
