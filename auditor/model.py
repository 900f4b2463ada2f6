"""Statuses, severities and verdicts shared by every stage, as str enums."""

from __future__ import annotations

from enum import StrEnum


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
