"""Reading ssh config files as OpenSSH does: keywords, quoting, Include (globs, depth, loops)."""

from __future__ import annotations

import glob
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import InputError

MAX_INCLUDE_DEPTH = 16
"""Nested Include levels followed (OpenSSH's own limit)."""
MAX_CONFIG_BYTES = 1024 * 1024
"""An ssh config file larger than this is refused."""

MATCH_WITHOUT_ARGUMENT = {"all", "canonical", "final"}

TOKENS = {
    "hostname": "%h",
    "identityfile": "%CdhijkLlnpru",
    "proxycommand": "%hnpr",
    "proxyjump": "%hnpr",
}
"""The %-tokens OpenSSH accepts in each directive that takes any."""


class SSHConfigError(InputError):
    """The ssh config cannot be used as written (file, line and what to do in the message)."""


@dataclass(frozen=True)
class Line:
    """One directive of a config file."""

    file: Path
    number: int
    name: str
    """The keyword as written."""
    args: tuple[str, ...]
    rest: str
    """The raw text after the keyword (a ProxyCommand is taken whole)."""
    included: tuple[ConfigFile, ...] = ()
    """For an Include: the files it brings in, parsed."""

    @property
    def keyword(self) -> str:
        """The keyword in lower case."""
        return self.name.lower()

    def where(self) -> str:
        """``FILE line N`` for messages."""
        return f"{self.file} line {self.number}"


@dataclass(frozen=True)
class ConfigFile:
    """A parsed config file with its includes."""

    path: Path
    lines: tuple[Line, ...]


def _split(text: str, where: str) -> list[str]:
    """Arguments as OpenSSH splits them: whitespace, quotes, a ``#`` word ends the line."""
    args: list[str] = []
    current: list[str] = []
    quote = ""
    started = False
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and index + 1 < len(text) and text[index + 1] in (quote, "\\"):
                current.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "\"'":
            quote, started = char, True
        elif char.isspace():
            if started:
                args.append("".join(current))
                current, started = [], False
        elif char == "#" and not started:
            break
        else:
            current.append(char)
            started = True
        index += 1
    if quote:
        raise SSHConfigError(f"{where}: unterminated quote; close it or remove it")
    if started:
        args.append("".join(current))
    return args


def _check_tokens(keyword: str, value: str, where: str) -> None:
    allowed = TOKENS.get(keyword, "%")
    for match in re.finditer(r"%(.?)", value):
        if match.group(1) not in allowed or not match.group(1):
            raise SSHConfigError(
                f"{where}: unknown token %{match.group(1)} in {keyword}; tokens allowed "
                f"there: {', '.join('%' + t for t in allowed)}")


def _check_line(line: Line) -> None:
    """Errors OpenSSH would also stop on, found before any connection."""
    keyword, where = line.keyword, line.where()
    if keyword in ("include", "host", "hostname", "port", "user", "identityfile", "proxyjump",
                   "proxycommand", "match") and not line.args:
        raise SSHConfigError(f"{where}: {line.name} needs a value")
    if keyword == "port" and not (line.args[0].isdigit() and 0 < int(line.args[0]) < 65536):
        raise SSHConfigError(f"{where}: Port '{line.args[0]}' is not a port number (1-65535)")
    if keyword in TOKENS and line.rest.lower() != "none":
        _check_tokens(keyword, line.rest if keyword == "proxycommand" else line.args[0], where)
    if keyword == "match":
        words = list(line.args)
        criteria = []
        while words:
            criterion = words.pop(0).lstrip("!").lower()
            criteria.append(criterion)
            if criterion not in MATCH_WITHOUT_ARGUMENT:
                if not words:
                    raise SSHConfigError(f"{where}: Match {criterion} needs a value")
                words.pop(0)
        if "all" in criteria and not set(criteria) <= MATCH_WITHOUT_ARGUMENT:
            raise SSHConfigError(f"{where}: 'Match all' cannot be combined with other "
                                 "criteria")


def _read_lines(path: Path, check_permissions: bool) -> list[str]:
    try:
        info = path.stat()
        if check_permissions and ((info.st_uid not in (0, os.getuid()))
                                  or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
            raise SSHConfigError(f"{path}: bad owner or permissions (others may write it, so "
                                 f"a ProxyCommand in it could be anyone's); run: chmod go-w "
                                 f"{path}")
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise SSHConfigError(f"{path}: is a folder, not an ssh config file") from None
    except OSError as exc:
        raise SSHConfigError(f"cannot read ssh config {path}: "
                             f"{exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise SSHConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not an ssh config")
    return data.decode("utf-8", errors="replace").splitlines()


def _include_paths(pattern: str, ssh_dir: Path) -> list[Path]:
    """The files an Include names: ``~`` expanded, relative to ~/.ssh, globs sorted."""
    text = pattern
    if text.startswith("~"):
        text = str(ssh_dir.parent) + text[1:] if text == "~" or text.startswith("~/") \
            else os.path.expanduser(text)
    if not os.path.isabs(text):
        text = str(ssh_dir / text)
    return [Path(p) for p in sorted(glob.glob(text))]


def _parse(path: Path, ssh_dir: Path, stack: tuple[Path, ...]) -> ConfigFile:
    if len(stack) > MAX_INCLUDE_DEPTH:
        raise SSHConfigError(f"{stack[-1]}: Include nested deeper than {MAX_INCLUDE_DEPTH} "
                             "files")
    text = _read_lines(path, check_permissions=True)
    lines: list[Line] = []
    for number, raw in enumerate(text, 1):
        body = raw.strip()
        if not body or body.startswith("#"):
            continue
        found = re.match(r"([^\s=]+)\s*(?:=\s*)?(.*)$", body)
        if found is None:
            raise SSHConfigError(f"{path} line {number}: cannot be read as 'Keyword value'")
        name, rest = found.group(1), found.group(2).strip()
        where = f"{path} line {number}"
        args = tuple(_split(rest, where))
        line = Line(path, number, name, args, rest)
        _check_line(line)
        if line.keyword == "include":
            children = []
            for pattern in args:
                for child in _include_paths(pattern, ssh_dir):
                    if child.resolve() in [p.resolve() for p in (*stack, path)]:
                        chain = " > ".join(str(p) for p in (*stack, path, child))
                        raise SSHConfigError(f"{where}: Include of {child} forms a loop "
                                             f"({chain}); remove one of these Include lines")
                    try:
                        children.append(_parse(child, ssh_dir, (*stack, path)))
                    except FileNotFoundError:
                        continue  # removed between glob and open
            line = Line(path, number, name, args, rest, tuple(children))
        lines.append(line)
    return ConfigFile(path, tuple(lines))


def load_config(path: Path, ssh_dir: Path | None = None) -> ConfigFile | None:
    """Parse ``path`` and every file it includes; None when ``path`` does not exist.

    Relative Include paths resolve against ``ssh_dir`` (default ~/.ssh), as OpenSSH does for
    a user's config. Raises SSHConfigError (file, line, what to do) on what OpenSSH would
    also refuse, and on an Include loop.
    """
    folder = ssh_dir or Path("~/.ssh").expanduser()
    try:
        return _parse(path.expanduser(), folder, ())
    except FileNotFoundError:
        return None
    except RecursionError:  # pragma: no cover - bounded by MAX_INCLUDE_DEPTH
        raise SSHConfigError(f"{path}: Include nested too deep") from None
