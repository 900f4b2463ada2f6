"""Tailoring overlays: severities, parameters, disabled controls, waivers and their expiry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli


def _check(bundle: Path, overlay: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli("check", str(bundle), "--overlay", str(overlay), *extra)
    data = json.loads((bundle / "results.json").read_text()) if result.returncode != 2 else {}
    return result.returncode, data, result.stderr


def _site_finding(results: dict[str, Any], control: str) -> dict[str, Any]:
    return next(f for f in results["sites"][0]["findings"] if f["control"] == control)


@pytest.fixture()
def bundle(example_bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(example_bundle, copy)
    return copy


def test_overlay_changes_parameters_severity_and_disables(bundle: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "overlay: 1\n"
        "id: kota-contoh-2026\n"
        "spec: {id: spbe-dc-pemda}\n"
        "controls:\n"
        "  FAC-UPS-RUNTIME:\n"
        "    params: {ups_runtime_minutes: 30}\n"
        "  FAC-ROOM-DEDICATED:\n"
        "    severity: critical\n"
        "  FAC-COOLING-REDUNDANT:\n"
        "    enabled: false\n"
        "    justification: Ruang hanya berisi satu rak jaringan; pendingin presisi tidak "
        "relevan.\n")
    code, results, _ = _check(bundle, overlay)
    assert code == 1
    assert _site_finding(results, "FAC-UPS-RUNTIME")["status"] == "fail"   # 22 < 30 minutes
    assert _site_finding(results, "FAC-ROOM-DEDICATED")["severity"] == "critical"
    controls = [f["control"] for f in results["sites"][0]["findings"]]
    assert "FAC-COOLING-REDUNDANT" not in controls
    assert results["disabled_controls"] == [{
        "id": "FAC-COOLING-REDUNDANT",
        "justification": "Ruang hanya berisi satu rak jaringan; pendingin presisi tidak relevan."}]
    assert results["spec"]["overlay"]["id"] == "kota-contoh-2026"
    assert len(results["spec"]["overlay"]["sha256"]) == 64


def _waiver_overlay(path: Path, expires: str) -> Path:
    path.write_text(
        "overlay: 1\n"
        "id: waivers\n"
        "waivers:\n"
        "  - control: FAC-FIRE-SUPPRESSION\n"
        "    sites: [ruang-server-balaikota]\n"
        "    justification: Pemadam gas dipasang dalam kontrak Januari 2027.\n"
        "    approver: Kepala Diskominfo Kota Contoh\n"
        f"    expires: '{expires}'\n"
        "  - control: HOST-SSH-PASSWORD-AUTH\n"
        "    hosts: [some-other-host]\n"
        "    justification: Only for another host; must not touch 'self'.\n"
        "    approver: Kepala Diskominfo\n"
        f"    expires: '{expires}'\n")
    return path


def test_active_waiver_marks_finding_waived_and_keeps_it_visible(bundle: Path,
                                                                 tmp_path: Path) -> None:
    before = json.loads((bundle / "results.json").read_text())
    _, results, _ = _check(bundle, _waiver_overlay(tmp_path / "o.yaml", "2099-01-31"))
    finding = _site_finding(results, "FAC-FIRE-SUPPRESSION")
    assert finding["status"] == "waived"
    assert finding["waiver"]["approver"] == "Kepala Diskominfo Kota Contoh"
    assert finding["waiver"]["original_status"] == "fail"
    assert results["sites"][0]["counts"]["waived"] >= 1
    # A waived failure no longer weighs on the score.
    assert results["sites"][0]["score"] > before["sites"][0]["score"]
    ssh = next(f for f in results["hosts"][0]["findings"]
               if f["control"] == "HOST-SSH-PASSWORD-AUTH")
    assert ssh["status"] != "waived"  # scoped to another host
    states = {w["control"]: w["state"] for w in results["waivers"]}
    assert states == {"FAC-FIRE-SUPPRESSION": "active", "HOST-SSH-PASSWORD-AUTH": "active"}


def test_expired_waiver_stops_applying_and_says_so(bundle: Path, tmp_path: Path) -> None:
    _, results, _ = _check(bundle, _waiver_overlay(tmp_path / "o.yaml", "2020-01-31"))
    finding = _site_finding(results, "FAC-FIRE-SUPPRESSION")
    assert finding["status"] == "fail"
    assert finding["waiver"]["expired"] is True
    assert {w["state"] for w in results["waivers"]} == {"expired"}
    assert results["sites"][0]["verdict"] == "migrate"


@pytest.mark.parametrize(("text", "fragment", "line"), [
    ("overlay: 1\nid: x\ncontrols:\n  FAC-NOPE:\n    severity: low\n",
     "controls.FAC-NOPE: no such control", 4),
    ("overlay: 1\nid: x\ncontrols:\n  FAC-UPS-RUNTIME:\n    enabled: false\n",
     "missing required key 'justification'", 4),
    ("overlay: 1\nid: x\nwaivers:\n  - control: FAC-UPS-RUNTIME\n    justification: because we "
     "said so\n    approver: Kepala\n    expires: soon\n", "is not a 'date'", 7),
    ("overlay: 1\nid: x\ncontrols:\n  FAC-UPS-RUNTIME:\n    params: {ups_minutes: 5}\n",
     "ups_minutes not a parameter of FAC-UPS-RUNTIME", 5),
    ("overlay: 1\nid: x\nspec: {id: another-spec}\n", "written for another-spec", 3),
])
def test_broken_overlay_is_exit_2_with_location(bundle: Path, tmp_path: Path, text: str,
                                                fragment: str, line: int) -> None:
    overlay = tmp_path / "bad.yaml"
    overlay.write_text(text)
    code, _, stderr = _check(bundle, overlay)
    assert code == 2
    assert fragment in stderr
    assert f"bad.yaml:{line}:" in stderr
    assert "Traceback" not in stderr
