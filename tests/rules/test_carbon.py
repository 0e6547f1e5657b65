"""Emission and standard-coal factor tables (the shipped ones, and a profile)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from rules.carbon import ClassFactors, CoalFactors, EmissionFactors
from rules.energy import CLASSES

ROOT = Path(__file__).resolve().parents[2]


def shipped(name: str) -> dict:
    return yaml.safe_load((ROOT / "civicwatt" / "data" / name).read_text())


def test_shipped_emission_factors():
    table = EmissionFactors.model_validate(shipped("emission_factors.yaml"))
    assert table.lookup("CN", 2022) == (0.5366, 2022)
    assert table.lookup(None, 2026) == (0.5306, 2023)  # latest published
    assert table.lookup("CN", 2019) == (0.5568, 2021)  # before the first: the earliest
    assert table.resolve("north", "CN") == "CN-North"
    assert table.resolve(None, "CN") == "CN"
    assert table.resolve("atlantis", "CN") is None
    for region in table.regions.values():
        for factor in region.factors.values():
            assert factor.source and factor.confidence


def test_hourly_profile_shapes_the_factor():
    table = EmissionFactors.model_validate({"regions": {"X": {
        "factors": {2026: {"value": 0.5}},
        "hourly_profile": [0.8] * 12 + [1.2] * 12,
    }}})
    per, used = table.per_interval("X", np.array([2026, 2026]), np.array([3, 15]))
    assert list(per) == pytest.approx([0.4, 0.6])
    assert used == {2026: 2026}
    with pytest.raises(KeyError, match="no emission factors for region 'Y'"):
        table.lookup("Y", 2026)


def test_shipped_coal_factors_both_conventions():
    coal = CoalFactors.model_validate(shipped("coal_factors.yaml"))
    assert coal.electricity("equivalent") == 0.1229
    assert coal.electricity("equal_value") == 0.28078



def test_shipped_class_factors_per_canonical_unit_with_sources():
    """Gas 1.2143 kgce/m3 as shipped; heat 0.03412 kgce/MJ and 0.11 kgCO2/MJ are 34.12 and
    110 per GJ, the canonical unit; water counts no kgce; every shipped figure names a
    source and a confidence."""
    factors = ClassFactors.model_validate(shipped("class_factors.yaml"))
    resolved = factors.resolve(0.1229)
    assert (resolved["gas"].kgce, resolved["gas"].co2) == (1.2143, 2.16)
    assert factors.root["gas"].kgce.confidence == "low"
    assert resolved["heat"].kgce == pytest.approx(34.12)
    assert resolved["heat"].co2 == pytest.approx(110.0)
    assert (resolved["water"].kgce, resolved["water"].co2) == (0.0, 0.0)
    assert (resolved["electricity"].kgce, resolved["electricity"].grid) == (0.1229, 1.0)
    for name in factors.root:
        for conversion in factors.source(name).values():
            assert conversion.source and conversion.confidence, (name, conversion)
    assert set(resolved) == {c.name for c in CLASSES}
