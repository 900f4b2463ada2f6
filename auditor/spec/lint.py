"""Semantic checks of a specification beyond its schema: operators, fact paths, questions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from auditor.bundle.schemas import load_schema
from auditor.collect.collectors import COLLECTORS
from auditor.errors import Problem
from auditor.spec.checks import KNOWN_OPERATORS, VALUE_FREE, referenced_facts, referenced_operators
from auditor.spec.load import Control, Spec

DERIVED_PATHS: tuple[str, ...] = ("lifecycle",)
"""Fact paths the check stage derives from collected facts."""

SPBE_INDICATORS = range(1, 48)
"""The 47 indicators of the SPBE evaluation (PermenPANRB 59/2020, KepmenPANRB 962/2021)."""
ISO27001_ANNEX_A = {"5": 37, "6": 8, "7": 14, "8": 34}
"""ISO/IEC 27001:2022 Annex A themes and how many controls each has (93 in all)."""
ARTICLE = re.compile(r"Pasal [1-9][0-9]{0,2}( ayat \([1-9][0-9]?\))?")
FRAMEWORKS = ("spbe", "iso27001", "bssn_4_2021", "bssn_8_2024")


def framework_problems(frameworks: dict[str, list[Any]]) -> list[tuple[str, str]]:
    """(field, message) for each framework id that does not exist in its framework."""
    out: list[tuple[str, str]] = []
    for name, ids in frameworks.items():
        where = f"frameworks.{name}"
        if name not in FRAMEWORKS:
            out.append((where, f"unknown framework '{name}'; known: {', '.join(FRAMEWORKS)}"))
            continue
        if len(set(map(str, ids))) != len(ids):
            out.append((where, "an id is listed twice"))
        for item in ids:
            if name == "spbe" and (isinstance(item, bool) or item not in SPBE_INDICATORS):
                out.append((where, f"SPBE indicator {item!r} does not exist (1-47)"))
            elif name == "iso27001" and not _iso_id(item):
                out.append((where, f"'{item}' is not an ISO/IEC 27001:2022 Annex A id "
                                   "(A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14, A.8.1-A.8.34)"))
            elif name.startswith("bssn") and not (isinstance(item, str)
                                                  and ARTICLE.fullmatch(item)):
                out.append((where, f"'{item}' is not an article ('Pasal N' or "
                                   "'Pasal N ayat (M)')"))
    return out


def _iso_id(item: object) -> bool:
    if not isinstance(item, str):
        return False
    match = re.fullmatch(r"A\.([5-8])\.([1-9][0-9]?)", item)
    return match is not None and int(match.group(2)) <= ISO27001_ANNEX_A[match.group(1)]


def host_fact_paths() -> set[str]:
    """Every fact path a host can have."""
    paths = {p for c in COLLECTORS.values() for p in c.paths}
    return paths | set(DERIVED_PATHS) | hypervisor_fact_paths()


def hypervisor_fact_paths() -> set[str]:
    """Fact paths a hypervisor API fills (``virtual.*``, ``vm.*``, ``hypervisor.*``)."""
    facts = load_schema("facts")["properties"]["facts"]["properties"]
    return schema_fact_paths({"properties": {k: facts[k] for k in ("virtual", "vm", "hypervisor")}})


def schema_fact_paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
    """Every dotted path a ``properties`` tree of a JSON Schema declares."""
    paths: set[str] = set()
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        paths.add(path)
        if isinstance(sub, dict):
            paths |= schema_fact_paths(sub, path + ".")
    return paths


def service_fact_paths() -> set[str]:
    """Every fact path a web service document declares (from its JSON Schema)."""
    return schema_fact_paths(load_schema("service")["properties"]["facts"])


def _known(path: str, known: Iterable[str]) -> bool:
    return any(path == k or path.startswith(k + ".") for k in known)


def _where(control: Control) -> tuple[str, int | None]:
    file, _, line = control.source.rpartition(":")
    return file, int(line) if line.isdigit() else None


_Add = Callable[[str, str], None]
"""Report one problem of the control being linted: ``add(field, message)``."""


def _lint_expression(control: Control, name: str, expression: dict[str, Any],
                     known_paths: dict[str, set[str]], add: _Add) -> None:
    """A check or when expression: known operators, values given, facts someone produces."""
    for op in referenced_operators(expression):
        if op not in KNOWN_OPERATORS:
            known = ", ".join(sorted(KNOWN_OPERATORS))
            add(name, f"unknown operator '{op}'; known: {known}")
    _lint_values(expression, name, add)
    for path in referenced_facts(expression):
        if control.applies_to == "host" and not _known(path, known_paths["host"]):
            add(name, f"fact '{path}' is produced by no collector")
        elif control.applies_to == "service" and not _known(path, known_paths["service"]):
            add(name, f"fact '{path}' is produced by no web probe section")
        elif control.applies_to in ("site", "organisation") and path != "answer":
            add(name, "questionnaire controls judge the answer: leave out 'fact'")


def _lint_kind(control: Control, add: _Add) -> None:
    """A site control is asked, a host or service control is checked."""
    if control.applies_to in ("site", "organisation") and control.question is None:
        add("question", "a site control needs a question (it is answered, not scanned)")
    if control.applies_to in ("host", "service") and control.check is None:
        add("check", "a host or service control needs an automated check")


def _lint_choices(control: Control, add: _Add) -> None:
    """A check of a choice question compares with one of its choices."""
    question = control.question or {}
    if question.get("type") == "choice" and control.check is not None:
        allowed = {c["value"] for c in question.get("choices", [])}
        values = control.check.get("value")
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and value not in allowed:
                add("check", f"value '{value}' is not one of the question's choices")


def _lint_control(control: Control, known_paths: dict[str, set[str]]) -> list[Problem]:
    """Problems of one control, each at the control's file and line."""
    problems: list[Problem] = []
    file, line = _where(control)

    def add(field: str, message: str) -> None:
        problems.append(Problem(file, line, f"{control.id}.{field}", message))

    for name, expression in (("check", control.check), ("when", control.when)):
        if expression is not None:
            _lint_expression(control, name, expression, known_paths, add)
    _lint_kind(control, add)
    _lint_choices(control, add)
    for name, message in framework_problems(control.frameworks):
        add(name, message)
    for name in _params_used(control.check or {}) | _params_used(control.when or {}):
        if name not in control.params:
            add("params", f"parameter '{name}' is used but has no default under params")
    if control.closure_risk and control.applies_to != "site":
        add("closure_risk", "only site (questionnaire) controls can carry a closure risk")
    return problems


