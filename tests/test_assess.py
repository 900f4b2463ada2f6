"""The facility questionnaire: typed in a real terminal, interrupted and resumed, or from a file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from auditor.collect.facility import load_answers
from auditor.spec.assess import Session, questions_for
from auditor.spec.load import load_spec
from conftest import REPO
from pty_terminal import Terminal

DATA = REPO / "tests" / "data" / "assess"
ENTRY = [sys.executable, "-m", "auditor"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["TERM"] = "dumb"
    return env


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the questionnaire test data (inventory, small spec, evidence files)."""
    shutil.copytree(DATA, tmp_path / "assess")
    return tmp_path / "assess"


def _assess(workdir: Path, *args: str) -> Terminal:
    argv = [*ENTRY, "assess", "inventory.yaml", "--spec", "national.yaml", "--site", "ruang-a",
            "-o", "out/answers.yaml", "--lang", "en", *args]
    return Terminal(argv, _env(), str(workdir))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _answers(workdir: Path) -> dict:
    return yaml.safe_load((workdir / "out" / "answers.yaml").read_text())


def test_interrupt_in_indonesian_says_so_in_indonesian(workdir: Path) -> None:
    term = _assess(workdir, "--lang", "id")
    try:
        term.expect(r"lokasi ruang-a \(4 pertanyaan\)")
        term.expect(r"Nama penjawab: ")
        term.type("Siti Rahma")
        term.expect(r"Jabatan: ")
        term.type("Kepala Seksi Infrastruktur")
        term.expect(r"\(ya/tidak\): ")
        term.ctrl_c()
        assert term.wait() == 130
    finally:
        term.kill()
    assert "Dihentikan: 0 jawaban tersimpan di out/answers.yaml" in term.seen
    assert "interrupted" not in term.seen


def test_interactive_interrupt_and_resume_in_a_real_terminal(workdir: Path) -> None:
    term = _assess(workdir)
    try:
        term.expect(r"site ruang-a \(4 questions\)")
        term.expect(r"Your name: ")
        term.type("Siti Rahma")
        term.expect(r"Your role: ")
        term.type("Kepala Seksi Infrastruktur")
        term.expect(r"\[1/4\] T-ROOM-LOCKED")
        term.expect(r"Room locked \(yes/no\): ")
        term.type("?")
        shown = term.expect(r"Room locked \(yes/no\): ")
        assert "The server room is locked." in shown
        assert "Physical access bypasses logical controls." in shown
        assert "Evidence expected: Photo of the door" in shown
        term.type("maybe")
        assert "Answer yes or no" in term.expect(r"Room locked \(yes/no\): ")
        term.type("y")
        term.expect(r"Evidence files \(Photo of the door\).*: ")
        term.type("evidence/door.txt")
        term.expect(r"Note \(optional\): ")
        term.type("new lock fitted")
        term.expect(r"saved")
        term.expect(r"\[2/4\] T-UPS-MINUTES")
        term.expect(r"UPS runtime \(minutes\): ")
        term.type("twenty")
        assert "Enter a number" in term.expect(r"UPS runtime \(minutes\): ")
        term.type("22,5")
        term.expect(r"Evidence files.*: ")
        term.type("no-such-report.pdf")
        assert "File not found: no-such-report.pdf" in term.expect(r"Evidence files.*: ")
        term.type("evidence/ups.txt")
        term.expect(r"Note \(optional\): ")
        term.type("")
        term.expect(r"saved")
        shown = term.expect(r"Cooling \(choice number\): ")
        assert "1. None" in shown and "3. Precision N+1" in shown
        term.ctrl_c()
        assert term.wait() == 130
    finally:
        term.kill()
    assert "interrupted: 2 answers kept in out/answers.yaml" in term.seen
    saved = _answers(workdir)
    assert saved["answered_by"] == {"name": "Siti Rahma", "role": "Kepala Seksi Infrastruktur"}
    assert list(saved["answers"]) == ["T-ROOM-LOCKED", "T-UPS-MINUTES"]
    room = saved["answers"]["T-ROOM-LOCKED"]
    assert room["value"] is True and room["note"] == "new lock fitted"
    assert room["evidence"] == [{"path": "../evidence/door.txt",
                                 "sha256": _sha256(workdir / "evidence" / "door.txt"),
                                 "bytes": (workdir / "evidence" / "door.txt").stat().st_size}]
    assert saved["answers"]["T-UPS-MINUTES"]["value"] == 22.5

    term = _assess(workdir)  # the rerun continues where the interrupted one stopped
    try:
        assert "2 earlier answers loaded" in term.expect(r"\[3/4\] T-COOLING")
        assert "Your name" not in term.seen
        term.expect(r"Cooling \(choice number\): ")
        term.type("7")
        assert "Choose a number from 1 to 3" in term.expect(r"Cooling \(choice number\): ")
        term.type("3")
        term.expect(r"Evidence files.*: ")
        term.type("-")
        term.expect(r"Note \(optional\): ")
        term.type("")
        term.expect(r"\[4/4\] T-DR-EXERCISE")
        term.expect(r"Last DR exercise \(date YYYY-MM-DD\): ")
        term.type("2099-01-01")
        assert "not in the future" in term.expect(r"\(date YYYY-MM-DD\): ")
        term.type("-")
        term.expect(r"skipped")
        assert "Done: 3 of 4 questions answered" in term.expect(r"answers in out/answers.yaml")
        assert term.wait() == 0
    finally:
        term.kill()
    saved = _answers(workdir)
    assert saved["answers"]["T-COOLING"] == {"value": "n_plus_1"}
    assert "T-DR-EXERCISE" not in saved["answers"]
    assert saved["answered_at"] == date.today().isoformat()
    loaded = load_answers(workdir / "out" / "answers.yaml", "ruang-a")  # what scan reads
    assert loaded.answers["T-UPS-MINUTES"].value == 22.5
    assert loaded.answers["T-ROOM-LOCKED"].evidence[0]["sha256"] == room["evidence"][0]["sha256"]


