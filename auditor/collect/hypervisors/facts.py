"""Discovery records turned into the facts of DIR/facts/HOST.json, in the SSH collectors' keys.

CPU count, memory, disk and the guest OS go under the same keys the probe fills (``cpu``,
``memory``, ``disks``, ``os``), so judging, sizing and the plan read them unchanged.
Hypervisor-only facts go under ``vm`` and ``hypervisor``. Every other section is unknown,
with the reason, never passed: the hypervisor cannot see inside a guest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from auditor.collect.hypervisors.guestos import guest_os, hypervisor_os
from auditor.collect.hypervisors.records import (
    DatastoreRecord,
    Discovery,
    HostRecord,
    Utilisation,
    VmRecord,
)

GUEST_ONLY = "collected from the hypervisor; scan the guest to judge this"
HYPERVISOR_ONLY = ("collected from the hypervisor API; this host's own configuration is not "
                   "read over it")
FILLED = ("os", "cpu", "memory", "disks")
SECTIONS = ("virtual", "vm", "hypervisor")
"""The sections only a hypervisor API fills (``virtual`` holds no unknowns: controls gate on it)."""


def _days(since: datetime | date | None, today: datetime) -> float | None:
    if since is None:
        return None
    if not isinstance(since, datetime):
        since = datetime(since.year, since.month, since.day, tzinfo=today.tzinfo)
    elif since.tzinfo is None:
        since = since.replace(tzinfo=today.tzinfo)
    return round(max(0.0, (today - since).total_seconds() / 86400), 1)


def _usage(use: Utilisation) -> dict[str, Any]:
    if use.unknown:
        return {"unknown": {"utilisation": use.unknown}}
    return {"period_s": use.period_s, "samples": use.samples, "cpu_avg_pct": use.cpu_avg_pct,
            "cpu_p95_pct": use.cpu_p95_pct, "memory_avg_pct": use.memory_avg_pct,
            "memory_p95_pct": use.memory_p95_pct}


def _sizing(vcpu: int | None, memory_mb: int | None, disk_total_gb: float | None,
            disk_used_gb: float | None, use: Utilisation) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``cpu``/``memory``/``disks`` sections sizing reads, p95 use where measured."""
    facts: dict[str, Any] = {}
    unknown: dict[str, str] = {}
    if vcpu and vcpu >= 1:
        facts["cpu"] = {"count": int(vcpu), "model": None}
        if use.cpu_p95_pct is not None:
            facts["cpu"].update(usage_pct_avg=use.cpu_avg_pct, usage_pct_p95=use.cpu_p95_pct)
    else:
        unknown["cpu"] = "the hypervisor gave no vCPU count"
    if memory_mb:
        facts["memory"] = {"total_mb": int(memory_mb)}
        if use.memory_p95_pct is not None:
            facts["memory"].update(
                used_mb=int(memory_mb * use.memory_p95_pct / 100), used_pct=use.memory_p95_pct,
                used_pct_avg=use.memory_avg_pct, used_pct_p95=use.memory_p95_pct)
    else:
        unknown["memory"] = "the hypervisor gave no memory size"
    if disk_total_gb is not None:
        facts["disks"] = {"filesystems": [], "total_mb": int(disk_total_gb * 1024)}
        if disk_used_gb is not None:
            facts["disks"]["used_mb"] = int(disk_used_gb * 1024)
    else:
        unknown["disks"] = "the hypervisor gave no disk size"
    return facts, unknown


