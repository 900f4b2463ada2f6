"""Cost arithmetic checked by hand, inventory overrides, and waves bounded in size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recommend_bundle import FleetHost, check, facts, outbound, plans_by_id, write_bundle

HAND_SITE: dict[str, Any] = {
    "id": "balai", "name": "Ruang Server Balai", "kind": "server_room",
    "costs": {"power_kw": 2, "pue": 2.0, "hardware_value_idr": 400_000_000,
              "maintenance_idr": 50_000_000, "staff_fte": 1.5,
              "staff_cost_idr_per_fte": 100_000_000, "licences_idr": 20_000_000,
              "space_idr": 10_000_000}}


def hand_fleet() -> list[FleetHost]:
    """Two hosts to rehost (100 GB used each), one idle, one backup server that stays."""
    used = 102_400   # MiB = 100 GB
    return [
        FleetHost("a", "balai", "10.1.0.1", facts(disk_used_mb=used),
                  {"data_classification": "open"}),
        FleetHost("b", "balai", "10.1.0.2", facts(disk_used_mb=used),
                  {"data_classification": "limited"}),
        FleetHost("idle", "balai", "10.1.0.3", facts(load=0.08, mem_used_pct=3.0),
                  {"data_classification": "open"}),
        FleetHost("backup", "balai", "10.1.0.4", facts(), {"role": "backup",
                                                           "data_classification": "limited"}),
    ]


def test_cost_arithmetic_by_hand(tmp_path: Path) -> None:
    outcome = check(write_bundle(tmp_path / "b", hand_fleet(), [HAND_SITE]))
    plans = plans_by_id(outcome)
    assert [plans[h]["strategy"] for h in ("a", "b", "idle", "backup")] == [
        "rehost", "rehost", "retire", "retain"]
    costs = outcome.results["recommendation"]["costs"]
    site = costs["sites"][0]
    now = {line["item"]: line["idr"] for line in site["current"]["lines"]}
    # Current, per year:
    #   power        2 kW × 8760 h × PUE 2.0 (given) × Rp 1,699.53 (PLN P-1, the default)
    #                                                                 =  59,551,531
    #   hardware     Rp 400,000,000 / 4 years                        = 100,000,000
    #   staff        1.5 FTE × Rp 100,000,000 (override)             = 150,000,000
    #   maintenance  50,000,000; licences 20,000,000; space 10,000,000; other 0
    #   total                                                         = 389,551,531
    assert now == {"power": 59_551_531, "hardware_depreciation": 100_000_000,
                   "staff": 150_000_000, "maintenance": 50_000_000, "licences": 20_000_000,
                   "space": 10_000_000, "other": 0}
    assert site["current"]["annual_idr"] == 389_551_531
    # After: 1 of 4 hosts stays (the backup server) → share 0.25; what the leaving hosts
    # leave behind (0.75) is the equipment and the small room that stay:
    #   power    0.25 × 59,551,531 + 0.75 × (0.5 kW × 8760 × 2.0 × 1,699.53 = 14,887,882.8)
    #            = 26,053,795
    #   hardware 0.25 × 100,000,000 + 0.75 × (60,000,000 / 4)          = 36,250,000
    #   maintenance 0.25 × 50,000,000 + 0.75 × 0.25 × 50,000,000       = 21,875,000
    #   space    0.25 × 10,000,000 + 0.75 × 0.25 × 10,000,000          =  4,375,000
    #   staff 150,000,000 × (0.3 + 0.7 × 0.25) = 150,000,000 × 0.475   = 71,250,000
    #   licences kept 20,000,000
    #   link to the PDN: max(20 Mbps, 2 hosts moving × 5 Mbps) × Rp 3,600,000 = 72,000,000
    #   own off-site backup: 200 GB moved ≈ 0.195 TB, at least 1 TB × Rp 6,000,000 = 6,000,000
    #   central offerings: free PDN VMs = 0
    #   total = 257,803,795
    after = {line["item"]: line["idr"] for line in site["after"]["lines"]}
    assert after == {"power": 26_053_795, "hardware_depreciation": 36_250_000,
                     "staff": 71_250_000, "maintenance": 21_875_000, "licences": 20_000_000,
                     "space": 4_375_000, "other": 0, "pdn_link": 72_000_000,
                     "own_offsite_backup": 6_000_000, "central_offerings": 0}
    assert site["after"]["annual_idr"] == 257_803_795
    # One-off: 2 rehost × 16 h + 1 retire × 4 h + retain 0 h = 36 h × Rp 250,000 = 9,000,000
    assert site["one_off"]["idr"] == 9_000_000
    # Five years: now 5 × 389,551,531 = 1,947,757,655;
    # after 5 × 257,803,795 + 9,000,000 = 1,298,018,975; savings 649,738,680.
    assert costs["five_year"] == {"years": 5, "current_idr": 1_947_757_655,
                                  "after_idr": 1_298_018_975, "one_off_idr": 9_000_000,
                                  "savings_idr": 649_738_680}
    assert costs["annual_savings_idr"] == 389_551_531 - 257_803_795
    assert site["energy"]["pue"] == 2.0 and site["energy"]["pue_basis"] == "given"
    assert site["energy"]["tariff_class"] == "P-1"
    assert site["inputs"]["pue"] == 2.0
    assert site["assumptions"]["tariff_p1_idr_per_kwh"]["overridden"] is False
    assert site["assumptions"]["tariff_p1_idr_per_kwh"]["unit"] == {"id": "Rp/kWh",
                                                                    "en": "IDR/kWh"}


def test_missing_cost_inputs_are_marked_as_estimates(tmp_path: Path) -> None:
    site = {"id": "balai", "name": "Balai", "kind": "server_room"}
    outcome = check(write_bundle(tmp_path / "b", hand_fleet(), [site]))
    lines = {line["item"]: line for line in
             outcome.results["recommendation"]["costs"]["sites"][0]["current"]["lines"]}
    # 4 hosts × 4 cores × 0.009 kW × 2.0 = 0.288 kW × 8760 × PUE 2.0 (cooling not answered:
    # split AC) × Rp 1,699.53 (P-1) = 8,575,420
    assert lines["power"]["idr"] == 8_575_420 and lines["power"]["estimate"] is True
    # 4 hosts × Rp 60,000,000 / 4 years
    assert lines["hardware_depreciation"]["idr"] == 60_000_000
    # 4 hosts / 20 per FTE = 0.2 FTE × Rp 120,000,000
    assert lines["staff"]["idr"] == 24_000_000 and lines["staff"]["given"] is False
    assert outcome.results["recommendation"]["costs"]["estimate"] is True


def test_overrides_change_the_plan(tmp_path: Path) -> None:
    site = dict(HAND_SITE)
    site["costs"] = {"idle_cpu_pct": 0.1, "migration_rate_idr_per_hour": 100_000,
                     "migration_hours_rehost": 10, "comfort_factor": 1.0, "horizon_years": 3}
    outcome = check(write_bundle(tmp_path / "b", hand_fleet(), [site]))
    plans = plans_by_id(outcome)
    # 0.08 / 4 CPUs = 2% CPU is no longer below the lowered 0.1% threshold.
    assert plans["idle"]["strategy"] == "rehost"
    # comfort 1.0: load 1.0 → 1 vCPU; 3.2 GB used → 4 GB: the medium flavour no longer needed.
    assert plans["a"]["sizing"]["required"]["vcpu"] == 1
    assert plans["a"]["target"]["flavour"] == "pdn.medium"
    costs = outcome.results["recommendation"]["costs"]
    # 3 rehost × 10 h × Rp 100,000 = 3,000,000 (retain 0 h)
    assert costs["sites"][0]["one_off"]["idr"] == 3_000_000
    assert costs["five_year"]["years"] == 3


def chain(n: int) -> list[FleetHost]:
    """h0 → h1 → … → h(n-1), each talking to the next one's port 8080."""
    hosts = []
    for i in range(n):
        conns = [outbound(f"10.2.0.{i + 2}", 8080)] if i < n - 1 else []
        hosts.append(FleetHost(f"h{i}", "balai", f"10.2.0.{i + 1}",
                               facts(connections=conns, listening=[8080]),
                               {"data_classification": "open", "criticality": "low"}))
    return hosts


