"""The facility questionnaire: typed questions from the spec, asked in a terminal or from a file."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from auditor import messages
from auditor.bundle.folder import atomic_write_text, sha256_file
from auditor.bundle.schemas import load_checked, validate_document
from auditor.bundle.yamlfile import LocatedDocument, load_yaml
from auditor.collect.facility import MAX_EVIDENCE_BYTES
from auditor.errors import InputError, Problem
from auditor.spec.load import Control, Spec

Ask = Callable[[str], str]
"""Reads one line from the user after showing a prompt (``input``-like)."""
Say = Callable[[str], None]
"""Shows one line to the user."""

YES = frozenset({"y", "yes", "ya", "true", "1"})
NO = frozenset({"n", "no", "t", "tidak", "false", "0"})
SKIP = "-"
MAX_EVIDENCE_FILES = 50
"""The answers schema allows at most this many evidence files per answer."""
HELP = "?"


class QuestionType(StrEnum):
    """How a question is answered."""

    YES_NO = "yes_no"
    NUMBER = "number"
    CHOICE = "choice"
    DATE = "date"


@dataclass(frozen=True)
class Question:
    """One questionnaire control, ready to ask."""

    control: Control
    kind: QuestionType

    @property
    def id(self) -> str:
        """The control id, the key of the answer."""
        return self.control.id

    @property
    def choices(self) -> tuple[tuple[str, dict[str, str]], ...]:
        """``(value, label)`` of each choice, in the spec's order."""
        raw = (self.control.question or {}).get("choices") or ()
        return tuple((str(c["value"]), dict(c["label"])) for c in raw)

    def unit(self, lang: str) -> str:
        """The unit of a number, in the language, or empty."""
        unit = (self.control.question or {}).get("unit") or {}
        return str(unit.get(lang) or unit.get("en") or "")

    def evidence(self, lang: str) -> str:
        """What evidence the question asks for, in the language, or empty."""
        what = (self.control.question or {}).get("evidence") or {}
        return str(what.get(lang) or what.get("en") or "")


def questions_for(spec: Spec) -> list[Question]:
    """The enabled site controls that carry a question, in spec order."""
    return [Question(c, QuestionType(c.question["type"])) for c in spec.controls
            if c.question and c.applies_to == "site" and c.enabled]


def parse_value(question: Question, text: str,
                today: date | None = None) -> bool | float | int | str:
    """Turn typed text into the answer's value; ValueError names the expected form."""
    text = text.strip()
    if question.kind is QuestionType.YES_NO:
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise ValueError("assess.bad_yes_no")
    if question.kind is QuestionType.NUMBER:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError("assess.bad_number") from None
        if number != number or number in (float("inf"), float("-inf")) or number < 0:
            raise ValueError("assess.bad_number")
        return int(number) if number.is_integer() else number
    if question.kind is QuestionType.CHOICE:
        values = [value for value, _ in question.choices]
        if text.isdigit() and 1 <= int(text) <= len(values):
            return values[int(text) - 1]
        if text in values:
            return text
        raise ValueError("assess.bad_choice")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("assess.bad_date") from None
    if len(text) != 10 or day > (today or date.today()):
        raise ValueError("assess.bad_date")
    return day.isoformat()


def value_problem(question: Question, value: Any) -> str | None:
    """Why a value from an answers file does not fit the question, or None."""
    if value is None:
        return None
    if question.kind is QuestionType.YES_NO and not isinstance(value, bool):
        return "expected true or false (a yes/no question)"
    if question.kind is QuestionType.NUMBER and (isinstance(value, bool)
                                                 or not isinstance(value, int | float)):
        unit = question.unit("en")
        return f"expected a number{f' in {unit}' if unit else ''}"
    if question.kind is QuestionType.CHOICE and value not in [v for v, _ in question.choices]:
        return "expected one of: " + ", ".join(v for v, _ in question.choices)
    if question.kind is QuestionType.DATE:
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return "expected a date as YYYY-MM-DD"
        if not isinstance(value, str) or len(value) != 10:
            return "expected a date as YYYY-MM-DD"
    return None


def hash_evidence(paths: Iterable[str], base: Path, out_dir: Path) -> list[dict[str, Any]]:
    """Hash evidence files (relative to ``base``); paths are stored relative to ``out_dir``."""
    entries = []
    for item in paths:
        file = (base / item).resolve() if not os.path.isabs(item) else Path(item)
        if not file.is_file():
            raise FileNotFoundError(item)
        if file.stat().st_size > MAX_EVIDENCE_BYTES:
            raise OverflowError(item)
        digest, size = sha256_file(file)
        entries.append({"path": os.path.relpath(file, out_dir.resolve()), "sha256": digest,
                        "bytes": size})
    return entries


