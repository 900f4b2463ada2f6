"""Right-sizing a host from its facts and fitting it into an offering's flavours."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.recommend.catalogue import Offering, SiteAssumptions
from auditor.recommend.common import dig, number, text

SIZING_FACTS = ("cpu.count", "load average", "memory.total_mb", "memory.used", "disk use")
"""What sizing would like to know; the confidence rating is the share of these found."""


@dataclass(frozen=True)
class Usage:
    """What one probe tells about a host's size and use."""

    cpu_count: int | None
    load: float | None
    load_name: str | None
    memory_total_mb: float | None
    memory_used_mb: float | None
    memory_used_pct: float | None
    disk_used_mb: float | None
    disk_total_mb: float | None

    @property
    def present(self) -> list[str]:
        """The sizing facts this host has."""
        have = (self.cpu_count is not None, self.load is not None,
                self.memory_total_mb is not None, self.memory_used_mb is not None,
                self.disk_used_mb is not None)
        return [name for name, ok in zip(SIZING_FACTS, have, strict=True) if ok]

    @property
    def cpu_pct(self) -> float | None:
        """CPU use as load average / CPU count, in percent."""
        if self.load is None or not self.cpu_count:
            return None
        return round(100 * self.load / self.cpu_count, 1)


def usage_of(facts: Mapping[str, Any]) -> Usage:
    """Sizing facts from a facts file, each checked (untrusted data)."""
    count = number(dig(facts, "cpu", "count"))
    load: float | None = None
    load_name: str | None = None
    for name in ("load_15", "load_5", "load_1"):
        load = number(dig(facts, "uptime", name))
        if load is not None:
            load_name = name
            break
    total = number(dig(facts, "memory", "total_mb"))
    used = number(dig(facts, "memory", "used_mb"))
    pct = number(dig(facts, "memory", "used_pct"))
    if pct is None and used is not None and total:
        pct = round(100 * used / total, 1)
    if used is None and pct is not None and total:
        used = total * pct / 100
    return Usage(
        cpu_count=int(count) if count and count >= 1 else None, load=load, load_name=load_name,
        memory_total_mb=total or None, memory_used_mb=used, memory_used_pct=pct,
        disk_used_mb=number(dig(facts, "disks", "used_mb")),
        disk_total_mb=number(dig(facts, "disks", "total_mb")))


@dataclass(frozen=True)
class Required:
    """The size a host needs on the target, and how it was worked out."""

    vcpu: int
    memory_gb: float
    disk_gb: float
    method: str
    """``performance-based``, ``partly performance-based`` or ``as-on-premises``."""
    basis: dict[str, str]
    confidence: int
    """1–5 stars: the share of SIZING_FACTS available, in fifths (at least 1)."""

    def to_data(self, usage: Usage) -> dict[str, Any]:
        """The sizing block of a host plan."""
        return {"method": self.method, "basis": self.basis,
                "required": {"vcpu": self.vcpu, "memory_gb": self.memory_gb,
                             "disk_gb": self.disk_gb},
                "confidence": self.confidence, "facts_used": usage.present,
                "facts_missing": [f for f in SIZING_FACTS if f not in usage.present]}


def _disk_gb(usage: Usage, a: SiteAssumptions) -> tuple[int, str] | None:
    if usage.disk_used_mb is not None:
        used = usage.disk_used_mb
        how = f"disk {used / 1024:.1f} GB used × headroom {a('disk_headroom')}"
    elif usage.disk_total_mb is not None:
        used = usage.disk_total_mb * a("unknown_disk_used_share")
        how = (f"disk use unknown: {a('unknown_disk_used_share')} of "
               f"{usage.disk_total_mb / 1024:.1f} GB provisioned × headroom {a('disk_headroom')}")
    else:
        return None
    return max(10, math.ceil(used * a("disk_headroom") / 1024)), how


