"""What the judge stage decides, as values: one per host, service and site, and the whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.judge.evaluate import SiteVerdict, Tally, counts
from auditor.model import Finding, FindingStatus, HostStatus, Verdict

BRIEF_STATUSES = frozenset({"fail", "unknown", "error"})
"""The statuses of host findings the recommendation reads (end of life, urgency, gaps)."""


@dataclass(frozen=True)
class HostResult:
    """One host judged: its findings and score, and the facts the recommendation reads."""

    id: str
    site: str
    status: HostStatus
    reason: str | None
    role: str | None
    criticality: str
    score: float | None
    tally: Tally
    findings: tuple[Finding, ...]
    facts: Mapping[str, Any]
    """What the recommendation reads of the host's facts (``recommend.kept``; empty when
    the host was not scanned). Not in results.json."""

    def to_data(self) -> dict[str, Any]:
        """The host's entry of results.json."""
        return {"id": self.id, "site": self.site, "status": str(self.status),
                "reason": self.reason, "role": self.role, "criticality": self.criticality,
                "score": self.score, "counts": counts(self.tally),
                "findings": [f.to_data() for f in self.findings]}

    def brief(self) -> dict[str, Any]:
        """The part of ``to_data()`` the recommendation reads.

        Id, site, status and the findings whose status is in BRIEF_STATUSES (control,
        status and severity).
        """
        return {"id": self.id, "site": self.site, "status": str(self.status),
                "findings": [{"control": f.control, "status": str(f.status),
                              "severity": str(f.severity)}
                             for f in self.findings if f.status in BRIEF_STATUSES]}


@dataclass(frozen=True)
class ServiceResult:
    """One web service judged."""

    id: str
    url: str
    host: str | None
    site: str | None
    status: HostStatus
    reason: str | None
    score: float | None
    findings: tuple[Finding, ...]

    def to_data(self) -> dict[str, Any]:
        """The service's entry of results.json."""
        return {"id": self.id, "url": self.url, "host": self.host, "site": self.site,
                "status": str(self.status), "reason": self.reason, "score": self.score,
                "counts": counts(self.findings), "findings": [f.to_data() for f in self.findings]}


@dataclass(frozen=True)
class SiteResult:
    """One site judged: its questionnaire findings, and the verdict over all it holds."""

    id: str
    name: str
    kind: str
    score: float | None
    facility_score: float | None
    verdict: SiteVerdict
    target_stratum: int | None
    answered: bool
    tally: Tally
    """Everything on the site counted: its own findings, its hosts' and services'."""
    findings: tuple[Finding, ...]
    cooling: str | None
    """The answer to the cooling question, for the recommendation's energy costs. Not in
    results.json."""

    def to_data(self) -> dict[str, Any]:
        """The site's entry of results.json."""
        return {"id": self.id, "name": self.name, "kind": self.kind, "score": self.score,
                "facility_score": self.facility_score, **self.verdict.to_data(),
                "target_stratum": self.target_stratum, "answered": self.answered,
                "counts": counts(self.tally), "findings": [f.to_data() for f in self.findings]}


FAILED_BY_SEVERITY = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Judged:
    """Every host, service and site judged, and what follows for the whole bundle."""

    hosts: tuple[HostResult, ...]
    services: tuple[ServiceResult, ...]
    sites: tuple[SiteResult, ...]
    everywhere: Tally
    score: float | None
    verdict: Verdict
    """The most drastic action any site needs (see ``stage.VERDICT_ORDER``)."""
    waivers: tuple[dict[str, Any], ...]
    """Each waiver with its state and how many findings it covered."""

    @property
    def scan_incomplete(self) -> bool:
        """Whether some host or service was not scanned."""
        return any(h.status is not HostStatus.OK for h in self.hosts) or any(
            s.status is not HostStatus.OK for s in self.services)

    @property
    def compliant(self) -> bool:
        """Every site compliant and nothing failed, unknown or in error anywhere."""
        return self.verdict is Verdict.COMPLIANT and not any(
            n and status in (FindingStatus.FAIL, FindingStatus.UNKNOWN, FindingStatus.ERROR)
            for (status, _, _, _), n in self.everywhere.items())

    def summary(self) -> dict[str, Any]:
        """results["summary"]."""
        failed_by_severity = dict.fromkeys(FAILED_BY_SEVERITY, 0)
        for (status, severity, _, _), n in self.everywhere.items():
            if status == FindingStatus.FAIL:
                failed_by_severity[severity] += n
        return {"score": self.score, "verdict": str(self.verdict), "hosts": len(self.hosts),
                "hosts_scanned": sum(h.status is HostStatus.OK for h in self.hosts),
                "services": len(self.services), "sites": len(self.sites),
                "by_status": counts(self.everywhere), "failed_by_severity": failed_by_severity}
