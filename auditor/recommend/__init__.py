"""The migration recommendation: per-host strategy and size, waves, urgency and costs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.folder import Bundle
from auditor.inventory.load import Host, Inventory
from auditor.judge.evaluate import load_scanned
from auditor.messages import message
from auditor.model import HostStatus
from auditor.recommend.catalogue import (
    Catalogue,
    SiteAssumptions,
    load_assumptions,
    load_catalogue,
)
from auditor.recommend.common import MOVING, Strategy, blocker
from auditor.recommend.costs import INPUT_KEYS, five_year, site_costs
from auditor.recommend.energy import cooling_answer
from auditor.recommend.graph import dependencies, plan_waves
from auditor.recommend.hosts import keep_hypervisors_of_staying_vms, plan_host
from auditor.recommend.ownroom import harden
from auditor.recommend.sizing import Usage, usage_of
from auditor.recommend.urgency import KEEP_OWN_BACKUPS, site_urgency, worst

__all__ = ["HostPlan", "Planner", "blocker", "load_assumptions", "load_catalogue", "make_planner",
           "recommend"]


def _site_assumptions(defaults: Mapping[str, Mapping[str, Any]],
                      costs: Mapping[str, float]) -> SiteAssumptions:
    return SiteAssumptions(defaults, {k: float(v) for k, v in costs.items()
                                      if k in defaults and k not in INPUT_KEYS})


KEPT_FACTS: dict[str, tuple[str, ...] | None] = {
    "os": ("id", "id_like", "pretty_name"),
    "lifecycle": ("security_updates", "supported"),
    "cpu": ("count", "usage_pct_p95", "usage_pct_avg"),
    "memory": ("total_mb", "used_mb", "used_pct", "used_pct_avg"),
    "disks": ("used_mb", "total_mb"),
    "uptime": ("load_1", "load_5", "load_15"),
    "listening": ("tcp_ports",),
    "connections": ("established", "connections", "peers"),
    "servers": None,
    "virtual": ("kind",),
    "vm": ("power_state", "powered_off_days", "utilisation", "hypervisor"),
    "hypervisor": ("utilisation", "name"),
}
"""The facts the recommendation reads (None: the whole section); the check stage keeps only
these for it, so 10,000 hosts' facts need not stay in memory or cross between processes."""


def slim_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The part of one host's facts that KEPT_FACTS names."""
    kept: dict[str, Any] = {}
    for section, keys in KEPT_FACTS.items():
        value = facts.get(section)
        if not isinstance(value, Mapping):
            continue
        kept[section] = dict(value) if keys is None else {k: value[k] for k in keys
                                                            if k in value}
    return kept


HOST_FINDINGS_READ = frozenset({"fail", "unknown", "error"})
"""The statuses of host findings the recommendation reads (end of life, urgency, gaps)."""
HOST_FINDING_KEYS = ("control", "status", "severity")
"""What the recommendation reads of each of those findings."""
LINK_FACTS = ("listening", "connections")
"""The facts ``dependencies`` reads."""


@dataclass(frozen=True)
class HostPlan:
    """What the recommendation needs of one host, made where the host was judged.

    The plan is made without the host's inbound dependencies, which need every host's
    facts: ``recommend`` plans again the few hosts whose plan depends on them (idle ones),
    so only those keep all their kept facts; the others keep only what dependencies read.
    """

    plan: dict[str, Any]
    usage: Usage
    encoded: bytes
    """``plan`` as compact JSON, encoded where it was made."""
    entry: dict[str, Any]
    """The host's results.json entry as the recommendation reads it: id, site, status and
    the findings whose status is in HOST_FINDINGS_READ, each with HOST_FINDING_KEYS."""
    facts: dict[str, Any]
    """The facts ``recommend`` still reads of this host (``host_facts``)."""


