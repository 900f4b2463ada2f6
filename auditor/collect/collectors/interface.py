"""The collector interface: a fixed shell snippet and the parser of its section of output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_SECTION_CHARS = 2 * 1024 * 1024
"""A section longer than this is not parsed (it becomes unknown)."""

MAX_LINE_CHARS = 4096
"""Lines longer than this are cut before parsing."""


class ParseError(ValueError):
    """A section's output does not look like what the snippet prints."""


@dataclass(frozen=True)
class Collector:
    """One group of facts: how to read them on a host and how to parse what came back."""

    name: str
    """Section name in the probe output and key under ``facts`` in DIR/facts/HOST.json."""
    description: str
    """One line for ``--help``-like listings."""
    script: str
    """POSIX sh, fixed text, read-only; prints this section's raw output to stdout."""
    parse: Callable[[str], dict[str, Any]]
    """Turns the section's text into facts; raises on anything it does not understand."""
    paths: tuple[str, ...] = ()
    """Fact paths it can produce (``name.key``), for spec lint."""


def lines(text: str) -> list[str]:
    """Split output into lines, each cut to MAX_LINE_CHARS, blank lines dropped."""
    return [ln[:MAX_LINE_CHARS].rstrip() for ln in text.splitlines() if ln.strip()]


def key_values(text: str, sep: str = "=") -> dict[str, str]:
    """Parse ``KEY=value`` lines (shell-style quotes removed); other lines are ignored."""
    out: dict[str, str] = {}
    for line in lines(text):
        key, found, value = line.partition(sep)
        key = key.strip()
        if not found or not key or not key.replace("_", "").replace("-", "").isalnum():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key] = value
    return out


def split_blocks(text: str, marker: str) -> dict[str, str]:
    """Split a section into sub-blocks introduced by lines ``<marker> NAME``."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(marker + " "):
            current = blocks.setdefault(line[len(marker) + 1:].strip(), [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v) for k, v in blocks.items()}
