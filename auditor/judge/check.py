"""The check stage: read a bundle's facts and answers, judge them, write results.json."""

from __future__ import annotations

import gc
import json
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.bundle.folder import Bundle, atomic_write_parts, utc_now
from auditor.bundle.results import RESULTS_FORMAT
from auditor.inventory.load import Inventory, load_bundle_inventory
from auditor.judge.evaluate import (
    Tally,
    controls_for,
    counts,
    judge_scanned,
    judge_site,
    load_scanned,
    prepare,
    score,
    site_verdict,
    tally,
)
from auditor.judge.hosts import findings_of, judge_hosts
from auditor.judge.waivers import apply_waivers, waiver_report
from auditor.model import Finding, FindingStatus, HostStatus, Verdict
from auditor.recommend import HostPlan, make_planner, recommend
from auditor.spec.facility import FacilityAnswers, load_answers
from auditor.spec.load import Spec, stratum_controls

VERDICT_ORDER = {Verdict.COMPLIANT: 0, Verdict.INCOMPLETE: 1, Verdict.REMEDIATE: 2,
                 Verdict.MIGRATE: 3}
"""The summary's verdict is the most drastic action any site needs: ``incomplete`` settles no
action yet (the missing evidence could still change it), so a known ``remediate`` or
``migrate`` elsewhere outranks it (the sites table still shows the incomplete site); it
outranks only ``compliant``, which it never is."""


def _summary_counts(counted: Tally) -> dict[str, Any]:
    failed_by_severity = dict.fromkeys(("critical", "high", "medium", "low"), 0)
    for (status, severity, _, _), n in counted.items():
        if status == FindingStatus.FAIL:
            failed_by_severity[severity] += n
    return {"by_status": counts(counted), "failed_by_severity": failed_by_severity}


def _control_data(spec: Spec) -> list[dict[str, Any]]:
    return [{"id": c.id, "domain": c.domain, "applies_to": c.applies_to,
             "severity": str(c.severity), "title": c.title, "remediation": c.remediation,
             "references": [dict(r) for r in c.references],
             **({"frameworks": c.frameworks} if c.frameworks else {}), "enabled": c.enabled,
             **({"disabled_reason": c.disabled_reason} if c.disabled_reason else {})}
            for c in spec.controls]


def _load_answers(bundle: Bundle, site_id: str) -> FacilityAnswers | None:
    """The bundle's copy of a site's answers, checked against the answers schema."""
    path = bundle.facility(site_id)
    if not path.is_file():
        return None
    return load_answers(path, site_id, hash_evidence=False)


@dataclass(frozen=True)
class CheckOutcome:
    """What the check stage decided: the results document, and facts for the exit code."""

    document: dict[str, Any]
    """results.json without its two long lists, ``hosts`` and ``recommendation.hosts`` (both
    empty here): those are only in ``encoded_hosts`` and ``encoded_plans``."""
    scan_incomplete: bool
    compliant: bool
    encoded_hosts: tuple[bytes, ...]
    """results["hosts"] entries as compact JSON, encoded where the hosts were judged."""
    encoded_plans: tuple[bytes, ...]
    """results["recommendation"]["hosts"] entries as compact JSON."""

    @property
    def summary(self) -> dict[str, Any]:
        """results["summary"]."""
        summary: dict[str, Any] = self.document["summary"]
        return summary

    @property
    def sites(self) -> list[dict[str, Any]]:
        """results["sites"]."""
        sites: list[dict[str, Any]] = self.document["sites"]
        return sites

    @cached_property
    def results(self) -> dict[str, Any]:
        """The whole results document, decoded from ``to_json()`` at the first call.

        For 10,000 hosts that takes about a second and holds the document in memory: read
        ``summary`` and ``sites`` instead when they are all that is needed.
        """
        results: dict[str, Any] = json.loads(self.to_json())
        return results

    def to_json(self) -> bytes:
        """results.json as compact JSON, the host entries and plans spliced in as encoded."""
        return b"".join(self.json_parts())

    def json_parts(self) -> list[bytes]:
        """``to_json()`` in pieces, to write without joining ~50 MB (10,000 hosts) in memory."""
        token = secrets.token_hex(16)
        lists = {f"hosts-{token}": self.encoded_hosts, f"plans-{token}": self.encoded_plans}
        hosts_marker, plans_marker = lists
        doc = {**self.document, "hosts": hosts_marker,
               "recommendation": {**self.document["recommendation"], "hosts": plans_marker}}
        text = json.dumps(doc, separators=(",", ":")).encode("ascii")
        found = []
        for marker, fragments in lists.items():
            quoted = f'"{marker}"'.encode("ascii")
            if text.count(quoted) != 1:
                raise RuntimeError(f"results.json: the marker {marker} was not written once")
            found.append((text.index(quoted), len(quoted), fragments))
        parts: list[bytes] = []
        start = 0
        for at, length, fragments in sorted(found, key=lambda f: f[0]):
            parts += [text[start:at], b"["]
            for index, fragment in enumerate(fragments):
                if index:
                    parts.append(b",")
                parts.append(fragment)
            parts.append(b"]")
            start = at + length
        parts.append(text[start:])
        return parts


