"""Proxmox VE discovery against a loopback HTTPS server serving the PVE API's recorded shapes
(tests/proxmox_api.py: shapes from the API documentation, not a live Proxmox VE)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import run_cli
from proxmox_api import TOKEN, proxmox_api
from web_servers import LocalCa, server_context

ORG = ("--org-code", "32.73", "--org-name", "Pemerintah Kota Contoh", "--org-level", "kota")
ENV = {"PVE_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCa:
    return LocalCa(tmp_path_factory.mktemp("pve-ca"))


@pytest.fixture(scope="module")
def pve(ca: LocalCa) -> Iterator[str]:
    with proxmox_api(server_context(ca.issue("pve"))) as port:
        yield f"https://127.0.0.1:{port}"


def _import(tmp: Path, url: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    return run_cli("inventory", "import", "--from", "proxmox", url, "-o", str(tmp / "inv.yaml"),
                   "--token-env", "PVE_TOKEN", *ORG, *extra, env=ENV if env is None else env)


@pytest.fixture(scope="module")
def audited(pve: str, ca: LocalCa, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("pve")
    result = _import(tmp, pve, "--ca-file", str(ca.pem))
    assert result.returncode == 0, result.stderr
    result = run_cli("audit", str(tmp / "inv.yaml"), "-o", str(tmp / "bundle"),
                     "--format", "json", env=ENV)
    assert result.returncode in (0, 1), result.stderr
    return tmp


def _facts(tmp: Path, host: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp / "bundle" / "facts" / f"{host}.json").read_text())
    return data


def _findings(tmp: Path, host: str) -> dict[str, str]:
    results = json.loads((tmp / "bundle" / "results.json").read_text())
    entry = next(h for h in results["hosts"] if h["id"] == host)
    return {f["control"]: f["status"] for f in entry["findings"]}


def test_import_lists_the_node_and_the_vms_not_templates(audited: Path) -> None:
    data = yaml.safe_load((audited / "inv.yaml").read_text())
    assert {h["id"]: h["kind"] for h in data["hosts"]} == {
        "pve1": "hypervisor", "simda-db": "vm", "arsip-lama": "vm"}
    assert data["hypervisors"][0] == {"id": "127.0.0.1", "kind": "proxmox",
                                      "url": data["hypervisors"][0]["url"],
                                      "token_env": "PVE_TOKEN",
                                      "ca_file": data["hypervisors"][0]["ca_file"]}
    assert TOKEN.split("=")[1] not in (audited / "inv.yaml").read_text()


def test_vm_facts_from_config_snapshots_and_rrd(audited: Path) -> None:
    facts = _facts(audited, "simda-db")
    assert facts["source"] == "proxmox" and facts["status"] == "ok"
    f = facts["facts"]
    assert f["cpu"]["count"] == 4 and f["memory"]["total_mb"] == 8192
    assert f["disks"]["total_mb"] == 100 * 1024
    assert f["os"]["id"] == "windows-server" and f["os"]["version_id"] == "2012"
    assert f["vm"]["snapshot_count"] == 1 and f["vm"]["oldest_snapshot_days"] >= 199
    assert f["vm"]["networks"] == ["vmbr0"]
    assert 0 < f["cpu"]["usage_pct_avg"] < f["cpu"]["usage_pct_p95"] <= 100
    assert f["vm"]["utilisation"]["samples"] == 1440
    findings = _findings(audited, "simda-db")
    assert findings["VIRT-SNAPSHOT-AGE"] == "fail"
    assert findings["VIRT-GUEST-OS-SUPPORTED"] == "fail"
    assert findings["VIRT-GUEST-TOOLS"] == "pass"


def test_node_facts_and_storage(audited: Path) -> None:
    f = _facts(audited, "pve1")["facts"]
    assert f["os"]["id"] == "proxmox-ve" and f["os"]["version_id"] == "7.4-17"
    assert f["hypervisor"]["cluster"] == "pemda-cluster"
    assert f["hypervisor"]["min_datastore_free_pct"] == 5.0
    findings = _findings(audited, "pve1")
    assert findings["VIRT-DATASTORE-FREE"] == "fail"
    assert findings["VIRT-HYPERVISOR-SUPPORTED"] == "fail"
    assert findings["VIRT-HOST-HARDWARE-AGE"] == "unknown"


def test_a_stopped_vm_without_an_event_log(audited: Path) -> None:
    f = _facts(audited, "arsip-lama")["facts"]
    assert f["vm"]["power_state"] == "off"
    assert "powered_off_days" in f["vm"]["unknown"]
    assert "os" not in f and "no release" in _facts(audited, "arsip-lama")["unknown"]["os"]
    assert _findings(audited, "arsip-lama")["VIRT-POWERED-OFF"] == "unknown"


def test_every_facts_file_follows_the_facts_schema(audited: Path) -> None:
    from auditor.bundle.schemas import validate_data

    for path in sorted((audited / "bundle" / "facts").glob("*.json")):
        assert validate_data(json.loads(path.read_text()), "facts", path.name) == []


def test_a_wrong_token_is_named(pve: str, ca: LocalCa, tmp_path: Path) -> None:
    result = _import(tmp_path, pve, "--ca-file", str(ca.pem),
                     env={"PVE_TOKEN": "auditor@pve!audit=wrong"})
    assert result.returncode == 2
    assert "API token was refused" in result.stderr and "wrong" not in result.stderr


def test_an_unverified_certificate_is_refused(pve: str, tmp_path: Path) -> None:
    result = _import(tmp_path, pve)
    assert result.returncode == 2
    assert "--ca-file" in result.stderr
