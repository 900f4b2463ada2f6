"""vSphere discovery against govmomi's real vSphere API simulator (vcsim), over pyVmomi."""

from __future__ import annotations

import json
import socket
import sys
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, run_cli
from fleet import Tarpit
from vcsim import Vcsim, build, vcsim, vcsim_missing
from web_servers import LocalCa, Page, serve

pytestmark = pytest.mark.skipif(vcsim_missing() is not None, reason=str(vcsim_missing()))
ORG = ("--org-code", "32.73", "--org-name", "Pemerintah Kota Contoh", "--org-level", "kota")
ENV = {"VC_PASSWORD": "secret"}


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    """The simulator, built (or taken from the cache) once a session."""
    return build()


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCa:
    return LocalCa(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def sim(vcsim_binary: Path, ca: LocalCa) -> Iterator[Vcsim]:
    """A vCenter with 2 clusters' worth of VMs, one turned into a Windows Server 2012 guest
    with a snapshot, one powered off (the test changes the simulator; auditor never does)."""
    pki = ca.issue("vcsim", ips=("127.0.0.1",))
    with vcsim(vcsim_binary, "-cert", str(pki.cert), "-key", str(pki.key)) as server:
        _arrange(server)
        yield server


def _arrange(server: Vcsim) -> None:
    """Set the simulator up as a pemda estate would be: done by the test, not the tool."""
    code = f"""
import ssl
from pyVim.connect import SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim
ctx = ssl._create_unverified_context()
si = SmartConnect(host="127.0.0.1", port={server.port}, user="auditor", pwd="secret",
                  sslContext=ctx)
c = si.RetrieveContent()
vm0, vm1 = vim.VirtualMachine("vm-57", si._stub), vim.VirtualMachine("vm-60", si._stub)
WaitForTask(vm0.ReconfigVM_Task(vim.vm.ConfigSpec(guestId="windows8Server64Guest")))
WaitForTask(vm0.CreateSnapshot_Task("before-upgrade", "", False, False))
WaitForTask(vm1.PowerOffVM_Task())
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _import(tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("inventory", "import", "--from", "vsphere", url, "-o", str(tmp / "inv.yaml"),
                   "--user", "auditor", "--password-env", "VC_PASSWORD", *ORG, *extra, env=ENV)


def _facts(bundle: Path, host: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((bundle / "facts" / f"{host}.json").read_text())
    return data


@pytest.fixture(scope="module")
def audited(sim: Vcsim, ca: LocalCa, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulator imported (CA verified), then scanned and checked."""
    tmp = tmp_path_factory.mktemp("vsphere")
    result = _import(tmp, sim.url, "--ca-file", str(ca.pem))
    assert result.returncode == 0, result.stderr
    bundle = tmp / "bundle"
    result = run_cli("audit", str(tmp / "inv.yaml"), "-o", str(bundle), "--format", "json",
                     env=ENV)
    assert result.returncode in (0, 1), result.stderr
    return tmp


def test_import_lists_every_vm_and_esxi_host(audited: Path) -> None:
    data = yaml.safe_load((audited / "inv.yaml").read_text())
    kinds = sorted(h["kind"] for h in data["hosts"])
    assert kinds == ["hypervisor"] * 4 + ["vm"] * 4
    assert data["hypervisors"][0]["kind"] == "vsphere"
    assert data["hypervisors"][0]["password_env"] == "VC_PASSWORD"
    assert "secret" not in (audited / "inv.yaml").read_text()
    vm = next(h for h in data["hosts"] if h["id"] == "dc0_h0_vm0")
    assert vm["transport"] == "vsphere"
    assert vm["virtual"]["guest_os"] == "windows8Server64Guest"
    assert vm["virtual"]["vcpu"] == 1 and vm["virtual"]["hypervisor"] == "DC0_H0"


def test_windows_guest_is_judged_on_what_the_hypervisor_proves(audited: Path) -> None:
    facts = _facts(audited / "bundle", "dc0_h0_vm0")
    assert facts["status"] == "ok" and facts["source"] == "vsphere"
    assert facts["facts"]["os"]["id"] == "windows-server"
    assert facts["facts"]["os"]["version_id"] == "2012"
    assert facts["facts"]["vm"]["snapshot_count"] == 1
    assert facts["facts"]["cpu"]["count"] == 1
    assert facts["facts"]["cpu"]["usage_pct_p95"] is not None
    assert facts["unknown"]["sshd"] == "collected from the hypervisor; scan the guest to judge this"
    results = json.loads((audited / "bundle" / "results.json").read_text())
    host = next(h for h in results["hosts"] if h["id"] == "dc0_h0_vm0")
    by_control = {f["control"]: f for f in host["findings"]}
    assert by_control["HOST-OS-SUPPORTED"]["status"] == "fail"
    assert by_control["VIRT-GUEST-OS-SUPPORTED"]["status"] == "fail"
    assert by_control["HOST-SSH-ROOT-LOGIN"]["status"] == "unknown"
    assert "scan the guest" in by_control["HOST-SSH-ROOT-LOGIN"]["evidence"]
    assert by_control["VIRT-SNAPSHOT-AGE"]["status"] == "pass"


def test_esxi_host_facts_and_end_of_life(audited: Path) -> None:
    facts = _facts(audited / "bundle", "dc0_h0")
    assert facts["facts"]["os"] == {"id": "esxi", "id_like": [], "version_id": "6.5",
                                    "name": "VMware ESXi", "pretty_name": "VMware ESXi 6.5.0"}
    hv = facts["facts"]["hypervisor"]
    assert hv["build"] == "5969303" and hv["bios_date"] == "2015-07-02"
    assert hv["datastores"][0]["name"] == "LocalDS_0"
    results = json.loads((audited / "bundle" / "results.json").read_text())
    host = next(h for h in results["hosts"] if h["id"] == "dc0_h0")
    by_control = {f["control"]: f for f in host["findings"]}
    assert by_control["VIRT-HYPERVISOR-SUPPORTED"]["status"] == "fail"
    assert by_control["VIRT-HOST-HARDWARE-AGE"]["status"] == "fail"


def test_powered_off_vm_is_seen_off(audited: Path) -> None:
    vm = _facts(audited / "bundle", "dc0_h0_vm1")["facts"]["vm"]
    assert vm["power_state"] == "off" and vm["powered_on"] is False
