"""Judge every subject of a bundle against the specification: findings, scores, verdicts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from auditor.bundle import read_json
from auditor.checks import Compiled, Outcome, Subject, compile_check, show
from auditor.errors import InputError
from auditor.facility import FacilityAnswers
from auditor.model import FindingStatus, HostStatus, Severity, Verdict
from auditor.spec import Control, Policy, Spec, VerdictRule

NEVER = "never"
"""The answer to a date question when the thing was never done."""


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
class Scanned:
    """A host or service as the scan left it: status, facts, unknown sections."""

    id: str
    status: HostStatus
    reason: str | None
    facts: Mapping[str, Any] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)


def load_scanned(path: Path, host_id: str, kind: str) -> Scanned:
    """A facts (or service) file as a Scanned subject; a missing or broken file is an error."""
    if not path.is_file():
        return Scanned(host_id, HostStatus.ERROR, f"no {kind} file in the bundle (not scanned)")
    try:
        data = read_json(path)
    except InputError as exc:
        return Scanned(host_id, HostStatus.ERROR, f"{kind} file unreadable: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("facts"), dict):
        return Scanned(host_id, HostStatus.ERROR, f"{kind} file is not in the expected format")
    try:
        status = HostStatus(str(data.get("status")))
    except ValueError:
        return Scanned(host_id, HostStatus.ERROR, f"{kind} file has an unknown status")
    unknown = data.get("unknown")
    reason = data.get("reason")
    probe = data.get("probe")
    if status is HostStatus.OK and isinstance(probe, dict) and probe.get("exit_code") == -1:
        # written by an auditor before 0.3 for a connection that dropped mid-probe: the
        # output is partial, so the host was not scanned (a rescan with --resume fixes it)
        return Scanned(host_id, HostStatus.ERROR, "the connection dropped before the probe "
                       "finished (no exit status); rescan with 'auditor scan --resume'")
    return Scanned(host_id, status, str(reason) if reason is not None else None, data["facts"],
                   unknown if isinstance(unknown, dict) else {})


@dataclass(frozen=True)
class Prepared:
    """A control with its checks compiled once, to judge many subjects."""

    control: Control
    when: Compiled | None
    check: Compiled | None


def prepare(controls: Iterable[Control | Prepared]) -> list[Prepared]:
    """Compile each control's checks (those already prepared are kept as they are)."""
    return [c if isinstance(c, Prepared) else Prepared(
        c, compile_check(c.when, c.params) if c.when is not None else None,
        compile_check(c.check, c.params) if c.check is not None else None) for c in controls]


def _outcome(prepared: Prepared, subject: Subject, today: date) -> Outcome:
    if prepared.when is not None:
        gate = prepared.when(subject, today)
        if gate.status is FindingStatus.FAIL:
            return Outcome(FindingStatus.NOT_APPLICABLE, f"not applicable: {gate.evidence}")
        if gate.status is not FindingStatus.PASS:
            return gate
    if prepared.check is None:
        return Outcome(FindingStatus.UNKNOWN, "the control has no automated check")
    return prepared.check(subject, today)


def _finding(control: Control, kind: str, subject_id: str, outcome: Outcome) -> Finding:
    return Finding(control.id, outcome.status, control.severity, control.domain,
                   outcome.evidence, kind, subject_id)


def judge_scanned(controls: Iterable[Control | Prepared], kind: str, item: Scanned,
                  today: date) -> list[Finding]:
    """Findings of a host or service; one that was not scanned gets unknown everywhere.

    Pass ``prepare(controls)`` when judging many subjects, so checks compile once.
    """
    findings = []
    subject = Subject(item.facts, item.unknown)
    for prepared in prepare(controls):
        if item.status is not HostStatus.OK:
            outcome = Outcome(FindingStatus.UNKNOWN,
                              f"not scanned: {item.status}: {item.reason or ''}".strip(": "))
        else:
            outcome = _outcome(prepared, subject, today)
        findings.append(_finding(prepared.control, kind, item.id, outcome))
    return findings