def depends_on_inbound(plan: Mapping[str, Any]) -> bool:
    """Whether a plan made without inbound dependencies may change once they are known.

    ``plan_host`` reads them only for an idle or long powered-off host (retire it, or keep it
    as used by others).
    """
    utilisation = plan.get("utilisation")
    return isinstance(utilisation, Mapping) and bool(
        utilisation.get("idle") or utilisation.get("powered_off"))


@dataclass(frozen=True)
class Planner:
    """What planning one host needs: the catalogue and each site's assumptions."""

    catalogue: Catalogue
    defaults: Mapping[str, Mapping[str, Any]]
    per_site: Mapping[str, SiteAssumptions]

    def __call__(self, host: Host, result: Mapping[str, Any],
                 facts: Mapping[str, Any]) -> HostPlan:
        """Plan ``host`` from its results.json entry and facts, as if none depended on it."""
        kept = slim_facts(facts)
        usage = usage_of(kept)
        plan = plan_host(host, result, kept, self.catalogue, self.per_site[host.site],
                         frozenset(), usage)
        entry = {"id": result["id"], "site": result["site"], "status": result["status"],
                 "findings": [{k: f[k] for k in HOST_FINDING_KEYS} for f in result["findings"]
                              if f["status"] in HOST_FINDINGS_READ]}
        needed = kept if depends_on_inbound(plan) else {k: kept[k] for k in LINK_FACTS
                                                         if k in kept}
        return HostPlan(plan, usage, json.dumps(plan, separators=(",", ":")).encode("ascii"),
                        entry, needed)


def make_planner(inventory: Inventory, catalogue_path: Path | None = None,
                 assumptions_path: Path | None = None) -> Planner:
    """Load the catalogue and the assumptions (schema-checked) for planning this inventory."""
    defaults = load_assumptions(assumptions_path)
    return Planner(load_catalogue(catalogue_path), defaults,
                   {s.id: _site_assumptions(defaults, s.costs) for s in inventory.sites})


