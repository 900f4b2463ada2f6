"""~/.ssh/config as OpenSSH reads it: Include, Host and Match blocks, %-tokens, first value wins."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from auditor.collect.transports.ssh_config_read import (
    MATCH_WITHOUT_ARGUMENT,
    TOKENS,
    ConfigFile,
    Line,
    SSHConfigError,
    load_config,
)

__all__ = ["ConfigFile", "ConfigWarning", "HostConfig", "SSHConfigError", "Source",
           "load_config", "resolve_host"]

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
SHELL_SAFE = re.compile(r"[A-Za-z0-9._:@+=,/\[\]-]+")
"""Values that may be pasted into a ProxyCommand (a shell command line) unquoted."""


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


def _environment(value: str, where: str) -> str:
    """``${NAME}`` replaced by the environment variable, as OpenSSH does in IdentityFile."""
    def one(found: re.Match[str]) -> str:
        if found.group(1) not in os.environ:
            raise SSHConfigError(f"{where}: environment variable {found.group(1)} is not set")
        return os.environ[found.group(1)]
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", one, value)


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
              "j": jump_text, "k": name}
    tokens["C"] = hashlib.sha1((tokens["l"] + hostname + tokens["p"] + final_user + jump_text)
                               .encode(), usedforsecurity=False).hexdigest()
    identity = []
    for text, line in state.identity:
        value = _environment(expand(text, tokens, TOKENS["identityfile"], line.where()),
                             line.where())
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
