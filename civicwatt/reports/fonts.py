"""Find a font that can draw Chinese, for the charts (matplotlib) and the PDF (WeasyPrint).

Both libraries see the system's fonts (matplotlib scans the font folders,
WeasyPrint asks fontconfig), so one family name serves both. Debian's
`fonts-noto-cjk` provides Noto Sans CJK SC.
"""

from __future__ import annotations

from collections.abc import Iterable

CANDIDATES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
              "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC",
              "SimHei", "Droid Sans Fallback", "Noto Sans CJK TC", "Noto Sans CJK JP",
              "AR PL UMing CN")


class FontError(Exception):
    """No usable CJK font; str() tells the user what to install or configure."""


def installed_families() -> set[str]:
    from matplotlib import font_manager
    return {font.name for font in font_manager.fontManager.ttflist}


def find_cjk_font(preferred: str | None = None,
                  available: Iterable[str] | None = None) -> str | None:
    """The configured family if installed, else the first installed candidate, else None."""
    names = set(installed_families() if available is None else available)
    if preferred:
        return preferred if preferred in names else None
    return next((name for name in CANDIDATES if name in names), None)


def font_for(language: str, preferred: str | None = None,
             available: Iterable[str] | None = None) -> str | None:
    """The family to draw the report with; raises FontError when Chinese cannot be drawn."""
    found = find_cjk_font(preferred, available)
    if found is None and preferred:
        raise FontError(f"report.font: the font family {preferred!r} is not installed "
                        "(list them with `fc-list :lang=zh family`); fix the name or remove "
                        "the key to pick one automatically")
    if found is None and language == "zh":
        raise FontError("--lang zh needs a font with Chinese characters and none was found "
                        f"(looked for: {', '.join(CANDIDATES[:6])}, …). Install one — on "
                        "Debian/Ubuntu `apt-get install fonts-noto-cjk` — or set report.font "
                        "to an installed family; `--lang en` works without one.")
    return found
