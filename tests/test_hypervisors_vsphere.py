"""vSphere discovery against govmomi's real vSphere API simulator (vcsim), over pyVmomi."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
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
    data = yaml.safe_load((tmp / "inv.yaml").read_text())
    site = data["sites"][0]["id"]
    data["hosts"].append({"id": "self", "site": site, "transport": "local"})
    # A guest the tool reads itself (locally here, over SSH in the field) that is also a VM.
    data["hosts"].append({"id": "guest-probed", "site": site, "transport": "local",
                          "kind": "vm", "virtual": {"endpoint": data["hypervisors"][0]["id"],
                                                    "ref": "vm-63"}})
    (tmp / "inv.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    bundle = tmp / "bundle"
    result = run_cli("audit", str(tmp / "inv.yaml"), "-o", str(bundle), "--format", "json",
                     env=ENV)
    assert result.returncode in (0, 1), result.stderr
    return tmp


def test_import_lists_every_vm_and_esxi_host(audited: Path) -> None:
    data = yaml.safe_load((audited / "inv.yaml").read_text())
    kinds = sorted(h.get("kind", "physical") for h in data["hosts"])
    assert kinds == ["hypervisor"] * 4 + ["physical"] + ["vm"] * 5
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
    # The simulator keeps no historical interval: the real-time one (20 s, the last hour).
    use = facts["facts"]["vm"]["utilisation"]
    assert (use["period_s"], use["samples"]) == (20, 180)
    assert facts["unknown"]["sshd"] == "collected from the hypervisor; scan the guest to judge this"
    results = json.loads((audited / "bundle" / "results.json").read_text())
    host = next(h for h in results["hosts"] if h["id"] == "dc0_h0_vm0")
    by_control = {f["control"]: f for f in host["findings"]}
    # the end of life is one finding, the VM's own, not the generic host one again
    assert by_control["HOST-OS-SUPPORTED"]["status"] == "not_applicable"
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


def test_every_facts_file_follows_the_facts_schema(audited: Path) -> None:
    from auditor.bundle.schemas import validate_data

    for path in sorted((audited / "bundle" / "facts").glob("*.json")):
        assert validate_data(json.loads(path.read_text()), "facts", path.name) == []


def test_powered_off_vm_is_seen_off(audited: Path) -> None:
    vm = _facts(audited / "bundle", "dc0_h0_vm1")["facts"]["vm"]
    assert vm["power_state"] == "off" and vm["powered_on"] is False


def test_a_bare_metal_host_is_not_judged_on_virtual_controls(audited: Path) -> None:
    results = json.loads((audited / "bundle" / "results.json").read_text())
    host = next(h for h in results["hosts"] if h["id"] == "self")
    virtual = [f["status"] for f in host["findings"] if f["control"].startswith("VIRT-")]
    assert virtual and set(virtual) == {"not_applicable"}


def test_the_scan_records_how_the_certificate_was_checked(audited: Path) -> None:
    api = _facts(audited / "bundle", "dc0_h0_vm0")["facts"]["hypervisor_api"]
    assert api["tls"].startswith("certificate verified against")
    assert api["about"].startswith("VMware vCenter Server")


def test_a_certificate_that_does_not_verify_is_refused(sim: Vcsim, tmp_path: Path) -> None:
    result = _import(tmp_path, sim.url)
    assert result.returncode == 2
    assert "certificate was not verified" in result.stderr and "--ca-file" in result.stderr
    assert not (tmp_path / "inv.yaml").exists()


def test_insecure_tls_is_an_explicit_and_recorded_choice(sim: Vcsim, tmp_path: Path) -> None:
    result = _import(tmp_path, sim.url, "--insecure-tls")
    assert result.returncode == 0, result.stderr
    assert "not verified" in result.stderr
    data = yaml.safe_load((tmp_path / "inv.yaml").read_text())
    assert data["hypervisors"][0]["insecure_tls"] is True
    result = run_cli("scan", str(tmp_path / "inv.yaml"), "-o", str(tmp_path / "b"), env=ENV)
    assert result.returncode == 0, result.stderr
    api = _facts(tmp_path / "b", "dc0_h0")["facts"]["hypervisor_api"]
    assert "NOT verified" in api["tls"]


def test_a_wrong_password_is_named(sim: Vcsim, ca: LocalCa, tmp_path: Path) -> None:
    result = run_cli("inventory", "import", "--from", "vsphere", sim.url, "-o",
                     str(tmp_path / "inv.yaml"), "--user", "auditor", "--password-env",
                     "VC_PASSWORD", "--ca-file", str(ca.pem), *ORG,
                     env={"VC_PASSWORD": "wrong-password"})
    assert result.returncode == 2
    assert "login refused for user 'auditor'" in result.stderr
    assert "wrong-password" not in result.stderr and "Traceback" not in result.stderr


def test_a_wrong_password_at_scan_time_marks_the_hosts(audited: Path, tmp_path: Path) -> None:
    result = run_cli("scan", str(audited / "inv.yaml"), "-o", str(tmp_path / "b"),
                     env={"VC_PASSWORD": "wrong-password"})
    assert result.returncode == 3
    facts = _facts(tmp_path / "b", "dc0_h0_vm0")
    assert facts["status"] == "auth_failed" and "login refused" in facts["reason"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_endpoint_that_is_down(tmp_path: Path) -> None:
    result = _import(tmp_path, f"https://127.0.0.1:{_free_port()}/sdk")
    assert result.returncode == 2
    assert "connection refused" in result.stderr


def test_a_tarpit_times_out(pit: Tarpit, tmp_path: Path) -> None:
    result = _import(tmp_path, f"https://127.0.0.1:{pit.port}/sdk", "--timeout", "1")
    assert result.returncode == 2
    assert "no answer within 1 s" in result.stderr


def test_an_endpoint_that_is_not_a_hypervisor(ca: LocalCa, tmp_path: Path) -> None:
    from web_servers import server_context

    pki = ca.issue("web")
    with serve({"/": Page()}, tls=server_context(pki)) as port:
        result = _import(tmp_path, f"https://127.0.0.1:{port}/sdk", "--ca-file", str(ca.pem))
    assert result.returncode == 2
    assert "not a vSphere API endpoint" in result.stderr


def test_plain_http_simulator(vcsim_binary: Path, tmp_path: Path) -> None:
    with vcsim(vcsim_binary, "-plain", "-vm", "1", "-host", "1") as plain:
        assert plain.url.startswith("http://")
        result = _import(tmp_path, plain.url)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((tmp_path / "inv.yaml").read_text())
    assert len([h for h in data["hosts"] if h["kind"] == "vm"]) == 2


def test_a_user_without_performance_rights(vcsim_binary: Path, tmp_path: Path) -> None:
    with vcsim(vcsim_binary, "-deny-perf", "-plain", "-vm", "1", "-host", "1") as denied:
        assert _import(tmp_path, denied.url).returncode == 0
        result = run_cli("scan", str(tmp_path / "inv.yaml"), "-o", str(tmp_path / "b"),
                         env=ENV)
    assert result.returncode == 0, result.stderr
    facts = _facts(tmp_path / "b", "dc0_h0_vm0")["facts"]
    reason = facts["vm"]["utilisation"]["unknown"]["utilisation"]
    assert "may not read performance data" in reason
    assert "lacks privilege System.Read" in reason  # QueryPerf itself was refused
    assert "usage_pct_p95" not in facts["cpu"] and "used_pct" not in facts["memory"]


def test_a_vm_already_listed_for_ssh_stays_one_host(sim: Vcsim, ca: LocalCa,
                                                      tmp_path: Path) -> None:
    first = _import(tmp_path, sim.url, "--ca-file", str(ca.pem))
    assert first.returncode == 0, first.stderr
    data = yaml.safe_load((tmp_path / "inv.yaml").read_text())
    vm = next(h for h in data["hosts"] if h["id"] == "dc0_h0_vm0")
    vm.update(transport="ssh", address="10.0.0.5", user="auditor")
    (tmp_path / "inv.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    again = _import(tmp_path, sim.url, "--ca-file", str(ca.pem))
    assert again.returncode == 0, again.stderr
    hosts = yaml.safe_load((tmp_path / "inv.yaml").read_text())["hosts"]
    same = [h for h in hosts if h["id"] == "dc0_h0_vm0"]
    assert len(same) == 1 and len(hosts) == 8
    assert same[0]["transport"] == "ssh" and same[0]["address"] == "10.0.0.5"
    assert same[0]["virtual"]["ref"] == "vm-57"


def test_a_scan_start_up_does_not_load_pyvmomi() -> None:
    code = ("import sys, auditor.cli.main, auditor.collect.scan, auditor.collect.transports, "
            "auditor.inventory.load; "
            "print('pyVmomi' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPO).stdout.strip()
    assert loaded == "False"


def test_a_probed_guest_keeps_its_own_facts_and_gains_the_hypervisors(audited: Path) -> None:
    facts = _facts(audited / "bundle", "guest-probed")
    assert "source" not in facts and facts["transport"] == "local"
    assert facts["facts"]["os"]["id"] and "kernel" in facts["facts"]
    assert not any("collected from the hypervisor" in r for r in facts["unknown"].values())
    assert facts["facts"]["vm"]["ref"] == "vm-63"
    assert facts["facts"]["virtual"] == {"kind": "vm", "platform": "vsphere"}
    results = json.loads((audited / "bundle" / "results.json").read_text())
    host = next(h for h in results["hosts"] if h["id"] == "guest-probed")
    by_control = {f["control"]: f["status"] for f in host["findings"]}
    assert by_control["VIRT-SNAPSHOT-AGE"] == "pass"


def test_a_powered_off_vm_has_the_days_since_its_power_off_event(audited: Path) -> None:
    vm = _facts(audited / "bundle", "dc0_h0_vm1")["facts"]["vm"]
    assert vm["powered_off_days"] == 0.0
    assert vm["utilisation"]["unknown"]["utilisation"] == "powered off: no current use"
    results = json.loads((audited / "bundle" / "results.json").read_text())
    host = next(h for h in results["hosts"] if h["id"] == "dc0_h0_vm1")
    by_control = {f["control"]: f["status"] for f in host["findings"]}
    assert by_control["VIRT-POWERED-OFF"] == "pass"
    assert by_control["VIRT-GUEST-TOOLS"] == "not_applicable"


def _first_page_has_token(server: Vcsim) -> bool:
    """Whether the simulator pages a RetrievePropertiesEx of every VM (asked 500 a page)."""
    code = f"""
