"""The demo bundle: `init --demo`, `check` and `report` show a full migration plan, no SSH."""

from __future__ import annotations

import configparser
import fnmatch
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from auditor.bundle.schemas import load_schema
from auditor.check import run_check
from auditor.spec.load import load_spec
from conftest import REPO, run_cli

DEMO = REPO / "inventory" / "demo"
STRATEGIES = {"rehost", "replatform", "repurchase", "retire", "retain"}


@dataclass(frozen=True)
class DemoRun:
    """The demo as a newcomer runs it: what each command said and what it wrote."""

    folder: Path
    init: subprocess.CompletedProcess[str]
    check: subprocess.CompletedProcess[str]
    report: subprocess.CompletedProcess[str]
    results: dict[str, Any]

    def plans(self) -> dict[str, dict[str, Any]]:
        """The recommendation's host plans by host id."""
        return {p["id"]: p for p in self.results["recommendation"]["hosts"]}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo") / "demo"
    init = run_cli("init", "--demo", str(folder))
    check = run_cli("check", str(folder))
    report = run_cli("report", str(folder), "--format", "html,md,json")
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return DemoRun(folder, init, check, report, results)


def test_init_demo_then_check_and_report_run_without_ssh(demo: DemoRun) -> None:
    assert demo.init.returncode == 0, demo.init.stderr
    assert f"auditor check {demo.folder}" in demo.init.stderr
    assert demo.check.returncode == 1, demo.check.stderr   # non-compliance found, all scanned
    assert "8/8 hosts scanned" in demo.check.stderr
    assert demo.report.returncode == 0, demo.report.stderr
    assert (demo.folder / "report.html").is_file() and (demo.folder / "report.md").is_file()
    assert not (DEMO / "results.json").exists()   # the repository's copy is left alone


def test_the_plan_uses_several_strategies_and_waves(demo: DemoRun) -> None:
    rec = demo.results["recommendation"]
    used = {p["strategy"] for p in rec["hosts"]}
    assert used <= STRATEGIES and len(used) >= 3, used
    assert len(rec["waves"]) >= 2, rec["waves"]
    plans = demo.plans()
    # dependent hosts move together: the portal, its database and the tax application
    together = next(w for w in rec["waves"] if "db-utama" in w)
    assert {"portal-web", "simpatda-app"} <= set(together)
    assert plans["simpatda-app"]["strategy"] == "replatform"
    assert any(b["code"] == "os_end_of_life" for b in plans["simpatda-app"]["blockers"])
    assert {d["source"] for d in rec["dependencies"]} >= {
        "connections", "application:portal", "service:portal"}


def test_the_e_office_host_is_replaced_by_srikandi(demo: DemoRun) -> None:
    plan = demo.plans()["eoffice"]
    assert plan["strategy"] == "repurchase"
    assert plan["target"]["offering"] == "srikandi"
    assert "SRIKANDI" in plan["reason"]["en"]


def test_the_idle_host_is_a_retire_candidate_with_its_evidence(demo: DemoRun) -> None:
    plan = demo.plans()["web-lama"]
    assert plan["strategy"] == "retire"
    use = plan["utilisation"]
    assert use["idle"] is True and use["cpu_pct"] < 5 and use["memory_pct"] < 5
    assert f"{use['memory_pct']}%" in plan["reason"]["en"]
    assert not any(d["to"] == "web-lama" for d in demo.results["recommendation"]["dependencies"])


def test_closed_data_too_large_stays_in_the_room_once_hardened(demo: DemoRun) -> None:
    plan = demo.plans()["db-kependudukan"]
    assert plan["strategy"] == "retain" and plan["data_classification"] == "closed"
    assert plan["target"]["kind"] == "own_room" and plan["target"]["remediation"]
    assert {b["code"] for b in plan["blockers"]} >= {"no_offering_fits", "room_hardening"}
    assert demo.plans()["backup-01"]["strategy"] == "retain"


def test_costs_fall_but_not_to_nothing(demo: DemoRun) -> None:
    costs = demo.results["recommendation"]["costs"]
    assert costs["current_annual_idr"] > costs["after_migration_annual_idr"] > 0


def test_the_room_fails_some_controls_passes_others_and_leaves_some_unknown(
        demo: DemoRun) -> None:
    (site,) = demo.results["sites"]
    statuses = [f["status"] for f in site["findings"]]
    assert site["verdict"] == "migrate"
    assert {"pass", "fail", "unknown"} <= set(statuses)
    assert statuses.count("fail") < len(statuses) / 2   # a real room, not a straw man
    room = [f["status"] for f in site["findings"] if f["domain"] == "facility"]
    assert {"pass", "fail", "unknown"} <= set(room) and room.count("fail") <= 0.6 * len(room)
    (service,) = demo.results["services"]
    assert service["status"] == "ok"
    assert {f["status"] for f in service["findings"]} == {"pass", "fail"}


