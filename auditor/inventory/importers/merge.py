"""Merges imported sites and hosts into an existing inventory without losing hand-made fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.inventory.importers.builder import ordered_host

SOURCE_KEYS = ("transport", "address", "port", "user", "key_file", "jump", "kind", "virtual")
"""Host keys the source owns: on re-import they take the source's value."""
PLACED_KEYS = ("site",)
"""Host keys the existing file owns once set (people move hosts to the right site by hand)."""


@dataclass(frozen=True)
class MergeOutcome:
    """The merged document and what changed."""

    data: dict[str, Any]
    added: tuple[str, ...]
    """Host ids new in this import."""
    updated: tuple[str, ...]
    """Existing host ids whose connection fields changed."""
    unchanged: tuple[str, ...]
    """Existing host ids the source gave again, with nothing new."""
    kept: tuple[str, ...]
    """Existing host ids the source no longer has: kept, for a person to decide."""
    sites_added: tuple[str, ...]


def merge_host(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The existing host with the source's connection fields; everything else kept."""
    merged = dict(old)
    for key in SOURCE_KEYS:
        if key in new:
            merged[key] = new[key]
    if new.get("transport") == "local":
        merged.pop("address", None)
        merged.pop("jump", None)
    elif "address" in new and merged.get("transport") == "local":
        del merged["transport"]
    for key, value in new.items():
        if key not in merged and key not in PLACED_KEYS:
            merged[key] = value
    return ordered_host(merged)


def merge(existing: dict[str, Any], imported: dict[str, Any]) -> MergeOutcome:
    """Existing sites and hosts first (in their order), then new ones; nothing dropped."""
    data = dict(existing)
    sites = [dict(s) for s in existing.get("sites") or []]
    site_ids = {s.get("id") for s in sites}
    hosts = [dict(h) for h in existing.get("hosts") or []]
    index = {h.get("id"): i for i, h in enumerate(hosts)}
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    seen: set[str] = set()
    imported_hosts = imported["hosts"]
    if imported.get("hypervisors"):
        from auditor.collect.hypervisors.entries import match_existing

        imported_hosts = match_existing(hosts, imported_hosts)
        known = {e.get("id") for e in data.get("hypervisors") or []}
        data["hypervisors"] = [*(data.get("hypervisors") or []),
                               *(e for e in imported["hypervisors"] if e["id"] not in known)]
    for host in imported_hosts:
        host_id = host["id"]
        seen.add(host_id)
        if host_id in index:
            old = hosts[index[host_id]]
            new = merge_host(old, host)
            (unchanged if new == ordered_host(old) else updated).append(host_id)
            hosts[index[host_id]] = new
        else:
            index[host_id] = len(hosts)
            hosts.append(host)
            added.append(host_id)
    used = {h.get("site") for h in hosts}
    sites_added: list[str] = []
    for site in imported["sites"]:
        if site["id"] not in site_ids and site["id"] in used:
            sites.append(site)
            site_ids.add(site["id"])
            sites_added.append(site["id"])
    data["sites"] = sites
    data["hosts"] = hosts
    kept = tuple(str(h.get("id")) for h in hosts if h.get("id") not in seen)
    return MergeOutcome(data=data, added=tuple(added), updated=tuple(updated),
                        unchanged=tuple(unchanged), kept=kept, sites_added=tuple(sites_added))
