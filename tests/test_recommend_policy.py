"""Issue 14 through `auditor check`: closed data, tariff and PUE, costs after moving, repurchase."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.bundle.schemas import validate_data
from auditor.paths import specs_root
from auditor.report.render import render_markdown
from recommend_bundle import FleetHost, check_cli, facts, write_answers, write_bundle

FAILING_ROOM = {"FAC-ROOM-DEDICATED": False, "FAC-HAZARD-ZONE": False, "FAC-UPS-RUNTIME": 3,
                "FAC-COOLING-REDUNDANT": "comfort"}
"""Answers of a room that fails facility controls an audit could close it for."""
BIG = {"cpu": 64, "load": 20.0, "mem_total_mb": 262144, "mem_used_pct": 40.0,
       "disk_used_mb": 409600}
"""Needs 40 vCPU: larger than any offering that may hold closed data."""


def _site(id_: str, **costs: Any) -> dict[str, Any]:
    site: dict[str, Any] = {"id": id_, "name": f"Ruang {id_}", "kind": "server_room"}
    if costs:
        site["costs"] = costs
    return site


def _plans(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in results["recommendation"]["hosts"]}


def _site_costs(results: dict[str, Any], site: str) -> dict[str, Any]:
    return next(c for c in results["recommendation"]["costs"]["sites"] if c["site"] == site)


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A failing room holding closed (Strategis) data: one host of a usual size, one too big."""
    root = write_bundle(tmp_path_factory.mktemp("closed") / "b", [
        FleetHost("arsip-rahasia", "gagal", "10.5.0.1", facts(),
                  {"data_classification": "closed", "role": "app"}),
        FleetHost("siak-besar", "gagal", "10.5.0.2", facts(**BIG),
                  {"data_classification": "closed", "role": "database"}),
    ], [_site("gagal")])
    write_answers(root, "gagal", FAILING_ROOM)
    return check_cli(root)


def test_closed_data_is_never_planned_to_stay_in_a_failing_room(closed: dict[str, Any]) -> None:
    site = next(s for s in closed["sites"] if s["id"] == "gagal")
    failing = {f["control"] for f in site["findings"]
               if f["domain"] == "facility" and f["status"] == "fail"}
    assert {"FAC-ROOM-DEDICATED", "FAC-HAZARD-ZONE"} <= failing      # the room fails
    plans = _plans(closed)
    # A usual size goes to the government-only offering that may hold closed data.
    usual = plans["arsip-rahasia"]
    assert usual["strategy"] == "rehost"
    assert usual["target"]["offering"] == "pemerintah-khusus-vm"
    assert "Kominfo: Strategis" in usual["reason"]["en"]
    # Too large for it: it stays only in its own room once hardened, with what to fix.
    big = plans["siak-besar"]
    assert big["strategy"] == "retain" and big["target"]["kind"] == "own_room"
    assert failing <= set(big["target"]["remediation"])
    hardening = next(b for b in big["blockers"] if b["code"] == "room_hardening")
    assert "FAC-ROOM-DEDICATED" in hardening["text"]["en"]
    assert "diperkuat" in hardening["text"]["id"]
    for plan in plans.values():     # no closed host without a target or a hardening plan
        assert plan["target"] is not None, plan["id"]
        if plan["target"]["kind"] == "own_room":
            assert failing <= set(plan["target"]["remediation"]), plan["id"]
    assert validate_data(closed, "results", "results.json") == []


def test_every_level_maps_from_the_kominfo_categories() -> None:
    data = yaml.safe_load((specs_root() / "catalogue.yaml").read_text())
    scheme = {level["kominfo"]: level["level"] for level in data["classification_scheme"]}
    assert scheme == {"Strategis": "closed", "Tinggi": "limited", "Rendah": "open"}
    inventory = json.loads((specs_root() / "schemas" / "inventory.schema.json").read_text())
    levels = inventory["properties"]["hosts"]["items"]["properties"]["data_classification"]
    assert levels["enum"] == ["open", "limited", "closed"]
    controls = yaml.safe_load((specs_root() / "controls" / "data.yaml").read_text())
    classified = next(c for c in controls["controls"] if c["id"] == "DATA-CLASSIFIED")
    assert "tertutup" in classified["description"]["id"]
    assert "Strategis" in classified["description"]["en"]


