"""Judge every host's facts file, spread over processes when the fleet is large."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from auditor.bundle.folder import Bundle
from auditor.inventory.load import Host
from auditor.judge.evaluate import (
    Prepared,
    Scanned,
    controls_for,
    counts,
    judge_scanned,
    load_scanned,
    prepare,
    score,
    tally,
)
from auditor.judge.waivers import apply_waivers
from auditor.model import Finding, FindingStatus, HostStatus, Severity
from auditor.spec.lifecycle import load_table, lookup
from auditor.spec.load import Spec

if TYPE_CHECKING:
    from auditor.recommend import HostPlan

Plan = Callable[[Host, Mapping[str, Any], Mapping[str, Any]], "HostPlan"]
"""Plans one host from its results.json entry and its facts (picklable, for the workers)."""

PARALLEL_FROM = 400
"""Fleets at least this large are judged in several processes (below, start-up costs more)."""

CHUNK = 500
"""Hosts per task sent to a worker process."""


@dataclass(frozen=True)
class HostJudgement:
    """What the parent needs of one judged host: counts, encoded entry, plan; no facts.

    It crosses from worker processes, so it is kept small and plain: the host's entry of
    results.json travels only as JSON, pickling findings and facts cost the parent more than
    judging them.
    """

    id: str
    site: str
    status: str
    tally: dict[tuple[str, str, str, str], int]
    """The findings counted (a Tally as a plain dict), for the site's score and verdict."""
    waived: tuple[dict[str, Any], ...]
    """The findings (as results.json writes them) that carry a waiver record."""
    encoded: bytes
    """The host's entry of results.json as compact JSON, encoded where it was judged."""
    plan: HostPlan
    """The host's migration plan and what the recommendation still reads of the host."""


def findings_of(host_id: str, findings: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Findings of a host entry of results.json, as objects again."""
    return [Finding(f["control"], FindingStatus(f["status"]), Severity(f["severity"]),
                    f["domain"], f["evidence"], "host", host_id, f.get("waiver"))
            for f in findings]


def derive_facts(facts: Mapping[str, Any], lifecycle: dict[str, Any],
                 today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """Facts computed from collected ones: end of life from the OS release."""
    os_facts = facts.get("os")
    if not isinstance(os_facts, dict):
        return {}, {"lifecycle": "the operating system is not known"}
    result = lookup(os_facts, lifecycle, today)
    if result["known"]:
        return {"lifecycle": result}, {}
    return {}, {"lifecycle": str(result.get("reason") or "not in the lifecycle table")}


def judge_host(host: Host, bundle: Bundle, spec: Spec, today: date, plan: Plan,
               lifecycle: dict[str, Any], controls: Sequence[Prepared]) -> HostJudgement:
    """Read one facts file and judge it with the spec's host controls."""
    scanned = load_scanned(bundle.facts(host.id), host.id, "facts")
    derived, derived_unknown = derive_facts(scanned.facts, lifecycle, today)
    scanned = Scanned(scanned.id, scanned.status, scanned.reason,
                      {**scanned.facts, **derived}, {**scanned.unknown, **derived_unknown})
    findings = apply_waivers(judge_scanned(controls, "host", scanned, today),
                             spec.waivers, today)
    counted = tally(findings)
    ok = scanned.status is HostStatus.OK
    out: dict[str, Any] = {
        "id": host.id, "site": host.site, "status": str(scanned.status),
        "reason": scanned.reason, "role": host.role, "criticality": host.criticality,
        "score": score(counted, spec.policy.weights) if ok else None,
        "counts": counts(counted), "findings": [f.to_data() for f in findings]}
    return HostJudgement(host.id, host.site, str(scanned.status), dict(counted),
                         tuple(f.to_data() for f in findings if f.waiver),
                         json.dumps(out, separators=(",", ":")).encode("ascii"),
                         plan(host, out, scanned.facts if ok else {}))


def _judge_chunk(hosts: Sequence[Host], bundle: Bundle, spec: Spec, today: date, plan: Plan,
                 lifecycle: dict[str, Any]) -> list[HostJudgement]:
    controls = prepare(controls_for(spec, "host"))
    return [judge_host(h, bundle, spec, today, plan, lifecycle, controls) for h in hosts]


def judge_hosts(hosts: Sequence[Host], bundle: Bundle, spec: Spec, today: date, plan: Plan,
                workers: int | None = None) -> Iterator[HostJudgement]:
    """Judgements in inventory order; large fleets use ``workers`` processes (one per CPU).

    ``plan`` (picklable) plans each host where it is judged.
    """
    lifecycle = load_table()
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(hosts) < PARALLEL_FROM:
        controls = prepare(controls_for(spec, "host"))
        for host in hosts:
            yield judge_host(host, bundle, spec, today, plan, lifecycle, controls)
        return
    chunks = [hosts[i:i + CHUNK] for i in range(0, len(hosts), CHUNK)]
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_judge_chunk, chunk, bundle, spec, today, plan, lifecycle)
                   for chunk in chunks]
        for future in futures:
            yield from future.result()
