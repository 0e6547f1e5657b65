"""Device profiles (a named register map per meter model): the one loader of profile YAML.

The shipped profiles are package data of `collector.modbus` (`devices/*.yaml`),
found with `importlib.resources`, so an installed wheel has them; the config
check, the poller and the simulator all read them through `shipped_profiles()`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import ValidationError

from collector.modbus.settings import DeviceProfile

#: Where the shipped profiles live inside the installed package.
SHIPPED_DEVICES = Path(str(files("collector.modbus") / "devices"))


class ProfileError(ValueError):
    """A profile file that cannot be used, with the file named."""


def load_profiles(directory: Path) -> dict[str, DeviceProfile]:
    """Every `*.yaml` profile in `directory`, by name; raise ProfileError naming the file."""
    profiles: dict[str, DeviceProfile] = {}
    for file in sorted(directory.glob("*.yaml")):
        try:
            profile = DeviceProfile.model_validate(yaml.safe_load(file.read_text("utf-8")))
        except (ValidationError, yaml.YAMLError, OSError) as exc:
            raise ProfileError(f"{file}: not a valid device profile: {exc}") from None
        if profile.name in profiles:
            raise ProfileError(f"{file}: profile name {profile.name!r} is used twice")
        profiles[profile.name] = profile
    return profiles


@cache
def shipped_profiles() -> dict[str, DeviceProfile]:
    """The profiles shipped with civicwatt, by name (read once per process)."""
    return load_profiles(SHIPPED_DEVICES)