def judge_site(controls: Iterable[Control], site_id: str, answers: FacilityAnswers | None,
               today: date) -> list[Finding]:
    """Findings of a site's questionnaire controls.

    Unanswered is unknown. An answer that would pass needs the evidence the question asks
    for, else it stays unknown (a claim is not proof); an answer that admits a gap fails
    with or without evidence. A date question answered ``never`` fails.
    """
    findings = []
    for control in controls:
        answer = answers.answers.get(control.id) if answers else None
        question = control.question or {}
        if answer is None or answer.value is None:
            outcome = Outcome(FindingStatus.UNKNOWN, "not answered")
        elif question.get("type") == "date" and str(answer.value).strip().lower() == NEVER:
            outcome = Outcome(FindingStatus.FAIL, "answer = never")
        else:
            outcome = _outcome(prepare([control])[0], Subject({}, {}, answer.value), today)
            needs_evidence = question.get("evidence_required", True) and question.get("evidence")
            if outcome.status is FindingStatus.PASS and needs_evidence and not answer.evidence:
                outcome = Outcome(FindingStatus.UNKNOWN,
                                  f"answered {show(answer.value)} without the evidence it asks "
                                  "for")
        if answer is not None and answer.evidence:
            files = ", ".join(str(e.get("path")) for e in answer.evidence)
            outcome = Outcome(outcome.status, f"{outcome.evidence} (evidence: {files})"[:400])
        findings.append(_finding(control, "site", site_id, outcome))
    return findings


Tally = Counter[tuple[str, str, str, str]]
"""Findings counted by (status, severity, domain, subject): all that scores and verdict rules
need, and it adds up across hosts, so large fleets need not keep every finding object."""


def tally(findings: Iterable[Finding]) -> Tally:
    """Count findings by (status, severity, domain, subject)."""
    return Counter((str(f.status), str(f.severity), f.domain, f.subject) for f in findings)


def score(findings: Sequence[Finding] | Tally, weights: Mapping[str, float]) -> float | None:
    """Weighted share of passed among passed + failed; unknown counted apart; None if none."""
    counted = findings if isinstance(findings, Counter) else tally(findings)
    passed = sum(weights[sev] * n for (status, sev, _, _), n in counted.items()
                 if status == FindingStatus.PASS)
    failed = sum(weights[sev] * n for (status, sev, _, _), n in counted.items()
                 if status == FindingStatus.FAIL)
    if passed + failed == 0:
        return None
    return round(100 * passed / (passed + failed), 1)


def counts(findings: Iterable[Finding] | Tally) -> dict[str, int]:
    """Number of findings per status (every status present, zeros included)."""
    counted = findings if isinstance(findings, Counter) else tally(findings)
    out = {str(s): 0 for s in FindingStatus}
    for (status, _, _, _), n in counted.items():
        out[status] += n
    return out


def _rule_matches(rule: VerdictRule, counted: Tally, site_score: float | None) -> bool:
    when = rule.when
    if "score_below" in when and (site_score is None or site_score >= when["score_below"]):
        return False
    filters = [(i, set(when[k])) for i, k in enumerate(("status", "severity", "domain",
                                                          "subject")) if k in when]
    if not filters:
        return True
    hits = sum(n for key, n in counted.items() if all(key[i] in wanted for i, wanted in filters))
    return hits >= int(when.get("min_count", 1))


def site_verdict(policy: Policy, findings: Sequence[Finding] | Tally,
                 site_score: float | None) -> tuple[Verdict, VerdictRule | None]:
    """The first verdict rule that matches; no match at all is ``remediate`` (never compliant)."""
    counted = findings if isinstance(findings, Counter) else tally(findings)
    for rule in policy.verdict_rules:
        if _rule_matches(rule, counted, site_score):
            return Verdict(rule.verdict), rule
    return Verdict.REMEDIATE, None


def controls_for(spec: Spec, applies_to: str) -> list[Control]:
    """Enabled controls of one subject kind."""
    return [c for c in spec.controls if c.applies_to == applies_to and c.enabled]
