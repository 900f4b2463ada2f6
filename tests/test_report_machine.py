"""Machine formats: findings.csv and junit.xml carry every finding, validly and safely."""

from __future__ import annotations

import csv
import io
import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from auditor.report.machine import CSV_COLUMNS, csv_cell, render_csv, render_json, render_junit
from test_report import HOSTILE, fixed, hostile

SCHEMA = Path(__file__).parent / "data" / "report" / "junit-10.xsd"


def _all_findings(results: dict[str, Any]) -> int:
    return sum(len(s["findings"]) for key in ("sites", "hosts", "services")
               for s in results[key])


def _validate(xml: bytes) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    document = etree.fromstring(xml)
    if not schema.validate(document):
        raise AssertionError(str(schema.error_log))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_csv_has_one_row_per_finding_with_the_title_in_the_language(lang: str) -> None:
    results = fixed()
    rows = list(csv.reader(io.StringIO(render_csv(results, lang).decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) - 1 == _all_findings(results)
    first_host = next(r for r in rows if r[0] == "host")
    assert first_host[2].startswith("site-")
    assert first_host[4].startswith("Kendali " if lang == "id" else "Control ")
    assert {r[6] for r in rows[1:]} <= {"pass", "fail", "unknown", "not_applicable", "waived",
                                        "error"}
    admins = next(r for r in rows if r[3] == "OPS-TRAINED-ADMINS")
    assert admins[8] == "iso27001:A.5.2,A.6.3;bssn_4_2021:Pasal 14"  # the same in both languages


def test_csv_cells_never_start_a_spreadsheet_formula() -> None:
    results = hostile()
    results["hosts"][1]["findings"][0]["evidence"] = "=HYPERLINK(\"http://x\",\"y\")"
    results["hosts"][1]["id"] = "+cmd|' /C calc'!A0"
    rows = list(csv.reader(io.StringIO(render_csv(results, "en").decode("utf-8-sig"))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert any(HOSTILE in cell for row in rows for cell in row)  # kept as text, not dropped


FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PAYLOADS = ("Kota;=1+1", "Kota; =1+1", "Kota,=1+1", 'x;"=HYPERLINK(""http://x"")', "a\t@SUM(A1)",
            "a\n-2+3+cmd|' /C calc'!A0", "a\r\n+1", "a;;=1", "\uff1d1+1", "a;\uff0b1",
            " =1+1", '"=1+1', "\t=1", "a, -1", "=1;=2,=3")


def formula_cells(text: str) -> list[str]:
    """Every field that some reading of ``text`` starts with a formula, quote guard missing.

    The readings: the csv module with ``,`` and with ``;`` (Indonesian Excel's list
    separator) and tab, with and without skipping initial spaces, and a naive split on any
    separator that ignores quoting altogether.
    """
    found = []
    for delimiter in (",", ";", "\t"):
        for skip in (False, True):
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                              skipinitialspace=skip)
            found += [cell for row in rows for cell in row
                      if cell.lstrip(' \t"').startswith(FORMULA)]
    naive = text.replace("\r", "\n").replace(";", "\n").replace(",", "\n").replace("\t", "\n")
    found += [part for part in naive.split("\n") if part.lstrip(' "').startswith(FORMULA)]
    return found


def test_csv_is_safe_whichever_separator_a_spreadsheet_splits_on() -> None:
    """Read with ``;`` as Indonesian Excel does, no cell of a hostile bundle is a formula."""
    results = hostile()
    findings = [f for key in ("sites", "hosts", "services") for s in results[key]
                for f in s["findings"]]
    for finding, payload in zip(findings, itertools.cycle(PAYLOADS)):
        finding["evidence"] = payload
    results["hosts"][1]["id"] = "srv;=1+1"
    results["sites"][0]["id"] = "site,@SUM(1)"
    text = render_csv(results, "id").decode("utf-8-sig")
    assert formula_cells('a,"Kota;=1+1",b\r\n')  # the check does see the old risk
    assert formula_cells(text) == []
    rows = list(csv.reader(io.StringIO(text, newline="")))
    evidence = [row[7] for row in rows[1:]]
    for expected in ("Kota;'=1+1", "'\t'=1", "a,' -1", "'\uff1d1+1", "'=1;'=2,'=3", "' =1+1"):
        assert expected in evidence
    assert "\"Kota;'=1+1\"" in text  # a ';' cell is quoted though ',' separates the file
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)


@pytest.mark.parametrize("cell", ["-5", "12.50", "0", "Kota Contoh", "", "a;b", "x@y.id"])
def test_csv_cell_leaves_numbers_and_plain_text_alone(cell: str) -> None:
    assert csv_cell(cell) == cell


def test_junit_validates_and_counts_add_up() -> None:
    results = fixed()
    xml = render_junit(results, "en")
    _validate(xml)
    root = ET.fromstring(xml)
    suites = root.findall("testsuite")
    assert len(suites) == len(results["sites"]) + len(results["hosts"]) + len(results["services"])
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors", "-1")) == len(suite.findall("testcase/error"))
        assert int(suite.get("skipped", "-1")) == len(suite.findall("testcase/skipped"))
    assert int(root.get("tests", "-1")) == sum(int(s.get("tests", "0")) for s in suites)


def test_junit_maps_statuses_as_documented() -> None:
    results = fixed()
    root = ET.fromstring(render_junit(results, "en"))
    host = results["hosts"][0]
    suite = root.find(f"testsuite[@name='host:{host['id']}']")
    assert suite is not None
    for finding in host["findings"]:
        case = next(c for c in suite.findall("testcase")
                    if c.get("name", "").startswith(finding["control"] + ":"))
        child = {"fail": "failure", "unknown": "error", "error": "error",
                 "waived": "skipped", "not_applicable": "skipped", "pass": None}[finding["status"]]
        assert [c.tag for c in case] == ([child] if child else [])
    unreachable = next(h for h in results["hosts"] if h["status"] != "ok")
    suite = root.find(f"testsuite[@name='host:{unreachable['id']}']")
    assert suite is not None
    scan = suite.find("testcase[@name='scan']/error")
    assert scan is not None and scan.get("type") == "unreachable"


def test_junit_of_hostile_strings_is_valid_xml() -> None:
    xml = render_junit(hostile(), "en")
    _validate(xml)
    text = xml.decode()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\x00" not in text and "\x1b" not in text


def test_json_is_results_itself() -> None:
    results = fixed()
    assert json.loads(render_json(results, "id")) == results
