"""The one exception tree of the core; only cli.py turns it into exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, as DESIGN.md fixes them."""

    OK = 0
    NONCOMPLIANT = 1
    BAD_INPUT = 2
    SCAN_INCOMPLETE = 3
    INTERNAL = 4
    FILE_SYSTEM = 5
    """The file system refused (read-only folder, full disk, permission): not a bug."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: str
    """Path of the file as the user named it."""
    line: int | None
    """1-based line number, when known."""
    field: str
    """JSON-path-like location of the field, e.g. ``hosts[2].site``; empty for the whole file."""
    message: str
    """What is wrong and what is expected."""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class AuditorError(Exception):
    """Base of every error the core raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL


class FileSystemError(AuditorError):
    """The file system refused to read or write a path (full disk, read-only, permission)."""

    exit_code = ExitCode.FILE_SYSTEM


class InputError(AuditorError):
    """A user's input (file, option, folder) is wrong; nothing was scanned."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  {p}" for p in self.problems)
