"""Waivers applied to findings, and the report of what each waiver covered."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from auditor.model import Finding, FindingStatus, Waiver

WAIVABLE = (FindingStatus.FAIL, FindingStatus.UNKNOWN)
"""A waiver accepts a known gap; it never turns a pass into anything else."""


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[Waiver],
                  today: date) -> list[Finding]:
    """Mark waived findings; an expired waiver no longer applies and says so."""
    out = []
    for finding in findings:
        for waiver in waivers:
            if finding.status not in WAIVABLE or not waiver.covers(finding):
                continue
            record = waiver.to_data()
            if waiver.expired(today):
                record["expired"] = True
                finding = dataclasses.replace(finding, waiver=record)
                continue
            record["expired"] = False
            record["original_status"] = str(finding.status)
            finding = dataclasses.replace(finding, status=FindingStatus.WAIVED, waiver=record)
            break
        out.append(finding)
    return out


def waiver_report(waivers: Sequence[Waiver], findings: Iterable[Finding],
                  today: date) -> list[dict[str, Any]]:
    """Each waiver with its state and how many findings it covered."""
    findings = list(findings)
    report = []
    for waiver in waivers:
        matched = sum(1 for f in findings if f.waiver and f.control == waiver.control
                      and f.waiver.get("expires") == waiver.expires and waiver.covers(f))
        report.append({**waiver.to_data(), "state": "expired" if waiver.expired(today)
                       else "active", "findings": matched})
    return report