def lint_spec(spec: Spec) -> list[Problem]:
    """Problems that make controls unjudgeable or misleading; empty when the spec is sound."""
    known_paths = {"host": host_fact_paths(), "service": service_fact_paths()}
    problems: list[Problem] = []
    for control in spec.controls:
        problems += _lint_control(control, known_paths)
    problems += lint_policy(spec)
    return problems


def _lint_verdict_rules(spec: Spec, where: str) -> list[Problem]:
    """Verdict rules name site controls, have what they need, and the last one matches all."""
    problems: list[Problem] = []
    site_ids = {c.id for c in spec.controls if c.applies_to == "site"}
    all_ids = {c.id for c in spec.controls}
    rules = spec.policy.verdict_rules
    for index, rule in enumerate(rules):
        field = f"policy.verdict_rules[{index}].when"
        for cid in rule.when.get("controls") or ():
            if cid not in site_ids:
                what = "is not a site control (host and service findings are counted, not " \
                       "kept by control)" if cid in all_ids else "is not a control of the spec"
                problems.append(Problem(where, None, f"{field}.controls", f"'{cid}' {what}"))
        if rule.when.get("closure_risk") and not spec.policy.closure_groups:
            problems.append(Problem(where, None, f"{field}.closure_risk",
                                    "no control carries a closure_risk group"))
        if "score_of" in rule.when and "score_below" not in rule.when:
            problems.append(Problem(where, None, f"{field}.score_of",
                                    "score_of needs score_below"))
    if rules and rules[-1].when:
        problems.append(Problem(where, None, "policy.verdict_rules",
                                "the last verdict rule should match every site (no 'when')"))
    return problems


def _lint_strata(spec: Spec, where: str) -> list[Problem]:
    """Strata set the same parameters, each used by a control and within its choices."""
    problems: list[Problem] = []
    strata = spec.policy.strata
    names = {name for s in strata.values() for name in s.params}
    for level, stratum in sorted(strata.items()):
        for name in sorted(names - set(stratum.params)):
            problems.append(Problem(where, None, f"policy.strata[level={level}].params",
                                    f"'{name}' is set by other strata but not by this one"))
        for name, value in stratum.params.items():
            users = [c for c in spec.controls if name in c.params]
            if not users:
                problems.append(Problem(where, None, f"policy.strata[level={level}].params.{name}",
                                        "no control has this parameter"))
            for control in users:
                choices = {c["value"] for c in (control.question or {}).get("choices", [])}
                for item in value if isinstance(value, list) and choices else []:
                    if item not in choices:
                        problems.append(Problem(
                            where, None, f"policy.strata[level={level}].params.{name}",
                            f"'{item}' is not one of {control.id}'s choices"))
    return problems


def lint_policy(spec: Spec) -> list[Problem]:
    """Problems of the verdict rules and strata that the schema cannot see."""
    where = str(spec.path)
    return _lint_verdict_rules(spec, where) + _lint_strata(spec, where)


def _lint_values(expression: dict[str, object], name: str, add: object) -> None:
    if "all" in expression or "any" in expression:
        items = expression.get("all", expression.get("any"))
        for item in items if isinstance(items, list) else []:
            _lint_values(item, name, add)
        return
    if "not" in expression and isinstance(expression["not"], dict):
        _lint_values(expression["not"], name, add)
        return
    op = expression.get("op")
    if op not in VALUE_FREE and op != "exists" and "value" not in expression and callable(add):
        add(name, f"operator '{op}' needs a value")


def _params_used(expression: object) -> set[str]:
    if isinstance(expression, dict):
        if set(expression) == {"param"} and isinstance(expression["param"], str):
            return {expression["param"]}
        return {p for v in expression.values() for p in _params_used(v)}
    if isinstance(expression, list):
        return {p for v in expression for p in _params_used(v)}
    return set()
