"""Where and as whom to connect: the inventory first, then ~/.ssh/config, jump hosts included."""

from __future__ import annotations

import getpass
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

from auditor.inventory import Host, Inventory
from auditor.transports.ssh_keys import known_hosts_name

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

    @property
    def key_name(self) -> str:
        """The name its host key is filed under in known_hosts."""
        return known_hosts_name(self.hostname, self.port)


class SSHConfigs:
    """ssh config files parsed once per scan."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: dict[str, paramiko.SSHConfig | None] = {}

    def get(self, path: str | None) -> paramiko.SSHConfig | None:
        """The parsed file, or None when there is none; raises RouteError if unreadable."""
        if not path:
            return None
        full = str(Path(path).expanduser())
        with self._lock:
            if full not in self._parsed:
                try:
                    self._parsed[full] = paramiko.SSHConfig.from_path(full)
                except FileNotFoundError:
                    self._parsed[full] = None
                except Exception as exc:
                    raise RouteError(f"cannot read ssh config {full} "
                                     f"({type(exc).__name__})") from exc
            return self._parsed[full]


def _lookup(config: paramiko.SSHConfig | None, name: str) -> dict[str, Any]:
    if config is None:
        return {}
    try:
        return dict(config.lookup(name))
    except Exception as exc:
        raise RouteError(f"ssh config entry for '{name}' cannot be used "
                         f"({type(exc).__name__})") from exc


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


def _config_keys(entry: dict[str, Any]) -> tuple[Path, ...]:
    return tuple(Path(p).expanduser() for p in entry.get("identityfile", []))


def _host_hop(host: Host, inventory: Inventory, config: paramiko.SSHConfig | None,
              ) -> tuple[Hop, dict[str, Any]]:
    if not host.address:
        raise RouteError("the host has no address")
    given = _explicit(inventory, host.id)
    entry = _lookup(config, host.address)
    hostname = str(entry.get("hostname") or host.address)
    port = host.port if "port" in given or "port" not in entry else int(entry["port"])
    user = host.user if "user" in given and host.user else (entry.get("user") or
                                                           host.user or getpass.getuser())
    keys: tuple[Path, ...] = (host.key_file,) if host.key_file else _config_keys(entry)
    if not keys and not host.password_env and not host.agent:
        keys = _default_keys()
    return Hop(host.id, hostname, port, str(user), keys, host.passphrase_env,
               host.password_env, host.agent), entry


def _proxy_jumps(spec: str, via: Hop, config: paramiko.SSHConfig | None) -> list[Hop]:
    """Hops of an ssh-config ProxyJump list ``[user@]host[:port],...``."""
    hops = []
    for item in spec.split(","):
        item = item.strip()
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
        entry = _lookup(config, name)
        try:
            port = int(port_text or entry.get("port") or 22)
        except ValueError as exc:
            raise RouteError(f"ProxyJump '{spec}' in ssh config has a bad port") from exc
        keys = _config_keys(entry) + via.key_files
        hops.append(Hop(name, str(entry.get("hostname") or name), port,
                        user or str(entry.get("user") or via.user), keys, via.passphrase_env,
                        None, via.agent))
    return hops


def resolve_route(host: Host, inventory: Inventory,
                  config: paramiko.SSHConfig | None) -> tuple[Hop, ...]:
    """Hops from the first connection to ``host`` itself (the last)."""
    chain: list[Hop] = []
    current: Host | None = host
    while current is not None:
        if len(chain) >= MAX_HOPS:
            raise RouteError(f"more than {MAX_HOPS} jump hosts")
        hop, entry = _host_hop(current, inventory, config)
        chain.insert(0, hop)
        if current.jump:
            current = inventory.host(current.jump)
            if current.transport != "ssh":
                raise RouteError(f"jump host '{current.id}' is not an ssh host")
            continue
        proxy = str(entry.get("proxyjump") or "none")
        if proxy.lower() != "none":
            chain[0:0] = _proxy_jumps(proxy, hop, config)
            if len(chain) > MAX_HOPS:
                raise RouteError(f"more than {MAX_HOPS} jump hosts")
        current = None
    return tuple(chain)
