"""How questionnaire answers are judged: claims need evidence, admissions of a gap do not."""

from __future__ import annotations

from datetime import date

from auditor.collect.facility import Answer, FacilityAnswers
from auditor.judge.evaluate import judge_site
from auditor.model import FindingStatus
from auditor.spec.load import load_spec

TODAY = date(2026, 11, 27)
EVIDENCE = ({"path": "e.pdf", "sha256": "0" * 64, "bytes": 1},)


def _judge(control_id: str, answer: Answer) -> tuple[FindingStatus, str]:
    control = load_spec().control(control_id)
    answers = FacilityAnswers("s1", {control_id: answer})
    finding = judge_site([control], "s1", answers, TODAY)[0]
    return finding.status, finding.evidence


def test_claim_without_evidence_is_unknown_with_evidence_passes() -> None:
    assert _judge("FAC-ROOM-DEDICATED", Answer(True))[0] is FindingStatus.UNKNOWN
    assert _judge("FAC-ROOM-DEDICATED", Answer(True, EVIDENCE))[0] is FindingStatus.PASS


def test_admitted_gap_fails_even_without_evidence() -> None:
    status, evidence = _judge("FAC-FIRE-SUPPRESSION", Answer(False))
    assert status is FindingStatus.FAIL
    assert "false" in evidence


def test_date_question_answered_never_fails() -> None:
    assert _judge("OPS-DR-EXERCISE", Answer("never"))[0] is FindingStatus.FAIL
    assert _judge("OPS-DR-EXERCISE", Answer("Never"))[0] is FindingStatus.FAIL
    assert _judge("OPS-DR-EXERCISE", Answer("2026-06-01", EVIDENCE))[0] is FindingStatus.PASS
    assert _judge("OPS-DR-EXERCISE", Answer("sometime"))[0] is FindingStatus.UNKNOWN
