"""A large fleet judged in worker processes gives the very results.json one process gives."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.bundle.folder import Bundle
from auditor.inventory.load import load_inventory
from auditor.judge.check import CheckOutcome, run_check
from auditor.judge.evaluate import load_scanned
from auditor.judge.hosts import PARALLEL_FROM, derive_facts
from auditor.model import HostStatus
from auditor.recommend import recommend, slim_facts
from auditor.spec.lifecycle import load_table
from auditor.spec.load import load_spec
from auditor.spec.tailoring import load_tailored_spec
from recommend_bundle import TODAY, FleetHost, facts, outbound, write_bundle

HOSTS = PARALLEL_FROM + 50


def _fleet(root: Path) -> Path:
    """Idle hosts others connect to, end-of-life and unknown OSes, hosts too large to move,
    kept roles, classified data, shared applications, a web service, unreachable hosts."""
    rnd = random.Random(7)
    sites = [{"id": f"s{i}", "name": f"Site {i}", "kind": "server_room",
              **({"costs": {"power_kw": 3.5, "staff_fte": 1, "idle_cpu_pct": 8}} if i % 2
                 else {})} for i in range(4)]
    hosts = []
    for i in range(HOSTS):
        idle = i % 7 == 0
        conns = [outbound(f"10.1.{j // 256}.{j % 256}", rnd.choice([443, 5432, 8080]),
                          direction=rnd.choice(["outbound", None, "inbound"]))
                 for j in (rnd.randrange(HOSTS) for _ in range(rnd.randint(1, 3)))] \
            if i % 5 == 1 else []
        if i % 11 == 3:
            conns.append(outbound("203.0.113.9", 443))
        host_facts = facts(
            cpu=rnd.choice([1, 4, 64]), load=0.01 if idle else rnd.choice([None, 0.5, 80.0]),
            mem_total_mb=rnd.choice([1024, 8192, 524288]),
            mem_used_pct=1.0 if idle else rnd.choice([None, 30.0, 90.0]),
            disk_used_mb=rnd.choice([None, 2048, 9000000]),
            os=rnd.choice([("ubuntu", "24.04"), ("centos", "6"), ("windows", "2012")]),
            supported=rnd.choice([True, False, None]), connections=conns or None,
            listening=[22, 443, 5432, 8080], web=rnd.choice([None, ["nginx"]]),
            database=rnd.choice([None, ["postgresql"]]))
        extra: dict[str, Any] = {}
        if i % 9 == 2:
            extra["role"] = rnd.choice(["web", "database", "backup", "app"])
        if i % 4 == 0:
            extra["data_classification"] = rnd.choice(["open", "limited", "closed"])
        if i % 13 == 5:
            extra["applications"] = [rnd.choice(["portal", "simpeg"])]
        hosts.append(FleetHost(f"h{i:04d}", f"s{i % 4}", f"10.1.{i // 256}.{i % 256}",
                               None if i % 17 == 4 else host_facts, extra))
    services = [{"id": "portal", "url": "https://10.1.0.2/", "host": "h0002"}]
    return write_bundle(root, hosts, sites, services)


def _written(outcome: CheckOutcome, root: Path) -> bytes:
    raw = (root / "results.json").read_bytes()
    assert raw == outcome.to_json() + b"\n"
    return re.sub(rb'"generated_at":"[^"]*"', b'"generated_at":""', raw)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fleet(tmp_path_factory.mktemp("workers") / "bundle")


def test_worker_processes_write_the_same_results_as_one_process(fleet: Path,
                                                               tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "overlay: 1\nid: waivers\nwaivers:\n"
        "  - control: HOST-SSH-PASSWORD-AUTH\n    hosts: [h0003, h0100]\n"
        "    justification: Kiosk login until the migration.\n    approver: Kepala Dinas\n"
        "    expires: '2099-01-31'\n"
        "  - control: HOST-ANTIMALWARE\n    justification: Expired for everyone.\n"
        "    approver: Kepala Dinas\n    expires: '2020-01-31'\n")
    spec = load_tailored_spec(None, overlay)
    one = _written(run_check(fleet, spec, TODAY, workers=1), fleet)
    several = _written(run_check(fleet, spec, TODAY, workers=2), fleet)
    assert one == several
    results = json.loads(several)
    assert len(results["hosts"]) == HOSTS >= PARALLEL_FROM
    assert {w["state"] for w in results["waivers"]} == {"active", "expired"}


def test_plans_made_in_the_workers_match_a_plan_made_from_scratch(fleet: Path) -> None:
    outcome = run_check(fleet, load_spec(), TODAY, workers=2)
    results = outcome.results
    plans = results["recommendation"]["hosts"]
    # The fleet has what makes planning hard: idle hosts still used by others (planned
    # again once every host's connections are known), idle ones retired, and every rule.
    assert any(p.get("utilisation", {}).get("idle_but_used_by") for p in plans)
    # (closed data has a government-only offering in the packaged catalogue, so the
    # "classification" rule needs an edited one; simpeg is replaced by a general application)
    assert {p["rule"] for p in plans} >= {"idle", "rehost", "eol", "too_large",
                                          "general_application", "not_scanned"}
    inventory = load_inventory(fleet / "inventory.yaml")
    table = load_table()
    kept = {}
    for host in inventory.hosts:   # the facts as the check stage sees them: with end of life
        scanned = load_scanned(Bundle(fleet).facts(host.id), host.id, "facts")
        if scanned.status is HostStatus.OK:
            kept[host.id] = slim_facts({**scanned.facts,
                                        **derive_facts(scanned.facts, table, TODAY)[0]})
    again = recommend(inventory, results, Bundle(fleet), host_facts=kept)
    assert json.loads(json.dumps(again)) == results["recommendation"]


def test_the_summary_needs_no_decoding_of_the_hosts(fleet: Path) -> None:
    outcome = run_check(fleet, load_spec(), TODAY, workers=2)
    results = outcome.results
    assert outcome.summary == results["summary"]
    assert outcome.sites == results["sites"]
    assert outcome.document["hosts"] == []