def test_revisit_offers_earlier_answers_as_defaults(workdir: Path) -> None:
    (workdir / "out").mkdir()
    shutil.copy(workdir / "answers-good.yaml", workdir / "out" / "answers.yaml")
    term = _assess(workdir, "--all")
    try:
        term.expect(r"Your name \[Siti\]: ")
        term.type("")
        term.expect(r"Your role \[Kepala Seksi\]: ")
        term.type("")
        term.expect(r"Room locked \(yes/no\) \[yes\]: ")
        term.type("")
        term.expect(r"Evidence files.*\[evidence/door.txt\]: ")
        term.type("")
        term.expect(r"Note \(optional\): ")
        term.type("")
        term.expect(r"UPS runtime \(minutes\) \[22\]: ")
        term.type("30")
        term.expect(r"Evidence files.*\[evidence/ups.txt\]: ")
        term.type("")
        term.expect(r"Note \(optional\): ")
        term.type("")
        term.expect(r"Cooling \(choice number\) \[2\]: ")
        term.type("")
        term.expect(r"Evidence files.*: ")
        term.type("")
        term.expect(r"Note \(optional\): ")
        term.type("")
        term.expect(r"\(date YYYY-MM-DD\): ")
        term.type("2026-01-15")
        term.expect(r"Evidence files.*: ")
        term.type("")
        term.expect(r"Note \(optional\): ")
        term.type("")
        term.expect("Done: 4 of 4")
        assert term.wait() == 0
    finally:
        term.kill()
    answers = _answers(workdir)["answers"]
    assert answers["T-ROOM-LOCKED"] == {"value": True, "evidence": ["evidence/door.txt"]}
    assert answers["T-UPS-MINUTES"]["value"] == 30
    assert answers["T-COOLING"] == {"value": "comfort"}
    assert answers["T-DR-EXERCISE"] == {"value": "2026-01-15"}


