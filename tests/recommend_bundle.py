"""Build audit bundles by hand (inventory, facts files, answers) for the recommendation tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from auditor.check import CheckOutcome, run_check
from auditor.spec.load import load_spec

TODAY = date(2026, 3, 1)


def facts(*, cpu: int = 4, load: float | None = 1.0, mem_total_mb: int = 8192,
          mem_used_pct: float | None = 40.0, disk_used_mb: int | None = 20480,
          os: tuple[str, str] = ("ubuntu", "24.04"), supported: bool | None = True,
          connections: list[dict[str, Any]] | None = None, listening: list[int] | None = None,
          web: list[str] | None = None, database: list[str] | None = None) -> dict[str, Any]:
    """The facts of one scanned host, shaped like the collectors write them."""
    out: dict[str, Any] = {
        "os": {"id": os[0], "version_id": os[1], "id_like": [],
               "pretty_name": f"{os[0]} {os[1]}"},
        "cpu": {"count": cpu, "model": "test"},
        "memory": {"total_mb": mem_total_mb},
        "disks": {"filesystems": [], "total_mb": 512000},
        "listening": {"tcp_ports": listening or [22]},
        "servers": {"web": web or [], "database": database or []},
    }
    if load is not None:
        out["uptime"] = {"load_1": load, "load_5": load, "load_15": load}
    if mem_used_pct is not None:
        used = int(mem_total_mb * mem_used_pct / 100)
        out["memory"] |= {"used_mb": used, "used_pct": mem_used_pct,
                          "available_mb": mem_total_mb - used}
    if disk_used_mb is not None:
        out["disks"]["used_mb"] = disk_used_mb
    if supported is not None:
        out["lifecycle"] = {"supported": supported, "security_updates": supported}
    if connections is not None:
        out["connections"] = {"count": len(connections), "connections": connections}
    return out


def outbound(remote: str, port: int, local_port: int = 40000,
             direction: str | None = "outbound") -> dict[str, Any]:
    """One established connection from this host to ``remote:port``."""
    conn: dict[str, Any] = {"local_address": "0.0.0.0", "local_port": local_port,
                            "remote_address": remote, "remote_port": port, "process": "app"}
    if direction:
        conn["direction"] = direction
    return conn


@dataclass
class FleetHost:
    """One host of a hand-built bundle: its inventory entry and its facts (None: unreachable)."""

    id: str
    site: str
    address: str
    facts: dict[str, Any] | None
    extra: dict[str, Any] = field(default_factory=dict)


def write_bundle(root: Path, hosts: list[FleetHost], sites: list[dict[str, Any]],
                 services: list[dict[str, Any]] | None = None) -> Path:
    """Write inventory.yaml and facts/*.json as a scan would leave them."""
    root.mkdir(parents=True, exist_ok=True)
    inventory = {
        "version": 1,
        "organisation": {"code": "32.99", "name": "Pemerintah Kota Uji", "level": "kota"},
        "sites": sites,
        "hosts": [{"id": h.id, "site": h.site, "address": h.address, **h.extra} for h in hosts],
    }
    if services:
        inventory["services"] = services
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (root / "facts").mkdir(exist_ok=True)
    for h in hosts:
        doc = {"format": "auditor.facts/1", "host": h.id, "site": h.site, "transport": "ssh",
               "status": "ok" if h.facts is not None else "unreachable",
               "reason": None if h.facts is not None else "connection refused",
               "started_at": "2026-03-01T00:00:00Z", "probe": {}, "facts": h.facts or {},
               "unknown": {}}
        (root / "facts" / f"{h.id}.json").write_text(json.dumps(doc))
    return root


def check(root: Path) -> CheckOutcome:
    """Run the real check stage on the bundle (writes results.json)."""
    return run_check(root, load_spec(), TODAY)


def plans_by_id(outcome: CheckOutcome) -> dict[str, dict[str, Any]]:
    """The recommendation's host plans by host id."""
    return {p["id"]: p for p in outcome.results["recommendation"]["hosts"]}


def write_answers(root: Path, site: str, answers: dict[str, Any]) -> None:
    """Write the site's questionnaire answers into the bundle as ``assess`` leaves them."""
    (root / "facility").mkdir(exist_ok=True)
    doc = {"version": 1, "site": site, "answered_at": "2026-02-20",
           "answers": {control: {"value": value} for control, value in answers.items()}}
    (root / "facility" / f"{site}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def check_cli(root: Path) -> dict[str, Any]:
    """Run ``auditor check`` on the bundle and return its results.json."""
    from conftest import run_cli

    result = run_cli("check", str(root), "-q")
    assert result.returncode in (0, 1), result.stderr
    data: dict[str, Any] = json.loads((root / "results.json").read_text())
    return data