@pytest.fixture(scope="module")
def energy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two sites: P-2 with precision cooling, and the default P-1 with split AC."""
    hosts = [FleetHost("app-a", "presisi", "10.6.0.1", facts(), {"data_classification": "open"}),
             FleetHost("app-b", "split", "10.6.0.2", facts(), {"data_classification": "open"}),
             FleetHost("app-c", "split", "10.6.0.3", facts(), {"data_classification": "open"})]
    root = write_bundle(tmp_path_factory.mktemp("energy") / "b", hosts, [
        _site("presisi", power_kw=10, tariff="P-2"), _site("split", power_kw=1)])
    write_answers(root, "presisi", {"FAC-COOLING-REDUNDANT": "n_plus_1"})
    write_answers(root, "split", {"FAC-COOLING-REDUNDANT": "comfort"})
    return check_cli(root)


def _line(cost: dict[str, Any], when: str, item: str) -> dict[str, Any]:
    return next(x for x in cost[when]["lines"] if x["item"] == item)


def test_tariff_and_pue_follow_the_connection_and_the_cooling(energy: dict[str, Any]) -> None:
    precision = _site_costs(energy, "presisi")
    assert precision["energy"]["pue"] == 1.8 and precision["energy"]["tariff_class"] == "P-2"
    power = _line(precision, "current", "power")
    # 10 kW × 8760 h × PUE 1.8 × Rp 1,522.88 = 240,127,718 (rounded)
    assert power["idr"] == round(10 * 8760 * 1.8 * 1522.88) == 240_127_718
    assert "PUE 1.8 (precision cooling, FAC-COOLING-REDUNDANT = n_plus_1)" in power["basis"]["en"]
    assert "Rp 1,522.88/kWh (PLN 2025 class P-2)" in power["basis"]["en"]
    assert "Rp 1.522,88/kWh (PLN 2025 golongan P-2)" in power["basis"]["id"]
    split = _site_costs(energy, "split")
    assert split["energy"]["pue"] == 2.0 and split["energy"]["tariff_class"] == "P-1"
    power = _line(split, "current", "power")
    # 1 kW × 8760 h × PUE 2.0 × Rp 1,699.53 = 29,775,766 (rounded)
    assert power["idr"] == 29_775_766
    assert "PUE 2 (split/comfort AC, FAC-COOLING-REDUNDANT = comfort)" in power["basis"]["en"]
    assert "PLN 2025 class P-1, the default" in power["basis"]["en"]
    assumptions = energy["recommendation"]["costs"]["assumptions"]
    assert assumptions["tariff_p1_idr_per_kwh"]["value"] == 1699.53
    assert "P-1/TR" in assumptions["tariff_p1_idr_per_kwh"]["source"]["id"]
    assert assumptions["tariff_p2_idr_per_kwh"]["value"] == 1522.88
    assert "P-2/TM" in assumptions["tariff_p2_idr_per_kwh"]["source"]["en"]


def test_after_moving_the_link_and_the_equipment_that_stays_cost_money(
        energy: dict[str, Any]) -> None:
    split = _site_costs(energy, "split")
    assert split["hosts_staying"] == 0 and split["hosts_off_site"] == 2
    link = _line(split, "after", "pdn_link")
    # max(20 Mbps, 2 hosts × 5 Mbps) = 20 Mbps × Rp 3,600,000 = 72,000,000
    assert link["idr"] == 72_000_000
    assert link["basis"]["en"].startswith("max(20 Mbps, 2 host × 5 Mbps) = 20 Mbps")
    power = _line(split, "after", "power")
    # Every host left: the network and CCTV that stay, 0.5 kW × 8760 × 2.0 × 1,699.53.
    assert power["idr"] == round(0.5 * 8760 * 2.0 * 1699.53) > 0
    assert "equipment that stays" in power["basis"]["en"]
    assert _line(split, "after", "hardware_depreciation")["idr"] == 15_000_000
    # A room smaller than the equipment that stays costs no more after than now.
    precision = _site_costs(energy, "presisi")
    assert 0 < _line(precision, "after", "power")["idr"] <= _line(precision, "current",
                                                                   "power")["idr"]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """An office-mail host, an e-mail server, and a host with one replaceable app of two."""
    root = write_bundle(tmp_path_factory.mktemp("office") / "b", [
        FleetHost("surat-01", "dinas", "10.7.0.1", facts(),
                  {"role": "office-mail", "data_classification": "limited"}),
        FleetHost("eoffice-02", "dinas", "10.7.0.2", facts(),
                  {"applications": ["e-office-setda"], "data_classification": "limited"}),
        FleetHost("mail-01", "dinas", "10.7.0.3", facts(),
                  {"role": "mail", "data_classification": "limited"}),
        FleetHost("campur-01", "dinas", "10.7.0.4", facts(),
                  {"applications": ["persuratan", "gis"], "data_classification": "limited"}),
    ], [_site("dinas", power_kw=2)])
    return root, check_cli(root)


def test_an_office_mail_host_is_replaced_by_srikandi(
        office: tuple[Path, dict[str, Any]]) -> None:
    _, results = office
    plans = _plans(results)
    for host in ("surat-01", "eoffice-02"):
        plan = plans[host]
        assert (plan["strategy"], plan["rule"]) == ("repurchase", "general_application")
        assert plan["target"]["offering"] == "srikandi" and plan["target"]["kind"] == \
            "aplikasi_umum"
        assert plan["sizing"] is None and plan["target"]["flavour"] is None
        assert "SRIKANDI" in plan["reason"]["en"] and "Aplikasi Umum" in plan["reason"]["id"]
    # An e-mail server is not official correspondence; a host with another app still moves.
    assert plans["mail-01"]["strategy"] == "rehost"
    assert plans["campur-01"]["strategy"] == "rehost"
    rec = results["recommendation"]
    in_waves = {h for wave in rec["waves"] for h in wave}
    assert in_waves == {"mail-01", "campur-01"}
    assert rec["summary"]["by_strategy"]["repurchase"] == 2
    cost = _site_costs(results, "dinas")
    one_off = {line["strategy"]: line for line in cost["one_off"]["lines"]}
    # 2 hosts × 24 h × Rp 250,000 = 12,000,000
    assert one_off["repurchase"]["idr"] == 12_000_000
    assert cost["hosts_staying"] == 0 and cost["hosts_off_site"] == 4
    assert _line(cost, "after", "central_offerings")["idr"] == 0     # general apps are free
    assert _line(cost, "after", "pdn_link")["idr"] == 72_000_000    # max(20, 4 × 5) Mbps
    assert validate_data(results, "results", "results.json") == []


def test_reports_show_repurchase_and_the_formulas_in_both_languages(
        office: tuple[Path, dict[str, Any]]) -> None:
    _, results = office
    indonesian = render_markdown(results, "id").decode()
    english = render_markdown(results, "en").decode()
    assert "ganti dengan Aplikasi Umum SPBE" in indonesian
    assert "replace with an SPBE general application (repurchase)" in english
    assert "Jalur ke PDN" in indonesian and "Link to the PDN" in english
    assert "Rp 1.699,53/kWh (PLN 2025 golongan P-1, bawaan)" in indonesian
    assert "Rp 1,699.53/kWh (PLN 2025 class P-1, the default)" in english


def test_a_room_that_passes_needs_no_hardening_and_says_so() -> None:
    from auditor.recommend.common import Strategy
    from auditor.recommend.ownroom import harden
    from auditor.recommend.sizing import usage_of
    from auditor.recommend.values import HostPlan

    plan = HostPlan(id="h", site="baik", criticality="medium", strategy=Strategy.RETAIN,
                    rule="classification", reason={"id": "Tetap.", "en": "Stays."},
                    target={"offering": "own-room", "kind": "own_room"}, sizing=None,
                    blockers=(), usage=usage_of({}))
    site = {"id": "baik", "findings": [
        {"control": "FAC-ROOM-DEDICATED", "domain": "facility", "status": "pass",
         "severity": "high"},
        {"control": "DATA-BACKUP", "domain": "data", "status": "fail", "severity": "critical"}]}
    kept = harden(plan, site)
    assert kept.blockers == () and kept.target is not None and kept.target["remediation"] == []
    assert "passes every facility control" in kept.reason["en"]
    failing = dict(site, findings=[dict(site["findings"][0], status="fail")])
    hardened = harden(plan, failing).target
    assert hardened is not None and hardened["remediation"] == ["FAC-ROOM-DEDICATED"]
