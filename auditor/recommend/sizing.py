"""Right-sizing a host from its facts and fitting it into an offering's flavours."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.messages import message
from auditor.numbers import Num
from auditor.recommend.catalogue import Offering, SiteAssumptions
from auditor.recommend.common import dig, number

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
    samples: int | None = None
    """Utilisation samples behind ``load`` when a hypervisor measured it (p95), else None."""
    cpu_avg_pct: float | None = None
    """Average CPU use over the hypervisor's samples (idle is judged on averages)."""
    memory_avg_pct: float | None = None

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
    p95 = number(dig(facts, "cpu", "usage_pct_p95"))
    samples: int | None = None
    if load is None and p95 is not None and count and count >= 1:
        # a hypervisor's 95th percentile of CPU use: as many CPUs busy as that share of them
        load, load_name = round(int(count) * min(p95, 100.0) / 100, 2), "cpu_p95"
        for section in ("vm", "hypervisor"):
            found = number(dig(facts, section, "utilisation", "samples"))
            samples = int(found) if found else samples
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
        disk_total_mb=number(dig(facts, "disks", "total_mb")), samples=samples,
        cpu_avg_pct=number(dig(facts, "cpu", "usage_pct_avg")),
        memory_avg_pct=number(dig(facts, "memory", "used_pct_avg")))


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


METHOD_NAMES = {"performance-based": message("plan.size.performance_based"),
                "partly performance-based": message("plan.size.partly_performance_based"),
                "as-on-premises": message("plan.size.as_on_premises")}
"""Each sizing method's name in both languages."""
LOAD_NAMES = {"load_15": message("plan.size.load_15"), "load_5": message("plan.size.load_5"),
              "load_1": message("plan.size.load_1"), "cpu_p95": message("plan.size.cpu_p95")}
"""Each load measure's name in both languages."""
NOTES = {"one_probe": message("plan.size.one_probe"),
         "not_measured": message("plan.size.not_measured")}
"""How use was measured, when no hypervisor sampled it."""
NO_TEXT = {"id": "", "en": ""}


def _n(value: float) -> Num:
    """A number in a sizing sentence: up to four decimals, as each language writes them."""
    return Num(value, 4)


def _disk_gb(usage: Usage, a: SiteAssumptions) -> tuple[int, dict[str, str]] | None:
    room = a("disk_headroom")
    if usage.disk_used_mb is not None:
        used = usage.disk_used_mb
        how = message("plan.size.disk_used", used=Num(used / 1024, 1), room=_n(room))
    elif usage.disk_total_mb is not None:
        share = a("unknown_disk_used_share")
        used = usage.disk_total_mb * share
        how = message("plan.size.disk_unknown", share=_n(share),
                      total=Num(usage.disk_total_mb / 1024, 1), room=_n(room))
    else:
        return None
    return max(10, math.ceil(used * room / 1024)), how


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
        capped = busy < usage.load
        vcpu = max(1, math.ceil(busy * comfort))
        name = usage.load_name or ""
        cpu = message("plan.size.cpu_load", load=_n(usage.load), comfort=_n(comfort),
                      vcpu=_n(vcpu),
                      name=LOAD_NAMES.get(name, name),
                      capped=message("plan.size.cpu_capped", cpus=usage.cpu_count) if capped
                      else NO_TEXT)
    elif usage.cpu_count is not None:
        vcpu = usage.cpu_count
        cpu = message("plan.size.cpu_as_on_premises", vcpu=_n(vcpu))
    else:
        return None
    if usage.memory_used_mb is not None:
        memory = max(1, math.ceil(usage.memory_used_mb * comfort / 1024))
        mem = message("plan.size.memory_used", used=Num(usage.memory_used_mb / 1024, 1),
                      comfort=_n(comfort), memory=_n(memory))
    elif usage.memory_total_mb is not None:
        memory = max(1, math.ceil(usage.memory_total_mb / 1024))
        mem = message("plan.size.memory_as_on_premises", memory=_n(memory))
    else:
        return None
    if disk is None:
        return None
    measured = (usage.load is not None) + (usage.memory_used_mb is not None)
    method = ("performance-based", "partly performance-based", "as-on-premises")[2 - measured]
    if usage.load_name == "cpu_p95":
        note = message("plan.size.from_hypervisor", n=_n(usage.samples or 0))
    elif measured:
        note = NOTES["one_probe"]
    else:
        note = NOTES["not_measured"]
    basis = message("plan.size.basis", method=METHOD_NAMES[method], note=note,
                    cpu=cpu, memory=mem, disk=disk[1], disk_gb=disk[0])
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