def test_a_group_larger_than_the_wave_bound_is_split_and_says_so(tmp_path: Path) -> None:
    site = {"id": "balai", "name": "Balai", "kind": "server_room",
            "costs": {"max_wave_size": 2}}
    outcome = check(write_bundle(tmp_path / "b", chain(5), [site]))
    rec = outcome.results["recommendation"]
    assert rec["max_wave_size"] == 2
    assert rec["waves"] == [["h0", "h1"], ["h2", "h3"], ["h4"]]
    crossing = {(e["from"], e["to"]) for e in rec["cross_wave_links"]}
    assert crossing == {("h1", "h2"), ("h3", "h4")}
    first, second = (" ".join(r["en"] for r in d["reasons"]) for d in rec["wave_details"][:2])
    assert "h1→h2:8080" in first and "h3→h4" not in first
    assert "h1→h2:8080" in second and "h3→h4:8080" in second
    assert "larger than the limit of 2 hosts" in second


def test_links_to_hosts_that_stay_are_reported(tmp_path: Path) -> None:
    hosts = hand_fleet()
    hosts[0].facts = facts(disk_used_mb=1024, connections=[outbound("10.1.0.4", 873)],
                           listening=[22])
    outcome = check(write_bundle(tmp_path / "b", hosts, [HAND_SITE]))
    rec = outcome.results["recommendation"]
    staying = rec["links_to_hosts_staying"]
    assert [(e["from"], e["to"], e["port"], e["stays_strategy"]) for e in staying] == [
        ("a", "backup", 873, "retain")]
    wave = next(d for d in rec["wave_details"] if "a" in d["hosts"])
    assert any("a→backup:873" in r["en"] for r in wave["reasons"])


