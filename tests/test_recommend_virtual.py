"""The plan for what a hypervisor reported: p95 sizing, powered-off VMs and hypervisor hosts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.bundle.schemas import validate_data
from recommend_bundle import FleetHost, check, facts, write_bundle

SITE = "ruang-server"


def _vm(*, cpu_p95: float, cpu_avg: float, mem_p95: float, mem_avg: float, power: str = "on",
        off_days: float = 0, samples: int = 288) -> dict[str, Any]:
    """Facts shaped as the vSphere/Proxmox collection writes them for one VM."""
    out = facts(cpu=8, load=None, mem_total_mb=16384, mem_used_pct=None)
    out["cpu"] |= {"usage_pct_p95": cpu_p95, "usage_pct_avg": cpu_avg}
    out["memory"] |= {"used_mb": int(16384 * mem_p95 / 100), "used_pct": mem_p95,
                      "used_pct_p95": mem_p95, "used_pct_avg": mem_avg}
    out["virtual"] = {"kind": "vm", "platform": "vsphere"}
    out["vm"] = {"power_state": power, "powered_on": power == "on", "powered_off_days": off_days,
                 "utilisation": {"samples": samples, "period_s": 300, "cpu_p95_pct": cpu_p95,
                                 "cpu_avg_pct": cpu_avg, "memory_p95_pct": mem_p95,
                                 "memory_avg_pct": mem_avg}}
    return out


def bundle(root: Path, hosts: list[FleetHost]) -> Path:
    return write_bundle(root, hosts, [{"id": SITE, "name": "Ruang Server",
                                       "kind": "server_room"}])


def _plans(tmp_path: Path, hosts: list[FleetHost]) -> dict[str, dict[str, Any]]:
    outcome = check(bundle(tmp_path, hosts))
    return {p["id"]: p for p in outcome.results["recommendation"]["hosts"]}


def test_a_vm_is_sized_on_the_hypervisors_95th_percentile(tmp_path: Path) -> None:
    plans = _plans(tmp_path, [FleetHost("app-vm", SITE, "10.0.0.5", _vm(
        cpu_p95=50, cpu_avg=20, mem_p95=50, mem_avg=30))])
    plan = plans["app-vm"]
    # 8 vCPU × 50% busy at p95 = 4 CPUs × comfort 2.0 = 8 vCPU; 8 GB used × 2.0 = 16 GB
    assert plan["strategy"] == "rehost"
    assert plan["sizing"]["required"]["vcpu"] == 8
    assert plan["sizing"]["required"]["memory_gb"] == 16
    assert "95th percentile over 288 samples" in plan["sizing"]["basis"]["en"]
    assert "persentil ke-95 atas 288 sampel" in plan["sizing"]["basis"]["id"]


def test_an_idle_vm_is_judged_on_averages_not_its_peaks(tmp_path: Path) -> None:
    plans = _plans(tmp_path, [FleetHost("quiet-vm", SITE, "10.0.0.6", _vm(
        cpu_p95=12, cpu_avg=2, mem_p95=8, mem_avg=3))])
    plan = plans["quiet-vm"]
    assert plan["strategy"] == "retire" and plan["rule"] == "idle"
    assert plan["utilisation"]["cpu_pct"] == 2 and plan["utilisation"]["memory_pct"] == 3
    assert "288 samples from the hypervisor" in plan["utilisation"]["basis"]


def test_a_vm_powered_off_for_months_is_a_retire_candidate_with_the_evidence(
        tmp_path: Path) -> None:
    plans = _plans(tmp_path, [
        FleetHost("old-vm", SITE, "10.0.0.7", _vm(cpu_p95=0, cpu_avg=0, mem_p95=0, mem_avg=0,
                                                   power="off", off_days=120)),
        FleetHost("paused-vm", SITE, "10.0.0.8", _vm(cpu_p95=40, cpu_avg=30, mem_p95=60,
                                                      mem_avg=50, power="off", off_days=3))])
    old = plans["old-vm"]
    assert old["strategy"] == "retire" and old["rule"] == "powered_off"
    assert "powered off for 120 days (threshold 30 days)" in old["reason"]["en"]
    assert old["utilisation"]["powered_off_days"] == 120
    assert plans["paused-vm"]["strategy"] == "rehost"   # off for 3 days: not yet a candidate


def test_a_hypervisor_host_leaves_the_waves_its_vms_move(tmp_path: Path) -> None:
    host = facts(cpu=32, load=8.0, mem_total_mb=262144, mem_used_pct=60)
    host["virtual"] = {"kind": "hypervisor", "platform": "vsphere"}
    outcome = check(bundle(tmp_path, [
        FleetHost("esxi-01", SITE, "10.0.0.2", host),
        FleetHost("app-vm", SITE, "10.0.0.5", _vm(cpu_p95=50, cpu_avg=20, mem_p95=50,
                                                   mem_avg=30))]))
    rec = outcome.results["recommendation"]
    plans = {p["id"]: p for p in rec["hosts"]}
    assert plans["esxi-01"]["strategy"] == "retire"
    assert plans["esxi-01"]["rule"] == "hypervisor_host"
    assert "once its last VM has moved" in plans["esxi-01"]["reason"]["en"]
    waved = {host_id for wave in rec["waves"] for host_id in wave}
    assert "app-vm" in waved and "esxi-01" not in waved


def test_a_hypervisor_host_stays_while_a_vm_it_runs_stays(tmp_path: Path) -> None:
    host = facts(cpu=32, load=8.0, mem_total_mb=262144, mem_used_pct=60)
    host["virtual"] = {"kind": "hypervisor", "platform": "vsphere"}
    host["hypervisor"] = {"name": "esxi-01.pemda.local"}
    moving = _vm(cpu_p95=50, cpu_avg=20, mem_p95=50, mem_avg=30)
    staying = _vm(cpu_p95=50, cpu_avg=20, mem_p95=50, mem_avg=30)
    for vm in (moving, staying):
        vm["vm"]["hypervisor"] = "esxi-01.pemda.local"
    outcome = check(bundle(tmp_path, [
        FleetHost("esxi-01", SITE, "10.0.0.2", host),
        FleetHost("app-vm", SITE, "10.0.0.5", moving),
        FleetHost("backup-vm", SITE, "10.0.0.6", staying, extra={"role": "backup"})]))
    plans = {p["id"]: p for p in outcome.results["recommendation"]["hosts"]}
    assert plans["backup-vm"]["strategy"] == "retain"
    esxi = plans["esxi-01"]
    assert esxi["strategy"] == "retain" and esxi["rule"] == "hypervisor_with_staying_vms"
    assert "backup-vm" in esxi["reason"]["en"] and "app-vm" not in esxi["reason"]["en"]
    assert [b["code"] for b in esxi["blockers"]][-1] == "vms_stay"
    assert validate_data(outcome.results, "results", "results.json") == []
