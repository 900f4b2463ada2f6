"""Judge every host's facts file, spread over processes when the fleet is large."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from auditor.bundle import Bundle
from auditor.evaluate import (
    Finding,
    Prepared,
    Scanned,
    Tally,
    controls_for,
    counts,
    judge_scanned,
    load_scanned,
    prepare,
    score,
    tally,
)
from auditor.inventory import Host
from auditor.lifecycle import load_table, lookup
from auditor.model import FindingStatus, HostStatus, Severity
from auditor.spec import Spec
from auditor.tailoring import apply_waivers

if TYPE_CHECKING:
    from auditor.recommend import HostPlan

Keep = Callable[[Mapping[str, Any]], dict[str, Any]]
"""What of a scanned host's facts the parent keeps (for the recommendation)."""
Plan = Callable[[Host, Mapping[str, Any], Mapping[str, Any]], "HostPlan"]
"""Plans one host from its results.json entry and its kept facts."""

PARALLEL_FROM = 400
"""Fleets at least this large are judged in several processes (below, start-up costs more)."""

CHUNK = 500
"""Hosts per task sent to a worker process."""


@dataclass(frozen=True)
class HostJudgement:
    """One host's entry in results.json and the facts the plan needs.

    Only plain data: it crosses from worker processes, where pickling Finding objects cost
    more than judging them (the parent rebuilds them with ``findings_of``).
    """

    out: dict[str, Any]
    kept: dict[str, Any] | None
    """What the recommendation reads of the facts (None when the host was not scanned)."""
    tally: Tally
    """The findings counted, for the site's score and verdict."""
    waived: bool
    """Some finding carries a waiver record (active or expired)."""
    encoded: bytes
    """``out`` as compact JSON, encoded where the host was judged (in parallel)."""
    plan: HostPlan | None = None
    """The host's migration plan, made where it was judged (None without a planner)."""


def findings_of(out: Mapping[str, Any]) -> list[Finding]:
    """The findings of a host entry of results.json, as objects for scores and verdicts."""
    return [Finding(f["control"], FindingStatus(f["status"]), Severity(f["severity"]),
                    f["domain"], f["evidence"], "host", out["id"], f.get("waiver"))
            for f in out["findings"]]


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


def judge_host(host: Host, bundle: Bundle, spec: Spec, today: date, keep: Keep,
               lifecycle: dict[str, Any], controls: Sequence[Prepared],
               plan: Plan | None = None) -> HostJudgement:
    """Read one facts file and judge it with the spec's host controls."""
    scanned = load_scanned(bundle.facts(host.id), host.id, "facts")
    derived, derived_unknown = derive_facts(scanned.facts, lifecycle, today)
    scanned = Scanned(scanned.id, scanned.status, scanned.reason,
                      {**scanned.facts, **derived}, {**scanned.unknown, **derived_unknown})
    findings = apply_waivers(judge_scanned(controls, "host", scanned, today),
                             spec.waivers, today)
    counted = tally(findings)
    ok = scanned.status is HostStatus.OK
    out = {"id": host.id, "site": host.site, "status": str(scanned.status),
           "reason": scanned.reason, "role": host.role, "criticality": host.criticality,
           "score": score(counted, spec.policy.weights) if ok else None,
           "counts": counts(counted), "findings": [f.to_data() for f in findings]}
    kept = keep(scanned.facts) if ok else None
    return HostJudgement(out, kept, counted, any(f.waiver for f in findings),
                         json.dumps(out, separators=(",", ":")).encode("ascii"),
                         plan(host, out, kept or {}) if plan is not None else None)


def _judge_chunk(hosts: Sequence[Host], bundle: Bundle, spec: Spec, today: date, keep: Keep,
                 lifecycle: dict[str, Any], plan: Plan | None) -> list[HostJudgement]:
    controls = prepare(controls_for(spec, "host"))
    return [judge_host(h, bundle, spec, today, keep, lifecycle, controls, plan) for h in hosts]


def judge_hosts(hosts: Sequence[Host], bundle: Bundle, spec: Spec, today: date, keep: Keep,
                workers: int | None = None, plan: Plan | None = None
                ) -> Iterator[HostJudgement]:
    """Judgements in inventory order; large fleets use one process per CPU.

    ``plan`` (picklable) also plans each host where it is judged.
    """
    lifecycle = load_table()
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(hosts) < PARALLEL_FROM:
        controls = prepare(controls_for(spec, "host"))
        for host in hosts:
            yield judge_host(host, bundle, spec, today, keep, lifecycle, controls, plan)
        return
    chunks = [hosts[i:i + CHUNK] for i in range(0, len(hosts), CHUNK)]
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_judge_chunk, chunk, bundle, spec, today, keep, lifecycle, plan)
                   for chunk in chunks]
        for future in futures:
            yield from future.result()
