"""Reading YAML with line numbers, and `${NAME}` environment expansion.

The composed node tree is kept beside the data so a problem found later by
pydantic or a cross-check can still say on which line of the file it is.

Every file a user hands us is read defensively, because a config is often
edited on Windows, copied from a spreadsheet or simply the wrong file: it must
be UTF-8 text, at most `MAX_BYTES`, nest at most `MAX_DEPTH` levels, expand to
at most `MAX_VALUES` values through its aliases (a "billion laughs" file stops
at once instead of eating memory), and say each key once per mapping (YAML
would silently keep the last `currency:` of two).
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from civicwatt.config.errors import _MISSING, ConfigError, Problem, render_path

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

#: A 10,000-point site config is about 2 MB; anything past this is the wrong file.
MAX_BYTES = 8 * 1024 * 1024
#: Real configs nest about 8 levels (zones in zones in buildings).
MAX_DEPTH = 64
#: Values after expanding aliases; a real config has a few thousand.
MAX_VALUES = 1_000_000

_MERGE = "tag:yaml.org,2002:merge"


def read_text(path: Path, what: str = "file", max_bytes: int | None = MAX_BYTES) -> str:
    """A user's text file as str, or ConfigError saying why it cannot be read as UTF-8 text.

    `max_bytes=None` reads data files of any size (readings), regular files only.
    """

    def fail(message: str, line: int | None = None) -> ConfigError:
        return ConfigError([Problem(str(path), line, f"({what})", _MISSING, message)])

    try:
        if max_bytes is None and path.exists() and not path.is_dir() and not path.is_file():
            raise fail("not a regular file (a device or pipe): give the path of a file")
        with path.open("rb") as handle:
            raw = handle.read(-1 if max_bytes is None else max_bytes + 1)  # /dev/zero stops
    except FileNotFoundError:
        raise fail("file not found: check the path" + (
            "" if path.is_absolute() else f" (it is relative to {os.getcwd()})")) from None
    except IsADirectoryError:
        raise fail("is a folder, not a file: give the path of the file inside it") from None
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise fail(f"larger than {max_bytes // 2**20} MB: not a file of this kind "
                   "(is it the right file?)")
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE,
                       codecs.BOM_UTF16_BE)) or _looks_utf16(raw):
        raise fail("saved as UTF-16 or UTF-32: save it as UTF-8 (Notepad: Save as → Encoding "
                   "UTF-8; or `iconv -f UTF-16 -t UTF-8`)")
    if b"\0" in raw:
        raise fail("binary data, not a text file: is it the right file?")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _mostly_control(raw):
            raise fail("binary data, not a text file: is it the right file?") from None
        line = raw.count(b"\n", 0, exc.start) + 1
        raise fail(f"byte 0x{raw[exc.start]:02X} on line {line} is not UTF-8: the file was "
                   "saved in another encoding (GBK, Latin-1 ...); save it as UTF-8 "
                   "(`iconv -f GBK -t UTF-8`)", line) from None


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a BOM: most of every other byte is NUL (ASCII), none of the rest."""
    head = raw[:1024]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    return half >= 4 and (min(even, odd) == 0 and max(even, odd) > 0.5 * half)


def _mostly_control(raw: bytes) -> bool:
    head = raw[:4096]
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and control > 0.1 * len(head)


class _Loader(yaml.SafeLoader):
    """SafeLoader that stops at `MAX_DEPTH` while composing (PyYAML recurses per level)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """A value YAML parses but Python cannot hold (2026-13-01) is an error at its line."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:
            shown = repr(node.value)[:60] if isinstance(node, yaml.ScalarNode) else "this value"
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} cannot be read: {exc}", node.start_mark) from None


def parse(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """(node tree, data) of YAML text; ConfigError naming every duplicate key, or the first
    syntax error, an alias bomb, a recursive alias or too deep a nesting."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: said before any parsing
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError([Problem(name, line, "(file)", _MISSING,
                                   f"control character #x{exc.character:04X} on line {line}: "
                                   "not allowed in YAML; delete it")]) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_tree(node, name)
        data: Any = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError([Problem(name, mark.line + 1 if mark else None, "(syntax)",
                                   _MISSING, f"not valid YAML: {_describe(exc)}")]) from None
    finally:
        loader.dispose()
    return node, data


def _describe(exc: yaml.YAMLError) -> str:
    """PyYAML's error on one line: what it was parsing, what went wrong, where."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc)
    parts = []
    if exc.context:
        where = exc.context_mark
        parts.append(exc.context + (f" (line {where.line + 1}, column {where.column + 1})"
                                    if where else ""))
    if exc.problem:
        where = exc.problem_mark
        parts.append(exc.problem + (f" at line {where.line + 1}, column {where.column + 1}"
                                    if where else ""))
    if "'\\t'" in (exc.problem or ""):
        parts.append("indent with spaces, not tabs")
    return ": ".join(parts) or str(exc)


def _check_tree(root: yaml.Node, name: str) -> None:
    """Duplicate keys, recursive aliases and the expanded size, in one walk of the nodes.

    Aliases point at the same node object, so sizes are memoised per node and
    the walk costs the file's size, not the expansion's.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    duplicates: list[Problem] = []

    def size(node: yaml.Node, path: tuple) -> int:
        where = render_path(path) or "(top level)"
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ConfigError([Problem(name, node.start_mark.line + 1, where, _MISSING,
                                       "an alias refers to the mapping or list it is in: "
                                       "a recursive structure cannot be a config")])
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item, (*path, i)) for i, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], yaml.Node] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != _MERGE:
                    first = seen.setdefault((k.tag, k.value), v)
                    if first is not v:
                        duplicates.append(_duplicate(name, (*path, k.value), k, first, v))
                total += size(k, path) + size(v, (*path, getattr(k, "value", "?")))
        open_nodes.discard(key)
        sizes[key] = total
        if total > MAX_VALUES:
            raise ConfigError([Problem(name, node.start_mark.line + 1, where, _MISSING,
                                       f"aliases (*name) expand this to more than {MAX_VALUES:,}"
                                       " values: write the data out, or use fewer nested "
                                       "aliases")])
        return total

    size(root, ())
    if duplicates:
        raise ConfigError(duplicates)


def _duplicate(name: str, path: tuple, key: yaml.Node, first: yaml.Node,
               second: yaml.Node) -> Problem:
    def shown(node: yaml.Node) -> str:
        return repr(node.value) if isinstance(node, yaml.ScalarNode) else "a " + (
            "list" if isinstance(node, yaml.SequenceNode) else "mapping")

    return Problem(name, key.start_mark.line + 1, render_path(path), _MISSING,
                   f"duplicate key: set to {shown(first)} on line {first.start_mark.line + 1} "
                   f"and to {shown(second)} here; a key may appear once in a mapping — delete "
                   "one")


class YamlDocument:
    """A parsed YAML file: its data and a way to find the line of any field path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.node, self.data = parse(read_text(path, "file"), self.name)
        if self.node is None:
            self.data = {}

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
