"""The demo building's two metered days, shared by the platform tests that only read them
(or put back what they change)."""

from __future__ import annotations

import pytest

from tests.civicwatt.platform import demo_hours


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-hours")
    mp = pytest.MonkeyPatch()
    mp.setenv("PLATFORM_KEY", demo_hours.KEY)
    path = demo_hours.write_site(folder, 1)
    demo_hours.fill(path, demo_hours.FIRST, 2)
    yield path
    mp.undo()
