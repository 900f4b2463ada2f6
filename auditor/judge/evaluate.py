"""Judge every subject of a bundle against the specification: findings, scores, verdicts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from auditor.bundle.folder import read_json
from auditor.collect.facility import FacilityAnswers
from auditor.errors import InputError
from auditor.model import Finding, FindingStatus, HostStatus, Verdict
from auditor.spec.checks import Compiled, Outcome, Subject, compile_check, show
from auditor.spec.load import Control, Policy, Spec, VerdictRule

NEVER = "never"
"""The answer to a date question when the thing was never done."""


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


FILTERS = ("status", "severity", "domain", "subject")
"""The ``when`` filters that match a finding's (status, severity, domain, subject)."""


@dataclass(frozen=True)
class RuleMatch:
    """One verdict rule that matched a site, and the site controls that made it match."""

    rule: VerdictRule
    controls: tuple[str, ...]
    count: int
    """Findings that matched (site, host and service ones), 0 for a rule without filters."""

    def to_data(self) -> dict[str, Any]:
        """The match as results.json writes it."""
        return {"verdict": self.rule.verdict, "reason": dict(self.rule.reason),
                "controls": list(self.controls), "count": self.count}


@dataclass(frozen=True)
class SiteVerdict:
    """A site's verdict: the first matching rule, and the always-reported ones after it."""

    verdict: Verdict
    match: RuleMatch | None
    also: tuple[RuleMatch, ...] = ()
    closure_controls: tuple[str, ...] = ()
    """Controls of the closure groups that fail entirely: the closure risk."""

    def to_data(self) -> dict[str, Any]:
        """The verdict fields of a site entry of results.json."""
        match = self.match
        return {"verdict": str(self.verdict),
                "verdict_reason": dict(match.rule.reason) if match else {},
                "verdict_controls": list(match.controls) if match else [],
                "verdict_matches": match.count if match else 0,
                "verdict_also": [m.to_data() for m in self.also],
                "closure_risk": bool(self.closure_controls),
                "closure_controls": list(self.closure_controls)}


def closure_failures(policy: Policy, own: Iterable[Finding]) -> tuple[str, ...]:
    """Controls of the closure groups every judged control of which fails (sorted).

    A group of detection and suppression fails only when both fail; members that are not
    applicable or have no finding are left out, and a waived member keeps its group open.
    """
    groups: dict[str, list[Finding]] = {}
    for finding in own:
        group = policy.closure_groups.get(finding.control)
        if group and finding.status is not FindingStatus.NOT_APPLICABLE:
            groups.setdefault(group, []).append(finding)
    return tuple(sorted(f.control for members in groups.values()
                        if all(f.status is FindingStatus.FAIL for f in members)
                        for f in members))


def _keeps(key: tuple[str, ...], when: Mapping[str, Any]) -> bool:
    return all(key[i] in when[k] for i, k in enumerate(FILTERS) if k in when)


def _key(finding: Finding) -> tuple[str, str, str, str]:
    return (str(finding.status), str(finding.severity), finding.domain, finding.subject)


def _rule_match(rule: VerdictRule, policy: Policy, counted: Tally, own: Sequence[Finding],
                site_score: float | None, closing: tuple[str, ...]) -> RuleMatch | None:
    when = rule.when
    if "score_below" in when:
        domains = when.get("score_of")
        if domains:
            counted_here: Tally = Counter({k: n for k, n in counted.items() if k[2] in domains})
            rule_score = score(counted_here, policy.weights)
        else:
            rule_score = site_score
        if rule_score is None or rule_score >= when["score_below"]:
            return None
        failing = sorted({f.control for f in own if f.status is FindingStatus.FAIL
                          and (not domains or f.domain in domains)})
        return RuleMatch(rule, tuple(failing), 0)
    if "controls" in when or when.get("closure_risk"):
        named = set(when.get("controls") or ()) if "controls" in when else None
        chosen = [f for f in own if (named is None or f.control in named)
                  and (not when.get("closure_risk") or f.control in closing)
                  and _keeps(_key(f), when)]
        if len(chosen) < int(when.get("min_count", 1)):
            return None
        return RuleMatch(rule, tuple(sorted({f.control for f in chosen})), len(chosen))
    if not any(k in when for k in FILTERS):
        return RuleMatch(rule, (), 0)
    hits = sum(n for key, n in counted.items() if _keeps(key, when))
    if hits < int(when.get("min_count", 1)):
        return None
    return RuleMatch(rule, tuple(sorted({f.control for f in own if _keeps(_key(f), when)})),
                     hits)


def site_verdict(policy: Policy, findings: Sequence[Finding] | Tally, site_score: float | None,
                 own: Sequence[Finding] = ()) -> SiteVerdict:
    """The first verdict rule that matches; no match at all is ``remediate`` (never compliant).

    ``findings`` counts everything on the site (its hosts and services too); ``own`` are the
    site's questionnaire findings, which rules naming controls or closure risk look at.
    Rules marked ``always_report`` that match after the deciding one are given with it.
    """
    counted = findings if isinstance(findings, Counter) else tally(findings)
    if not own and not isinstance(findings, Counter):
        own = [f for f in findings if f.subject == "site"]
    closing = closure_failures(policy, own)
    first: RuleMatch | None = None
    also: list[RuleMatch] = []
    for rule in policy.verdict_rules:
        if first is not None and not rule.always_report:
            continue
        match = _rule_match(rule, policy, counted, own, site_score, closing)
        if match is None:
            continue
        if first is None:
            first = match
        elif match.rule.verdict != first.rule.verdict or match.rule.reason != first.rule.reason:
            also.append(match)
    verdict = Verdict(first.rule.verdict) if first else Verdict.REMEDIATE
    return SiteVerdict(verdict, first, tuple(also), closing)


def controls_for(spec: Spec, applies_to: str) -> list[Control]:
    """Enabled controls of one subject kind."""
    return [c for c in spec.controls if c.applies_to == applies_to and c.enabled]
