"""Spec lint: the shipped spec is sound, and each kind of broken spec is caught, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli

HEAD = """\
id: test-spec
version: "1"
effective_date: "2026-01-01"
title: {id: Uji, en: Test}
policy:
  weights: {critical: 10, high: 5, medium: 2, low: 1}
  verdict_rules:
    - verdict: remediate
      when: {status: [fail, unknown]}
    - verdict: compliant
controls:
"""

TEXTS = """\
    title: {id: Judul, en: Title}
    description: {id: Uraian, en: Description}
    remediation: {id: Perbaikan, en: Remediation}
    rationale: {id: Alasan, en: Rationale}
    references: [{document: "PP 71/2019"}]
"""


def control(cid: str, body: str, applies_to: str = "host", texts: str = TEXTS) -> str:
    return (f"  - id: {cid}\n    domain: host\n    applies_to: {applies_to}\n"
            f"    severity: high\n{texts}{body}")


GOOD = control("HOST-A", "    check: {fact: sshd.permitrootlogin, op: in, value: ['no']}\n")

CASES = {
    "duplicate-id": (HEAD + GOOD + GOOD, "duplicate control id", 22),
    "unknown-operator": (HEAD + control("HOST-B", "    check: {fact: os.id, op: resembles, "
                                                  "value: x}\n"), "unknown operator 'resembles'",
                         12),
    "unknown-fact": (HEAD + control("HOST-C", "    check: {fact: os.colour, op: equals, "
                                              "value: x}\n"), "fact 'os.colour' is produced by "
                     "no collector", 12),
    "missing-english": (HEAD + control("HOST-D", "    check: {fact: os.id, op: equals, value: x}"
                                                 "\n", texts=TEXTS.replace(
                                                     "{id: Judul, en: Title}", "{id: Judul}")),
                        "missing required key 'en'", 16),
    "no-references": (HEAD + control("HOST-E", "    check: {fact: os.id, op: equals, value: x}"
                                               "\n", texts=TEXTS.replace(
                                                   '    references: [{document: "PP 71/2019"}]\n',
                                                   "")),
                      "missing required key 'references'", 12),
    "site-without-question": (HEAD + control("FAC-A", "    check: {op: is_true}\n",
                                             applies_to="site"), "needs a question", 12),
    "choice-not-offered": (HEAD + control(
        "FAC-B", "    question:\n      type: choice\n      choices:\n"
                 "        - {value: a, label: {id: A, en: A}}\n"
                 "        - {value: b, label: {id: B, en: B}}\n"
                 "    check: {op: in, value: [c]}\n", applies_to="site"),
        "value 'c' is not one of the question's choices", 12),
    "param-without-default": (HEAD + control(
        "HOST-F", "    check: {fact: sshd.maxauthtries, op: le, value: {param: tries}}\n"),
        "parameter 'tries' is used but has no default", 12),
    "bad-severity": (HEAD + control("HOST-G", "    check: {fact: os.id, op: equals, value: x}\n")
                     .replace("severity: high", "severity: severe"), "is not one of", 15),
    "last-rule-conditional": (HEAD.replace("    - verdict: compliant\n",
                                           "    - verdict: compliant\n"
                                           "      when: {status: [pass]}\n") + GOOD,
                              "the last verdict rule should match every site", None),
    "iso-id-not-in-2022": (HEAD + control(
        "HOST-H", '    frameworks: {iso27001: ["A.8.13", "A.5.38"]}\n'
                  "    check: {fact: os.id, op: equals, value: x}\n"),
        "'A.5.38' is not an ISO/IEC 27001:2022 Annex A id", 12),
    "iso-old-numbering": (HEAD + control(
        "HOST-I", '    frameworks: {iso27001: ["A.12.3.1"]}\n'
                  "    check: {fact: os.id, op: equals, value: x}\n"),
        "does not match", 21),
    "spbe-indicator-out-of-range": (HEAD + control(
        "HOST-J", "    frameworks: {spbe: [16, 48]}\n"
                  "    check: {fact: os.id, op: equals, value: x}\n"),
        "48 is greater than the maximum of 47", 21),
    "unknown-framework": (HEAD + control(
        "HOST-K", "    frameworks: {nist: [1]}\n"
                  "    check: {fact: os.id, op: equals, value: x}\n"),
        "unknown key 'nist'", 21),
    "bssn-article-not-an-article": (HEAD + control(
        "HOST-L", '    frameworks: {bssn_4_2021: ["Article 14"]}\n'
                  "    check: {fact: os.id, op: equals, value: x}\n"),
        "does not match", 21),
    "yaml-syntax": (HEAD + "  - id: [broken\n", "YAML syntax", 13),
    "missing-include": (HEAD.replace("controls:\n", "include: [controls/nothing.yaml]\n"),
                        "control file 'controls/nothing.yaml' not found", 11),
}


def test_shipped_spec_is_sound() -> None:
    result = run_cli("spec", "lint")
    assert result.returncode == 0, result.stderr
    assert "no problems" in result.stdout


def test_good_minimal_spec_passes(tmp_path: Path) -> None:
    (tmp_path / "national.yaml").write_text(HEAD + GOOD)
    result = run_cli("spec", "lint", str(tmp_path / "national.yaml"))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_spec_is_caught(tmp_path: Path, name: str) -> None:
    text, fragment, line = CASES[name]
    path = tmp_path / "national.yaml"
    path.write_text(text)
    result = run_cli("spec", "lint", str(path))
    assert result.returncode == 2, result.stdout
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    if line is not None:
        assert f"national.yaml:{line}:" in result.stderr


def test_spec_show_lists_and_details(tmp_path: Path) -> None:
    listing = run_cli("spec", "show", "--lang", "en")
    assert listing.returncode == 0
    assert "FAC-UPS-RUNTIME" in listing.stdout and "UPS runtime meets the target" in listing.stdout
    one = run_cli("spec", "show", "--control", "fac-ups-runtime", "--format", "json")
    assert one.returncode == 0
    assert '"ups_runtime_minutes": 15' in one.stdout
    framed = run_cli("spec", "show", "--control", "OPS-INFRA-AUDIT", "--format", "json")
    assert '"spbe": [' in framed.stdout and "29" in framed.stdout
    missing = run_cli("spec", "show", "--control", "NOPE-1")
    assert missing.returncode == 2
