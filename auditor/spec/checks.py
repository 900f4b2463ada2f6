"""The check language: small declarative comparisons over facts, judged pass, fail or unknown."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring
from typing import Any

from auditor.model import FindingStatus
from auditor.versions import compare_versions

_MISSING = object()
MAX_EVIDENCE_CHARS = 300


class Unknown(Exception):
    """A fact is missing or not of a type the operator can judge."""


@dataclass(frozen=True)
class Outcome:
    """The judgement of one check on one subject."""

    status: FindingStatus
    """pass, fail or unknown."""
    evidence: str
    """What was seen, in a few words (untrusted text: escape when rendering)."""


_SCALARS = {True: "true", False: "false", None: "null"}
_EVIDENCE_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
"""Encodes as ``json.dumps(value, ensure_ascii=False, default=str)`` does, made once."""


def show(value: Any) -> str:
    """A short, single-line rendering of a fact value for evidence (JSON notation)."""
    if value is True or value is False or value is None:
        return _SCALARS[value]
    if isinstance(value, int | float):
        return str(value)
    # Text, the common case, is encoded straight away (as the encoder itself does it).
    text = encode_basestring(value) if isinstance(value, str) else _EVIDENCE_JSON.encode(value)
    return text if len(text) <= MAX_EVIDENCE_CHARS else text[:MAX_EVIDENCE_CHARS] + "…"


def resolve(facts: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path, or _MISSING."""
    return _resolve_parts(facts, path.split("."))


def _resolve_parts(facts: Mapping[str, Any], parts: Sequence[str]) -> Any:
    current: Any = facts
    for part in parts:
        # Facts are plain dicts (parsed JSON): skip the slower ABC check for those.
        if (type(current) is dict or isinstance(current, Mapping)) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise Unknown("expected a number, got yes/no")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise Unknown(f"expected a number, got {show(value)}") from None
    raise Unknown(f"expected a number, got {show(value)}")


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Unknown(f"expected a list, got {show(value)}")
    return value


def _date(value: Any) -> date:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date() \
                if "T" in value else date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise Unknown(f"expected a date YYYY-MM-DD, got {show(value)}")


