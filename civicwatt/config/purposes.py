"""Purposes: the sub-item (分项) codes of the public-building energy metering guideline.

Codes follow the guideline's layout — 2-digit energy category (01 electricity,
02 water, 03 gas, 04 heat, 05 cooling, 06 other energy: `rules.energy`) +
sub-item letter A–D + level-1 digit + level-2 character — as quoted by the sources in
shared/reference/domain.md §1 (confidence: medium; check against the 2008
MOHURD 导则 before relying on codes after 01D10). A site may add its own
codes under any parent (`purposes:` in the site config).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Purpose(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[0-9]{2}[0-9A-Z]{3}$", description="e.g. 01A10")
    zh: str
    en: str
    parent: str | None = None

    def name(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def _p(code: str, zh: str, en: str, parent: str | None) -> Purpose:
    return Purpose(code=code, zh=zh, en=en, parent=parent)


DEFAULT_PURPOSES: tuple[Purpose, ...] = (
    _p("01000", "电", "Electricity", None),
    _p("01A00", "照明插座用电", "Lighting & sockets", "01000"),
    _p("01A10", "照明与插座", "Room lighting & sockets", "01A00"),
    _p("01A20", "走廊与应急照明", "Corridor & emergency lighting", "01A00"),
    _p("01A30", "室外景观照明", "Outdoor & landscape lighting", "01A00"),
    _p("01B00", "空调用电", "HVAC", "01000"),
    _p("01B10", "冷热站", "Chiller & heating plant", "01B00"),
    _p("01B20", "空调末端", "HVAC terminals", "01B00"),
    _p("01C00", "动力用电", "Power", "01000"),
    _p("01C10", "电梯", "Lifts", "01C00"),
    _p("01C20", "水泵", "Pumps", "01C00"),
    _p("01C30", "通风机", "Fans", "01C00"),
    _p("01D00", "特殊用电", "Special", "01000"),
    _p("01D10", "信息中心", "IT & data centre", "01D00"),
    _p("02000", "水", "Water", None),
    _p("03000", "燃气", "Gas", None),
    _p("04000", "集中供热量", "District heating", None),
    _p("05000", "集中供冷量", "District cooling", None),
    _p("06000", "其他能源", "Other energy (fuels)", None),
)


class PurposeTree:
    """The purpose codes in force at a site: the defaults plus the site's own."""

    def __init__(self, extra: tuple[Purpose, ...] = ()) -> None:
        self.by_code: dict[str, Purpose] = {p.code: p for p in (*DEFAULT_PURPOSES, *extra)}

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def ancestors(self, code: str) -> list[str]:
        chain, seen = [], {code}
        parent = self.by_code[code].parent if code in self.by_code else None
        while parent is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self.by_code[parent].parent if parent in self.by_code else None
        return chain

    def top_level(self, code: str) -> str:
        """The sub-item (A–D level) a code belongs to, e.g. 01B20 → 01B00."""
        for candidate in (code, *self.ancestors(code)):
            if self.by_code.get(candidate) and self.by_code[candidate].parent == "01000":
                return candidate
        return code
