"""End-to-end: the README's main job on the bundled example, in-process and as a process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from auditor.bundle.schemas import validate_data
from auditor.cli.main import cli
from conftest import EXAMPLE, REPO, run_cli


def test_audit_example_writes_the_whole_bundle(example_bundle: Path) -> None:
    for name in ("inventory.yaml", "facts/self.json", "facility/ruang-server-balaikota.yaml",
                 "results.json", "report.html", "report.md"):
        assert (example_bundle / name).is_file(), name
    results = json.loads((example_bundle / "results.json").read_text())
    assert validate_data(results, "results", "results.json") == []
    facts = json.loads((example_bundle / "facts" / "self.json").read_text())
    assert validate_data(facts, "facts", "self.json") == []


def test_local_facts_describe_this_machine(example_bundle: Path) -> None:
    facts = json.loads((example_bundle / "facts" / "self.json").read_text())
    assert facts["status"] == "ok"
    os_release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines()
        if "=" in line)
    assert facts["facts"]["os"]["id"] == os_release["ID"].strip('"').lower()
    assert facts["facts"]["cpu"]["count"] >= 1
    assert facts["facts"]["memory"]["total_mb"] > 0
    assert any(fs["mount"] == "/" for fs in facts["facts"]["disks"]["filesystems"])
    assert facts["probe"]["truncated"] is False


def test_results_reflect_the_example_answers(example_bundle: Path) -> None:
    results = json.loads((example_bundle / "results.json").read_text())
    site = results["sites"][0]
    by_control = {f["control"]: f for f in site["findings"]}
    assert by_control["FAC-UPS-RUNTIME"]["status"] == "pass"          # 22 min >= 15
    assert by_control["FAC-FIRE-SUPPRESSION"]["status"] == "fail"     # answered no
    assert by_control["DATA-RESTORE-TESTED"]["status"] == "unknown"   # not answered
    assert by_control["OPS-BCP-DRP"]["status"] == "fail"    # "no" fails, even without evidence
    # A failed critical facility control means the site should migrate.
    assert site["verdict"] == "migrate"
    assert results["recommendation"]["closure_risk"] is True
    assert results["hosts"][0]["score"] is not None


def test_evidence_files_are_hashed_into_the_bundle(example_bundle: Path) -> None:
    answers = yaml.safe_load((example_bundle / "facility" / "ruang-server-balaikota.yaml")
                             .read_text())
    evidence = answers["answers"]["FAC-UPS-RUNTIME"]["evidence"][0]
    assert evidence["path"] == "evidence/uji-ups-2026-03.txt"
    assert len(evidence["sha256"]) == 64


def test_audit_exit_code_follows_findings_in_process(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", str(EXAMPLE), "-o", str(tmp_path / "b"), "-q"])
    # The example fails critical facility controls on purpose: non-compliance, exit 1.
    assert result.exit_code == 1, result.output
    assert (tmp_path / "b" / "report.html").is_file()


def test_report_can_be_rerendered_in_english(example_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "copy"
    shutil.copytree(example_bundle, bundle)
    result = run_cli("report", str(bundle), "--lang", "en", "--format", "md")
    assert result.returncode == 0, result.stderr
    text = (bundle / "report.md").read_text()
    assert "Infrastructure Audit Report" in text
    assert "Laporan Audit" not in text


def test_check_rejudges_old_facts_without_scanning(example_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "copy"
    shutil.copytree(example_bundle, bundle)
    facts_before = (bundle / "facts" / "self.json").read_bytes()
    spec = tmp_path / "spec"
    shutil.copytree(REPO / "specs", spec, ignore=shutil.ignore_patterns("__pycache__"))
    text = (spec / "controls" / "facility.yaml").read_text()
    (spec / "controls" / "facility.yaml").write_text(
        text.replace("params: {ups_runtime_minutes: 15}", "params: {ups_runtime_minutes: 30}"))
    main = (spec / "national.yaml").read_text().replace('version: "2026.1"', 'version: "2027.0"')
    (spec / "national.yaml").write_text(main)
    result = run_cli("check", str(bundle), "--spec", str(spec / "national.yaml"))
    assert result.returncode == 1, result.stderr
    results = json.loads((bundle / "results.json").read_text())
    assert results["spec"]["version"] == "2027.0"
    ups = next(f for f in results["sites"][0]["findings"] if f["control"] == "FAC-UPS-RUNTIME")
    assert ups["status"] == "fail"  # 22 minutes no longer meets a 30-minute target
    assert (bundle / "facts" / "self.json").read_bytes() == facts_before


def test_check_on_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2
    assert "not an audit bundle" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_inventory_stops_audit_before_scanning(tmp_path: Path) -> None:
    bad = REPO / "tests" / "data" / "inventories" / "bad" / "unknown-site.yaml"
    result = run_cli("audit", str(bad), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert not (tmp_path / "out" / "facts").exists()


def test_unavailable_transport_is_exit_3_and_never_compliant(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        "version: 1\n"
        "organisation: {code: '32.73', name: Kota Contoh, level: kota}\n"
        "sites: [{id: s1, name: Site one, kind: server_room}]\n"
        "hosts:\n"
        "  - {id: gone, site: s1, address: 127.0.0.1, port: 9, timeout: 3}\n")
    result = run_cli("audit", str(inventory), "-o", str(tmp_path / "out"),
                     "--known-hosts", str(tmp_path / "known_hosts"))
    assert result.returncode == 3, result.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    host = results["hosts"][0]
    assert host["status"] != "ok"
    assert host["score"] is None
    assert all(f["status"] == "unknown" for f in host["findings"])
    assert results["sites"][0]["verdict"] != "compliant"


def test_results_json_is_exactly_the_results_document(example_bundle: Path,
                                                      tmp_path: Path) -> None:
    from auditor.bundle.results import Results
    from auditor.check import run_check
    from auditor.spec.load import load_spec

    bundle = tmp_path / "copy"
    shutil.copytree(example_bundle, bundle)
    outcome = run_check(bundle, load_spec())
    # One writer: the file is the document, byte for byte.
    written = (bundle / "results.json").read_bytes()
    assert written == Results(outcome.results).to_json()
    document = json.loads(written)
    assert document == json.loads(json.dumps(outcome.results))
    assert document["hosts"] and document["recommendation"]["hosts"]
