"""Judge every host's facts file, spread over processes when the fleet is large."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from auditor.bundle import Bundle
from auditor.evaluate import (
    Finding,
    Scanned,
    controls_for,
    counts,
    judge_scanned,
    load_scanned,
    score,
)
from auditor.inventory import Host
from auditor.lifecycle import load_table, lookup
from auditor.model import HostStatus
from auditor.spec import Spec
from auditor.tailoring import apply_waivers

PARALLEL_FROM = 400
"""Fleets at least this large are judged in several processes (below, start-up costs more)."""

CHUNK = 500
"""Hosts per task sent to a worker process."""


@dataclass(frozen=True)
class HostJudgement:
    """One host's entry in results.json, its findings, and the facts the plan needs."""

    out: dict[str, Any]
    findings: list[Finding]
    kept: dict[str, Any] | None
    """The fact sections the recommendation reads (None when the host was not scanned)."""


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


def judge_host(host: Host, bundle: Bundle, spec: Spec, today: date, keep: Sequence[str],
               lifecycle: dict[str, Any]) -> HostJudgement:
    """Read one facts file and judge it with the spec's host controls."""
    scanned = load_scanned(bundle.facts(host.id), host.id, "facts")
    derived, derived_unknown = derive_facts(scanned.facts, lifecycle, today)
    scanned = Scanned(scanned.id, scanned.status, scanned.reason,
                      {**scanned.facts, **derived}, {**scanned.unknown, **derived_unknown})
    findings = apply_waivers(judge_scanned(controls_for(spec, "host"), "host", scanned, today),
                             spec.waivers, today)
    ok = scanned.status is HostStatus.OK
    out = {"id": host.id, "site": host.site, "status": str(scanned.status),
           "reason": scanned.reason, "role": host.role, "criticality": host.criticality,
           "score": score(findings, spec.policy.weights) if ok else None,
           "counts": counts(findings), "findings": [f.to_data() for f in findings]}
    kept = {k: scanned.facts[k] for k in keep if k in scanned.facts} if ok else None
    return HostJudgement(out, findings, kept)


def _judge_chunk(hosts: Sequence[Host], bundle: Bundle, spec: Spec, today: date,
                 keep: Sequence[str], lifecycle: dict[str, Any]) -> list[HostJudgement]:
    return [judge_host(h, bundle, spec, today, keep, lifecycle) for h in hosts]


def judge_hosts(hosts: Sequence[Host], bundle: Bundle, spec: Spec, today: date,
                keep: Sequence[str], workers: int | None = None) -> Iterator[HostJudgement]:
    """Judgements in inventory order; large fleets use one process per CPU."""
    lifecycle = load_table()
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(hosts) < PARALLEL_FROM:
        for host in hosts:
            yield judge_host(host, bundle, spec, today, keep, lifecycle)
        return
    chunks = [hosts[i:i + CHUNK] for i in range(0, len(hosts), CHUNK)]
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_judge_chunk, chunk, bundle, spec, today, keep, lifecycle)
                   for chunk in chunks]
        for future in futures:
            yield from future.result()
