"""One reader of results.json: report and review refuse a broken one the same way."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.bundle.results import RESULTS_FORMAT, Results, ResultsError, count, number
from auditor.errors import ExitCode, InputError
from conftest import run_cli

Change = Callable[[dict[str, Any]], None]


def _set(path: tuple[str | int, ...], value: Any) -> Change:
    def change(results: dict[str, Any]) -> None:
        target: Any = results
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


def _drop(key: str) -> Change:
    return lambda results: results.pop(key)


BROKEN: dict[str, tuple[Change, str, str]] = {
    # name: (change, what the message says after "results.json is", where)
    "bool-for-number": (_set(("summary", "hosts_scanned"), True), "not valid at "
                        "summary.hosts_scanned: expected integer, got yes/no", "summary"),
    "negative-count": (_set(("summary", "hosts"), -3), "not valid at summary.hosts: -3 is "
                       "less than the minimum of 0", "summary"),
    "nan": (_set(("hosts", 0, "score"), float("nan")), "not valid at hosts[0].score: NaN and "
            "Infinity are not numbers JSON allows", "hosts"),
    "infinity": (_set(("recommendation", "costs", "current_annual_idr"), float("inf")),
                 "not valid at recommendation.costs.current_annual_idr: NaN and Infinity",
                 "recommendation"),
    "missing-key": (_drop("sites"), "not valid at the top: missing required key 'sites'", ""),
    "wrong-format": (_set(("format",), "auditor.results/0"), "not a results file of this "
                     'version of auditor (format "auditor.results/0", expected '
                     f'"{RESULTS_FORMAT}")', "format"),
}


@pytest.fixture(scope="module")
def example_results(example_bundle: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((example_bundle / "results.json").read_text())
    return data


def _broken_bundle(example_bundle: Path, results: dict[str, Any], change: Change,
                   folder: Path) -> Path:
    shutil.copytree(example_bundle, folder)
    for name in ("manifest.json", "manifest.sig"):
        (folder / name).unlink(missing_ok=True)
    broken = copy.deepcopy(results)
    change(broken)
    (folder / "results.json").write_text(json.dumps(broken))
    return folder


def test_what_check_writes_loads_with_its_digest(example_bundle: Path) -> None:
    results, digest = Results.load_digest(example_bundle / "results.json")
    assert results.data["format"] == RESULTS_FORMAT and len(digest) == 64
    assert results.organisation["code"] and results.hosts and results.sites
    assert count(results.summary["hosts"]) == len(results.hosts)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_results_file_is_refused_alike_by_report_and_review(
        case: str, example_bundle: Path, example_results: dict[str, Any],
        tmp_path: Path) -> None:
    change, what, _ = BROKEN[case]
    bundle = _broken_bundle(example_bundle, example_results, change, tmp_path / "bundle")
    report = run_cli("report", str(bundle))
    assert report.returncode == int(ExitCode.BAD_INPUT), report.stderr
    assert f"{bundle / 'results.json'}: {what}" in report.stderr
    assert "Traceback" not in report.stderr
    review = run_cli("review", str(bundle), "-o", str(tmp_path / "review"), "--lang", "en")
    assert review.returncode == int(ExitCode.NONCOMPLIANT), review.stderr
    assert f"malformed: results.json is {what}" in review.stderr
    assert "Traceback" not in review.stderr


def test_the_reason_a_review_refuses_a_bundle_is_in_indonesian_too(
        example_bundle: Path, example_results: dict[str, Any], tmp_path: Path) -> None:
    bundle = _broken_bundle(example_bundle, example_results, _set(("summary", "hosts"), -1),
                            tmp_path / "bundle")
    out = tmp_path / "review"
    result = run_cli("review", str(bundle), "-o", str(out), "--lang", "id")
    assert result.returncode == int(ExitCode.NONCOMPLIANT), result.stderr
    page = (out / "index.html").read_text()
    assert "results.json tidak sah di summary.hosts" in page
    assert "tidak sesuai dengan specs/schemas/results.schema.json" in page


def test_load_raises_an_input_error_naming_file_and_field(
        example_bundle: Path, example_results: dict[str, Any], tmp_path: Path) -> None:
    for case, (change, what, field) in BROKEN.items():
        path = _broken_bundle(example_bundle, example_results, change,
                              tmp_path / case) / "results.json"
        with pytest.raises(InputError) as raised:
            Results.load(path)
        assert isinstance(raised.value, ResultsError)
        assert str(raised.value).startswith(f"{path}: {what}")
        assert raised.value.field.startswith(field), (case, raised.value.field)
        assert raised.value.exit_code is ExitCode.BAD_INPUT


def test_number_rules() -> None:
    assert number(True) is None and number(None) is None and number("3") is None
    assert number(3) == 3.0 and number(float("nan")) is None
    assert count(-1) == 0 and count(False) == 0 and count(2.0) == 0 and count(7) == 7
    assert count(10**30) == 10**9