def _version(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    raise Unknown(f"expected a version, got {show(value)}")


def _norm(value: Any) -> Any:
    """Comparison form: text is compared trimmed and case-insensitively."""
    return value.strip().lower() if isinstance(value, str) else value


def _equal(a: Any, b: Any) -> bool:
    return bool(_norm(a) == _norm(b))


def _members(values: Any) -> list[Any]:
    """The check value's list, normalised for membership tests."""
    return [_norm(v) for v in (values if isinstance(values, list) else [values])]


def _overlap(fact: Any, values: Any) -> int:
    """How many items of the fact list are among the check values."""
    wanted = _members(values)
    return sum(1 for x in _list(fact) if _norm(x) in wanted)


def _is_bool(value: Any, expected: bool) -> bool:
    if not isinstance(value, bool):
        raise Unknown(f"expected yes/no, got {show(value)}")
    return value is expected


Operator = Callable[[Any, Any, date], bool]

OPERATORS: dict[str, Operator] = {
    "equals": lambda f, v, t: _equal(f, v),
    "not_equals": lambda f, v, t: not _equal(f, v),
    "in": lambda f, v, t: _norm(f) in _members(v),
    "not_in": lambda f, v, t: _norm(f) not in _members(v),
    "lt": lambda f, v, t: _number(f) < _number(v),
    "le": lambda f, v, t: _number(f) <= _number(v),
    "gt": lambda f, v, t: _number(f) > _number(v),
    "ge": lambda f, v, t: _number(f) >= _number(v),
    "version_lt": lambda f, v, t: compare_versions(_version(f), str(v)) < 0,
    "version_le": lambda f, v, t: compare_versions(_version(f), str(v)) <= 0,
    "version_gt": lambda f, v, t: compare_versions(_version(f), str(v)) > 0,
    "version_ge": lambda f, v, t: compare_versions(_version(f), str(v)) >= 0,
    "matches": lambda f, v, t: re.search(str(v), _text(f)) is not None,
    "not_matches": lambda f, v, t: re.search(str(v), _text(f)) is None,
    "is_true": lambda f, v, t: _is_bool(f, True),
    "is_false": lambda f, v, t: _is_bool(f, False),
    "contains": lambda f, v, t: _norm(v) in [_norm(x) for x in _list(f)],
    "not_contains": lambda f, v, t: _norm(v) not in [_norm(x) for x in _list(f)],
    "any_in": lambda f, v, t: _overlap(f, v) > 0,
    "none_in": lambda f, v, t: _overlap(f, v) == 0,
    "all_in": lambda f, v, t: _overlap(f, v) == len(_list(f)),
    "count_le": lambda f, v, t: len(_list(f)) <= int(v),
    "count_ge": lambda f, v, t: len(_list(f)) >= int(v),
    "within_days": lambda f, v, t: 0 <= (t - _date(f)).days <= int(v),
    "days_left_ge": lambda f, v, t: (_date(f) - t).days >= int(v),
}
"""Every operator of the check language; (fact value, check value, today) -> passes."""

VALUE_FREE = {"is_true", "is_false"}
"""Operators that take no ``value``."""

KNOWN_OPERATORS = frozenset(OPERATORS) | {"exists"}
"""Every operator name a spec may use."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise Unknown(f"expected text, got {show(value)}")


def param_value(value: Any, params: Mapping[str, Any]) -> Any:
    """Replace ``{param: NAME}`` with the parameter's value."""
    if isinstance(value, Mapping) and set(value) == {"param"}:
        name = value["param"]
        if name not in params:
            raise Unknown(f"parameter '{name}' is not set")
        return params[name]
    return value


@dataclass(frozen=True)
class Subject:
    """What a check is judged on: facts, and why some of them are unknown."""

    facts: Mapping[str, Any]
    unknown: Mapping[str, str]
    answer: Any = _MISSING
    """For questionnaire controls: the answer's value (a fact path 'answer' reads it too)."""


def _lookup(subject: Subject, path: str | None, parts: Sequence[str] = ()) -> Any:
    """The fact at ``path`` (split into ``parts`` when given); Unknown says why there is none."""
    if path is None or path == "answer":
        if subject.answer is _MISSING or subject.answer is None:
            raise Unknown("not answered")
        return subject.answer
    value = _resolve_parts(subject.facts, parts or path.split("."))
    if value is _MISSING:
        raise Unknown(f"{path}: {missing_reason(subject, path)}")
    if value is None:
        raise Unknown(f"{path}: not known")
    return value


Compiled = Callable[[Subject, date], Outcome]
"""A check made ready once (operator, path and values resolved) and judged many times."""

_FLIPPED = {FindingStatus.PASS: FindingStatus.FAIL, FindingStatus.FAIL: FindingStatus.PASS}
_MEMBERSHIP: dict[str, Callable[[Any, frozenset[Any]], bool]] = {
    "in": lambda f, wanted: _norm(f) in wanted,
    "not_in": lambda f, wanted: _norm(f) not in wanted,
    "any_in": lambda f, wanted: any(_norm(x) in wanted for x in _list(f)),
    "none_in": lambda f, wanted: not any(_norm(x) in wanted for x in _list(f)),
    "all_in": lambda f, wanted: all(_norm(x) in wanted for x in _list(f)),
}
"""Membership operators with their value list made a set once, when the check is compiled."""


def _constant(outcome: Outcome) -> Compiled:
    return lambda subject, today: outcome


def _compile_group(check: Mapping[str, Any], params: Mapping[str, Any]) -> Compiled:
    is_all = "all" in check
    parts = [compile_check(c, params) for c in check["all" if is_all else "any"]]
    decisive = FindingStatus.FAIL if is_all else FindingStatus.PASS
    other = FindingStatus.PASS if is_all else FindingStatus.FAIL

    def run(subject: Subject, today: date) -> Outcome:
        outcomes = [part(subject, today) for part in parts]
        for outcome in outcomes:
            if outcome.status is decisive:
                return outcome
        for outcome in outcomes:
            if outcome.status is FindingStatus.UNKNOWN:
                return outcome
        return Outcome(other, "; ".join(o.evidence for o in outcomes)[:MAX_EVIDENCE_CHARS])
    return run


def _judge_for(op: str, operator: Operator, expected: Any) -> Callable[[Any, date], bool]:
    """The operator with its value bound; membership values become a set once."""
    member = _MEMBERSHIP.get(op)
    if member is not None:
        try:
            wanted = frozenset(_members(expected))
        except TypeError:  # unhashable values (lists in a list): the general operator
            pass
        else:
            return lambda value, today: member(value, wanted)
    return lambda value, today: operator(value, expected, today)


def compile_check(check: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Compiled:
    """Prepare a check expression once; the result judges a subject as evaluate_check does."""
    params = params or {}
    if "all" in check or "any" in check:
        return _compile_group(check, params)
    if "not" in check:
        inner = compile_check(check["not"], params)

        def negated(subject: Subject, today: date) -> Outcome:
            outcome = inner(subject, today)
            return Outcome(_FLIPPED.get(outcome.status, outcome.status), outcome.evidence)
        return negated
    path = check.get("fact")
    shown = path or "answer"
    op = str(check.get("op"))
    if op == "exists":
        return lambda subject, today: _exists(check, subject, shown)
    operator = OPERATORS.get(op)
    if operator is None:
        return _constant(Outcome(FindingStatus.UNKNOWN, f"unknown operator {show(op)}"))
    try:
        expected = param_value(check.get("value"), params)
    except Unknown as exc:
        return _constant(Outcome(FindingStatus.UNKNOWN, str(exc)[:MAX_EVIDENCE_CHARS]))
    judge = _judge_for(op, operator, expected)
    parts = tuple(path.split(".")) if isinstance(path, str) else ()

    def run(subject: Subject, today: date) -> Outcome:
        try:
            value = _lookup(subject, path, parts)
            passed = judge(value, today)
        except Unknown as exc:
            return Outcome(FindingStatus.UNKNOWN, str(exc)[:MAX_EVIDENCE_CHARS])
        except (TypeError, ValueError, re.error) as exc:
            return Outcome(FindingStatus.UNKNOWN,
                           f"{shown}: cannot judge: {exc}"[:MAX_EVIDENCE_CHARS])
        status = FindingStatus.PASS if passed else FindingStatus.FAIL
        return Outcome(status, f"{shown} = {show(value)}")
    return run


def evaluate_check(check: Mapping[str, Any], subject: Subject, today: date,
                   params: Mapping[str, Any] | None = None) -> Outcome:
    """Judge a check expression; a missing or unusable fact gives unknown, never pass or fail."""
    return compile_check(check, params)(subject, today)


def missing_reason(subject: Subject, path: str) -> str:
    """Why a fact is absent: its section's reason, or the reason a section gives for it."""
    parts = path.split(".")
    if parts[0] in subject.unknown:
        return subject.unknown[parts[0]]
    parent: Any = subject.facts
    for part in parts[:-1]:
        if not isinstance(parent, Mapping) or part not in parent:
            return "not collected"
        parent = parent[part]
    nested = parent.get("unknown") if isinstance(parent, Mapping) else None
    if isinstance(nested, Mapping) and nested:
        reason = nested.get(parts[-1]) or next(iter(nested.values()))
        return str(reason)[:MAX_EVIDENCE_CHARS]
    return "not collected"


def _exists(check: Mapping[str, Any], subject: Subject, shown: str) -> Outcome:
    path = check.get("fact") or "answer"
    reason = missing_reason(subject, path)
    if reason != "not collected":
        return Outcome(FindingStatus.UNKNOWN, f"{path}: {reason}")
    present = resolve(subject.facts, path) not in (_MISSING, None)
    wanted = check.get("value", True) is not False
    status = FindingStatus.PASS if present == wanted else FindingStatus.FAIL
    return Outcome(status, f"{shown} {'present' if present else 'absent'}")


def referenced_facts(check: Mapping[str, Any]) -> list[str]:
    """Every fact path a check expression reads (for spec lint)."""
    if "all" in check or "any" in check:
        return [p for c in check.get("all", check.get("any", [])) for p in referenced_facts(c)]
    if "not" in check:
        return referenced_facts(check["not"])
    path = check.get("fact")
    return [path] if isinstance(path, str) else []


def referenced_operators(check: Mapping[str, Any]) -> list[str]:
    """Every operator a check expression uses (for spec lint)."""
    if "all" in check or "any" in check:
        return [o for c in check.get("all", check.get("any", [])) for o in referenced_operators(c)]
    if "not" in check:
        return referenced_operators(check["not"])
    return [str(check.get("op"))]
