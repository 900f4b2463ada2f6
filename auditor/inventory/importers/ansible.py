"""Ansible importer: groups become sites by option, connection vars become host fields."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.inventory.importers.ansible_files import AnsibleInventory, Vaulted, read_ansible
from auditor.inventory.importers.builder import ADDRESS_PATTERN, USER_PATTERN, InventoryBuilder
from auditor.inventory.importers.interface import SECRET_VARS, ImportOptions, ImportResult
from auditor.inventory.load import make_id

SSH_CONNECTIONS = ("ssh", "paramiko", "paramiko_ssh", "smart", "ansible.builtin.ssh",
                   "ansible.builtin.paramiko_ssh")
LOCAL_CONNECTIONS = ("local", "ansible.builtin.local")


def group_depths(inv: AnsibleInventory) -> dict[str, int]:
    """Group -> its depth below ``all`` (the longest parent chain)."""
    parents = inv.parents()
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name in depth:
            return depth[name]
        ups = [p for p in parents.get(name, set()) if p not in seen]
        value = 0 if name == "all" else 1 + max((depth_of(p, seen | {name}) for p in ups),
                                                default=0)
        depth[name] = value
        return value

    for name in inv.groups:
        depth_of(name)
    return depth


def group_order(depths: dict[str, int]) -> list[str]:
    """Groups from least to most specific (depth, then name), as Ansible merges their vars."""
    return sorted(depths, key=lambda g: (depths[g], g))


def host_groups(inv: AnsibleInventory) -> dict[str, set[str]]:
    """Host -> every group it belongs to, ancestors and ``all`` included."""
    parents = inv.parents()
    out: dict[str, set[str]] = {h: {"all"} for h in inv.hosts}
    for group in inv.groups.values():
        for host in group.hosts:
            todo, seen = [group.name], set()
            while todo:
                name = todo.pop()
                if name in seen:
                    continue
                seen.add(name)
                todo.extend(parents.get(name, ()))
            out[host] |= seen
    return out


def host_vars(inv: AnsibleInventory, order: list[str], groups: set[str],
              host: str) -> dict[str, Any]:
    """The host's effective vars: its groups' vars in order, then its own."""
    merged: dict[str, Any] = {}
    for name in order:
        if name in groups:
            merged.update(inv.groups[name].vars)
    return merged | inv.hosts[host]


def jump_targets(args: str) -> tuple[list[str], str | None]:
    """ProxyJump hops named in ssh arguments, and a note when they cannot be read."""
    try:
        words = shlex.split(args)
    except ValueError as exc:
        return [], f"cannot split ssh arguments ({exc})"
    value: str | None = None
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "-J":
            value = following
        elif word.startswith("-J"):
            value = word[2:]
        elif word.startswith("-o"):
            option = following if word == "-o" else word[2:]
            key, _, rest = option.replace("=", " ", 1).partition(" ")
            if key.lower() == "proxyjump":
                value = rest.strip()
            elif key.lower() == "proxycommand":
                value = _proxy_command_target(rest.strip())
                if value is None:
                    return [], f"ProxyCommand {rest.strip()!r} is not 'ssh -W %h:%p HOST'"
    if not value or value.lower() == "none":
        return [], None
    return [hop.strip() for hop in value.split(",") if hop.strip()], None


def _proxy_command_target(command: str) -> str | None:
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or Path(words[0]).name != "ssh" or "-W" not in words:
        return None
    rest, skip = [], False
    for index, word in enumerate(words[1:], start=1):
        if skip:
            skip = False
            continue
        if word in ("-W", "-p", "-l", "-i", "-o", "-F") and index + 1 < len(words):
            skip = True
            continue
        if not word.startswith("-"):
            rest.append(word)
    return rest[-1] if len(rest) == 1 else None


def _hop_host(hop: str) -> str:
    host = hop.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0] if host.count(":") == 1 else host


class AnsibleImporter:
    """Reads an Ansible INI or YAML inventory file (or folder)."""

    name = "ansible"
    description = "an Ansible inventory file or folder (INI or YAML, with group_vars/host_vars)"

    def read(self, source: str, options: ImportOptions) -> ImportResult:
        """Map every host of the inventory to an auditor host."""
        path = Path(source)
        inv = read_ansible(path)
        build = InventoryBuilder(options)
        build.warnings.extend(inv.warnings)
        pattern = _compile(options.site_from_group)
        depths = group_depths(inv)
        order = group_order(depths)
        memberships = host_groups(inv)
        all_vars = {h: host_vars(inv, order, memberships[h], h) for h in inv.hosts}
        ids: dict[str, str] = {}
        for name in inv.hosts:
            host_id = build.host_id(name)
            if host_id is not None:
                ids[name] = host_id
        by_address = {str(v.get("ansible_host", v.get("ansible_ssh_host", h))): h
                      for h, v in all_vars.items()}
        base = path if path.is_dir() else path.parent
        for name, host_id in ids.items():
            entry = self._host(build, name, all_vars[name], ids, by_address, base)
            if entry is None:
                continue
            entry["site"] = self._site(build, options, pattern, depths, memberships[name], name)
            build.add_host(host_id, name, entry)
        return build.result()

    @staticmethod
    def _site(build: InventoryBuilder, options: ImportOptions, pattern: re.Pattern[str] | None,
              depths: dict[str, int], groups: set[str], name: str) -> str:
        candidates: list[tuple[str, str]] = []
        for group, site in options.site_map:
            if group in groups:
                candidates.append((site, group))
        if pattern is not None:
            for group in sorted(groups, key=lambda g: (-depths.get(g, 0), g)):
                match = pattern.fullmatch(group)
                if match:
                    site_name = match.group(1) if pattern.groups else group
                    candidates.append((make_id(site_name), site_name))
        candidates = [(s, n) for s, n in candidates if s]
        if not candidates:
            return build.default_site()
        site, site_name = candidates[0]
        others = sorted({s for s, _ in candidates[1:]} - {site})
        if others:
            build.warn(f"host {name!r} is in groups for several sites ({site}, "
                       f"{', '.join(others)}); placed in '{site}'")
        return build.site(site, site_name)

    @staticmethod
    def _host(build: InventoryBuilder, name: str, variables: dict[str, Any],
              ids: dict[str, str], by_address: dict[str, str], base: Path) -> dict[str, Any] | None:
        return _HostReader(build, name, variables, ids, by_address).entry(base)


@dataclass(frozen=True)
class _HostReader:
    """Reads one Ansible host's variables into an auditor host entry, noting what it skips."""

    build: InventoryBuilder
    name: str
    variables: dict[str, Any]
    ids: dict[str, str]
    """Auditor id of every Ansible host that gets one."""
    by_address: dict[str, str]
    """Ansible host name by its address (a ProxyJump may name either)."""

    @property
    def label(self) -> str:
        """How skipped fields of this host are named."""
        return f"host {self.ids[self.name]}"

    def entry(self, base: Path) -> dict[str, Any] | None:
        """The host entry, or None (and the reason skipped) when it cannot be audited."""
        for secret in sorted(SECRET_VARS & set(self.variables)):
            self.build.skip(f"{self.label}: {secret}", _secret_advice(secret))
        if not self._audited_over_ssh():
            return None
        address = self.text("ansible_host", "ansible_ssh_host") or self.name
        if not ADDRESS_PATTERN.fullmatch(address):
            self.build.skip(f"host {self.name!r}",
                            f"address {address!r} is not an IP address or DNS name")
            return None
        entry: dict[str, Any] = {"address": address}
        self._login(entry, base)
        self._jump(entry)
        return entry

    def text(self, *keys: str) -> str | None:
        """The first of ``keys`` set, as text; None (and a note) when vaulted or templated."""
        for key in keys:
            value = self.variables.get(key)
            if value is None:
                continue
            if isinstance(value, Vaulted):
                self.build.skip(f"{self.label}: {key}", "encrypted with ansible-vault; not read")
                return None
            value = str(value)
            if "{{" in value or "{%" in value:
                self.build.skip(f"{self.label}: {key}", f"templated value {value!r} is not "
                                                        "evaluated; set it by hand")
                return None
            return value
        return None

    def _audited_over_ssh(self) -> bool:
        connection = self.text("ansible_connection") or "ssh"
        if connection in LOCAL_CONNECTIONS:
            self.build.skip(f"host {self.name!r}", "connection 'local' is the Ansible control "
                                                   "machine, not a pemda server; add it by hand "
                                                   "with transport: local if it should be "
                                                   "audited")
            return False
        if connection not in SSH_CONNECTIONS:
            self.build.skip(f"host {self.name!r}",
                            f"connection '{connection}' cannot be audited over SSH")
            return False
        return True

    def _login(self, entry: dict[str, Any], base: Path) -> None:
        """Port, user and key file, each written only when valid."""
        port = self.text("ansible_port", "ansible_ssh_port")
        if port is not None:
            if port.isdigit() and 1 <= int(port) <= 65535:
                entry["port"] = int(port)
            else:
                self.build.skip(f"{self.label}: ansible_port",
                                f"{port!r} is not a port number (1-65535)")
        user = self.text("ansible_user", "ansible_ssh_user")
        if user is not None:
            if USER_PATTERN.fullmatch(user):
                entry["user"] = user
            else:
                self.build.skip(f"{self.label}: ansible_user", f"{user!r} is not a valid user name")
        key = self.text("ansible_ssh_private_key_file", "ansible_private_key_file")
        if key is not None:
            key_path = Path(key).expanduser()
            entry["key_file"] = str(key_path if key_path.is_absolute() else base / key_path)

    def _jump(self, entry: dict[str, Any]) -> None:
        """The jump host from a ProxyJump in the SSH arguments, when it is in the inventory."""
        args = " ".join(a for a in (self.text("ansible_ssh_common_args"),
                                    self.text("ansible_ssh_extra_args")) if a)
        if not args:
            return
        hops, problem = jump_targets(args)
        if problem:
            self.build.skip(f"{self.label}: ansible_ssh_common_args", problem)
        if len(hops) > 1:
            self.build.warn(f"{self.label}: ProxyJump through {len(hops)} hops; only the last "
                            f"({hops[-1]}) is written as its jump host; give that host its own "
                            "jump for the rest")
        if not hops:
            return
        target = _hop_host(hops[-1])
        jump_name = target if target in self.ids else self.by_address.get(target)
        if jump_name is None or jump_name not in self.ids:
            self.build.skip(f"{self.label}: ProxyJump {hops[-1]}",
                            "the jump host is not in the inventory; add it as a host and "
                            "set jump: ITS_ID")
        elif jump_name == self.name:
            self.build.skip(f"{self.label}: ProxyJump {hops[-1]}", "a host cannot jump through "
                                                                    "itself")
        else:
            entry["jump"] = self.ids[jump_name]


def _secret_advice(variable: str) -> str:
    if "become" in variable or "sudo" in variable or "su_" in variable:
        return "secrets are never written, and the read-only audit does not need privilege " \
               "escalation"
    if "passphrase" in variable:
        return "secrets are never written; keep the passphrase in an environment variable and " \
               "set passphrase_env: ITS_NAME on the host"
    return "secrets are never written; keep the password in an environment variable and set " \
           "password_env: ITS_NAME on the host"


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InputError(f"--site-from-group: not a regular expression ({exc})") from None
    if compiled.groups > 1:
        raise InputError("--site-from-group: use at most one capture group (the site name)")
    return compiled
