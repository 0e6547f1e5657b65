"""check-config's rules for `platform:`: ids, keys, units, codes, and that every code a
building would send maps to the profile's table. Returns (path, value, allowed) like
`civicwatt.config.checks`; keys are never echoed, only their length."""

from __future__ import annotations

from civicwatt.platform.crypto import parse_aes_key
from civicwatt.platform.plan import members_of, platform_code
from civicwatt.platform.profiles import PROFILES
from civicwatt.platform.settings import PlatformSettings
from civicwatt.platform.units import FACTORS


def check_platform(platform: PlatformSettings | None, buildings: dict, points: dict,
                   purposes: dict, metering) -> list[tuple[tuple, object, str]]:
    if platform is None:
        return []
    profile = PROFILES[platform.profile]
    found: list[tuple[tuple, object, str]] = []
    known = {b.id for b in buildings.values()}
    seen: dict[str, str] = {}
    for ours, theirs in platform.buildings.items():
        path = ("platform", "buildings", ours)
        if ours not in known:
            found.append((path, ours, f"a building id of this site: {', '.join(sorted(known))}"))
        if not profile.building_id.match(str(theirs)):
            found.append((path, theirs, f"the platform's building_id: "
                                        f"{profile.building_id_help}"))
        elif theirs in seen:
            found.append((path, theirs, f"one platform building_id per building; {seen[theirs]} "
                                        "has it already"))
        seen.setdefault(theirs, ours)
    found += _keys(platform)
    for cls, unit in platform.units.items():
        if cls not in FACTORS:
            found.append((("platform", "units", cls), cls,
                          f"a class code: {', '.join(FACTORS)}"))
        elif unit not in FACTORS[cls]:
            found.append((("platform", "units", cls), unit,
                          f"a unit civicwatt converts class {cls} to: {', '.join(FACTORS[cls])}"))
    for code, target in platform.codes.items():
        if not profile.accepts(str(target)):
            found.append((("platform", "codes", code), target,
                          f"a code of profile {profile.name}'s table, e.g. 01A10, 01D60"))
    from civicwatt.config.purposes import PurposeTree  # lazily: civicwatt.config imports us

    tree = PurposeTree(tuple(purposes.values()))
    for building, members in members_of(points.values(), buildings.values()).items():
        if building not in platform.buildings:
            continue
        for point in members:
            if platform_code(point.purpose, profile, tree, platform.codes) is None:
                found.append((("platform", "codes"), point.purpose,
                              f"point {point.id} meters {point.purpose!r}, which is not in "
                              f"profile {profile.name}'s table and has no ancestor there; map "
                              f"it, e.g. platform.codes: {{{point.purpose!r}: '01D60'}}"))
    found += _metering(metering)
    return found


def _keys(platform: PlatformSettings) -> list[tuple[tuple, object, str]]:
    auth = platform.auth_key.get_secret_value()
    if not platform.encrypt:
        return []
    if platform.aes_key is not None:
        text = platform.aes_key.get_secret_value()
        try:
            parse_aes_key(text)
        except ValueError:
            return [(("platform", "aes_key"), f"<hidden, {len(text)} characters>",
                     "16 ASCII characters or 32 hex digits (AES-128)")]
        return []
    if len(auth.encode("utf-8")) != 16 or not auth.isascii():
        return [(("platform", "auth_key"), f"<hidden, {len(auth)} characters>",
                 "16 ASCII characters, because it is also the AES key when aes_key is not set; "
                 "set platform.aes_key to the AES key the platform issued, or encrypt: false")]
    return []


def _metering(metering) -> list[tuple[tuple, object, str]]:
    """The hourly values are metered intervals (whose length always divides an hour)."""
    if metering is None:
        return [(("platform",), "platform", "a `metering:` section too: the hourly values are "
                 "the metered intervals (see README, Metering)")]
    return []
