"""The specification: controls and policy loaded from specs/, checked, ready to evaluate."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.bundle.schemas import load_checked
from auditor.bundle.yamlfile import LocatedDocument
from auditor.errors import InputError, Problem
from auditor.model import Severity, Waiver
from auditor.paths import specs_root


@dataclass(frozen=True)
class Control:
    """One requirement of the specification."""

    id: str
    domain: str
    applies_to: str
    """``site``, ``host``, ``service`` or ``organisation``."""
    severity: Severity
    title: dict[str, str]
    description: dict[str, str]
    remediation: dict[str, str]
    rationale: dict[str, str]
    references: tuple[dict[str, str], ...]
    tags: tuple[str, ...] = ()
    check: dict[str, Any] | None = None
    when: dict[str, Any] | None = None
    question: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    frameworks: dict[str, list[Any]] = field(default_factory=dict)
    """Ids of the control in known frameworks: ``spbe`` indicators, ``iso27001`` Annex A ids,
    ``bssn_4_2021`` / ``bssn_8_2024`` articles."""
    source: str = ""
    """file:line where the control is defined."""
    enabled: bool = True
    disabled_reason: str | None = None
    """Why a tailoring overlay turned it off."""
    closure_risk: str | None = None
    """The closure group of a facility control an audit could close a room for: the site is
    at risk of closure when every judged control of the group fails (see Policy)."""


@dataclass(frozen=True)
class VerdictRule:
    """First matching rule gives a site's verdict."""

    verdict: str
    when: dict[str, Any] = field(default_factory=dict)
    reason: dict[str, str] = field(default_factory=dict)
    always_report: bool = False
    """The rule's reason is given with the verdict even when an earlier rule decides it."""


@dataclass(frozen=True)
class Stratum:
    """A target level (SNI 8799 stratum / TIA-942 rated level) and the thresholds it sets."""

    level: int
    name: dict[str, str]
    redundancy: str
    """``n``, ``n_plus_1``, ``concurrent`` or ``2n``: what the level asks of power paths."""
    params: dict[str, Any] = field(default_factory=dict)
    """Control parameters this level sets, overriding the controls' own defaults."""


@dataclass(frozen=True)
class Policy:
    """How findings become scores and verdicts."""

    weights: dict[str, float]
    verdict_rules: tuple[VerdictRule, ...]
    target_stratum: int | None = None
    """The level a site is judged against unless its inventory entry names another."""
    strata: dict[int, Stratum] = field(default_factory=dict)
    closure_groups: dict[str, str] = field(default_factory=dict)
    """Control id -> closure group, from the controls' ``closure_risk`` fields."""

    def stratum(self, level: int | None) -> Stratum | None:
        """The stratum a site is judged against: its own ``level``, else the spec's default."""
        chosen = level if level is not None else self.target_stratum
        if chosen is None or not self.strata:
            return None
        if chosen not in self.strata:
            known = ", ".join(str(n) for n in sorted(self.strata))
            raise InputError(f"target stratum {chosen} is not defined by the specification "
                             f"(it defines {known}); fix sites[].target_stratum in the inventory")
        return self.strata[chosen]


@dataclass(frozen=True)
class Spec:
    """A loaded specification."""

    id: str
    version: str
    effective_date: str
    title: dict[str, str]
    controls: tuple[Control, ...]
    policy: Policy
    path: Path
    overlay: dict[str, Any] | None = None
    """Identity of the tailoring overlay applied, if any."""
    waivers: tuple[Waiver, ...] = ()
    """Waivers granted by the overlay (see auditor.spec.tailoring)."""

    def control(self, control_id: str) -> Control:
        """The control with this id."""
        return next(c for c in self.controls if c.id == control_id)


def default_spec_path() -> Path:
    """The packaged national specification."""
    return specs_root() / "national.yaml"


