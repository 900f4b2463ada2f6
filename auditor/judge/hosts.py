"""Judge each host: read its facts, add what follows from them, apply the host controls."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from auditor.inventory.load import Host
from auditor.judge.evaluate import (
    Prepared,
    Scanned,
    controls_for,
    judge_scanned,
    prepare,
    score,
    tally,
)
from auditor.judge.facts import Facts
from auditor.judge.kept import kept_facts
from auditor.judge.values import HostResult
from auditor.judge.waivers import apply_waivers
from auditor.model import HostStatus
from auditor.spec.lifecycle import lookup
from auditor.spec.load import Spec


def derive_facts(facts: Mapping[str, Any], lifecycle: Mapping[str, Any],
                 today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """Facts computed from collected ones: end of life from the OS release."""
    os_facts = facts.get("os")
    if not isinstance(os_facts, dict):
        return {}, {"lifecycle": "the operating system is not known"}
    result = lookup(os_facts, dict(lifecycle), today)
    if result["known"]:
        return {"lifecycle": result}, {}
    return {}, {"lifecycle": str(result.get("reason") or "not in the lifecycle table")}


@dataclass(frozen=True)
class HostJudge:
    """What judging one host needs besides its facts.

    The spec, the day, the lifecycle table and the host controls compiled once.
    """

    spec: Spec
    today: date
    lifecycle: Mapping[str, Any]
    controls: tuple[Prepared, ...]

    def __call__(self, host: Host, scanned: Scanned) -> HostResult:
        """Judge one host from its facts as the scan left them."""
        derived, derived_unknown = derive_facts(scanned.facts, self.lifecycle, self.today)
        scanned = Scanned(scanned.id, scanned.status, scanned.reason,
                          {**scanned.facts, **derived}, {**scanned.unknown, **derived_unknown})
        findings = apply_waivers(judge_scanned(self.controls, "host", scanned, self.today),
                                 self.spec.waivers, self.today)
        counted = tally(findings)
        ok = scanned.status is HostStatus.OK
        return HostResult(host.id, host.site, scanned.status, scanned.reason, host.role,
                          host.criticality,
                          score(counted, self.spec.policy.weights) if ok else None,
                          counted, tuple(findings), kept_facts(scanned.facts) if ok else {})


def host_judge(spec: Spec, today: date, lifecycle: Mapping[str, Any]) -> HostJudge:
    """A judge of hosts with the spec's enabled host controls compiled."""
    return HostJudge(spec, today, lifecycle, tuple(prepare(controls_for(spec, "host"))))


def judge_host(host: Host, facts: Facts, judge: HostJudge) -> HostResult:
    """Read one host's facts and judge them."""
    return judge(host, facts.host(host.id))


PARALLEL_FROM = 400
"""Fleets at least this large are judged in several processes (below, start-up costs more)."""

CHUNK = 500
"""Hosts per task sent to a worker process."""


def _judge_chunk(hosts: Sequence[Host], facts: Facts, spec: Spec, today: date,
                 lifecycle: Mapping[str, Any]) -> list[HostResult]:
    judge = host_judge(spec, today, lifecycle)   # compiled here: compiled checks do not pickle
    return [judge_host(host, facts, judge) for host in hosts]


def judge_hosts(hosts: Sequence[Host], facts: Facts, spec: Spec, today: date,
                lifecycle: Mapping[str, Any], workers: int | None = None) -> Iterator[HostResult]:
    """Every host judged, in inventory order; a large fleet in ``workers`` processes.

    Measured with bench/eval_bench.py (10,000 hosts x 26 host controls, 2 cores): judging
    is about 10 s of CPU, reading and parsing the facts files 2 s of it, so one process
    alone misses the 10 s target; a pool of one process per CPU judges while the parent
    waits (only judging: each worker returns HostResult values, planning stays in the
    recommend stage).
    """
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(hosts) < PARALLEL_FROM:
        judge = host_judge(spec, today, lifecycle)
        yield from (judge_host(host, facts, judge) for host in hosts)
        return
    chunks = [hosts[i:i + CHUNK] for i in range(0, len(hosts), CHUNK)]
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_judge_chunk, chunk, facts, spec, today, lifecycle)
                   for chunk in chunks]
        for future in futures:
            yield from future.result()
