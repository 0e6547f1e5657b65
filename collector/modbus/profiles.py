"""Loading device profiles (a named register map per meter model) from YAML files."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from collector.modbus.settings import DeviceProfile


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
