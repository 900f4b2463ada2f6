"""Facility questionnaire answers: loaded, checked, and their evidence files hashed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.bundle.folder import sha256_file
from auditor.bundle.schemas import load_checked
from auditor.errors import InputError, Problem

MAX_EVIDENCE_BYTES = 512 * 1024 * 1024
COOLING_CONTROL = "FAC-COOLING-REDUNDANT"
"""The facility question whose answer says how the room is cooled."""


@dataclass(frozen=True)
class Answer:
    """One answer to one control's question."""

    value: bool | int | float | str | None
    evidence: tuple[dict[str, Any], ...] = ()
    """``{path, sha256, bytes}`` for each evidence file."""
    note: str | None = None


@dataclass(frozen=True)
class FacilityAnswers:
    """All answers of one site."""

    site: str
    answers: dict[str, Answer] = field(default_factory=dict)
    answered_by: dict[str, str] = field(default_factory=dict)
    answered_at: str | None = None

    @property
    def cooling(self) -> str | None:
        """The answer to COOLING_CONTROL (how the room is cooled), or None."""
        answer = self.answers.get(COOLING_CONTROL)
        value = answer.value if answer is not None else None
        return value[:32] if isinstance(value, str) else None

    def to_data(self) -> dict[str, Any]:
        """The document as written into the bundle (evidence as hashes)."""
        data: dict[str, Any] = {"version": 1, "site": self.site}
        if self.answered_by:
            data["answered_by"] = dict(self.answered_by)
        if self.answered_at:
            data["answered_at"] = self.answered_at
        answers: dict[str, Any] = {}
        for control, answer in self.answers.items():
            entry: dict[str, Any] = {"value": answer.value}
            if answer.evidence:
                entry["evidence"] = [dict(e) for e in answer.evidence]
            if answer.note:
                entry["note"] = answer.note
            answers[control] = entry
        data["answers"] = answers
        return data



def load_answers(path: Path, site_id: str | None = None,
                 hash_evidence: bool = True) -> FacilityAnswers:
    """Load an answers file; evidence paths (relative to the file) are hashed when asked."""
    doc = load_checked(path, "facility", "the facility answers", "version, site and answers")
    data = doc.data
    if site_id is not None and data["site"] != site_id:
        raise InputError("facility answers for another site", [Problem(
            doc.file, doc.line_of(("site",)), "site",
            f"answers are for site '{data['site']}' but the inventory links them to '{site_id}'")])
    answers: dict[str, Answer] = {}
    problems = []
    for control, entry in (data.get("answers") or {}).items():
        evidence: list[dict[str, Any]] = []
        for index, item in enumerate(entry.get("evidence") or []):
            if isinstance(item, dict):
                evidence.append(dict(item))
                continue
            if not hash_evidence:
                evidence.append({"path": item})
                continue
            file = path.parent / item
            where = ("answers", control, "evidence", index)
            if not file.is_file():
                problems.append(Problem(doc.file, doc.line_of(where), f"answers.{control}."
                                        f"evidence[{index}]", f"evidence file '{item}' not found "
                                        "(paths are relative to the answers file)"))
                continue
            if file.stat().st_size > MAX_EVIDENCE_BYTES:
                problems.append(Problem(doc.file, doc.line_of(where), f"answers.{control}."
                                        f"evidence[{index}]", "evidence file larger than 512 MiB"))
                continue
            digest, size = sha256_file(file)
            evidence.append({"path": item, "sha256": digest, "bytes": size})
        answers[control] = Answer(entry.get("value"), tuple(evidence), entry.get("note"))
    if problems:
        raise InputError(f"{doc.file}: evidence files are missing", problems)
    return FacilityAnswers(data["site"], answers, dict(data.get("answered_by") or {}),
                           data.get("answered_at"))
