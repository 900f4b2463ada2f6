"""The review counts an end-of-life VM or hypervisor once, from the control that judged it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.review.load import summarise

SAMPLE = Path(__file__).resolve().parent.parent / "reports" / "sample" / "results.json"


def _with_host(results: dict[str, Any], host_id: str, control: str) -> dict[str, Any]:
    host = {"id": host_id, "site": results["sites"][0]["id"], "status": "ok",
            "findings": [{"control": "HOST-OS-SUPPORTED", "status": "not_applicable",
                          "severity": "critical", "domain": "host",
                          "evidence": "not applicable: virtual.kind present"},
                         {"control": control, "status": "fail", "severity": "critical",
                          "domain": "host", "evidence": "lifecycle.security_updates = false"}]}
    return {**results, "hosts": [host], "recommendation": {**results["recommendation"],
                                                           "hosts": []}}


@pytest.mark.parametrize("control", ["VIRT-GUEST-OS-SUPPORTED", "VIRT-HYPERVISOR-SUPPORTED"])
def test_an_end_of_life_vm_or_hypervisor_counts_as_an_end_of_life_host(control: str) -> None:
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    summary, _ = summarise(_with_host(results, "vm-keuangan", control))
    assert summary.eol_hosts == 1


def test_a_vm_whose_guest_is_supported_is_not_counted() -> None:
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    changed = _with_host(results, "vm-keuangan", "VIRT-GUEST-OS-SUPPORTED")
    changed["hosts"][0]["findings"][1]["status"] = "pass"
    summary, _ = summarise(changed)
    assert summary.eol_hosts == 0