def test_applications_and_services_link_hosts(tmp_path: Path) -> None:
    hosts = [FleetHost("portal-web", "balai", "10.3.0.1", facts(),
                       {"applications": ["portal"], "data_classification": "open"}),
             FleetHost("portal-api", "balai", "10.3.0.2", facts(),
                       {"applications": ["portal", "sso"], "data_classification": "open"}),
             FleetHost("sso", "balai", "10.3.0.3", facts(), {"data_classification": "open"})]
    services = [{"id": "sso", "url": "https://sso.example.invalid:8443/", "host": "sso"}]
    outcome = check(write_bundle(tmp_path / "b", hosts, [HAND_SITE], services))
    rec = outcome.results["recommendation"]
    edges = {(e["from"], e["to"], e["port"], e["source"]) for e in rec["dependencies"]}
    assert edges == {("portal-api", "portal-web", None, "application:portal"),
                     ("portal-api", "sso", 8443, "service:sso")}
    assert [sorted(w) for w in rec["waves"]] == [["portal-api", "portal-web", "sso"]]


def test_an_idle_host_others_connect_to_is_not_retired(tmp_path: Path) -> None:
    hosts = hand_fleet()
    hosts[0].facts = facts(connections=[outbound("10.1.0.3", 5432)], listening=[22])
    outcome = check(write_bundle(tmp_path / "b", hosts, [HAND_SITE]))
    idle = plans_by_id(outcome)["idle"]
    assert idle["utilisation"]["idle"] is True
    assert idle["utilisation"]["idle_but_used_by"] == ["a"]
    assert idle["strategy"] == "rehost"
    assert any({"a", "idle"} <= set(w) for w in outcome.results["recommendation"]["waves"])
