"""Collects sites and hosts while an importer reads, with id checks and notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from auditor.inventory.importers.interface import (
    ImportOptions,
    ImportResult,
    Skipped,
    default_site_id,
)
from auditor.inventory.load import make_id

ADDRESS_PATTERN = re.compile(r"^[A-Za-z0-9.:_\[\]-]{1,253}$")
USER_PATTERN = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$")
HOST_KEY_ORDER = ("id", "site", "transport", "address", "port", "user", "key_file",
                  "password_env", "passphrase_env", "agent", "jump", "timeout", "role",
                  "criticality", "applications", "data_classification", "notes")


def ordered_host(host: dict[str, Any]) -> dict[str, Any]:
    """The host's keys in the order people read them."""
    known = {k: host[k] for k in HOST_KEY_ORDER if k in host}
    return known | {k: v for k, v in host.items() if k not in known}


@dataclass
class InventoryBuilder:
    """Mutable while one importer runs; ``result()`` freezes it into an ImportResult."""

    options: ImportOptions
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """Host id -> the source's own name for it."""
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def skip(self, item: str, reason: str) -> None:
        """Note something not imported."""
        self.skipped.append(Skipped(item, reason))

    def warn(self, message: str) -> None:
        """Note something imported that is worth a look."""
        self.warnings.append(message)

    def site(self, site_id: str, name: str | None = None, kind: str | None = None,
             address: str | None = None) -> str:
        """Make sure a site exists; return its id."""
        if site_id not in self.sites:
            entry: dict[str, Any] = {"id": site_id, "name": (name or site_id)[:200],
                                     "kind": kind or self.options.kind_of(site_id)}
            if address:
                entry["address"] = address[:500]
            self.sites[site_id] = entry
        return site_id

    def default_site(self) -> str:
        """The site for hosts nothing else places."""
        site_id = default_site_id(self.options)
        return self.site(site_id, self.options.default_site_name or site_id)

    def host_id(self, name: str) -> str | None:
        """A free, valid id for the source name, or None (reported) when there is none."""
        host_id = make_id(name)
        if not host_id:
            self.skip(f"host {name!r}", "its name has no letter or digit to make an id from")
            return None
        if host_id in self.names:
            self.skip(f"host {name!r}", f"its id '{host_id}' is already used by "
                                        f"{self.names[host_id]!r}; rename one of them")
            return None
        if host_id != name:
            self.warn(f"host {name!r} is written as id '{host_id}' (ids are lower-case "
                      "letters, digits, '.', '_', '-')")
        self.names[host_id] = name
        return host_id

    def add_host(self, host_id: str, name: str, host: dict[str, Any]) -> None:
        """Record a built host under an id from ``host_id()``."""
        self.hosts[host_id] = ordered_host({"id": host_id} | host)
        self.names.setdefault(host_id, name)

    def result(self) -> ImportResult:
        """The frozen result; jumps to hosts that were not imported are dropped and reported."""
        for host in self.hosts.values():
            jump = host.get("jump")
            if jump is not None and jump not in self.hosts:
                del host["jump"]
                self.skip(f"host {host['id']}: jump {jump}",
                          "the jump host was not imported; fix it and import again")
        used = {h["site"] for h in self.hosts.values()}
        sites = [s for s in self.sites.values() if s["id"] in used]
        return ImportResult(data={"sites": sites, "hosts": list(self.hosts.values())},
                            skipped=tuple(self.skipped), warnings=tuple(self.warnings))
