"""The judge stage: every host, service and site of an inventory against the spec."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import chain
from typing import Any

from auditor.inventory.load import Inventory, Service, Site
from auditor.judge.evaluate import (
    Prepared,
    Scanned,
    Tally,
    controls_for,
    judge_scanned,
    judge_site,
    prepare,
    score,
    site_verdict,
    tally,
)
from auditor.judge.facts import Facts
from auditor.judge.hosts import judge_hosts
from auditor.judge.values import HostResult, Judged, ServiceResult, SiteResult
from auditor.judge.waivers import apply_waivers, waiver_report
from auditor.model import HostStatus, Verdict
from auditor.spec.lifecycle import load_table
from auditor.spec.load import Spec, stratum_controls

VERDICT_ORDER = {Verdict.COMPLIANT: 0, Verdict.INCOMPLETE: 1, Verdict.REMEDIATE: 2,
                 Verdict.MIGRATE: 3}
"""The summary's verdict is the most drastic action any site needs: ``incomplete`` settles no
action yet (the missing evidence could still change it), so a known ``remediate`` or
``migrate`` elsewhere outranks it (the sites table still shows the incomplete site); it
outranks only ``compliant``, which it never is."""


def judge(inventory: Inventory, facts: Facts, spec: Spec, today: date, *,
          lifecycle: Mapping[str, Any] | None = None, workers: int | None = None) -> Judged:
    """Judge every host, service and site of ``inventory`` from ``facts`` against ``spec``.

    ``lifecycle``: the end-of-life table (default: the packaged one). ``workers``: processes
    judging the hosts of a large fleet (default: one per CPU; see ``judge_hosts``).
    """
    table = load_table() if lifecycle is None else lifecycle
    hosts = tuple(judge_hosts(inventory.hosts, facts, spec, today, table, workers))
    return judge_rest(inventory, facts, spec, today, hosts)


def judge_rest(inventory: Inventory, facts: Facts, spec: Spec, today: date,
               hosts: Sequence[HostResult]) -> Judged:
    """Given the hosts judged: the services, the sites and the bundle's verdict."""
    services = judge_services(inventory, facts, spec, today)
    on_site = _tally_by_site(inventory, hosts, services)
    sites = tuple(judge_one_site(site, facts, spec, today, on_site[site.id])
                  for site in inventory.sites)
    everywhere: Tally = Counter()
    for site in sites:
        everywhere.update(site.tally)
    worst = max((s.verdict.verdict for s in sites), key=VERDICT_ORDER.__getitem__,
                default=Verdict.REMEDIATE)
    subjects: list[HostResult | ServiceResult | SiteResult] = [*hosts, *services, *sites]
    findings = chain.from_iterable(s.findings for s in subjects)
    waived = [f for f in findings if f.waiver]
    return Judged(tuple(hosts), services, sites, everywhere,
                  score(everywhere, spec.policy.weights), worst,
                  tuple(waiver_report(spec.waivers, waived, today)))


def judge_services(inventory: Inventory, facts: Facts, spec: Spec,
                   today: date) -> tuple[ServiceResult, ...]:
    """Every web service of the inventory judged with the spec's service controls."""
    controls = prepare(controls_for(spec, "service"))
    return tuple(_judge_service(service, inventory, facts.service(service.id), controls, spec,
                                today) for service in inventory.services)


def _judge_service(service: Service, inventory: Inventory, scanned: Scanned,
                   controls: Sequence[Prepared], spec: Spec, today: date) -> ServiceResult:
    findings = apply_waivers(judge_scanned(controls, "service", scanned, today),
                             spec.waivers, today)
    site_id = service.site or (inventory.host(service.host).site if service.host else None)
    return ServiceResult(service.id, service.url, service.host, site_id, scanned.status,
                         scanned.reason,
                         score(findings, spec.policy.weights)
                         if scanned.status is HostStatus.OK else None,
                         tuple(findings))


def _tally_by_site(inventory: Inventory, hosts: Iterable[HostResult],
                   services: Iterable[ServiceResult]) -> dict[str, Tally]:
    """The host and service findings of each site, counted."""
    by_site: dict[str, Tally] = {s.id: Counter() for s in inventory.sites}
    for host in hosts:
        by_site[host.site].update(host.tally)
    for service in services:
        if service.site is not None:
            by_site[service.site].update(tally(service.findings))
    return by_site


def judge_one_site(site: Site, facts: Facts, spec: Spec, today: date,
                   on_site: Tally) -> SiteResult:
    """A site's questionnaire findings, and its score and verdict over all it holds."""
    answers = facts.answers(site.id)
    stratum = spec.policy.stratum(site.target_stratum)
    own = apply_waivers(judge_site(stratum_controls(controls_for(spec, "site"), stratum),
                                   site.id, answers, today), spec.waivers, today)
    everything = tally(own) + on_site
    site_score = score(everything, spec.policy.weights)
    return SiteResult(site.id, site.name, site.kind, site_score,
                      score(own, spec.policy.weights),
                      site_verdict(spec.policy, everything, site_score, own),
                      stratum.level if stratum else None, answers is not None, everything,
                      tuple(own), answers.cooling if answers else None)
