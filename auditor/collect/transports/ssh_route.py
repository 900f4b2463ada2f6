"""Where and as whom to connect: the inventory first, then ~/.ssh/config, jump hosts included."""

from __future__ import annotations

import getpass
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from auditor.collect.transports.ssh_config import (
    ConfigFile,
    ConfigWarning,
    HostConfig,
    SSHConfigError,
    load_config,
    resolve_host,
)
from auditor.collect.transports.ssh_keys import known_hosts_name
from auditor.inventory.load import Host, Inventory

LOG = logging.getLogger("auditor.ssh")

MAX_HOPS = 8
"""Longest chain of jump hosts followed."""

DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")
"""Key files in ~/.ssh tried when nothing else says how to log in (as OpenSSH does)."""


class RouteError(Exception):
    """The inventory and ssh config do not give a usable way to reach the host."""


@dataclass(frozen=True)
class Hop:
    """One SSH connection of a route: where it goes and the credentials it may use."""

    label: str
    """How messages name it: the inventory host id, or the ssh-config name."""
    hostname: str
    port: int
    user: str
    key_files: tuple[Path, ...] = ()
    passphrase_env: str | None = None
    password_env: str | None = None
    """Only a host's own password is ever sent to it, never to the hosts it jumps through."""
    agent: bool = False
    proxy_command: str | None = None
    """The ssh config's ProxyCommand (tokens expanded): run to reach the first hop."""

    @property
    def key_name(self) -> str:
        """The name its host key is filed under in known_hosts."""
        return known_hosts_name(self.hostname, self.port)


class SSHConfigs:
    """ssh config files parsed once per scan; each unsupported directive warned once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: dict[str, ConfigFile | SSHConfigError | None] = {}
        self._warned: set[str] = set()

    def get(self, path: str | None) -> ConfigFile | None:
        """The parsed file, or None when there is none; raises RouteError if unusable."""
        if not path:
            return None
        full = str(Path(path).expanduser())
        with self._lock:
            if full not in self._parsed:
                try:
                    self._parsed[full] = load_config(Path(full))
                except SSHConfigError as exc:
                    self._parsed[full] = exc
            parsed = self._parsed[full]
        if isinstance(parsed, SSHConfigError):
            raise RouteError(f"ssh config: {parsed}")
        return parsed

    def warn(self, host: str, warnings: tuple[ConfigWarning, ...]) -> None:
        """Log each warning the first time its directive or criterion shows up in a scan."""
        for warning in warnings:
            with self._lock:
                if warning.key in self._warned:
                    continue
                self._warned.add(warning.key)
            LOG.warning("ssh config: %s (first seen for host %s)", warning.text, host)


def _explicit(inventory: Inventory, host_id: str) -> set[str]:
    """Connection keys the inventory itself sets for this host (its own or defaults)."""
    raw = inventory.raw
    given = set((raw.get("defaults") or {}).keys())
    for entry in raw.get("hosts") or []:
        if isinstance(entry, dict) and entry.get("id") == host_id:
            given |= set(entry.keys())
    return given


def _default_keys() -> tuple[Path, ...]:
    folder = Path("~/.ssh").expanduser()
    return tuple(folder / n for n in DEFAULT_KEYS if (folder / n).is_file())


def _lookup(config: ConfigFile | None, configs: SSHConfigs, label: str, name: str,
            user: str | None, port: int | None) -> HostConfig:
    """The config's answer for ``name`` (logged for --verbose, warnings reported)."""
    try:
        found = resolve_host(config, name, user=user, port=port, local_user=getpass.getuser())
    except SSHConfigError as exc:
        raise RouteError(f"ssh config: {exc}") from None
    configs.warn(label, found.warnings)
    for source in found.sources:
        LOG.debug("%s: ssh config %s line %d: %s", label, source.file, source.number,
                  source.text)
    return found


def _host_hop(host: Host, inventory: Inventory, config: ConfigFile | None,
              configs: SSHConfigs) -> tuple[Hop, HostConfig]:
    if not host.address:
        raise RouteError("the host has no address")
    given = _explicit(inventory, host.id)
    found = _lookup(config, configs, host.id, host.address,
                    host.user if "user" in given and host.user else None,
                    host.port if "port" in given else None)
    user = found.user if "user" in found.set_by_config or "user" in given or not host.user \
        else host.user
    keys: tuple[Path, ...] = (host.key_file,) if host.key_file else found.identity_files
    if not keys and not host.password_env and not host.agent:
        keys = _default_keys()
    proxy = None if host.jump else found.proxy_command
    return Hop(host.id, found.hostname, found.port, user, keys, host.passphrase_env,
               host.password_env, host.agent, proxy), found


