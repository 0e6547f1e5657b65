"""The request planner (pure): table tests of merging, limits, gaps and shards."""

from __future__ import annotations

import pytest

from collector.modbus.plan import (
    Read,
    parse_shard,
    plan_per_point,
    plan_reads,
    shard_of,
)
from collector.modbus.settings import RegisterField


def pts(*specs: tuple) -> list[tuple[str, RegisterField]]:
    """(function, address, type[, length]) -> named points p0, p1, ..."""
    out = []
    for i, spec in enumerate(specs):
        fn, addr, type_, *rest = spec
        reg = RegisterField(function=fn, address=addr, type=type_,
                            length=rest[0] if rest else None)
        out.append((f"p{i}", reg))
    return out


H, IN, C, D = "holding", "input", "coil", "discrete"

CASES = [
    # (name, points, kwargs, expected reads)
    ("empty", [], {}, []),
    ("one", pts((H, 0, "uint16")), {}, [Read(H, 0, 1)]),
    ("adjacent merge", pts((H, 0, "float32"), (H, 2, "float32")), {}, [Read(H, 0, 4)]),
    ("gap within max_gap", pts((IN, 0, "float32"), (IN, 12, "float32")), {"max_gap": 10},
     [Read(IN, 0, 14)]),
    ("gap exactly max_gap", pts((IN, 0, "float32"), (IN, 12, "float32")), {"max_gap": 10},
     [Read(IN, 0, 14)]),
    ("gap one more than max_gap", pts((IN, 0, "float32"), (IN, 13, "float32")),
     {"max_gap": 10}, [Read(IN, 0, 2), Read(IN, 13, 2)]),
    ("max_gap 0 keeps only touching", pts((IN, 0, "uint16"), (IN, 1, "uint16"), (IN, 3, "uint16")),
     {"max_gap": 0}, [Read(IN, 0, 2), Read(IN, 3, 1)]),
    ("functions never merge", pts((H, 0, "uint16"), (IN, 1, "uint16")), {},
     [Read(H, 0, 1), Read(IN, 1, 1)]),
    ("125-register limit", pts((H, 0, "float32"), (H, 123, "float32")), {"max_gap": 124},
     [Read(H, 0, 125)]),
    ("126 registers need two reads", pts((H, 0, "float32"), (H, 124, "float32")),
     {"max_gap": 124}, [Read(H, 0, 2), Read(H, 124, 2)]),
    ("overlapping points share a read", pts((H, 10, "uint32"), (H, 11, "uint16"),
                                            (H, 10, "uint16")), {}, [Read(H, 10, 2)]),
    ("duplicates", pts((H, 5, "uint16"), (H, 5, "uint16")), {}, [Read(H, 5, 1)]),
    ("string length", pts((H, 0, "string", 8), (H, 8, "uint16")), {}, [Read(H, 0, 9)]),
    ("48-bit", pts((H, 100, "uint48"), (H, 103, "int48")), {}, [Read(H, 100, 6)]),
    ("unsorted input", pts((IN, 50, "uint16"), (IN, 0, "uint16"), (IN, 45, "uint16")),
     {"max_gap": 10}, [Read(IN, 0, 1), Read(IN, 45, 6)]),
    ("coils merge through bit gaps", pts((C, 0, "bool"), (C, 100, "bool")), {"max_gap": 10},
     [Read(C, 0, 101)]),
    ("coils past the 16*max_gap bit gap", pts((C, 0, "bool"), (C, 200, "bool")),
     {"max_gap": 10}, [Read(C, 0, 1), Read(C, 200, 1)]),
    ("2000-bit limit", pts((D, 0, "bool"), (D, 1000, "bool"), (D, 1999, "bool"),
                           (D, 2000, "bool")),
     {"max_gap": 124}, [Read(D, 0, 2000), Read(D, 2000, 1)]),
    ("one register per request", pts((H, 0, "float32"), (H, 2, "uint16"), (H, 10, "uint16")),
     {"one_register_per_request": True},
     [Read(H, 0, 1), Read(H, 1, 1), Read(H, 2, 1), Read(H, 10, 1)]),
    ("top of the address space", pts((H, 65532, "uint64")), {}, [Read(H, 65532, 4)]),
]


@pytest.mark.parametrize(("name", "points", "kwargs", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_plan_reads_table(name, points, kwargs, expected):
    plan = plan_reads(points, **kwargs)
    assert list(plan.reads) == expected
    for r in plan.reads:
        assert r.count <= (2000 if r.function in (C, D) else 125)
    # every point's every word is located in a read of its function at the right address
    for (_, reg), locs in zip(plan.points, plan.locations, strict=True):
        assert len(locs) == reg.words
        for k, (ri, off) in enumerate(locs):
            r = plan.reads[ri]
            assert r.function == reg.fn and r.address + off == reg.addr + k


def test_forty_scattered_points_fit_in_few_reads():
    # 40 float32 points every 3 registers (one unused register between): 120 registers
    points = pts(*[(IN, 3 * i, "float32") for i in range(40)])
    plan = plan_reads(points, max_gap=1)
    assert [(r.address, r.count) for r in plan.reads] == [(0, 119)]
    assert plan.summary("unit 3") == "unit 3: 1 read covering 119 registers for 40 points"
    assert len(plan_per_point(points).reads) == 40


def test_summary_wording():
    plan = plan_reads(pts((IN, 0, "float32"), (IN, 200, "float32"), (C, 0, "bool"), (C, 3, "bool")))
    assert plan.summary("meter-1 unit 3") == (
        "meter-1 unit 3: 3 reads covering 4 registers + 4 bits for 4 points"
    )


def test_one_register_per_request_assembles_multiword_values():
    plan = plan_reads(pts((H, 7, "uint32")), one_register_per_request=True)
    assert plan.locations == (((0, 0), (1, 0)),)


@pytest.mark.parametrize(("text", "expected"), [("0/1", (0, 1)), ("2/3", (2, 3))])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["3/3", "-1/2", "1", "a/b", "0/0", "1/2/3"])
def test_parse_shard_rejects(text):
    with pytest.raises(ValueError, match="--shard"):
        parse_shard(text)


def test_shards_are_stable_and_partition_devices():
    ids = [f"meter-{i:03d}" for i in range(300)]
    shards = [shard_of(d, 3) for d in ids]
    assert shards == [shard_of(d, 3) for d in ids]  # deterministic, not Python's salted hash
    assert shard_of("meter-000", 3) == 2676920784 % 3  # crc32, the same on every machine
    assert set(shards) == {0, 1, 2}
    assert all(60 <= shards.count(s) <= 140 for s in range(3))
    assert all(shard_of(d, 1) == 0 for d in ids)


def test_isolated_points_get_reads_of_their_own():
    points = pts((H, 0, "uint16"), (H, 1, "uint16"), (H, 2, "float32"), (H, 10, "uint16"))
    plan = plan_reads(points, isolate=frozenset({"p1"}))
    # no merged read reads through the isolated register any more
    assert list(plan.reads) == [Read(H, 0, 1), Read(H, 1, 1), Read(H, 2, 9)]
    # p1 decodes from its own read, not the merged one that the device refused
    ri, _ = plan.locations[1][0]
    assert plan.reads[ri] == Read(H, 1, 1)
