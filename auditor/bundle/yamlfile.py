"""Load YAML safely while remembering the line of every value, for located error messages."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import InputError, Problem

PathKey = tuple[str | int, ...]

MAX_YAML_BYTES = 32 * 1024 * 1024
MAX_YAML_DEPTH = 100
"""Deepest nesting of mappings and sequences; inventories and specs stay under 15."""
MAX_ALIAS_VALUES = 100_000
"""Most values that aliases (``*name``, ``<<: *name``) may add by repeating anchored ones."""
MAX_ALIAS_CHARS = 8 * 1024 * 1024
"""Most characters of text that aliases may repeat."""


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (several times faster), else pure Python."""


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader of JSON-like data: dates stay ISO strings, mapping keys stay text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose keys are their text as written (``1:`` is "1", as in JSON)."""
        self.flatten_mapping(node)
        return {str(key.value): self.construct_object(value, deep=deep)
                for key, value in node.value}


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
_COLLECTION_TAGS = frozenset((_TAG + "seq", _TAG + "map"))
MAX_INT_DIGITS = 4000
"""Longest integer read (Python refuses to convert more than 4,300 decimal digits)."""


def _implicit_tag(value: str) -> str:
    """The tag a plain scalar with this text resolves to."""
    table = _Loader.yaml_implicit_resolvers
    for tag, pattern in [*table.get(value[:1], []), *table.get(None, [])]:
        if pattern.match(value):
            return str(tag)
    return _TAG + "str"


def _not_plain(node: yaml.Node, key: bool = False) -> str | None:
    """Why a node is not plain JSON-like data (text, number, boolean, null, list, mapping)."""
    tag = str(node.tag)
    short = tag.replace(_TAG, "!!")
    if not isinstance(node, yaml.ScalarNode):
        if key:
            return "a mapping key must be plain text, not a list or a mapping"
        return None if tag in _COLLECTION_TAGS else f"the YAML tag {short} is not allowed here"
    if tag == _TAG + "merge" and key:
        return None
    if tag not in _SCALAR_TAGS:
        return f"the YAML tag {short} is not allowed here (write plain text, numbers, " \
               "true/false, lists and mappings)"
    implicit = _implicit_tag(node.value)
    if tag != _TAG + "str" and implicit != tag and (tag, implicit) != (_TAG + "float",
                                                                        _TAG + "int"):
        return f"{node.value[:40]!r} is not a valid {short}"
    if tag == _TAG + "int" and len(node.value) > MAX_INT_DIGITS:
        return f"a number with more than {MAX_INT_DIGITS:,} digits"
    return None


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


@dataclass
class _Open:
    """A collection whose events are being counted (mutable while its events stream in)."""

    anchor: str | None
    values: int = 1
    chars: int = 0
    height: int = 1


@dataclass(frozen=True)
class _Size:
    """What an anchored value expands to: values, characters and collection levels."""

    values: int
    chars: int
    height: int


def _refuse(shown: str, mark: Any, message: str) -> InputError:
    return InputError("invalid YAML", [Problem(shown, mark.line + 1 if mark else None, "",
                                               message)])


def screen_yaml(text: str, shown: str, loader: type[yaml.SafeLoader] | None = None) -> None:
    """Refuse YAML nested too deeply or whose aliases expand too far, before composing it.

    libyaml's composer recurses in C (a crash near 100,000 levels), its scanner slows down
    quadratically with flow nesting, and aliases are expanded by everything that walks the
    data later. One pass over the parser's events, with a stack of the open collections,
    bounds all three in time linear in the file and stops at the first excess. ``loader``:
    the loader class that will compose the text (its parser reads the events).
    """
    parser = (loader or _Loader)(text)
    screen = _Screen(shown)
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            screen.take(event)
    finally:
        parser.dispose()


@dataclass
class _Screen:
    """One pass of ``screen_yaml``: the open collections, the anchors, what aliases added."""

    shown: str
    stack: list[_Open] = field(default_factory=list)
    open_anchors: dict[str, int] = field(default_factory=dict)
    """Anchors of the collections still open (an alias to one is a recursive structure)."""
    sizes: dict[str, _Size] = field(default_factory=dict)
    """What each anchored value of this document expands to."""
    added_values: int = 0
    added_chars: int = 0

    def take(self, event: yaml.Event) -> None:
        """Account for one parser event; InputError at the first excess."""
        if isinstance(event, yaml.CollectionStartEvent):
            self._start(event)
            return
        size = self._size_of(event)
        if size is not None and self.stack:
            parent = self.stack[-1]
            parent.values += size.values
            parent.chars += size.chars
            parent.height = max(parent.height, size.height + 1)

    def _start(self, event: yaml.CollectionStartEvent) -> None:
        if len(self.stack) >= MAX_YAML_DEPTH:
            raise _refuse(self.shown, event.start_mark, f"values nested deeper than "
                          f"{MAX_YAML_DEPTH} levels; the file looks damaged or hostile")
        self.stack.append(_Open(event.anchor))
        if event.anchor is not None:
            self.open_anchors[event.anchor] = self.open_anchors.get(event.anchor, 0) + 1

    def _size_of(self, event: yaml.Event) -> _Size | None:
        """What a finished value adds to its parent (None: the event finishes no value)."""
        if isinstance(event, yaml.CollectionEndEvent):
            done = self.stack.pop()
            size = _Size(done.values, done.chars, done.height)
            if done.anchor is not None:
                self.open_anchors[done.anchor] -= 1
                self.sizes[done.anchor] = size
            return size
        if isinstance(event, yaml.ScalarEvent):
            size = _Size(1, len(event.value), 0)
            if event.anchor is not None:
                self.sizes[event.anchor] = size
            return size
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event)
        if isinstance(event, yaml.DocumentStartEvent):
            self.sizes.clear()
        return None

    def _alias(self, event: yaml.AliasEvent) -> _Size | None:
        name = str(event.anchor)
        if self.open_anchors.get(name):
            raise _refuse(self.shown, event.start_mark, f"alias *{name} refers to a value "
                          "that contains it (a recursive structure)")
        size = self.sizes.get(name)  # an undefined alias: the composer says so
        if size is not None:
            self.added_values += size.values
            self.added_chars += size.chars
            _check_budget(self.shown, event, self.added_values, self.added_chars,
                          len(self.stack) + size.height)
        return size


def _check_budget(shown: str, event: yaml.Event, values: int, chars: int, depth: int) -> None:
    if values > MAX_ALIAS_VALUES:
        raise _refuse(shown, event.start_mark, f"YAML aliases expand to more than "
                      f"{MAX_ALIAS_VALUES:,} values; the file looks like a 'billion laughs' "
                      "bomb (write the values out, or use fewer aliases)")
    if chars > MAX_ALIAS_CHARS:
        raise _refuse(shown, event.start_mark, f"YAML aliases repeat more than "
                      f"{MAX_ALIAS_CHARS // (1024 * 1024)} MiB of text; the file looks like a "
                      "'billion laughs' bomb (write the values out, or use fewer aliases)")
    if depth > MAX_YAML_DEPTH:
        raise _refuse(shown, event.start_mark, f"YAML aliases nest values deeper than "
                      f"{MAX_YAML_DEPTH} levels; the file looks damaged or hostile")


def _children(node: yaml.Node, path: PathKey, problems: list[Problem],
              file: str) -> Iterator[tuple[PathKey, yaml.Node, int]]:
    """Each child of a collection node with its path and line; flags duplicate keys."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            odd = _not_plain(key_node, key=True)
            if odd:
                problems.append(Problem(file, line, format_path((*path, key[:40])), odd))
                continue
            if key in seen:
                problems.append(Problem(file, line, format_path((*path, key)),
                                        f"duplicate key (first given on line {seen[key]})"))
            seen[key] = line
            yield (*path, key), value_node, line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield (*path, index), item, item.start_mark.line + 1


