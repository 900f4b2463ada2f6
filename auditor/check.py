"""The check stage: read a bundle's facts, judge them, recommend, write results.json once."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.bundle.folder import Bundle, utc_now
from auditor.bundle.results import RESULTS_FORMAT, Results
from auditor.inventory.load import Inventory, load_bundle_inventory
from auditor.judge.facts import read_facts
from auditor.judge.stage import judge
from auditor.judge.values import Judged
from auditor.recommend import Recommendation, load_assumptions, load_catalogue, recommend
from auditor.spec.load import Spec


@dataclass(frozen=True)
class CheckOutcome:
    """What the check stage decided: the results document, and facts for the exit code."""

    results: Mapping[str, Any]
    """The whole results document (results.json) as data."""
    scan_incomplete: bool
    compliant: bool

    @property
    def summary(self) -> dict[str, Any]:
        """results["summary"]."""
        summary: dict[str, Any] = self.results["summary"]
        return summary

    @property
    def sites(self) -> list[dict[str, Any]]:
        """results["sites"]."""
        sites: list[dict[str, Any]] = self.results["sites"]
        return sites

    def to_json(self) -> bytes:
        """results.json's bytes, as ``run_check`` writes them."""
        return Results(self.results).to_json()


def spec_data(spec: Spec) -> dict[str, Any]:
    """results["spec"]: which specification judged the bundle."""
    return {"id": spec.id, "version": spec.version, "effective_date": spec.effective_date,
            "title": spec.title, "overlay": spec.overlay}


def control_data(spec: Spec) -> list[dict[str, Any]]:
    """results["controls"]: every control of the spec, as the reports show it."""
    return [{"id": c.id, "domain": c.domain, "applies_to": c.applies_to,
             "severity": str(c.severity), "title": c.title, "remediation": c.remediation,
             "references": [dict(r) for r in c.references],
             **({"frameworks": c.frameworks} if c.frameworks else {}), "enabled": c.enabled,
             **({"disabled_reason": c.disabled_reason} if c.disabled_reason else {})}
            for c in spec.controls]


def results_document(inventory: Inventory, spec: Spec, today: date, judged: Judged,
                     recommendation: Recommendation) -> dict[str, Any]:
    """The results document (results.json) of a judged inventory and its recommendation."""
    organisation = inventory.organisation
    return {
        "format": RESULTS_FORMAT,
        "spec": spec_data(spec),
        "generated_at": utc_now(),
        "evaluated_on": today.isoformat(),
        "auditor_version": __version__,
        "organisation": {"code": organisation.code, "name": organisation.name,
                         "level": organisation.level},
        "summary": judged.summary(),
        "hosts": [h.to_data() for h in judged.hosts],
        "sites": [s.to_data() for s in judged.sites],
        "services": [s.to_data() for s in judged.services],
        "controls": control_data(spec),
        "disabled_controls": [{"id": c.id, "justification": c.disabled_reason}
                              for c in spec.controls if not c.enabled],
        "waivers": list(judged.waivers),
        "recommendation": recommendation.to_data(),
    }


def evaluate_bundle(out_dir: Path, spec: Spec, today: date | None = None, *,
                    inventory: Inventory | None = None,
                    workers: int | None = None) -> CheckOutcome:
    """Judge the bundle at ``out_dir`` against ``spec`` and build the results document.

    ``inventory``: the bundle's inventory when the caller has loaded it already (an audit);
    else the bundle's copy is loaded. ``workers``: see ``judge_hosts``.
    """
    bundle = Bundle(out_dir)
    facts = read_facts(bundle)
    inventory = inventory or load_bundle_inventory(bundle.inventory)
    today = today or date.today()
    judged = judge(inventory, facts, spec, today, workers=workers)
    recommendation = recommend(inventory, judged, load_catalogue(), load_assumptions())
    document = results_document(inventory, spec, today, judged, recommendation)
    return CheckOutcome(document, judged.scan_incomplete, judged.compliant)


def run_check(out_dir: Path, spec: Spec, today: date | None = None, *,
              inventory: Inventory | None = None, workers: int | None = None) -> CheckOutcome:
    """Evaluate the bundle and write DIR/results.json (the one writer: ``Results.write``).

    The cyclic garbage collector is paused meanwhile and runs once at the end: the stage
    keeps many small acyclic values (10,000 hosts x 26 findings), which the collector
    otherwise scans again and again. Measured with bench/eval_bench.py (10,000 hosts): the
    parent process spends 10.4 s of CPU with it running, 6.8 s paused, and its work is the
    part of the wall time the worker processes do not share.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        outcome = evaluate_bundle(out_dir, spec, today, inventory=inventory, workers=workers)
        Results(outcome.results).write(Bundle(out_dir).results)
    finally:
        if gc_was_enabled:
            gc.enable()
    return outcome
