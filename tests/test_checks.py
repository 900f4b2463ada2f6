"""The check language: each operator passes, fails, and turns missing facts into unknown."""

from __future__ import annotations

from datetime import date

import pytest

from auditor.model import FindingStatus as S
from auditor.spec.checks import OPERATORS, Subject, evaluate_check
from auditor.versions import compare_versions

TODAY = date(2026, 11, 27)
FACTS = {
    "os": {"id": "ubuntu", "version_id": "20.04"},
    "sshd": {"permitrootlogin": "no", "maxauthtries": 6, "ciphers": ["aes256-ctr", "3des-cbc"]},
    "listening": {"tcp_ports": [22, 80, 3306]},
    "backup": {"last": "2026-11-01", "flag": True},
    "cert": {"not_after": "2026-12-10T00:00:00Z"},
}
SUBJECT = Subject(FACTS, {"firewall": "needs root to read nftables rules"})

CASES = [
    ({"fact": "os.id", "op": "equals", "value": "Ubuntu"}, S.PASS),
    ({"fact": "os.id", "op": "not_equals", "value": "ubuntu"}, S.FAIL),
    ({"fact": "sshd.permitrootlogin", "op": "in", "value": ["no"]}, S.PASS),
    ({"fact": "sshd.permitrootlogin", "op": "not_in", "value": ["no"]}, S.FAIL),
    ({"fact": "sshd.maxauthtries", "op": "le", "value": 4}, S.FAIL),
    ({"fact": "sshd.maxauthtries", "op": "lt", "value": 7}, S.PASS),
    ({"fact": "sshd.maxauthtries", "op": "ge", "value": 6}, S.PASS),
    ({"fact": "sshd.maxauthtries", "op": "gt", "value": 6}, S.FAIL),
    ({"fact": "os.version_id", "op": "version_ge", "value": "20.10"}, S.FAIL),
    ({"fact": "os.version_id", "op": "version_lt", "value": "22.04"}, S.PASS),
    ({"fact": "os.version_id", "op": "version_le", "value": "20.04"}, S.PASS),
    ({"fact": "os.version_id", "op": "version_gt", "value": "18.04"}, S.PASS),
    ({"fact": "os.id", "op": "matches", "value": "^ubu"}, S.PASS),
    ({"fact": "os.id", "op": "not_matches", "value": "^ubu"}, S.FAIL),
    ({"fact": "backup.flag", "op": "is_true"}, S.PASS),
    ({"fact": "backup.flag", "op": "is_false"}, S.FAIL),
    ({"fact": "sshd.ciphers", "op": "contains", "value": "3des-cbc"}, S.PASS),
    ({"fact": "sshd.ciphers", "op": "not_contains", "value": "3des-cbc"}, S.FAIL),
    ({"fact": "listening.tcp_ports", "op": "any_in", "value": [3306, 5432]}, S.PASS),
    ({"fact": "listening.tcp_ports", "op": "none_in", "value": [3306, 5432]}, S.FAIL),
    ({"fact": "listening.tcp_ports", "op": "all_in", "value": [22, 80, 443]}, S.FAIL),
    ({"fact": "listening.tcp_ports", "op": "count_le", "value": 3}, S.PASS),
    ({"fact": "listening.tcp_ports", "op": "count_ge", "value": 4}, S.FAIL),
    ({"fact": "backup.last", "op": "within_days", "value": 30}, S.PASS),
    ({"fact": "backup.last", "op": "within_days", "value": 7}, S.FAIL),
    ({"fact": "cert.not_after", "op": "days_left_ge", "value": 30}, S.FAIL),
    ({"fact": "cert.not_after", "op": "days_left_ge", "value": 10}, S.PASS),
    ({"fact": "os.id", "op": "exists", "value": True}, S.PASS),
    ({"fact": "os.nothing", "op": "exists", "value": False}, S.PASS),
]


def test_every_operator_has_a_case() -> None:
    used = {case[0]["op"] for case in CASES}
    assert set(OPERATORS) | {"exists"} == used


@pytest.mark.parametrize(("check", "expected"), CASES, ids=[f"{c['op']}-{e}" for c, e in CASES])
def test_operator(check: dict[str, object], expected: S) -> None:
    assert evaluate_check(check, SUBJECT, TODAY).status is expected


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_missing_fact_is_unknown_never_pass_or_fail(op: str) -> None:
    outcome = evaluate_check({"fact": "nothing.here", "op": op, "value": 1}, SUBJECT, TODAY)
    assert outcome.status is S.UNKNOWN


def test_unreadable_section_gives_its_reason() -> None:
    outcome = evaluate_check({"fact": "firewall.default_policy", "op": "equals", "value": "drop"},
                             SUBJECT, TODAY)
    assert outcome.status is S.UNKNOWN
    assert "needs root" in outcome.evidence


@pytest.mark.parametrize(("check", "value"), [
    ({"op": "ge", "value": 15}, "lima belas"),
    ({"op": "is_true"}, "yes please"),
    ({"op": "within_days", "value": 365}, "last spring"),
    ({"op": "count_le", "value": 2}, 5),
])
def test_wrong_type_answer_is_unknown(check: dict[str, object], value: object) -> None:
    assert evaluate_check(check, Subject({}, {}, value), TODAY).status is S.UNKNOWN


def test_composites_and_unknown_propagation() -> None:
    passing = {"fact": "os.id", "op": "equals", "value": "ubuntu"}
    failing = {"fact": "sshd.maxauthtries", "op": "le", "value": 4}
    missing = {"fact": "nope.x", "op": "equals", "value": 1}
    assert evaluate_check({"all": [passing, failing]}, SUBJECT, TODAY).status is S.FAIL
    assert evaluate_check({"all": [passing, missing]}, SUBJECT, TODAY).status is S.UNKNOWN
    assert evaluate_check({"all": [failing, missing]}, SUBJECT, TODAY).status is S.FAIL
    assert evaluate_check({"any": [failing, passing]}, SUBJECT, TODAY).status is S.PASS
    assert evaluate_check({"any": [failing, missing]}, SUBJECT, TODAY).status is S.UNKNOWN
    assert evaluate_check({"not": failing}, SUBJECT, TODAY).status is S.PASS
    assert evaluate_check({"not": missing}, SUBJECT, TODAY).status is S.UNKNOWN


def test_params_and_unknown_operator() -> None:
    check = {"fact": "sshd.maxauthtries", "op": "le", "value": {"param": "tries"}}
    assert evaluate_check(check, SUBJECT, TODAY, {"tries": 6}).status is S.PASS
    assert evaluate_check(check, SUBJECT, TODAY, {}).status is S.UNKNOWN
    assert evaluate_check({"fact": "os.id", "op": "resembles", "value": "x"}, SUBJECT,
                          TODAY).status is S.UNKNOWN


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("1.10", "1.9", 1), ("1.0~rc1", "1.0", -1), ("1:0.1", "2.0", 1), ("2.4.52-1ubuntu4.6",
     "2.4.52-1ubuntu4.10", -1), ("8.2p1", "8.2", 1), ("9.3", "9.3", 0), ("7.9.2009", "7.10", -1),
])
def test_distribution_versions(a: str, b: str, expected: int) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == -expected
