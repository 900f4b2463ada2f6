"""The recommend stage: per-host strategy and size, waves, urgency and costs, planned once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.inventory.load import Inventory
from auditor.judge.values import Judged
from auditor.messages import message
from auditor.recommend.catalogue import (
    Catalogue,
    SiteAssumptions,
    load_assumptions,
    load_catalogue,
)
from auditor.recommend.common import blocker
from auditor.recommend.costs import INPUT_KEYS, five_year, site_costs
from auditor.recommend.graph import dependencies, plan_waves
from auditor.recommend.hosts import keep_hypervisors_of_staying_vms, plan_host
from auditor.recommend.ownroom import harden
from auditor.recommend.sizing import usage_of
from auditor.recommend.urgency import site_urgency
from auditor.recommend.values import Costs, HostPlan, Recommendation, Waves

__all__ = ["HostPlan", "Recommendation", "blocker", "load_assumptions", "load_catalogue",
           "recommend"]


Assumptions = Mapping[str, Mapping[str, Any]]
"""The assumptions' defaults by name (``load_assumptions``)."""


def recommend(inventory: Inventory, judged: Judged, catalogue: Catalogue,
              assumptions: Assumptions, *, max_wave_size: int | None = None) -> Recommendation:
    """The migration recommendation for a judged inventory (see the README for its shape).

    ``max_wave_size`` overrides the sites' own (the smallest of them by default).
    """
    per_site = {s.id: site_assumptions(assumptions, s.costs) for s in inventory.sites}
    edges, unmapped = dependencies(inventory, {h.id: h.facts for h in judged.hosts})
    briefs = {h.id: h.brief() for h in judged.hosts}
    plans = plan_hosts(inventory, judged, briefs, catalogue, per_site,
                       inbound_of(inventory, edges))
    size = wave_size(inventory, per_site, assumptions, max_wave_size)
    waves = plan_waves(plans, edges, size)
    return Recommendation(
        str(judged.verdict), catalogue, site_plans(judged, briefs, catalogue),
        Waves(waves["waves"], waves["details"], size, waves["cross_wave_links"],
              waves["external_links"]),
        tuple(edges), unmapped, plans, costs_of(inventory, judged, plans, per_site, assumptions),
        message("plan.note"))


def site_assumptions(defaults: Assumptions, costs: Mapping[str, float]) -> SiteAssumptions:
    """A site's assumptions: the defaults, with the costs the inventory gives for the site."""
    return SiteAssumptions(defaults, {k: float(v) for k, v in costs.items()
                                      if k in defaults and k not in INPUT_KEYS})


def inbound_of(inventory: Inventory, edges: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Each host's inbound connections: the hosts seen connecting to it."""
    inbound: dict[str, set[str]] = {h.id: set() for h in inventory.hosts}
    for edge in edges:
        if edge["source"] == "connections":
            inbound[edge["to"]].add(edge["from"])
    return inbound


Brief = Mapping[str, Any]
"""What the recommendation reads of a host's results.json entry (``HostResult.brief``)."""


def plan_hosts(inventory: Inventory, judged: Judged, briefs: Mapping[str, Brief],
               catalogue: Catalogue, per_site: Mapping[str, SiteAssumptions],
               inbound: Mapping[str, set[str]]) -> tuple[HostPlan, ...]:
    """Every host's plan, its room hardened where it stays, hypervisors kept for their VMs."""
    sites = {s.id: s.to_data() for s in judged.sites}
    by_id = {h.id: h for h in judged.hosts}
    plans: list[HostPlan] = []
    for host in inventory.hosts:
        result = by_id[host.id]
        plan = plan_host(host, briefs[host.id], result.facts, catalogue, per_site[host.site],
                         inbound[host.id], usage_of(result.facts))
        plans.append(harden(plan, sites[host.site]))
    return tuple(keep_hypervisors_of_staying_vms(plans))


def wave_size(inventory: Inventory, per_site: Mapping[str, SiteAssumptions],
              assumptions: Assumptions, given: int | None) -> int:
    """The most hosts a wave moves: ``given``, else the smallest any site allows."""
    size = int(given or min([per_site[s.id]("max_wave_size") for s in inventory.sites] or
                            [assumptions["max_wave_size"]["value"]]))
    return max(1, size)


def site_plans(judged: Judged, briefs: Mapping[str, Brief],
               catalogue: Catalogue) -> tuple[dict[str, Any], ...]:
    """Each site's urgency, from its findings and its hosts'."""
    on_site: dict[str, list[Brief]] = {s.id: [] for s in judged.sites}
    for host in judged.hosts:
        on_site[host.site].append(briefs[host.id])
    return tuple(site_urgency(site.to_data(), on_site[site.id], catalogue.rules)
                 for site in judged.sites)


def costs_of(inventory: Inventory, judged: Judged, plans: Sequence[HostPlan],
             per_site: Mapping[str, SiteAssumptions], assumptions: Assumptions) -> Costs:
    """Each site's costs now and after the migration, and the five-year totals."""
    by_site: dict[str, list[HostPlan]] = {s.id: [] for s in inventory.sites}
    for plan in plans:
        by_site[plan.site].append(plan)
    cooling = {s.id: s.cooling for s in judged.sites}
    sites = tuple(site_costs(site, by_site[site.id], per_site[site.id], cooling[site.id])
                  for site in inventory.sites)
    return Costs(sites, five_year_total(sites), assumptions)


def five_year_total(sites: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The five-year totals of every site; sites with different horizons add their own."""
    current = sum(c["current"]["annual_idr"] for c in sites)
    after = sum(c["after"]["annual_idr"] for c in sites)
    one_off = sum(c["one_off"]["idr"] for c in sites)
    years = {c["five_year"]["years"] for c in sites}
    total = five_year(years.pop() if len(years) == 1 else 0, current, after, one_off)
    if not total["years"]:
        for key in ("current_idr", "after_idr", "savings_idr"):
            total[key] = sum(c["five_year"][key] for c in sites)
        total["years"] = None
    return total