def evaluate_bundle(out_dir: Path, spec: Spec, today: date | None = None,
                    workers: int | None = None) -> CheckOutcome:
    """Judge the bundle at ``out_dir`` against ``spec`` and build the results document.

    ``workers``: processes judging the hosts of a large fleet (default: one per CPU).
    """
    bundle = Bundle(out_dir)
    bundle.require_scanned()
    inventory: Inventory = load_bundle_inventory(bundle.inventory)
    today = today or date.today()
    weights = spec.policy.weights
    service_controls = prepare(controls_for(spec, "service"))
    site_controls = controls_for(spec, "site")

    hosts_out: list[dict[str, Any]] = []   # as the recommendation reads them
    encoded: list[bytes] = []
    kept_facts: dict[str, dict[str, Any]] = {}
    planned: dict[str, HostPlan] = {}
    tally_by_site: dict[str, Tally] = {s.id: Counter() for s in inventory.sites}
    waived: list[Finding] = []
    planner = make_planner(inventory)
    for judged in judge_hosts(inventory.hosts, bundle, spec, today, planner, workers):
        tally_by_site[judged.site].update(judged.tally)
        waived.extend(findings_of(judged.id, judged.waived))
        kept_facts[judged.id] = judged.plan.facts
        planned[judged.id] = judged.plan
        hosts_out.append(judged.plan.entry)
        encoded.append(judged.encoded)

    services_out: list[dict[str, Any]] = []
    for service in inventory.services:
        scanned = load_scanned(bundle.service(service.id), service.id, "service")
        findings = apply_waivers(judge_scanned(service_controls, "service", scanned, today),
                                 spec.waivers, today)
        site_id = service.site or (inventory.host(service.host).site if service.host else None)
        if site_id is not None:
            tally_by_site[site_id].update(tally(findings))
        waived.extend(f for f in findings if f.waiver)
        services_out.append({
            "id": service.id, "url": service.url, "host": service.host, "site": site_id,
            "status": str(scanned.status), "reason": scanned.reason,
            "score": score(findings, weights) if scanned.status is HostStatus.OK else None,
            "counts": counts(findings), "findings": [f.to_data() for f in findings]})

    sites_out: list[dict[str, Any]] = []
    everywhere: Tally = Counter()
    for site in inventory.sites:
        answers = _load_answers(bundle, site.id)
        stratum = spec.policy.stratum(site.target_stratum)
        own = apply_waivers(judge_site(stratum_controls(site_controls, stratum), site.id, answers,
                                       today), spec.waivers, today)
        waived.extend(f for f in own if f.waiver)
        everything = tally(own) + tally_by_site[site.id]
        everywhere.update(everything)
        site_score = score(everything, weights)
        verdict = site_verdict(spec.policy, everything, site_score, own)
        sites_out.append({
            "id": site.id, "name": site.name, "kind": site.kind, "score": site_score,
            "facility_score": score(own, weights), **verdict.to_data(),
            "target_stratum": stratum.level if stratum else None,
            "answered": answers is not None, "counts": counts(everything),
            "findings": [f.to_data() for f in own]})

    scan_incomplete = any(h["status"] != HostStatus.OK for h in hosts_out) or any(
        s["status"] != HostStatus.OK for s in services_out)
    worst = max((Verdict(s["verdict"]) for s in sites_out), key=VERDICT_ORDER.__getitem__,
                default=Verdict.REMEDIATE)
    compliant = worst is Verdict.COMPLIANT and not any(
        n and status in (FindingStatus.FAIL, FindingStatus.UNKNOWN, FindingStatus.ERROR)
        for (status, _, _, _), n in everywhere.items())
    results: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "spec": {"id": spec.id, "version": spec.version, "effective_date": spec.effective_date,
                 "title": spec.title, "overlay": spec.overlay},
        "generated_at": utc_now(),
        "evaluated_on": today.isoformat(),
        "auditor_version": __version__,
        "organisation": {"code": inventory.organisation.code, "name": inventory.organisation.name,
                         "level": inventory.organisation.level},
        "summary": {
            "score": score(everywhere, weights),
            "verdict": str(worst),
            "hosts": len(hosts_out),
            "hosts_scanned": sum(h["status"] == HostStatus.OK for h in hosts_out),
            "services": len(services_out),
            "sites": len(sites_out),
            **_summary_counts(everywhere),
        },
        "hosts": hosts_out,
        "sites": sites_out,
        "services": services_out,
        "controls": _control_data(spec),
        "disabled_controls": [{"id": c.id, "justification": c.disabled_reason}
                              for c in spec.controls if not c.enabled],
        "waivers": waiver_report(spec.waivers, waived, today),
    }
    recommendation = recommend(inventory, results, bundle, host_facts=kept_facts,
                               planner=planner, planned=planned)
    plans = _encoded_plans(recommendation["hosts"], planned)
    document = {**results, "hosts": [], "recommendation": {**recommendation, "hosts": []}}
    return CheckOutcome(document, scan_incomplete, compliant, tuple(encoded), plans)


def _encoded_plans(plans: list[dict[str, Any]], planned: dict[str, HostPlan]) -> tuple[bytes, ...]:
    """Each plan as compact JSON: as the worker encoded it, unless it was planned again."""
    out = []
    for plan in plans:
        made = planned.get(plan["id"])
        out.append(made.encoded if made is not None and made.plan is plan
                   else json.dumps(plan, separators=(",", ":")).encode("ascii"))
    return tuple(out)


def run_check(out_dir: Path, spec: Spec, today: date | None = None,
              workers: int | None = None) -> CheckOutcome:
    """Evaluate and write DIR/results.json.

    The stage builds many small acyclic objects; the cyclic garbage collector is paused
    meanwhile (it otherwise rescans the growing heap again and again: about 15% of the time
    for 10,000 hosts) and runs once at the end.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        outcome = evaluate_bundle(out_dir, spec, today, workers)
        atomic_write_parts(Bundle(out_dir).results, [*outcome.json_parts(), b"\n"])
    finally:
        if gc_was_enabled:
            gc.enable()
    return outcome
