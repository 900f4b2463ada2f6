"""~/.ssh/config as OpenSSH reads it: Include, Host and Match blocks, %-tokens, first value wins."""

from __future__ import annotations

import glob
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from auditor.errors import InputError

MAX_INCLUDE_DEPTH = 16
"""Nested Include levels followed (OpenSSH's own limit)."""
MAX_CONFIG_BYTES = 1024 * 1024
"""An ssh config file larger than this is refused."""

SUPPORTED = {"host", "match", "include", "hostname", "port", "user", "identityfile",
             "proxyjump", "proxycommand"}
"""Directives honoured (lower-case, as OpenSSH compares them)."""

QUIET = {"addkeystoagent", "batchmode", "checkhostip", "compression",
         "enableescapecommandline", "escapechar", "exitonforwardfailure",
         "forkafterauthentication", "forwardagent", "forwardx11", "forwardx11timeout",
         "forwardx11trusted", "identitiesonly", "ignoreunknown", "loglevel", "logverbose",
         "obscurekeystroketiming", "permitlocalcommand", "requesttty", "sendenv", "setenv",
         "serveraliveinterval", "serveralivecountmax", "sessiontype", "stdinnull",
         "tcpkeepalive", "usekeychain", "visualhostkey", "clearallforwardings", "gatewayports"}
"""Directives that do not change how a read-only, non-interactive login is made: ignored
without a warning. Anything else not supported is named in a warning."""

MATCH_SUPPORTED = {"all", "host", "originalhost", "user", "localuser"}
MATCH_WITHOUT_ARGUMENT = {"all", "canonical", "final"}

TOKENS = {
    "hostname": "%h",
    "identityfile": "%CdhijLlnpru",
    "proxycommand": "%hnpr",
    "proxyjump": "%hnpr",
}
"""The %-tokens OpenSSH accepts in each directive that takes any."""

SHELL_SAFE = re.compile(r"[A-Za-z0-9._:@+=,/\[\]-]+")
"""Values that may be pasted into a ProxyCommand (a shell command line) unquoted."""


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


@dataclass(frozen=True)
class Source:
    """A config line that decided something for a host."""

    file: Path
    number: int
    text: str
    """The directive and its value, as shown by --verbose (a config holds no secret)."""


@dataclass(frozen=True)
class ConfigWarning:
    """Something in the config that applies to a host and is not honoured."""

    key: str
    """What it is about (a directive or a Match criterion): warned once per scan."""
    text: str


@dataclass(frozen=True)
class HostConfig:
    """The options a config gives one host name, tokens expanded."""

    name: str
    """The name looked up (OpenSSH's %n)."""
    hostname: str
    port: int
    user: str
    identity_files: tuple[Path, ...] = ()
    proxy_jump: str | None = None
    proxy_command: str | None = None
    set_by_config: frozenset[str] = frozenset()
    """Directives (lower case) whose value came from the config."""
    sources: tuple[Source, ...] = ()
    warnings: tuple[ConfigWarning, ...] = ()


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


def _pattern_list(value: str, patterns: str) -> bool:
    """OpenSSH's comma-separated pattern list: a negated match fails the whole list."""
    value, matched = value.lower(), False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        if fnmatchcase(value, pattern.lstrip("!").lower()):
            if negated:
                return False
            matched = True
    return matched


def _host_matches(name: str, patterns: tuple[str, ...]) -> bool:
    """A ``Host`` line: whitespace-separated patterns, negation as in a pattern list."""
    return _pattern_list(name, ",".join(patterns))


