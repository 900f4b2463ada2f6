"""The floor every stage shares: statuses, severities, verdicts, findings and waivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class HostStatus(StrEnum):
    """How a scan of one host ended."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth_failed"
    HOSTKEY_MISMATCH = "hostkey_mismatch"
    TIMEOUT = "timeout"
    ERROR = "error"


class FindingStatus(StrEnum):
    """The outcome of one control on one subject."""

    PASS = "pass"  # noqa: S105 - a finding status, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"
    ERROR = "error"


class Severity(StrEnum):
    """How bad a failed control is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Verdict(StrEnum):
    """What a site should do."""

    COMPLIANT = "compliant"
    INCOMPLETE = "incomplete"
    """Not enough evidence to judge: a critical control is unknown. Never compliant, and
    never migrate by itself."""
    REMEDIATE = "remediate"
    MIGRATE = "migrate"


SEVERITY_ORDER = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


@dataclass(frozen=True)
class Finding:
    """The result of one control on one subject."""

    control: str
    status: FindingStatus
    severity: Severity
    domain: str
    evidence: str
    subject: str
    """``site``, ``host`` or ``service``."""
    subject_id: str
    waiver: dict[str, Any] | None = None

    def to_data(self) -> dict[str, Any]:
        """The finding as results.json writes it."""
        data: dict[str, Any] = {"control": self.control, "status": str(self.status),
                                "severity": str(self.severity), "domain": self.domain,
                                "evidence": self.evidence}
        if self.waiver is not None:
            data["waiver"] = self.waiver
        return data


@dataclass(frozen=True)
class Waiver:
    """An accepted exception for one control on some subjects, until a date."""

    control: str
    justification: str
    approver: str
    expires: str
    hosts: tuple[str, ...] | None = None
    sites: tuple[str, ...] | None = None
    services: tuple[str, ...] | None = None
    source: str = ""

    def covers(self, finding: Finding) -> bool:
        """Whether this waiver names the finding's control and subject."""
        if finding.control != self.control:
            return False
        scopes = {"host": self.hosts, "site": self.sites, "service": self.services}
        if all(s is None for s in scopes.values()):
            return True
        scope = scopes.get(finding.subject)
        return scope is not None and finding.subject_id in scope

    def expired(self, today: date) -> bool:
        """True after the expiry date."""
        return today > date.fromisoformat(self.expires)

    def to_data(self) -> dict[str, Any]:
        """As recorded in results.json."""
        data: dict[str, Any] = {"control": self.control, "justification": self.justification,
                                "approver": self.approver, "expires": self.expires}
        for key in ("hosts", "sites", "services"):
            if getattr(self, key) is not None:
                data[key] = list(getattr(self, key))
        return data