def vm_facts(vm: VmRecord, discovery: Discovery, endpoint_id: str,
             today: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """(facts, unknown) of a VM seen through the hypervisor."""
    use = vm.utilisation
    facts, unknown = _sizing(vm.vcpu, vm.memory_mb, vm.provisioned_gb, vm.disk_used_gb, use)
    os_facts = guest_os(vm.guest_os_tools, vm.guest_os_config, guest_id=vm.guest_id)
    if os_facts:
        facts["os"] = os_facts
    else:
        named = vm.guest_os_tools or vm.guest_os_config or vm.guest_id or "?"
        unknown["os"] = (f"the hypervisor names the guest OS '{named}', which tells no "
                         "release; scan the guest to judge this")
    created = [s.created for s in vm.snapshots if s.created is not None]
    oldest = max((_days(c, today) or 0.0 for c in created), default=0.0)
    vm_section: dict[str, Any] = {
        "platform": discovery.platform, "endpoint": endpoint_id, "ref": vm.ref,
        "name": vm.name, "uuid": vm.uuid, "hypervisor": vm.hypervisor, "cluster": vm.cluster,
        "power_state": vm.power_state, "powered_on": vm.power_state == "on",
        "guest_id": vm.guest_id, "guest_os_config": vm.guest_os_config,
        "guest_os_tools": vm.guest_os_tools,
        "tools_status": vm.tools_status, "ips": list(vm.ips), "hostname": vm.hostname,
        "vcpu": vm.vcpu, "memory_mb": vm.memory_mb, "disks_gb": list(vm.disks_gb),
        "disk_count": vm.disk_count if vm.disk_count is not None else len(vm.disks_gb),
        "disk_provisioned_gb": vm.provisioned_gb,
        "disk_used_gb": vm.disk_used_gb, "nics": vm.nics, "networks": list(vm.networks),
        "snapshot_count": len(vm.snapshots), "oldest_snapshot_days": oldest,
        "snapshots": [{"name": s.name, "created": s.created.isoformat() if s.created else None}
                      for s in vm.snapshots[:50]],
        "utilisation": _usage(use), "unknown": {},
    }
    if vm.boot_time is not None and vm.power_state == "on":
        vm_section["uptime_days"] = _days(vm.boot_time, today)
    if vm.power_state == "on":
        vm_section["powered_off_days"] = 0
    elif vm.powered_off_since is not None:
        vm_section["powered_off_days"] = _days(vm.powered_off_since, today)
    else:
        vm_section["unknown"]["powered_off_days"] = (
            f"powered {vm.power_state}; the API keeps no power-off event for it (off since "
            "before the events it keeps, or the account cannot read events)")
    if vm.tools_status == "unknown":
        vm_section["unknown"]["tools_status"] = "the hypervisor does not say"
    facts["vm"] = vm_section
    facts["virtual"] = {"kind": "vm", "platform": discovery.platform}
    for name in _guest_sections():
        if name not in facts and name not in unknown:
            unknown[name] = GUEST_ONLY
    return facts, unknown


def _stores(names: Iterable[str], stores: Iterable[DatastoreRecord]) -> list[dict[str, Any]]:
    by_name = {s.name: s for s in stores}
    out = []
    for name in names:
        s = by_name.get(name)
        if s is None:
            continue
        free_pct = round(100 * s.free_gb / s.capacity_gb, 1) \
            if s.capacity_gb and s.free_gb is not None else None
        out.append({"name": s.name, "type": s.type, "capacity_gb": s.capacity_gb,
                    "free_gb": s.free_gb, "free_pct": free_pct})
    return out


def host_facts(host: HostRecord, discovery: Discovery, endpoint_id: str,
               today: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """(facts, unknown) of a hypervisor host seen through its API."""
    use = host.utilisation
    facts, unknown = _sizing(host.cpu_count, host.memory_mb, None, None, use)
    unknown.pop("disks", None)
    os_facts = hypervisor_os(host.product, host.version)
    if os_facts:
        facts["os"] = os_facts
    else:
        unknown["os"] = f"product '{host.product or '?'}' version '{host.version or '?'}' not known"
    stores = _stores(host.datastores, discovery.datastores)
    frees = [s["free_pct"] for s in stores if s["free_pct"] is not None]
    section: dict[str, Any] = {
        "platform": discovery.platform, "endpoint": endpoint_id, "ref": host.ref,
        "name": host.name, "cluster": host.cluster, "product": host.product,
        "version": host.version, "build": host.build, "vendor": host.vendor,
        "model": host.model, "bios_date": host.bios_date.isoformat() if host.bios_date else None,
        "power_state": host.power_state, "datastores": stores,
        "vm_count": sum(1 for v in discovery.vms if v.hypervisor == host.name),
        "utilisation": _usage(use), "unknown": {},
    }
    if host.bios_date is not None:
        section["hardware_age_years"] = round((_days(host.bios_date, today) or 0) / 365.25, 1)
    else:
        section["unknown"]["hardware_age_years"] = "the API gives no BIOS release date"
    if frees:
        section["min_datastore_free_pct"] = min(frees)
    else:
        section["unknown"]["min_datastore_free_pct"] = "no datastore capacity reported"
    facts["hypervisor"] = section
    facts["virtual"] = {"kind": "hypervisor", "platform": discovery.platform}
    for name in _guest_sections():
        if name not in facts and name not in unknown:
            unknown[name] = HYPERVISOR_ONLY
    return facts, unknown


def _guest_sections() -> list[str]:
    from auditor.collect.collectors import COLLECTORS

    return [name for name in COLLECTORS if name not in FILLED]