from pyVim.connect import Connect
from pyVmomi import vim, vmodl
si = Connect(host="127.0.0.1", port=-{server.port}, user="auditor", pwd="secret",
             namespace="vim25/6.5")
c = si.RetrieveContent()
view = c.viewManager.CreateContainerView(c.rootFolder, [vim.VirtualMachine], True)
q = vmodl.query.PropertyCollector
spec = q.FilterSpec(objectSet=[q.ObjectSpec(obj=view, skip=True, selectSet=[q.TraversalSpec(
    name="v", type=type(view), path="view", skip=False)])],
    propSet=[q.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])])
page = c.propertyCollector.RetrievePropertiesEx([spec], q.RetrieveOptions(maxObjects=500))
print(bool(page.token), len(page.objects))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=120,
                         capture_output=True, text=True).stdout.split()
    return out == ["True", "3"]


def test_a_vcenter_that_pages_gives_every_vm_once(vcsim_binary: Path, tmp_path: Path) -> None:
    """Pages of 3 objects (ContinueRetrievePropertiesEx), QueryPerf answered as CSV, and
    vCenter's default roll-ups: every VM imported once, and its use from the 2-hour one."""
    with vcsim(vcsim_binary, "-plain", "-vm", "4", "-host", "2", "-page", "3", "-perf-csv",
               "-rollups") as paged:
        assert _first_page_has_token(paged)  # else this test would prove nothing
        result = _import(tmp_path, paged.url)
        assert result.returncode == 0, result.stderr
        scanned = run_cli("scan", str(tmp_path / "inv.yaml"), "-o", str(tmp_path / "b"),
                          env=ENV)
    assert scanned.returncode == 0, scanned.stderr
    hosts = yaml.safe_load((tmp_path / "inv.yaml").read_text())["hosts"]
    vms = sorted(h["virtual"]["name"] for h in hosts if h["kind"] == "vm")
    assert vms == sorted([f"DC0_C0_RP0_VM{i}" for i in range(4)] +
                         [f"DC0_H0_VM{i}" for i in range(4)])
    assert sorted(h["virtual"]["name"] for h in hosts if h["kind"] == "hypervisor") == \
        ["DC0_C0_H0", "DC0_C0_H1", "DC0_H0"]
    for host in hosts:
        facts = _facts(tmp_path / "b", host["id"])
        assert facts["status"] == "ok", facts["reason"]
        section = facts["facts"]["vm" if host["kind"] == "vm" else "hypervisor"]
        use = section["utilisation"]
        # The longest roll-up a vCenter keeps by default: 2 hours over 30 days.
        assert (use["period_s"], use["samples"]) == (7200, 360)
        assert 0 <= use["cpu_avg_pct"] <= use["cpu_p95_pct"] <= 100
