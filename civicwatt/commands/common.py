"""What every command does alike: load the site config or say every problem and exit 1."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from civicwatt.config import ConfigError, SiteConfig, load_site


def load_site_or_exit(path: Path) -> SiteConfig:
    """The site config; on problems, all of them on stderr (file:line: path — why), exit 1."""
    try:
        return load_site(path)
    except ConfigError as error:
        err = Console(stderr=True, soft_wrap=True, highlight=False)
        err.print(f"[bold red]{path}: {len(error.problems)} problem(s)[/]")
        for problem in error.problems:
            err.print(f"  {problem}", markup=False)
        raise typer.Exit(1) from None
