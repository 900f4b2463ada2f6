"""Load YAML safely while remembering the line of every value, for located error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import InputError, Problem

PathKey = tuple[str | int, ...]

MAX_YAML_BYTES = 32 * 1024 * 1024


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (several times faster), else pure Python."""


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that keeps dates as ISO strings (JSON Schema checks them as strings)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class LocatedDocument:
    """A parsed YAML document with the line of every node, keyed by its path."""

    file: str
    """The file as the user named it."""
    data: Any
    """The plain Python value (dicts, lists, scalars)."""
    lines: dict[PathKey, int] = field(default_factory=dict)
    """1-based line of each value, keyed by its path from the root."""

    def line_of(self, path: PathKey) -> int | None:
        """Line of the value at ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


def format_path(path: PathKey) -> str:
    """Render a path like ``hosts[2].site``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int],
          problems: list[Problem], file: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(file, line, format_path((*path, key)),
                                        f"duplicate key (first given on line {seen[key]})"))
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, problems, file)
            lines[(*path, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, problems, file)


def load_yaml(path: Path, display: str | None = None) -> LocatedDocument:
    """Parse one YAML file; raise InputError with file and line on any syntax problem."""
    shown = display or str(path)
    return parse_yaml(read_user_text(path, shown, "a YAML file", MAX_YAML_BYTES), shown)


def read_user_text(path: Path, shown: str, kind: str, max_bytes: int,
                   encoding: str = "utf-8", hint: str = "save it as UTF-8") -> str:
    """A user's text file, whole; InputError says what is wrong (missing, folder, size, bytes)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{shown}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, expected {kind}") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror})") from None
    if len(raw) > max_bytes:
        raise InputError(f"{shown}: file is larger than {max_bytes // (1024 * 1024)} MiB")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not UTF-8 text (byte {exc.start}); {hint}") from None


def parse_yaml(text: str, shown: str) -> LocatedDocument:
    """Parse YAML text named ``shown`` in messages."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LocatedDocument(shown, None, {})
        problems: list[Problem] = []
        lines: dict[PathKey, int] = {}
        _walk(node, (), lines, problems, shown)
        if problems:
            raise InputError(f"{shown}: invalid YAML", problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "syntax error"
        raise InputError("invalid YAML", [Problem(shown, line, "", f"{what} (YAML syntax)")]) \
            from None
    except yaml.YAMLError as exc:
        raise InputError(f"{shown}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return LocatedDocument(shown, data, lines)