def test_the_html_report_shows_the_dependency_graph(demo: DemoRun) -> None:
    html = (demo.folder / "report.html").read_text(encoding="utf-8")
    start = html.index('class="graph"')
    graph = html[start:html.index("</svg>", start)]
    assert "<svg" in graph
    for host in ("portal-web", "db-utama", "simpatda-app", "geoportal", "backup-01"):
        assert host in graph


def _judged_on(day: date, folder: Path) -> dict[str, Any]:
    shutil.copytree(DEMO, folder)
    run_check(folder, load_spec(), day)
    results: dict[str, Any] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return results


def test_the_demo_tells_the_same_story_for_years(tmp_path: Path) -> None:
    """Nothing in the demo passes when it was made and fails soon after (see make-demo)."""
    made = _judged_on(date(2026, 12, 1), tmp_path / "made")
    later = _judged_on(date(2028, 6, 1), tmp_path / "later")

    def statuses(results: dict[str, Any]) -> dict[tuple[str, str], str]:
        return {(s["id"], f["control"]): f["status"]
                for kind in ("hosts", "sites", "services") for s in results[kind]
                for f in s["findings"]}

    def plan(results: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(p["id"], p["strategy"], (p["target"] or {}).get("offering"))
                for p in results["recommendation"]["hosts"]]

    assert statuses(later) == statuses(made)
    assert plan(later) == plan(made)
    assert later["recommendation"]["waves"] == made["recommendation"]["waves"]
    assert later["recommendation"]["costs"] == made["recommendation"]["costs"]


def test_init_demo_never_overwrites_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert run_cli("init", "--demo", str(folder)).returncode == 0
    mine = folder / "facts" / "web-lama.json"
    mine.write_text("{}\n")
    again = run_cli("init", "--demo", str(folder))
    assert again.returncode == 2
    assert "would overwrite" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    assert mine.read_text() == "{}\n"
    forced = run_cli("init", "--demo", str(folder), "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(mine.read_text())["host"] == "web-lama"


# --- the committed bundle --------------------------------------------------------------------


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_demo_facts_validate_against_the_facts_schema() -> None:
    inventory = yaml.safe_load((DEMO / "inventory.yaml").read_text(encoding="utf-8"))
    hosts = {h["id"] for h in inventory["hosts"]}
    files = sorted((DEMO / "facts").glob("*.json"))
    assert {p.stem for p in files} == hosts and 6 <= len(hosts) <= 8
    validator = _validator("facts")
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], path.name
        assert doc["status"] == "ok" and doc["unknown"] == {}, path.name
    for path in (DEMO / "services").glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert list(_validator("service").iter_errors(doc)) == [], path.name
    assert not (DEMO / "results.json").exists()   # check makes it


def test_the_demo_facility_answers_carry_evidence_hashes() -> None:
    (path,) = (DEMO / "facility").glob("*.yaml")
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(_validator("facility").iter_errors(answers)) == []
    evidence = [e for a in answers["answers"].values() for e in a.get("evidence", [])]
    assert evidence and all(len(e["sha256"]) == 64 and e["bytes"] > 0 for e in evidence)


def test_the_committed_demo_is_what_make_demo_writes(tmp_path: Path) -> None:
    """Facts, answers and inventory as scripts/make-demo makes them from the recordings."""
    out = tmp_path / "made"
    made = subprocess.run([sys.executable, str(REPO / "scripts" / "make-demo"), str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert made.returncode == 0, made.stderr
    hint = "the demo is stale: run scripts/make-demo and commit inventory/demo/"
    for name in ("inventory.yaml", "facility/ruang-server-balaikota.yaml"):
        assert (out / name).read_text() == (DEMO / name).read_text(), f"{name}: {hint}"
    for path in sorted((DEMO / "facts").glob("*.json")):
        committed = json.loads(path.read_text(encoding="utf-8"))
        fresh = json.loads((out / "facts" / path.name).read_text(encoding="utf-8"))
        for key in ("facts", "unknown", "status", "address"):
            assert fresh[key] == committed[key], f"{path.name} {key}: {hint}"
    fresh_service = json.loads((out / "services" / "portal.json").read_text(encoding="utf-8"))
    committed_service = json.loads((DEMO / "services" / "portal.json").read_text())
    for section in ("tls", "http", "headers", "content", "exposure"):
        assert fresh_service["facts"][section] == committed_service["facts"][section], section


def test_every_demo_file_ships_in_the_wheel_and_is_copied_by_init() -> None:
    from auditor.inventory.starter import DEMO_PARTS

    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    patterns = [p.strip() for p in
                config["options.package_data"]["auditor.examples"].split(",")]
    for path in sorted(p for p in DEMO.rglob("*") if p.is_file()):
        in_package = path.relative_to(DEMO.parent).as_posix()
        in_demo = path.relative_to(DEMO).as_posix()
        assert any(fnmatch.fnmatch(in_package, p) and p.count("/") == in_package.count("/")
                   for p in patterns), f"{in_package} is not in setup.cfg's package_data"
        assert any(fnmatch.fnmatch(in_demo, p) and p.count("/") == in_demo.count("/")
                   for p in DEMO_PARTS), f"{in_demo} is not copied by init --demo"
