"""Output for CI and terminals: SARIF, --fail-on, --verbose per-control lines, CSV for Excel."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from auditor.report import RenderOptions
from auditor.report.console import open_at, tally_controls
from auditor.report.machine import CSV_COLUMNS, render_csv
from auditor.report.sarif import render_sarif
from conftest import REPO, run_cli
from pty_terminal import Terminal
from test_report import fixed, hostile, loadable
from test_report_machine import PAYLOADS, formula_cells

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json"


def open_findings(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for key in ("sites", "hosts", "services") for s in results[key]
            for f in s["findings"] if f["status"] in ("fail", "unknown", "error")]


def validate_sarif(data: bytes) -> dict[str, Any]:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    log: dict[str, Any] = json.loads(data)
    jsonschema.Draft4Validator(schema).validate(log)
    return log


@pytest.mark.parametrize("lang", ["id", "en"])
def test_sarif_validates_and_has_a_result_per_open_finding(lang: str) -> None:
    results = fixed()
    log = validate_sarif(render_sarif(results, lang))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {c["id"] for c in results["controls"]}
    assert len(run["results"]) == len(open_findings(results))
    control = results["controls"][0]
    rule = rules[control["id"]]
    assert rule["shortDescription"]["text"] == control["title"][lang]
    assert rule["help"]["text"] == control["remediation"][lang]
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    assert rule["defaultConfiguration"]["level"] == levels[control["severity"]]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        if result["properties"]["status"] == "fail":
            assert result["kind"] == "fail"
            assert result["level"] == levels[result["properties"]["severity"]]
        else:
            assert result["kind"] == "review" and result["level"] == "none"


def test_sarif_of_hostile_results_still_validates() -> None:
    log = validate_sarif(render_sarif(hostile(), "en"))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]]
    assert all("/" in uri and ".." not in uri.split("/")[1] for uri in uris)


def test_sarif_through_the_cli(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "results.json").write_text(json.dumps(loadable(fixed())))
    result = run_cli("report", str(bundle), "--format", "sarif", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert {p.name for p in bundle.iterdir()} == {"results.json", "findings.sarif",
                                                  "reports.json"}
    validate_sarif((bundle / "findings.sarif").read_bytes())


def test_open_at_counts_failed_and_unknown_at_or_above_the_threshold() -> None:
    results = fixed()
    found = open_findings(results)
    order = ["low", "medium", "high", "critical"]
    for threshold in order:
        expected = sum(1 for f in found if order.index(f["severity"]) >= order.index(threshold))
        assert open_at(results, threshold) == expected
    assert open_at(results, "low") == len(found) > open_at(results, "critical")


@pytest.fixture(scope="module")
def all_low(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An overlay that makes every control of the packaged spec low."""
    shown = run_cli("spec", "show", "--format", "json")
    ids = [c["id"] for c in json.loads(shown.stdout)]
    overlay = tmp_path_factory.mktemp("overlay") / "low.yaml"
    overlay.write_text(yaml.safe_dump({"overlay": 1, "id": "all-low",
                                       "controls": {i: {"severity": "low"} for i in ids}}))
    return overlay


def test_fail_on_decides_the_exit_code(example_bundle: Path, all_low: Path,
                                       tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(example_bundle, bundle)
    default = run_cli("check", str(bundle), "-q")
    assert default.returncode == 1  # the example is not compliant
    assert run_cli("check", str(bundle), "-q", "--fail-on", "critical").returncode == 1
    assert run_cli("check", str(bundle), "-q", "--overlay", str(all_low)).returncode == 1
    quiet = run_cli("check", str(bundle), "-q", "--overlay", str(all_low), "--fail-on",
                    "medium")
    assert quiet.returncode == 0, quiet.stderr
    assert run_cli("check", str(bundle), "-q", "--overlay", str(all_low), "--fail-on",
                   "low").returncode == 1
    bad = run_cli("check", str(bundle), "--fail-on", "severe")
    assert bad.returncode == 2 and "critical" in bad.stderr


def test_verbose_prints_a_line_per_control_without_colour_off_a_terminal(
        example_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(example_bundle, bundle)
    result = run_cli("check", str(bundle), "--verbose")
    results = json.loads((bundle / "results.json").read_text())
    tallies = tally_controls(results)
    lines = [line for line in result.stderr.splitlines() if line[2:3] in "✖?✔·"
             and line.startswith("  ") and line[3:4] == " "]
    assert len(lines) == len(tallies) > 10
    assert "\x1b[" not in result.stderr
    failed = next(t for t in tallies if t.outcome == "fail")
    assert any(line.startswith(f"  ✖ {failed.control}") and f"fail {failed.counts['fail']}"
               in line for line in lines)
    assert any(line.startswith("  ? ") for line in lines)
    assert any(line.startswith("  ✔ ") for line in lines)


def test_verbose_is_coloured_on_a_terminal(example_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(example_bundle, bundle)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    terminal = Terminal([sys.executable, "-m", "auditor", "check", str(bundle), "-v"], env,
                        str(tmp_path))
    try:
        terminal.expect("results in", timeout=300)
        assert terminal.wait(timeout=300) == 1
    finally:
        terminal.kill()
    assert "\x1b[31m" in terminal.seen and "\x1b[32m" in terminal.seen  # red ✖, green ✔


@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_has_a_bom_and_the_chosen_separator(separator: str) -> None:
    data = render_csv(fixed(), "id", None, RenderOptions(csv_separator=separator))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)


def test_semicolon_csv_keeps_the_formula_guards() -> None:
    results = hostile()
    findings = [f for key in ("sites", "hosts", "services") for s in results[key]
                for f in s["findings"]]
    for finding, payload in zip(findings, itertools.cycle(PAYLOADS), strict=False):
        finding["evidence"] = payload
    text = render_csv(results, "id", None, RenderOptions(csv_separator=";")).decode("utf-8-sig")
    assert formula_cells(text) == []
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    assert "Kota;'=1+1" in [row[7] for row in rows[1:]]


def test_csv_separator_option_is_kept_when_rendering_again(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "results.json").write_text(json.dumps(loadable(fixed())))
    result = run_cli("report", str(bundle), "--format", "csv", "--csv-separator", ";")
    assert result.returncode == 0, result.stderr
    head = (bundle / "findings.csv").read_bytes()[:40]
    assert head.startswith("\ufeffsubject_kind;subject_id;".encode())
    assert run_cli("report", str(bundle), "--format", "csv").returncode == 0
    assert (bundle / "findings.csv").read_bytes()[:40] == head
    assert run_cli("report", str(bundle), "--csv-separator", "|").returncode == 2