def _control(raw: dict[str, Any], source: str) -> Control:
    return Control(
        id=raw["id"], domain=raw["domain"], applies_to=raw["applies_to"],
        severity=Severity(raw["severity"]), title=raw["title"], description=raw["description"],
        remediation=raw["remediation"], rationale=raw["rationale"],
        references=tuple(raw["references"]), tags=tuple(raw.get("tags") or ()),
        check=raw.get("check"), when=raw.get("when"), question=raw.get("question"),
        params=dict(raw.get("params") or {}), source=source,
        closure_risk=raw.get("closure_risk"),
        frameworks={k: list(v) for k, v in (raw.get("frameworks") or {}).items()})


def load_controls(path: Path) -> tuple[list[Control], LocatedDocument]:
    """Load the main file and its includes; schema errors raise InputError with file:line."""
    main = load_checked(path, "spec", "the specification", "id, version, policy and controls")
    controls: list[Control] = []
    documents = [(main, "controls")]
    problems: list[Problem] = []
    for index, name in enumerate(main.data.get("include") or []):
        file = path.parent / name
        if not file.is_file():
            problems.append(Problem(main.file, main.line_of(("include", index)),
                                    f"include[{index}]", f"control file '{name}' not found"))
            continue
        documents.append((load_checked(file, "controls", "the control file", "controls"),
                          "controls"))
    if problems:
        raise InputError(f"{main.file}: missing control files", problems)
    for doc, key in documents:
        for index, raw in enumerate(doc.data.get(key) or []):
            controls.append(_control(raw, f"{doc.file}:{doc.line_of((key, index)) or 0}"))
    return controls, main


def load_spec(path: Path | None = None) -> Spec:
    """Load and check a specification (the packaged national one by default)."""
    path = path or default_spec_path()
    if path.is_dir():
        path = path / "national.yaml"
    controls, main = load_controls(path)
    seen: dict[str, str] = {}
    problems = []
    for control in controls:
        if control.id in seen:
            file, _, line = control.source.rpartition(":")
            problems.append(Problem(file, int(line) or None, control.id,
                                    f"duplicate control id (first defined at {seen[control.id]})"))
        seen.setdefault(control.id, control.source)
    if problems:
        raise InputError(f"{main.file}: duplicate control ids", problems)
    data = main.data
    raw_policy = data["policy"]
    strata = {int(s["level"]): Stratum(int(s["level"]), s["name"], s["redundancy"],
                                       dict(s.get("params") or {}))
              for s in raw_policy.get("strata") or []}
    target = raw_policy.get("target_stratum")
    if target is not None and int(target) not in strata:
        raise InputError(f"{main.file}: unknown target stratum", [Problem(
            main.file, main.line_of(("policy", "target_stratum")), "policy.target_stratum",
            f"stratum {target} is not defined under policy.strata")])
    policy = Policy(
        weights={k: float(v) for k, v in raw_policy["weights"].items()},
        verdict_rules=tuple(VerdictRule(r["verdict"], dict(r.get("when") or {}),
                                        dict(r.get("reason") or {}),
                                        bool(r.get("always_report", False)))
                            for r in raw_policy["verdict_rules"]),
        target_stratum=int(target) if target is not None else None, strata=strata,
        closure_groups={c.id: c.closure_risk for c in controls if c.closure_risk})
    return Spec(id=data["id"], version=str(data["version"]), effective_date=data["effective_date"],
                title=data["title"], controls=tuple(controls), policy=policy, path=path)


def stratum_controls(controls: Iterable[Control], stratum: Stratum | None) -> list[Control]:
    """The controls with the thresholds of ``stratum`` in their parameters (those they have)."""
    if stratum is None:
        return list(controls)
    return [dataclasses.replace(c, params={**c.params, **{k: v for k, v in stratum.params.items()
                                                          if k in c.params}})
            if any(k in c.params for k in stratum.params) else c for c in controls]


def control_as_data(control: Control) -> dict[str, Any]:
    """A control as plain data (for ``spec show --format json``)."""
    data = dataclasses.asdict(control)
    data["severity"] = str(control.severity)
    return {k: v for k, v in data.items() if v not in (None, (), {}, [])}
