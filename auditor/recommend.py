"""The recommendation: per-host strategy and size, migration waves, and the site's yearly cost."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from auditor.bundle import Bundle
from auditor.evaluate import load_scanned
from auditor.inventory import Inventory, Site
from auditor.model import FindingStatus, HostStatus
from auditor.paths import specs_root
from auditor.yamlfile import load_yaml


def load_assumptions() -> dict[str, dict[str, Any]]:
    """The stated assumptions of specs/assumptions.yaml."""
    doc = load_yaml(specs_root() / "assumptions.yaml")
    data: dict[str, dict[str, Any]] = doc.data["assumptions"]
    return data


def _value(site: Site, assumptions: Mapping[str, Mapping[str, Any]], name: str) -> float:
    if name in site.costs:
        return float(site.costs[name])
    return float(assumptions[name]["value"])


def site_costs(site: Site, assumptions: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Current yearly cost of a site from its inventory costs; each line says what it used."""
    costs = site.costs
    lines: dict[str, float] = {}
    if "power_kw" in costs:
        lines["power"] = (costs["power_kw"] * _value(site, assumptions, "hours_per_year")
                          * _value(site, assumptions, "pue")
                          * _value(site, assumptions, "tariff_idr_per_kwh"))
    if "hardware_value_idr" in costs:
        lines["hardware_depreciation"] = costs["hardware_value_idr"] / _value(
            site, assumptions, "hardware_life_years")
    if "staff_fte" in costs:
        lines["staff"] = costs["staff_fte"] * _value(site, assumptions, "staff_cost_idr_per_fte")
    for key in ("maintenance_idr", "licences_idr", "space_idr", "other_idr"):
        if key in costs:
            lines[key.removesuffix("_idr")] = float(costs[key])
    return {"site": site.id, "lines": {k: round(v) for k, v in lines.items()},
            "current_annual_idr": round(sum(lines.values())),
            "complete": bool(lines)}


def blocker(code: str, text_id: str, text_en: str) -> dict[str, Any]:
    """A blocker in both languages, with a stable code for programs."""
    return {"code": code, "text": {"id": text_id, "en": text_en}}


def _host_plan(host: dict[str, Any], facts: Mapping[str, Any],
               assumptions: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    if host["status"] != HostStatus.OK:
        return {"id": host["id"], "strategy": None, "target": None,
                "blockers": [blocker("not_scanned",
                                     f"Host belum berhasil dipindai ({host['status']}); pindai "
                                     "dahulu sebelum direncanakan.",
                                     f"Not scanned ({host['status']}): scan it before planning.")]}
    blockers: list[dict[str, Any]] = []
    strategy = "rehost"
    unsupported = [f for f in host["findings"] if f["control"] == "HOST-OS-SUPPORTED"
                   and f["status"] == FindingStatus.FAIL]
    if unsupported:
        strategy = "replatform"
        blockers.append(blocker("os_end_of_life",
                                "Sistem operasi sudah melewati akhir masa dukungan: pindahkan ke "
                                "sistem operasi yang didukung.",
                                "Operating system past end of life: move onto a supported OS."))
    cpu = facts.get("cpu", {}).get("count")
    memory = facts.get("memory", {}).get("total_mb")
    disk = facts.get("disks", {}).get("used_mb")
    target: dict[str, Any] = {"offering": "pdn-iaas-vm", "sizing": "as-on-premises"}
    if isinstance(cpu, int) and isinstance(memory, int) and isinstance(disk, int):
        headroom = float(assumptions["disk_headroom"]["value"])
        target |= {"vcpu": cpu, "memory_gb": max(1, math.ceil(memory / 1024)),
                   "disk_gb": max(10, math.ceil(disk * headroom / 1024))}
    else:
        blockers.append(blocker("size_unknown",
                                "CPU, memori atau pemakaian disk tidak diketahui: tentukan ukuran "
                                "secara manual.",
                                "CPU, memory or disk use unknown: size it by hand."))
    return {"id": host["id"], "strategy": strategy, "target": target, "blockers": blockers}


def recommend(inventory: Inventory, results: Mapping[str, Any], bundle: Bundle) -> dict[str, Any]:
    """The recommendation section of results.json."""
    assumptions = load_assumptions()
    plans = []
    for host in results["hosts"]:
        facts = load_scanned(bundle.facts(host["id"]), host["id"], "facts").facts
        plans.append(_host_plan(host, facts, assumptions))
    moving = [p["id"] for p in plans if p["strategy"] in ("rehost", "replatform")]
    verdicts = [s["verdict"] for s in results["sites"]]
    critical_gap = any(f["status"] in ("fail", "unknown") and f["severity"] == "critical"
                       and f["domain"] in ("facility", "data")
                       for s in results["sites"] for f in s["findings"])
    costs = [site_costs(site, assumptions) for site in inventory.sites]
    return {
        "verdict": results["summary"]["verdict"],
        "urgency": "high" if critical_gap else ("medium" if "migrate" in verdicts else "low"),
        "closure_risk": critical_gap,
        "waves": [moving] if moving else [],
        "hosts": plans,
        "costs": {
            "sites": costs,
            "current_annual_idr": sum(c["current_annual_idr"] for c in costs),
            "after_migration_annual_idr": None,
            "assumptions": assumptions,
        },
    }
