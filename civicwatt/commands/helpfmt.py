"""Help pages that read right: a flag takes no value, so it shows no `<bool>`.

typer 0.29 prints a type beside every option, flags included (`--json <bool>`),
which reads as if `--json true` were how to write it — and that fails. This
keeps typer's rich help and drops the type of options that take no value.
"""

from __future__ import annotations

from typer.core import TyperOption

_typed = TyperOption.display_type_rich


def _type_unless_flag(option: TyperOption, ctx: object) -> str | None:
    return None if option.is_flag else _typed(option, ctx)


def install() -> None:
    """Render every command's flags without a type (idempotent)."""
    TyperOption.display_type_rich = _type_unless_flag  # type: ignore[method-assign]