def save(path: Path, data: dict[str, Any]) -> None:
    """Write the answers document whole (temp file + rename)."""
    header = "# Facility questionnaire answers written by 'auditor assess'.\n"
    atomic_write_text(path, header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _existing(path: Path, site: str) -> dict[str, Any]:
    """The answers file to continue from, or an empty document."""
    empty: dict[str, Any] = {"version": 1, "site": site, "answers": {}}
    if not path.exists():
        return empty
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError(f"{path}: exists but is not an answers file; move it away or choose "
                         "another -o")
    problems = validate_document(doc, "facility")
    if problems:
        raise InputError(f"{path}: exists but does not match the answers schema", problems)
    if doc.data["site"] != site:
        raise InputError(f"{path}: holds answers for site '{doc.data['site']}', not '{site}'")
    doc.data.setdefault("answers", {})
    return dict(doc.data)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class Session:
    """One interactive run over the questions; the answers file is saved after every answer."""

    def __init__(self, questions: list[Question], output: Path, site: str, ask: Ask, say: Say,
                 lang: str = "id", revisit: bool = False, today: date | None = None) -> None:
        """Prepare to ask ``questions`` for ``site``, continuing from ``output`` if it exists."""
        self.questions = questions
        self.output = output
        self.ask = ask
        self.say = say
        self.lang = lang
        self.revisit = revisit
        self.today = today or date.today()
        self.data = _existing(output, site)

    def _t(self, key: str, **values: object) -> str:
        """The catalogue's message ``key`` in the session's language."""
        return messages.say(key, self.lang, **values)

    def _prompt(self, label: str, default: str | None) -> str:
        shown = f"{label} [{default}]: " if default not in (None, "") else f"{label}: "
        reply = self.ask(shown).strip()
        return reply if reply or default is None else default

    def _explain(self, question: Question) -> None:
        control = question.control
        for key, text in (("assess.description", control.description),
                          ("assess.rationale", control.rationale)):
            self.say(f"  {self._t(key)}: {text.get(self.lang) or text.get('en', '')}")
        if question.evidence(self.lang):
            self.say(f"  {self._t('assess.evidence_expected')}: {question.evidence(self.lang)}")

    def _ask_value(self, question: Question, previous: dict[str, Any] | None) -> Any:
        label = question.control.title.get(self.lang) or question.control.title["en"]
        if question.kind is QuestionType.CHOICE:
            for index, (_, choice) in enumerate(question.choices, 1):
                self.say(f"  {index}. {choice.get(self.lang) or choice['en']}")
        hint = {QuestionType.YES_NO: self._t("assess.yes_no"),
                QuestionType.NUMBER: question.unit(self.lang),
                QuestionType.CHOICE: self._t("assess.choose"),
                QuestionType.DATE: self._t("assess.date")}[question.kind]
        default = None
        if previous is not None and previous.get("value") is not None:
            default = _show(previous["value"])
            if question.kind is QuestionType.CHOICE:
                values = [v for v, _ in question.choices]
                if previous["value"] in values:
                    default = str(values.index(previous["value"]) + 1)
        while True:
            reply = self._prompt(f"{label} ({hint})" if hint else label, default)
            if reply == HELP:
                self._explain(question)
                continue
            if reply in ("", SKIP):
                return SKIP
            try:
                return parse_value(question, reply, self.today)
            except ValueError as exc:
                self.say("  " + self._t(str(exc), n=len(question.choices)))

    def _ask_evidence(self, question: Question, previous: dict[str, Any] | None) -> list[Any]:
        old = list((previous or {}).get("evidence") or [])
        default = ", ".join(str(e["path"] if isinstance(e, dict) else e) for e in old) or None
        what = question.evidence(self.lang) or "-"
        while True:
            reply = self._prompt(self._t("assess.evidence", what=what), default)
            if reply in ("", SKIP):
                return []
            if reply == default:
                return old
            paths = [p.strip() for p in reply.split(",") if p.strip()]
            if len(paths) > MAX_EVIDENCE_FILES:
                self.say("  " + self._t("assess.too_many"))
                continue
            try:
                return hash_evidence(paths, Path.cwd(), self.output.parent)
            except FileNotFoundError as exc:
                self.say("  " + self._t("assess.no_file", path=exc.args[0]))
            except OverflowError as exc:
                self.say("  " + self._t("assess.big_file", path=exc.args[0]))

    def _save(self) -> None:
        self.data["answered_at"] = self.today.isoformat()
        save(self.output, self.data)

    def run(self) -> dict[str, Any]:
        """Ask every (unanswered, or every with ``revisit``) question; return the document."""
        answers: dict[str, Any] = self.data["answers"]
        site = self.data["site"]
        self.say(self._t("assess.header", site=site, n=len(self.questions)))
        done = sum(1 for q in self.questions if q.id in answers)
        if done and not self.revisit:
            self.say(self._t("assess.resume", done=done, file=self.output))
        by = dict(self.data.get("answered_by") or {})
        if self.revisit or not by.get("name"):
            for key, label in (("name", "assess.name"), ("role", "assess.role")):
                value = self._prompt(self._t(label), by.get(key))
                if value and value != SKIP:
                    by[key] = value[:200]
            if by:
                self.data["answered_by"] = by
                self._save()
        for number, question in enumerate(self.questions, 1):
            previous = answers.get(question.id)
            if previous is not None and not self.revisit:
                continue
            self.say("")
            self.say(f"[{number}/{len(self.questions)}] {question.id}")
            value = self._ask_value(question, previous)
            if value == SKIP:
                self.say("  " + self._t("assess.skipped"))
                continue
            entry: dict[str, Any] = {"value": value}
            evidence = self._ask_evidence(question, previous)
            if evidence:
                entry["evidence"] = evidence
            note = self._prompt(self._t("assess.note"), (previous or {}).get("note"))
            if note and note != SKIP:
                entry["note"] = note[:4000]
            answers[question.id] = entry
            self._save()
            self.say("  " + self._t("assess.saved"))
        self._save()
        answered = sum(1 for q in self.questions if q.id in answers)
        self.say(self._t("assess.done", answered=answered, n=len(self.questions), file=self.output))
        return self.data


def _known_questions(doc: LocatedDocument, questions: list[Question]) -> list[Problem]:
    """Unknown control ids and values that do not fit their question, with file:line."""
    by_id = {q.id: q for q in questions}
    problems = []
    for control_id, entry in (doc.data.get("answers") or {}).items():
        where = ("answers", control_id)
        question = by_id.get(control_id)
        if question is None:
            close = difflib.get_close_matches(control_id, list(by_id), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(Problem(doc.file, doc.line_of(where), f"answers.{control_id}",
                                    f"unknown control '{control_id}'; {hint}the questions are: "
                                    + ", ".join(by_id)))
            continue
        reason = value_problem(question, entry.get("value"))
        if reason:
            problems.append(Problem(doc.file, doc.line_of((*where, "value")),
                                    f"answers.{control_id}.value", reason))
    return problems


def import_answers(source: Path, questions: list[Question], site: str,
                   output: Path) -> dict[str, Any]:
    """Check an answers file against the schema and the questions, hash evidence, write output."""
    doc = load_checked(source, "facility", "the facility answers", "version, site and answers")
    if doc.data["site"] != site:
        raise InputError("answers for another site", [Problem(
            doc.file, doc.line_of(("site",)), "site",
            f"answers are for site '{doc.data['site']}', but --site is '{site}'")])
    problems = _known_questions(doc, questions)
    data = dict(doc.data)
    answers: dict[str, Any] = {}
    for control_id, entry in (data.get("answers") or {}).items():
        entry = dict(entry)
        evidence = []
        for index, item in enumerate(entry.get("evidence") or []):
            if isinstance(item, dict):
                evidence.append(dict(item))
                continue
            try:
                evidence.extend(hash_evidence([item], source.parent, output.parent))
            except (FileNotFoundError, OverflowError) as exc:
                why = "not found" if isinstance(exc, FileNotFoundError) else "larger than 512 MiB"
                problems.append(Problem(doc.file, doc.line_of(("answers", control_id, "evidence",
                                                               index)),
                                        f"answers.{control_id}.evidence[{index}]",
                                        f"evidence file '{item}' {why} (paths are relative to "
                                        "the answers file)"))
        if evidence:
            entry["evidence"] = evidence
        answers[control_id] = entry
    if problems:
        raise InputError(f"{doc.file}: {len(problems)} problems in the answers", problems)
    data["answers"] = answers
    save(output, data)
    return data


def pick_site(inventory_sites: list[str], site: str | None, inventory_file: str) -> str:
    """The site to assess: the one named, or the only one; InputError lists the choices."""
    if site is None:
        if len(inventory_sites) == 1:
            return inventory_sites[0]
        raise InputError(f"{inventory_file} has {len(inventory_sites)} sites; choose one with "
                         f"--site: {', '.join(inventory_sites)}")
    if site not in inventory_sites:
        raise InputError(f"{inventory_file}: no site '{site}'; the sites are: "
                         f"{', '.join(inventory_sites) or '(none)'}")
    return site
