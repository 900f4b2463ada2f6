"""The hypervisor package's pure parts: guest OS names, p95, and inventory checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collect.hypervisors.guestos import guest_os, hypervisor_os
from auditor.collect.hypervisors.stats import p95, summarise
from auditor.collect.hypervisors.vsphere_perfxml import AnswerTooLarge, parse_perf
from auditor.errors import InputError
from auditor.inventory.load import load_inventory


@pytest.mark.parametrize(("names", "guest_id", "expected"), [
    (("Microsoft Windows Server 2019 (64-bit)",), None, ("windows-server", "2019")),
    (("Microsoft Windows Server 2008 R2 (64-bit)",), None, ("windows-server", "2008r2")),
    ((None, "Microsoft Windows Server 2016 or later (64-bit)"), "windows9Server64Guest", None),
    ((None,), "windows8Server64Guest", ("windows-server", "2012")),
    (("Ubuntu 22.04.4 LTS",), None, ("ubuntu", "22.04")),
    (("Debian GNU/Linux 12 (bookworm)",), None, ("debian", "12")),
    ((None,), "rhel8_64Guest", ("rhel", "8")),
    ((None,), "win8", ("windows-server", "2012")),
    (("Other 3.x or later Linux (64-bit)",), "l26", None),
    (("\x1b[31mWindows Server 2022\x00",), None, ("windows-server", "2022")),
])
def test_guest_os_names_a_release_only_when_the_name_tells_one(
        names: tuple[str | None, ...], guest_id: str | None,
        expected: tuple[str, str] | None) -> None:
    found = guest_os(*names, guest_id=guest_id)
    assert (found["id"], found["version_id"]) == expected if expected else found is None
    if found:
        assert all(c.isprintable() for c in found["pretty_name"] or "")


def test_hypervisor_versions() -> None:
    assert hypervisor_os("VMware ESXi", "7.0.3")["version_id"] == "7.0"  # type: ignore[index]
    assert hypervisor_os("Proxmox VE", "8.2.4")["id"] == "proxmox-ve"  # type: ignore[index]
    assert hypervisor_os("Hyper-V", "10.0") is None


def test_p95_is_a_sample_that_occurred() -> None:
    values = [float(v) for v in range(1, 101)]
    assert p95(values) == 95.0
    use = summarise([10.0, 20.0, 250.0], [-5.0], 300)
    assert use.cpu_p95_pct == 100.0 and use.memory_p95_pct == 0.0
    assert summarise([], [], 20).unknown


def _inventory(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text("version: 1\norganisation: {code: '32.73', name: Kota, level: kota}\n"
                    "sites: [{id: dc, name: DC, kind: server_room}]\n" + text)
    return path


def test_an_endpoint_without_credentials_is_refused_before_any_connection(
        tmp_path: Path) -> None:
    path = _inventory(tmp_path, "hypervisors:\n  - {id: vc, kind: vsphere, "
                                "url: 'https://vc.example/sdk'}\nhosts: []\n")
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    assert any("needs 'user' and 'password_env'" in str(p) and ":5:" in str(p)
               for p in caught.value.problems)


def test_a_secret_in_the_inventory_is_refused(tmp_path: Path) -> None:
    path = _inventory(tmp_path, "hypervisors:\n  - {id: pve, kind: proxmox, "
                                "url: 'https://pve:8006', token: abc}\nhosts: []\n")
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    assert "token" in str(caught.value.problems[0])


def test_an_api_host_needs_its_endpoint(tmp_path: Path) -> None:
    path = _inventory(tmp_path, "hosts:\n  - {id: vm1, site: dc, transport: vsphere}\n")
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    assert "needs one vsphere endpoint under hypervisors" in str(caught.value.problems[0])
    path = _inventory(tmp_path, "hypervisors:\n  - {id: pve, kind: proxmox, url: "
                                "'https://pve:8006', token_env: T}\nhosts:\n  - {id: vm1, "
                                "site: dc, transport: proxmox, virtual: {endpoint: vc}}\n")
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    assert "hypervisor 'vc' is not defined" in str(caught.value.problems[0])


PERF_SAMPLES = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
<QueryPerfResponse xmlns="urn:vim25">
<returnval xsi:type="PerfEntityMetric"><entity type="VirtualMachine">vm-60</entity>
<sampleInfo><timestamp>2026-12-04T18:05:51Z</timestamp><interval>20</interval></sampleInfo>
<sampleInfo><timestamp>2026-12-04T18:05:31Z</timestamp><interval>20</interval></sampleInfo>
<value xsi:type="PerfMetricIntSeries"><id><counterId>2</counterId><instance></instance></id>
<value>2051</value><value>-1</value></value>
<value xsi:type="PerfMetricIntSeries"><id><counterId>24</counterId><instance></instance></id>
<value>3300</value><value>x</value></value></returnval>
<returnval xsi:type="PerfEntityMetric"><entity type="HostSystem"></entity></returnval>
</QueryPerfResponse></soapenv:Body></soapenv:Envelope>"""
"""A QueryPerf answer of one element per sample (recorded from vcsim, one garbage value)."""

PERF_CSV = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
<QueryPerfResponse xmlns="urn:vim25">
<returnval xsi:type="PerfEntityMetricCSV"><entity type="HostSystem">host-21</entity>
<sampleInfoCSV>7200,2026-11-04T18:00:00Z,7200,2026-11-04T20:00:00Z,7200,2026-11-04T22:00:00Z</sampleInfoCSV>
<value><id><counterId>2</counterId><instance></instance></id><value>100,-1,9999</value></value>
</returnval></QueryPerfResponse></soapenv:Body></soapenv:Envelope>"""
"""The CSV shape a vCenter sends for format='csv' (as the API reference shows it)."""


def test_perf_answer_of_one_element_per_sample() -> None:
    found = list(parse_perf(PERF_SAMPLES[i:i + 7] for i in range(0, len(PERF_SAMPLES), 7)))
    assert len(found) == 1  # the entity without an id is dropped
    assert found[0].entity == "vm-60" and found[0].interval == 20
    assert found[0].series == {2: [20.51], 24: [33.0]}  # -1 (no sample) and garbage dropped


def test_perf_answer_in_csv_carries_the_interval_the_api_gave() -> None:
    (found,) = parse_perf([PERF_CSV])
    assert found.entity == "host-21" and found.interval == 7200
    assert found.series == {2: [1.0, 99.99]}
    use = summarise(found.series[2], [], found.interval or 20)
    assert (use.period_s, use.samples, use.cpu_p95_pct) == (7200, 2, 100.0)


def test_a_perf_answer_past_the_cap_is_refused() -> None:
    with pytest.raises(AnswerTooLarge):
        list(parse_perf((PERF_CSV[i:i + 50] for i in range(0, len(PERF_CSV), 50)), limit=200))
