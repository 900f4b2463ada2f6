"""Discovery records turned into inventory entries, and matched to hosts already listed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.collect.hypervisors.endpoint import Endpoint
from auditor.collect.hypervisors.records import Discovery, HostRecord, VmRecord
from auditor.inventory.load import make_id


def _virtual(endpoint: Endpoint, record: VmRecord | HostRecord) -> dict[str, Any]:
    base: dict[str, Any] = {"endpoint": endpoint.id, "platform": endpoint.kind,
                            "ref": record.ref[:128], "name": record.name}
    if isinstance(record, HostRecord):
        return base | {"cluster": record.cluster, "product": record.product,
                       "version": record.version}
    return base | {
        "uuid": record.uuid, "hypervisor": record.hypervisor, "cluster": record.cluster,
        "power_state": record.power_state,
        "guest_os": record.guest_os_tools or record.guest_os_config or record.guest_id,
        "ips": list(record.ips), "vcpu": record.vcpu, "memory_mb": record.memory_mb,
        "disks_gb": list(record.disks_gb), "disk_provisioned_gb": record.provisioned_gb}


def endpoint_entry(endpoint: Endpoint) -> dict[str, Any]:
    """The ``hypervisors:`` entry an import writes (names of env vars, never secrets)."""
    entry: dict[str, Any] = {"id": endpoint.id, "kind": endpoint.kind, "url": endpoint.url}
    for key in ("user", "password_env", "token_env"):
        if getattr(endpoint, key):
            entry[key] = getattr(endpoint, key)
    if endpoint.ca_file is not None:
        entry["ca_file"] = str(endpoint.ca_file)
    if endpoint.insecure_tls:
        entry["insecure_tls"] = True
    return entry


def host_entries(endpoint: Endpoint, discovery: Discovery,
                 site: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(host entries, notes): every hypervisor host, then every VM, with a unique id each."""
    entries: list[dict[str, Any]] = []
    notes: list[str] = []
    used: set[str] = set()
    records: Sequence[VmRecord | HostRecord] = [*discovery.hosts, *discovery.vms]
    for record in records:
        host_id = make_id(record.name) or make_id(record.ref)
        if host_id in used:
            host_id = make_id(f"{record.name}-{record.ref}")[:64]
            notes.append(f"{record.name}: the name is used twice on {endpoint.shown}; "
                         f"written as '{host_id}'")
        used.add(host_id)
        kind = "hypervisor" if isinstance(record, HostRecord) else "vm"
        entries.append({"id": host_id, "site": site, "transport": endpoint.kind,
                        "kind": kind, "virtual": _virtual(endpoint, record)})
    return entries, notes


def match_existing(existing: Sequence[Mapping[str, Any]],
                   imported: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Imported VMs already listed take that host's id; an SSH host keeps its connection.

    A VM is already listed when a host has its endpoint and ref, its id, or an address
    among the VM's IPs.
    """
    by_id = {str(h.get("id")): h for h in existing}
    by_ref = {((h.get("virtual") or {}).get("endpoint"), (h.get("virtual") or {}).get("ref")):
              str(h.get("id")) for h in existing if h.get("virtual")}
    by_address = {str(h["address"]): str(h.get("id")) for h in existing if h.get("address")}
    out = []
    for entry in imported:
        virtual = entry.get("virtual")
        if not virtual:
            out.append(entry)
            continue
        found = by_ref.get((virtual.get("endpoint"), virtual.get("ref")))
        if found is None and entry["id"] not in by_id:
            found = next((by_address[ip] for ip in virtual.get("ips") or []
                          if ip in by_address), None)
        if found is not None:
            entry = entry | {"id": found}
        old = by_id.get(entry["id"])
        if old is not None and old.get("transport", "ssh") not in ("vsphere", "proxmox"):
            entry = {k: v for k, v in entry.items() if k not in ("transport", "address")}
        out.append(entry)
    return out