def recommend(inventory: Inventory, results: Mapping[str, Any], bundle: Bundle, *,
              catalogue_path: Path | None = None, assumptions_path: Path | None = None,
              max_wave_size: int | None = None,
              host_facts: Mapping[str, Mapping[str, Any]] | None = None,
              planner: Planner | None = None,
              planned: Mapping[str, HostPlan] | None = None) -> dict[str, Any]:
    """The ``recommendation`` section of results.json (see the README for its shape).

    Of ``results["hosts"]`` it reads id, site, status and the findings whose status is in
    HOST_FINDINGS_READ (of those, HOST_FINDING_KEYS). ``host_facts`` (host id -> facts of
    scanned hosts, at least KEPT_FACTS) saves reading the facts files again when the caller
    already has them.
    ``planned`` (host id -> what ``planner`` made where the host was judged) saves planning
    those hosts again: only those whose plan depends on inbound dependencies are planned
    here, and of the others ``host_facts`` needs only LINK_FACTS. ``planner`` replaces
    ``catalogue_path`` and ``assumptions_path``.
    """
    planner = planner or make_planner(inventory, catalogue_path, assumptions_path)
    catalogue, defaults, per_site = planner.catalogue, planner.defaults, planner.per_site
    results_by_id = {h["id"]: h for h in results["hosts"]}
    facts: dict[str, Mapping[str, Any]] = {}
    for host in inventory.hosts:
        if host_facts is not None:
            facts[host.id] = host_facts.get(host.id, {})
            continue
        scanned = load_scanned(bundle.facts(host.id), host.id, "facts")
        facts[host.id] = scanned.facts if scanned.status is HostStatus.OK else {}
    edges, unmapped = dependencies(inventory, facts)
    inbound: dict[str, set[str]] = {h.id: set() for h in inventory.hosts}
    for edge in edges:
        if edge["source"] == "connections":
            inbound[edge["to"]].add(edge["from"])
    usages: dict[str, Usage] = {}
    plans: list[dict[str, Any]] = []
    for h in inventory.hosts:
        made = planned.get(h.id) if planned is not None else None
        usages[h.id] = made.usage if made is not None else usage_of(facts[h.id])
        if made is not None and not (inbound[h.id] and depends_on_inbound(made.plan)):
            plans.append(made.plan)
            continue
        plans.append(plan_host(h, results_by_id.get(h.id, {"status": "error", "findings": []}),
                               facts[h.id], catalogue, per_site[h.site], inbound[h.id],
                               usages[h.id]))
    site_results = {s["id"]: s for s in results["sites"]}
    plans = keep_hypervisors_of_staying_vms([harden(p, site_results[p["site"]])
                                             for p in plans])
    wave_size = int(max_wave_size or min([per_site[s.id]("max_wave_size")
                                          for s in inventory.sites] or
                                         [defaults["max_wave_size"]["value"]]))
    wave_size = max(1, wave_size)
    waves = plan_waves(plans, edges, wave_size)

    site_plans = []
    costs = []
    hosts_by_site: dict[str, list[Mapping[str, Any]]] = {s.id: [] for s in inventory.sites}
    for host_result in results["hosts"]:
        hosts_by_site[host_result["site"]].append(host_result)
    plans_by_site: dict[str, list[dict[str, Any]]] = {s.id: [] for s in inventory.sites}
    for plan in plans:
        plans_by_site[plan["site"]].append(plan)
    for site in inventory.sites:
        site_plans.append(site_urgency(site_results[site.id], hosts_by_site[site.id],
                                       catalogue.rules))
        costs.append(site_costs(site, plans_by_site[site.id], usages, per_site[site.id],
                                cooling_answer(bundle.facility(site.id))))
    current = sum(c["current"]["annual_idr"] for c in costs)
    after = sum(c["after"]["annual_idr"] for c in costs)
    one_off = sum(c["one_off"]["idr"] for c in costs)
    years = {c["five_year"]["years"] for c in costs}
    total = five_year(years.pop() if len(years) == 1 else 0, current, after, one_off)
    if not total["years"]:   # sites chose different horizons: add each site's own totals
        for key in ("current_idr", "after_idr", "savings_idr"):
            total[key] = sum(c["five_year"][key] for c in costs)
        total["years"] = None
    moving = [p["id"] for p in plans if p["strategy"] in MOVING]
    return {
        "verdict": results["summary"]["verdict"],
        "urgency": worst([s["urgency"] for s in site_plans]),
        "closure_risk": any(s["closure_risk"] for s in site_plans),
        "backup_dr_gap": any(s["backup_dr_gap"] for s in site_plans),
        "keep_own_backups": True,
        "keep_own_backups_reason": KEEP_OWN_BACKUPS,
        "catalogue": {"id": catalogue.id, "version": catalogue.version,
                      "effective_date": catalogue.effective_date, "note": catalogue.note},
        "sites": site_plans,
        "waves": waves["waves"],
        "wave_details": waves["details"],
        "max_wave_size": wave_size,
        "cross_wave_links": waves["cross_wave_links"],
        "links_to_hosts_staying": waves["external_links"],
        "dependencies": edges,
        "unmapped_connections": unmapped,
        "hosts": plans,
        "summary": {
            "hosts": len(plans), "moving": len(moving),
            "by_strategy": {s: sum(p["strategy"] == s for p in plans)
                            for s in Strategy},
            "unplanned": sum(p["strategy"] is None for p in plans),
            "blockers": sum(len(p["blockers"]) for p in plans),
        },
        "costs": {
            "currency": "IDR",
            "current_annual_idr": current,
            "after_migration_annual_idr": after,
            "annual_savings_idr": current - after,
            "one_off_migration_idr": one_off,
            "five_year": total,
            "estimate": any(c["estimate"] for c in costs),
            "sites": costs,
            "assumptions": {name: {"value": item["value"], "unit": item["unit"],
                                   "source": item["source"], "estimate": item["estimate"]}
                            for name, item in defaults.items()},
        },
        "note": message("plan.note"),
    }
