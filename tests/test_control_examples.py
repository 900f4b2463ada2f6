"""Every control's passing and failing example, judged by the real evaluator against the spec."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from typing import Any

import pytest
import yaml

from auditor.bundle.schemas import validate_data
from auditor.collect.facility import Answer, FacilityAnswers
from auditor.judge.evaluate import Scanned, controls_for, judge_scanned, judge_site
from auditor.model import FindingStatus, HostStatus
from auditor.spec.load import Control, Spec, load_spec
from conftest import REPO

TODAY = date(2026, 11, 27)
"""The evaluation date the examples' dates are written against."""
EXAMPLES_FILE = REPO / "tests" / "data" / "control_examples.yaml"
SPEC = load_spec()
EXAMPLES: dict[str, dict[str, Any]] = yaml.safe_load(EXAMPLES_FILE.read_text(encoding="utf-8"))
KINDS = ("site", "host", "service")
REQUIRED_KINDS = KINDS
"""Every control of every subject kind must have examples."""
SITE = "contoh-site"


def _control(spec: Spec, control_id: str) -> Control:
    return spec.control(control_id)


def _evidence(names: list[str]) -> tuple[dict[str, Any], ...]:
    """Evidence entries as the bundle stores them once the files are hashed."""
    return tuple({"path": name, "sha256": hashlib.sha256(name.encode()).hexdigest(),
                  "bytes": len(name)} for name in names)


def _answer(example: dict[str, Any]) -> Answer:
    return Answer(example["value"], _evidence(list(example.get("evidence") or [])))


def _judge_answer(control: Control, answer: Answer | None) -> FindingStatus:
    answers = FacilityAnswers(SITE, {control.id: answer} if answer is not None else {})
    [finding] = judge_site([control], SITE, answers, TODAY)
    assert finding.control == control.id
    assert finding.subject == "site"
    return finding.status


def _cases(kind: str) -> list[Any]:
    return [pytest.param(cid, outcome, example, id=f"{cid}-{outcome}")
            for cid, pair in sorted((EXAMPLES.get(kind) or {}).items())
            for outcome, example in sorted(pair.items())]


def test_examples_file_has_one_section_per_subject_kind() -> None:
    assert set(EXAMPLES) == set(KINDS)
    for kind in KINDS:
        for cid, pair in (EXAMPLES[kind] or {}).items():
            assert set(pair) == {"pass", "fail"}, f"{kind}.{cid} needs exactly pass and fail"


@pytest.mark.parametrize("kind", REQUIRED_KINDS)
def test_every_control_has_a_pass_and_a_fail_example(kind: str) -> None:
    wanted = {c.id for c in controls_for(SPEC, kind)}
    missing = sorted(wanted - set(EXAMPLES[kind] or {}))
    assert missing == [], f"controls without examples in {EXAMPLES_FILE.name}: {missing}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_example_names_a_control_of_that_kind(kind: str) -> None:
    known = {c.id for c in controls_for(SPEC, kind)}
    stale = sorted(set(EXAMPLES[kind] or {}) - known)
    assert stale == [], f"examples for controls that are not {kind} controls of the spec: {stale}"


@pytest.mark.parametrize(("control_id", "outcome", "example"), _cases("site"))
def test_site_example_is_judged_as_labelled(control_id: str, outcome: str,
                                            example: dict[str, Any]) -> None:
    status = _judge_answer(_control(SPEC, control_id), _answer(example))
    assert status is FindingStatus(outcome), f"judged {status}"


@pytest.mark.parametrize(("control_id", "outcome", "example"), _cases("site"))
def test_site_example_is_a_valid_answer(control_id: str, outcome: str,
                                        example: dict[str, Any]) -> None:
    document = {"version": 1, "site": SITE, "answers": {control_id: example}}
    assert validate_data(document, "facility", EXAMPLES_FILE.name) == []
    question = _control(SPEC, control_id).question or {}
    value = example["value"]
    kind = question["type"]
    if kind == "yes_no":
        assert isinstance(value, bool)
    elif kind == "number":
        assert isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "choice":
        assert value in {c["value"] for c in question["choices"]}
    else:
        assert isinstance(value, str)
        date.fromisoformat(value)