def required_size(usage: Usage, a: SiteAssumptions) -> Required | None:
    """Size from use × comfort factor where use is known, else as on premises; None if too little.

    CPU and memory are sized separately: each is performance-based when its use is known (load
    average, memory used), else as on premises (CPU count, memory total).
    """
    disk = _disk_gb(usage, a)
    confidence = max(1, math.ceil(5 * len(usage.present) / len(SIZING_FACTS)))
    comfort = a("comfort_factor")
    if usage.load is not None:
        # A load above the CPU count is queueing, not more CPUs in use: the host is busy on
        # all it has, so size from that (use is capped at 100%, as the assessors do).
        busy = min(usage.load, usage.cpu_count) if usage.cpu_count else usage.load
        capped_en = f" (capped at {usage.cpu_count} CPUs)" if busy < usage.load else ""
        capped_id = f" (dibatasi {usage.cpu_count} CPU)" if busy < usage.load else ""
        vcpu = max(1, math.ceil(busy * comfort))
        cpu_en = (f"{usage.load_name} {usage.load:g}{capped_en} × comfort {comfort:g} → "
                  f"{vcpu} vCPU")
        cpu_id = (f"{usage.load_name} {usage.load:g}{capped_id} × faktor kenyamanan "
                  f"{comfort:g} → {vcpu} vCPU")
    elif usage.cpu_count is not None:
        vcpu = usage.cpu_count
        cpu_en = f"no load average: {vcpu} CPU as on premises"
        cpu_id = f"tanpa data beban: {vcpu} CPU seperti di lokasi"
    else:
        return None
    if usage.memory_used_mb is not None:
        memory = max(1, math.ceil(usage.memory_used_mb * comfort / 1024))
        mem_en = (f"memory {usage.memory_used_mb / 1024:.1f} GB used × {comfort:g} → "
                  f"{memory} GB")
        mem_id = (f"memori {usage.memory_used_mb / 1024:.1f} GB terpakai × {comfort:g} → "
                  f"{memory} GB")
    elif usage.memory_total_mb is not None:
        memory = max(1, math.ceil(usage.memory_total_mb / 1024))
        mem_en = f"memory use unknown: {memory} GB as on premises"
        mem_id = f"pemakaian memori tidak diketahui: {memory} GB seperti di lokasi"
    else:
        return None
    if disk is None:
        return None
    measured = (usage.load is not None) + (usage.memory_used_mb is not None)
    method = ("performance-based", "partly performance-based", "as-on-premises")[2 - measured]
    note_en = "from one probe (current use, not p95)" if measured else "no use measured"
    note_id = "dari satu probe (pemakaian saat ini, bukan p95)" if measured \
        else "pemakaian tidak terukur"
    basis = text(f"{method} {note_id}: {cpu_id}; {mem_id}; disk {disk[1]} → {disk[0]} GB",
                 f"{method} {note_en}: {cpu_en}; {mem_en}; {disk[1]} → {disk[0]} GB")
    return Required(vcpu, memory, disk[0], method, basis, confidence)


def fit(offering: Offering, need: Required) -> dict[str, Any] | None:
    """The smallest flavour of ``offering`` that holds ``need``, as a target; None if none."""
    limits = offering.limits
    max_disk = limits.get("max_disk_gb", math.inf)
    if need.disk_gb > max_disk:
        return None
    base: dict[str, Any] = {"offering": offering.id, "offering_name": offering.name,
                            "kind": offering.kind, "provider": offering.provider,
                            "sizing": need.method}
    if not offering.flavours:
        if need.vcpu > limits.get("max_vcpu", math.inf) or \
                need.memory_gb > limits.get("max_memory_gb", math.inf):
            return None
        return base | {"flavour": None, "disk_gb": need.disk_gb,
                       "price_idr_per_year": offering.price_idr_per_year}
    fitting = [f for f in offering.flavours
               if f.vcpu >= need.vcpu and f.memory_gb >= need.memory_gb]
    if not fitting:
        return None
    best = min(fitting, key=lambda f: (f.price_idr_per_year, f.vcpu, f.memory_gb, f.disk_gb))
    extra = max(0.0, need.disk_gb - best.disk_gb)
    return base | {"flavour": best.id, "vcpu": best.vcpu, "memory_gb": best.memory_gb,
                   "disk_gb": max(best.disk_gb, need.disk_gb),
                   "price_idr_per_year": round(best.price_idr_per_year
                                               + extra * offering.price_idr_per_extra_gb_year)}
