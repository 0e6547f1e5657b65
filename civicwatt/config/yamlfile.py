"""Reading YAML with line numbers, and `${NAME}` environment expansion.

The composed node tree is kept beside the data so a problem found later by
pydantic or a cross-check can still say on which line of the file it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from civicwatt.config.errors import _MISSING, ConfigError, Problem

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class YamlDocument:
    """A parsed YAML file: its data and a way to find the line of any field path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([Problem(self.name, None, "(file)", _MISSING,
                                       f"cannot read the file: {exc.strerror}")]) from exc
        loader = yaml.SafeLoader(text)
        try:
            self.node = loader.get_single_node()
            self.data: Any = loader.construct_document(self.node) if self.node else {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ConfigError([Problem(self.name, mark.line + 1 if mark else None, "(syntax)",
                                       _MISSING, f"not valid YAML: {exc}")]) from exc
        finally:
            loader.dispose()

    def line(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line of a field path, or of its nearest parent that exists."""
        node = self.node
        for key in path:
            if isinstance(node, yaml.MappingNode):
                found = next((v for k, v in node.value if k.value == str(key)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                    and key < len(node.value):
                found = node.value[key]
            else:
                found = None
            if found is None:
                break
            node = found
        return node.start_mark.line + 1 if node is not None else None


def expand_env(data: Any, path: tuple = (), problems: list | None = None,
               environ: dict[str, str] | None = None) -> Any:
    """Replace `${NAME}` / `${NAME:-default}` in every string; missing names become problems.

    `problems` collects (path, name) pairs for unset variables without defaults.
    """
    env = os.environ if environ is None else environ
    if isinstance(data, dict):
        return {k: expand_env(v, (*path, k), problems, env) for k, v in data.items()}
    if isinstance(data, list):
        return [expand_env(v, (*path, i), problems, env) for i, v in enumerate(data)]
    if not isinstance(data, str) or "${" not in data:
        return data

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        if problems is not None:
            problems.append((path, name))
        return ""

    return _ENV.sub(replace, data)
