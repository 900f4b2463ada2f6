"""Synthetic results.json documents of any size, for the report benchmark and fixtures."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

HOST_CONTROLS = [
    ("HOST-OS-SUPPORTED", "critical", "host"), ("HOST-SSH-ROOT-LOGIN", "high", "host"),
    ("HOST-SSH-PASSWORD-AUTH", "high", "host"), ("HOST-SSH-MAX-AUTH-TRIES", "medium", "host"),
    ("HOST-NTP-SYNC", "medium", "host"), ("HOST-FIREWALL", "high", "network"),
    ("HOST-DISK-FREE", "low", "host"), ("HOST-UPDATES", "high", "host"),
]
SITE_CONTROLS = [
    ("FAC-ROOM-DEDICATED", "high", "facility"), ("FAC-UPS-RUNTIME", "high", "facility"),
    ("FAC-FIRE-SUPPRESSION", "critical", "facility"), ("DATA-BACKUP-OFFSITE", "critical", "data"),
    ("OPS-TRAINED-ADMINS", "medium", "operations"),
]
SERVICE_CONTROLS = [("WEB-TLS-VERSION", "high", "web"), ("WEB-HSTS", "medium", "web")]
STATUSES = ["pass"] * 6 + ["fail"] * 3 + ["unknown", "waived", "not_applicable", "error"]


def _control(cid: str, severity: str, domain: str) -> dict[str, Any]:
    words = cid.lower().replace("-", " ")
    return {"id": cid, "domain": domain, "applies_to": "host", "severity": severity,
            "title": {"id": f"Kendali {words}", "en": f"Control {words}"},
            "remediation": {"id": f"Perbaiki {words}.", "en": f"Fix {words}."},
            "references": [], "enabled": True}


def _findings(rng: random.Random, controls: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [{"control": cid, "status": rng.choice(STATUSES), "severity": sev, "domain": dom,
             "evidence": f"{cid.lower()}: observed value {rng.randint(0, 999)}"}
            for cid, sev, dom in controls]


def make_results(n_hosts: int, n_sites: int | None = None, seed: int = 7) -> dict[str, Any]:
    """A results document with ``n_hosts`` hosts over a proportional number of sites."""
    rng = random.Random(seed)
    n_sites = n_sites or max(1, n_hosts // 50)
    sites, hosts, services, plans, deps = [], [], [], [], []
    for s in range(n_sites):
        sid = f"site-{s:03d}"
        sites.append({"id": sid, "name": f"Ruang Server {s:03d}", "kind": "server_room",
                      "score": round(rng.uniform(20, 95), 1),
                      "verdict": rng.choice(["compliant", "remediate", "migrate"]),
                      "verdict_reason": {"id": "Alasan sintetis.", "en": "Synthetic reason."},
                      "answered": s % 4 != 3, "findings": _findings(rng, SITE_CONTROLS)})
    for h in range(n_hosts):
        hid, sid = f"host-{h:05d}", f"site-{h % n_sites:03d}"
        ok = h % 23 != 5
        findings = _findings(rng, HOST_CONTROLS) if ok else [
            {"control": c, "status": "unknown", "severity": sev, "domain": dom,
             "evidence": "host not scanned"} for c, sev, dom in HOST_CONTROLS]
        hosts.append({"id": hid, "site": sid, "status": "ok" if ok else "unreachable",
                      "reason": None if ok else "connection refused (127.0.0.1:22)",
                      "score": round(rng.uniform(30, 100), 1) if ok else None,
                      "findings": findings})
        strategy = rng.choice(["rehost", "replatform", "retain"]) if ok else None
        plans.append({"id": hid, "site": sid, "strategy": strategy,
                      "reason": {"id": f"Strategi {strategy}.", "en": f"Strategy {strategy}."},
                      "target": {"offering": "pdn-iaas-vm", "kind": "vm",
                                 "offering_name": {"id": "Mesin virtual PDN",
                                                   "en": "PDN virtual machine"},
                                 "flavour": "pdn.medium", "vcpu": rng.choice([2, 4, 8]),
                                 "memory_gb": rng.choice([4, 8]),
                                 "disk_gb": rng.choice([40, 80]),
                                 "sizing": "partly performance-based", "price_idr_per_year": 0}
                      if ok else None,
                      "sizing": {"method": "partly performance-based",
                                 "basis": {"id": "dari satu probe", "en": "from one probe"},
                                 "confidence": rng.randint(1, 5)} if ok else None,
                      "blockers": [] if ok else [{"code": "not_scanned", "text": {
                          "id": "Host belum dipindai.", "en": "Host not scanned."}}]})
        if h % 3 == 1:
            deps.append({"from": hid, "to": f"host-{h - 1:05d}", "port": 5432,
                         "source": "listening+established"})
    for v in range(max(1, n_hosts // 10)):
        services.append({"id": f"svc-{v:04d}", "url": f"https://127.0.0.1:{8443 + v}/",
                         "host": f"host-{v:05d}", "site": f"site-{v % n_sites:03d}",
                         "status": "ok", "score": 80.0,
                         "findings": _findings(rng, SERVICE_CONTROLS)})
    moving = [p["id"] for p in plans if p["strategy"] in ("rehost", "replatform")]
    waves = [moving[i:i + max(1, len(moving) // 3 + 1)]
             for i in range(0, len(moving), max(1, len(moving) // 3 + 1))]
    current = 150_000_000 * n_sites

    def five(now: int, later: int, once: int) -> dict[str, int]:
        return {"years": 5, "current_idr": now * 5, "after_idr": later * 5 + once,
                "one_off_idr": once, "savings_idr": (now - later) * 5 - once}

    site_costs = [{
        "site": s["id"],
        "current": {"annual_idr": 150_000_000, "lines": [
            {"item": "power", "idr": 90_000_000, "basis": "6 kW × 8760 h × PUE 1.8",
             "given": True, "estimate": True},
            {"item": "staff", "idr": 60_000_000, "basis": "0.5 FTE", "given": True,
             "estimate": True}]},
        "after": {"annual_idr": 40_000_000, "lines": [
            {"item": "staff", "idr": 34_000_000, "basis": "0.5 FTE × 0.3 + rest",
             "given": True, "estimate": True},
            {"item": "own_offsite_backup", "idr": 6_000_000, "basis": "1 TB × Rp 6 M",
             "given": False, "estimate": True}]},
        "one_off": {"idr": 25_000_000, "lines": []},
        "five_year": five(150_000_000, 40_000_000, 25_000_000)} for s in sites]
    return {
        "format": "auditor.results/1",
        "spec": {"id": "national", "version": "2026.1", "effective_date": "2026-01-01",
                 "title": {"id": "Spesifikasi Nasional", "en": "National Specification"},
                 "overlay": None},
        "generated_at": "2026-11-01T08:00:00Z", "evaluated_on": "2026-11-01",
        "auditor_version": "0.1.0",
        "organisation": {"code": "32.99", "name": "Pemerintah Kota Sintetis", "level": "kota"},
        "summary": {"score": 61.5, "verdict": "migrate", "hosts": n_hosts,
                    "hosts_scanned": sum(h["status"] == "ok" for h in hosts)},
        "hosts": hosts, "sites": sites, "services": services,
        "controls": [_control(*c) for c in HOST_CONTROLS + SITE_CONTROLS + SERVICE_CONTROLS],
        "recommendation": {
            "verdict": "migrate", "urgency": "critical", "closure_risk": True,
            "backup_dr_gap": True, "keep_own_backups": True,
            "keep_own_backups_reason": {"id": "Simpan cadangan sendiri.",
                                        "en": "Keep your own backups."},
            "note": {"id": "Rencana dari satu pemindaian.", "en": "A plan from one scan."},
            "catalogue": {"id": "katalog-layanan-pdn", "version": "2026.1"},
            "sites": [{"site": s["id"], "verdict": s["verdict"],
                       "urgency": ["critical", "high", "medium", "low"][i % 4],
                       "closure_risk": i % 2 == 0,
                       "reasons": [{"id": f"Alasan urgensi {i}.", "en": f"Urgency reason {i}."}],
                       "keep_own_backups": True} for i, s in enumerate(sites)],
            "waves": waves,
            "wave_details": [{"number": i + 1, "hosts": w, "criticality": "high",
                              "reasons": [{"id": f"Gelombang {i + 1}.", "en": f"Wave {i + 1}."}],
                              "links_to_other_waves": []} for i, w in enumerate(waves)],
            "hosts": plans, "dependencies": deps,
            "costs": {
                "sites": site_costs, "estimate": True,
                "current_annual_idr": current, "after_migration_annual_idr": 40_000_000 * n_sites,
                "annual_savings_idr": 110_000_000 * n_sites,
                "one_off_migration_idr": 25_000_000 * n_sites,
                "five_year": five(current, 40_000_000 * n_sites, 25_000_000 * n_sites),
                "assumptions": {"pue": {"value": 1.8, "unit": "ratio", "source": "Azure Migrate",
                                        "estimate": True},
                                "tariff_idr_per_kwh": {"value": 1400, "unit": "IDR/kWh",
                                                       "source": "the pemda's bill",
                                                       "estimate": False, "overridden": True}}},
        },
    }


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    json.dump(make_results(size), sys.stdout, indent=1, ensure_ascii=False)