def _walk(root: yaml.Node, lines: dict[PathKey, int], problems: list[Problem],
          file: str) -> None:
    """Record the line of every path and flag duplicate keys, without recursion.

    A node reached again through an alias is not walked again: its paths below the alias
    take the alias's line, so the walk stays linear in the file whatever the aliases.
    """
    lines[()] = root.start_mark.line + 1
    walked: set[int] = set()
    stack: list[Iterator[tuple[PathKey, yaml.Node, int]]] = [iter([((), root, lines[()])])]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            continue
        path, node, line = step
        lines[path] = line
        if id(node) in walked:
            continue
        walked.add(id(node))
        odd = _not_plain(node)
        if odd:
            problems.append(Problem(file, node.start_mark.line + 1, format_path(path), odd))
        elif isinstance(node, yaml.CollectionNode):
            stack.append(_children(node, path, problems, file))


def load_yaml(path: Path, display: str | None = None) -> LocatedDocument:
    """Parse one YAML file; raise InputError with file and line on any syntax problem."""
    shown = display or str(path)
    return parse_yaml(read_user_text(path, shown, "a YAML file", MAX_YAML_BYTES), shown)


def read_user_bytes(path: Path, shown: str, kind: str, max_bytes: int) -> bytes:
    """A user's (or a bundle's) file, whole and size-capped; InputError says what is wrong.

    Opened without blocking so that a named pipe with no writer reads as empty instead of
    hanging, and read with a cap so that a device like /dev/zero ends as "too large".
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise InputError(f"{shown}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, expected {kind}") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise InputError(f"{shown}: is a folder, expected {kind}")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise InputError(f"{shown}: file is larger than {max_bytes // (1024 * 1024)} MiB")
    return raw


def read_user_text(path: Path, shown: str, kind: str, max_bytes: int,
                   encoding: str = "utf-8", hint: str = "save it as UTF-8") -> str:
    """A user's text file, whole; InputError says what is wrong (missing, folder, size, bytes)."""
    raw = read_user_bytes(path, shown, kind, max_bytes)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not UTF-8 text (byte {exc.start}); {hint}") from None


def parse_yaml(text: str, shown: str) -> LocatedDocument:
    """Parse YAML text named ``shown`` in messages."""
    loader = _Loader(text)
    try:
        screen_yaml(text, shown)
        node = loader.get_single_node()
        if node is None:
            return LocatedDocument(shown, None, {})
        problems: list[Problem] = []
        lines: dict[PathKey, int] = {}
        _walk(node, lines, problems, shown)
        if problems:
            raise InputError(f"{shown}: invalid YAML", problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "syntax error"
        if "nesting depth" in what:  # libyaml's own limit (newer builds), above ours
            raise InputError("invalid YAML", [Problem(
                shown, line, "", f"values nested deeper than {MAX_YAML_DEPTH} levels; the file "
                "looks damaged or hostile")]) from None
        raise InputError("invalid YAML", [Problem(shown, line, "", f"{what} (YAML syntax)")]) \
            from None
    except yaml.YAMLError as exc:
        raise InputError(f"{shown}: invalid YAML: {exc}") from None
    except (ValueError, TypeError, KeyError) as exc:  # a value its constructor cannot read
        raise InputError(f"{shown}: invalid YAML: a value cannot be read ({exc})") from None
    finally:
        loader.dispose()
    return LocatedDocument(shown, data, lines)