@dataclass
class _State:
    """What a lookup has gathered so far (first value wins)."""

    name: str
    local_user: str
    values: dict[str, tuple[str, Line]] = field(default_factory=dict)
    identity: list[tuple[str, Line]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    warnings: dict[str, ConfigWarning] = field(default_factory=dict)

    def current_host(self) -> str:
        """What ``Match host`` compares: HostName so far (``%h`` expanded), else the name."""
        hostname = self.values.get("hostname")
        return hostname[0].replace("%h", self.name).replace("%%", "%") if hostname else self.name

    def current_user(self) -> str:
        """What ``Match user`` compares: User so far, else the local user."""
        user = self.values.get("user")
        return user[0] if user else self.local_user

    def warn(self, key: str, text: str) -> None:
        """Note an unsupported directive or criterion that applies to this host."""
        self.warnings.setdefault(key, ConfigWarning(key, text))


def _match(line: Line, state: _State) -> bool:
    result, unsupported = True, []
    words = list(line.args)
    while words:
        word = words.pop(0)
        negate, criterion = word.startswith("!"), word.lstrip("!").lower()
        value = "" if criterion in MATCH_WITHOUT_ARGUMENT else words.pop(0)
        if criterion not in MATCH_SUPPORTED:
            unsupported.append(criterion)
            continue
        subject = {"all": "", "host": state.current_host(), "originalhost": state.name,
                   "user": state.current_user(), "localuser": state.local_user}[criterion]
        matched = criterion == "all" or _pattern_list(subject, value)
        result = result and (matched != negate)
    for criterion in unsupported:
        state.warn(f"Match {criterion}", f"Match {criterion} ({line.where()}) is not evaluated "
                                         "by auditor (never run): that Match block is skipped")
    return result and not unsupported


def _take(line: Line, state: _State) -> None:
    keyword = line.keyword
    if keyword == "identityfile":
        state.identity.append((line.args[0], line))
        state.sources.append(Source(line.file, line.number, f"{line.name} {line.args[0]}"))
    elif keyword in SUPPORTED:
        slot = "proxy" if keyword in ("proxyjump", "proxycommand") else keyword
        if slot not in state.values:
            value = line.rest if keyword == "proxycommand" else line.args[0]
            state.values[slot] = (value, line)
            state.sources.append(Source(line.file, line.number, f"{line.name} {value}"))
    elif keyword not in QUIET:
        state.warn(line.name.lower(), f"{line.name} ({line.where()}) is not supported by "
                                      "auditor and is ignored")


def _walk(config: ConfigFile, state: _State, active: bool, never: bool) -> None:
    for line in config.lines:
        keyword = line.keyword
        if keyword == "host":
            active = not never and _host_matches(state.name, line.args)
            if active:
                state.sources.append(Source(line.file, line.number, f"Host {line.rest}"))
        elif keyword == "match":
            active = not never and _match(line, state)
            if active:
                state.sources.append(Source(line.file, line.number, f"Match {line.rest}"))
        elif keyword == "include":
            for child in line.included:
                _walk(child, state, active, never or not active)
        elif active:
            _take(line, state)


def expand(value: str, tokens: dict[str, str], allowed: str, where: str) -> str:
    """``value`` with its %-tokens replaced (only those in ``allowed``)."""
    def one(found: re.Match[str]) -> str:
        letter = found.group(1)
        if letter == "%":
            return "%"
        if letter not in allowed or letter not in tokens:
            raise SSHConfigError(f"{where}: token %{letter} cannot be used here")
        return tokens[letter]
    return re.sub(r"%(.)", one, value)


def _shell_safe(tokens: dict[str, str], command: str, where: str) -> None:
    for letter in "hnpr":
        value = tokens[letter]
        if f"%{letter}" in command.replace("%%", "") and (
                not SHELL_SAFE.fullmatch(value) or value.startswith("-")):
            raise SSHConfigError(
                f"{where}: ProxyCommand would get %{letter} = '{value[:80]}', which holds "
                "characters a shell interprets; refused (fix that host's name or user)")


def resolve_host(config: ConfigFile | None, name: str, *, user: str | None, port: int | None,
                 local_user: str, home: Path | None = None) -> HostConfig:
    """What ``config`` says for ``name``, with ``user``/``port`` as the command line's.

    Given ``user`` and ``port`` win over the config (as ``ssh -l``/``-p`` do) and take part in
    ``Match user``. Raises SSHConfigError for a token that cannot be expanded or a ProxyCommand
    that would receive shell metacharacters.
    """
    state = _State(name, local_user)
    if user:
        state.values["user"] = (user, Line(Path("inventory"), 0, "User", (user,), user))
    if port is not None:
        state.values["port"] = (str(port), Line(Path("inventory"), 0, "Port", (), str(port)))
    if config is not None:
        _walk(config, state, True, False)
    home_dir = home or Path("~").expanduser()
    set_by_config = frozenset(k for k, (_, line) in state.values.items() if line.number) | (
        {"identityfile"} if state.identity else set())

    def raw(key: str) -> tuple[str, str] | None:
        got = state.values.get(key)
        return (got[0], got[1].where()) if got else None

    hostname_raw = raw("hostname")
    hostname = expand(hostname_raw[0], {"h": name}, TOKENS["hostname"], hostname_raw[1]) \
        if hostname_raw else name
    final_port = int(state.values["port"][0]) if "port" in state.values else 22
    final_user = state.values["user"][0] if "user" in state.values else local_user
    proxy = state.values.get("proxy")
    jump_text = proxy[0] if proxy and proxy[1].keyword == "proxyjump" else ""
    tokens = {"h": hostname, "n": name, "p": str(final_port), "r": final_user,
              "u": local_user, "d": str(home_dir), "i": str(os.getuid()),
              "l": os.uname().nodename, "L": os.uname().nodename.split(".")[0],
              "j": jump_text}
    tokens["C"] = hashlib.sha1((tokens["l"] + hostname + tokens["p"] + final_user + jump_text)
                               .encode(), usedforsecurity=False).hexdigest()
    identity = []
    for text, line in state.identity:
        value = expand(text, tokens, TOKENS["identityfile"], line.where())
        if value == "~" or value.startswith("~/"):
            value = str(home_dir) + value[1:]
        identity.append(Path(value).expanduser())
    proxy_jump = proxy_command = None
    if proxy and proxy[0].lower() != "none":
        text, line = proxy
        value = expand(text, tokens, TOKENS[line.keyword], line.where())
        if line.keyword == "proxyjump":
            proxy_jump = value
        else:
            _shell_safe(tokens, text, line.where())
            proxy_command = value
    return HostConfig(name, hostname, final_port, final_user, tuple(identity), proxy_jump,
                      proxy_command, set_by_config, tuple(state.sources),
                      tuple(state.warnings.values()))