@pytest.mark.parametrize("control", controls_for(SPEC, "site"), ids=lambda c: c.id)
def test_an_answer_without_the_evidence_asked_for_is_unknown(control: Control) -> None:
    question = control.question or {}
    assert question.get("evidence"), "every questionnaire control says what evidence it expects"
    pair = (EXAMPLES["site"] or {}).get(control.id)
    assert pair, f"{control.id} has no examples in {EXAMPLES_FILE.name}"
    passing = pair["pass"]
    status = _judge_answer(control, Answer(passing["value"]))
    if question.get("evidence_required", True):
        assert status is FindingStatus.UNKNOWN
    else:
        assert status is FindingStatus.PASS


def test_unanswered_controls_are_unknown() -> None:
    site_controls = controls_for(SPEC, "site")
    without_file = judge_site(site_controls, SITE, None, TODAY)
    assert {f.status for f in without_file} == {FindingStatus.UNKNOWN}
    empty = judge_site(site_controls, SITE, FacilityAnswers(SITE, {}), TODAY)
    assert {f.status for f in empty} == {FindingStatus.UNKNOWN}
    nulls = FacilityAnswers(SITE, {c.id: Answer(None, _evidence(["bukti.pdf"]))
                                   for c in site_controls})
    assert {f.status for f in judge_site(site_controls, SITE, nulls, TODAY)} \
        == {FindingStatus.UNKNOWN}


def test_choice_parameters_name_real_choices() -> None:
    for control in controls_for(SPEC, "site"):
        question = control.question or {}
        if question.get("type") != "choice":
            continue
        choices = {c["value"] for c in question["choices"]}
        for name, value in control.params.items():
            assert isinstance(value, list) and set(value) <= choices, f"{control.id}.{name}"


def test_a_tuned_parameter_changes_the_judgement() -> None:
    cctv = _control(SPEC, "FAC-CCTV-RETENTION")
    kept_45_days = _answer(EXAMPLES["site"]["FAC-CCTV-RETENTION"]["pass"])
    assert _judge_answer(cctv, kept_45_days) is FindingStatus.PASS
    stricter = dataclasses.replace(cctv, params={"cctv_retention_days": 60})
    assert _judge_answer(stricter, kept_45_days) is FindingStatus.FAIL
    power = _control(SPEC, "FAC-POWER-REDUNDANCY")
    n_plus_1 = _answer(EXAMPLES["site"]["FAC-POWER-REDUNDANCY"]["pass"])
    only_2n = dataclasses.replace(power, params={"accepted_power_redundancy": ["2n"]})
    assert _judge_answer(only_2n, n_plus_1) is FindingStatus.FAIL


def test_dated_examples_age_out() -> None:
    """A date example that passes on the evaluation date fails once the window has passed."""
    control = _control(SPEC, "FAC-UPS-BATTERY-TEST")
    answer = _answer(EXAMPLES["site"]["FAC-UPS-BATTERY-TEST"]["pass"])
    later = date(TODAY.year + 2, TODAY.month, TODAY.day)
    [finding] = judge_site([control], SITE, FacilityAnswers(SITE, {control.id: answer}), later)
    assert finding.status is FindingStatus.FAIL


@pytest.mark.parametrize(("control_id", "outcome", "facts"), _cases("host") + _cases("service"))
def test_scanned_example_is_judged_as_labelled(control_id: str, outcome: str,
                                               facts: dict[str, Any]) -> None:
    control = _control(SPEC, control_id)
    [finding] = judge_scanned([control], control.applies_to,
                              Scanned("example", HostStatus.OK, None, facts), TODAY)
    assert finding.status is FindingStatus(outcome), finding.evidence