def test_session_core_with_scripted_input(tmp_path: Path) -> None:
    questions = questions_for(load_spec(DATA / "national.yaml"))
    assert [q.id for q in questions] == ["T-ROOM-LOCKED", "T-UPS-MINUTES", "T-COOLING",
                                         "T-DR-EXERCISE"]  # the host control is not asked
    replies = iter(["Budi", "-", "tidak", "", "", "15", "", "catatan", "comfort", "", "",
                    "2026-02-30", "2026-02-28", "", ""])
    shown: list[str] = []
    session = Session(questions, tmp_path / "a.yaml", "ruang-a", lambda p: next(replies),
                      shown.append, lang="id", today=date(2026, 11, 1))
    data = session.run()
    assert data["answers"] == {"T-ROOM-LOCKED": {"value": False},
                               "T-UPS-MINUTES": {"value": 15, "note": "catatan"},
                               "T-COOLING": {"value": "comfort"},
                               "T-DR-EXERCISE": {"value": "2026-02-28"}}
    assert data["answered_by"] == {"name": "Budi"}
    assert any("Masukkan tanggal sebagai YYYY-MM-DD" in line for line in shown)
    assert yaml.safe_load((tmp_path / "a.yaml").read_text())["answers"] == data["answers"]


def _run(workdir: Path, *args: str, stdin: int | None = subprocess.DEVNULL
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENTRY, "assess", *args], cwd=workdir, env=_env(), stdin=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def test_answers_file_is_checked_hashed_and_written(workdir: Path) -> None:
    result = _run(workdir, "inventory.yaml", "--spec", "national.yaml", "--site", "ruang-a",
                  "--answers", "answers-good.yaml", "-o", "out/a.yaml")
    assert result.returncode == 0, result.stderr
    assert "3 answers for site ruang-a written to out/a.yaml" in result.stderr
    written = yaml.safe_load((workdir / "out" / "a.yaml").read_text())
    assert written["answers"]["T-UPS-MINUTES"]["evidence"] == [
        {"path": "../evidence/ups.txt", "sha256": _sha256(workdir / "evidence" / "ups.txt"),
         "bytes": (workdir / "evidence" / "ups.txt").stat().st_size}]
    assert load_answers(workdir / "out" / "a.yaml", "ruang-a").answers["T-COOLING"].value \
        == "comfort"


def test_unknown_control_and_wrong_values_are_located(workdir: Path) -> None:
    base = ("inventory.yaml", "--spec", "national.yaml", "--site", "ruang-a", "-o", "out/a.yaml")
    result = _run(workdir, *base, "--answers", "answers-unknown-control.yaml")
    assert result.returncode == 2
    assert "answers-unknown-control.yaml:5: answers.T-UPS-MINUTS: unknown control " \
           "'T-UPS-MINUTS'; did you mean 'T-UPS-MINUTES'?" in result.stderr
    result = _run(workdir, *base, "--answers", "answers-wrong-type.yaml")
    assert result.returncode == 2
    assert "answers-wrong-type.yaml:4: answers.T-ROOM-LOCKED.value: expected true or false" \
        in result.stderr
    assert "answers-wrong-type.yaml:5: answers.T-COOLING.value: expected one of: none, " \
           "comfort, n_plus_1" in result.stderr
    assert not (workdir / "out" / "a.yaml").exists()


def test_site_choice_and_terminal_are_required(workdir: Path) -> None:
    result = _run(workdir, "inventory.yaml", "--spec", "national.yaml", "-o", "a.yaml")
    assert result.returncode == 2
    assert "has 2 sites; choose one with --site: ruang-a, ruang-b" in result.stderr
    result = _run(workdir, "inventory.yaml", "--spec", "national.yaml", "--site", "ruang-a",
                  "-o", "a.yaml")
    assert result.returncode == 2
    assert "needs a terminal; give the answers with --answers FILE" in result.stderr


def test_example_answers_pass_the_packaged_questionnaire(tmp_path: Path) -> None:
    example = REPO / "inventory" / "facility" / "ruang-server-balaikota.yaml"
    result = _run(REPO, "inventory/example.yaml", "--answers", str(example), "-o",
                  str(tmp_path / "answers.yaml"))
    assert result.returncode == 0, result.stderr
    written = load_answers(tmp_path / "answers.yaml", "ruang-server-balaikota")
    assert written.answers["FAC-UPS-RUNTIME"].value == 22
    evidence = written.answers["FAC-UPS-RUNTIME"].evidence[0]
    assert evidence["sha256"] == _sha256(example.parent / "evidence" / "uji-ups-2026-03.txt")
