"""The read-only probe: all collectors' snippets joined into one script, and its output split."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.collect.collectors.common import Unreadable
from auditor.collect.collectors.interface import MAX_SECTION_CHARS, Collector

BEGIN = "@@auditor-begin@@"
END = "@@auditor-end@@"

_HEADER = """\
# auditor read-only probe. It only reads: no file is written, nothing is changed.
export LC_ALL=C LANG=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH
umask 077
"""


# The sections' output is gathered on the host by dd into blocks of 1 MiB, so it leaves in
# one write (two for a large host). Written as it comes, it crosses SSH as hundreds of small
# packets, each decrypted and dispatched by paramiko in Python: about 18 ms of client CPU a
# host, measured, against nothing once gathered. The block bounds what the host holds, and
# when the client stops reading at its size cap, dd's next write fails and the probe stops.
# Without dd the output streams as it comes. Nothing is lost by waiting: a probe that does
# not finish is a timeout either way.
_GATHER_START = "auditor_probe() {\n"
_GATHER_END = ("}\nif command -v dd >/dev/null 2>&1; then\n"
               "  auditor_probe | dd ibs=65536 obs=1048576 2>/dev/null\n"
               "else\n  auditor_probe\nfi\n")


def build_probe(collectors: Mapping[str, Collector]) -> bytes:
    """Join every collector's fixed snippet, each in a subshell framed by markers."""
    parts = [_HEADER, _GATHER_START]
    for name, collector in collectors.items():
        parts.append(f"printf '\\n%s %s\\n' '{BEGIN}' '{name}'\n"
                     f"( {collector.script}\n) </dev/null 2>/dev/null\n"
                     f"printf '\\n%s %s %s\\n' '{END}' '{name}' \"$?\"\n")
    parts.append(_GATHER_END)
    return "".join(parts).encode("utf-8")


def probe_digest(script: bytes) -> str:
    """A short identifier of the probe text, recorded in every facts file."""
    return hashlib.sha256(script).hexdigest()[:16]


@dataclass(frozen=True)
class Section:
    """The raw output of one collector's snippet."""

    text: str
    exit_code: int | None
    """The snippet's exit status; None when the end marker never came (cut or killed)."""


def split_sections(output: bytes) -> dict[str, Section]:
    """Split probe output by markers; a name seen twice keeps its first, complete section."""
    text = output.decode("utf-8", errors="replace").replace("\x00", "")
    sections: dict[str, Section] = {}
    name: str | None = None
    body: list[str] = []
    for line in text.split("\n"):
        if line.startswith(BEGIN + " "):
            name = line[len(BEGIN) + 1:].strip()
            body = []
        elif line.startswith(END + " ") and name is not None:
            fields = line[len(END) + 1:].split()
            if fields and fields[0] == name and name not in sections:
                code = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
                sections[name] = Section("\n".join(body[:-1] if body and body[-1] == "" else body),
                                         code)
            name = None
        elif name is not None:
            body.append(line)
    if name is not None and name not in sections:
        sections[name] = Section("\n".join(body), None)
    return sections


@dataclass(frozen=True)
class ParsedFacts:
    """Facts by collector, and the reason for every collector that gave none."""

    facts: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)


def parse_output(output: bytes, collectors: Mapping[str, Collector],
                 truncated: bool = False) -> ParsedFacts:
    """Parse each section with its collector; anything odd makes that section unknown."""
    sections = split_sections(output)
    facts: dict[str, Any] = {}
    unknown: dict[str, str] = {}
    for name, collector in collectors.items():
        section = sections.get(name)
        if section is None:
            unknown[name] = ("probe output was cut before this section" if truncated
                             else "the probe printed no such section")
            continue
        if section.exit_code is None:
            unknown[name] = "the section did not finish (output cut or command killed)"
            continue
        if len(section.text) > MAX_SECTION_CHARS:
            unknown[name] = f"section output larger than {MAX_SECTION_CHARS} characters"
            continue
        try:
            facts[name] = collector.parse(section.text)
        except Unreadable as exc:
            unknown[name] = str(exc)[:200] or "not readable on the host"
        except Exception as exc:
            reason = str(exc)[:200] or type(exc).__name__
            unknown[name] = f"output not understood: {reason}"
    return ParsedFacts(facts, unknown)