def _split_jump(item: str, spec: str) -> tuple[str, str, int | None]:
    """``[user@]host[:port]`` (or ``ssh://``, ``[v6]:port``) as user, host, port."""
    if item.startswith("ssh://"):
        item = item[len("ssh://"):]
    user, _, rest = item.rpartition("@")
    name, port_text = rest, ""
    if rest.startswith("["):
        name, _, tail = rest[1:].partition("]")
        port_text = tail.lstrip(":")
    elif rest.count(":") == 1:
        name, _, port_text = rest.partition(":")
    if not name:
        raise RouteError(f"ProxyJump '{spec}' in ssh config is not understood")
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise RouteError(f"ProxyJump '{spec}' in ssh config has a bad port")
    return user, name, int(port_text) if port_text else None


def _proxy_jumps(spec: str, via: Hop, config: ConfigFile | None, configs: SSHConfigs,
                 depth: int) -> list[Hop]:
    """Hops of an ssh-config ProxyJump list ``[user@]host[:port],...``.

    As with ``ssh -J``, the first jump host's own ProxyJump or ProxyCommand is honoured
    (the later ones are reached through the one before).
    """
    hops: list[Hop] = []
    for index, item in enumerate(i.strip() for i in spec.split(",")):
        user, name, port = _split_jump(item, spec)
        found = _lookup(config, configs, f"{via.label} (jump {name})", name, user or None, port)
        hop_user = found.user if user or "user" in found.set_by_config else via.user
        hop = Hop(name, found.hostname, found.port, hop_user,
                  found.identity_files + via.key_files, via.passphrase_env, None, via.agent,
                  found.proxy_command if index == 0 else None)
        if index == 0 and found.proxy_jump and found.proxy_jump.lower() != "none":
            if depth >= MAX_HOPS:
                raise RouteError(f"more than {MAX_HOPS} jump hosts")
            hops.extend(_proxy_jumps(found.proxy_jump, hop, config, configs, depth + 1))
        hops.append(hop)
    return hops


def resolve_route(host: Host, inventory: Inventory, configs: SSHConfigs,
                  config_path: str | None) -> tuple[Hop, ...]:
    """Hops from the first connection to ``host`` itself (the last)."""
    config = configs.get(config_path)
    chain: list[Hop] = []
    current: Host | None = host
    while current is not None:
        if len(chain) >= MAX_HOPS:
            raise RouteError(f"more than {MAX_HOPS} jump hosts")
        hop, found = _host_hop(current, inventory, config, configs)
        chain.insert(0, hop)
        if current.jump:
            if found.proxy_jump or found.proxy_command:
                LOG.debug("%s: the inventory's jump host '%s' is used, not the ssh config's "
                          "ProxyJump/ProxyCommand", current.id, current.jump)
            current = inventory.host(current.jump)
            if current.transport != "ssh":
                raise RouteError(f"jump host '{current.id}' is not an ssh host")
            continue
        if found.proxy_jump and not hop.proxy_command:
            chain[0:0] = _proxy_jumps(found.proxy_jump, hop, config, configs, len(chain))
            if len(chain) > MAX_HOPS:
                raise RouteError(f"more than {MAX_HOPS} jump hosts")
        current = None
    if LOG.isEnabledFor(logging.DEBUG):
        LOG.debug("%s: route: %s", host.id, " > ".join(_describe(h) for h in chain))
    return tuple(chain)


def _describe(hop: Hop) -> str:
    """A hop for --verbose: who, where, which keys (paths only), how it is reached."""
    how = f" via ProxyCommand '{hop.proxy_command}'" if hop.proxy_command else ""
    keys = ", ".join(str(k) for k in hop.key_files) or "no key file"
    extra = (", agent" if hop.agent else "") + (
        f", password from ${hop.password_env}" if hop.password_env else "")
    return f"{hop.label} ({hop.user}@{hop.hostname} port {hop.port}{how}; {keys}{extra})"
