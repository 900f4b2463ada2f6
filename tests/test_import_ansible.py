"""Ansible inventories of several shapes import to inventories `auditor scan` accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.inventory.importers import IMPORTERS, run_import
from auditor.inventory.importers.ansible import jump_targets
from auditor.inventory.importers.ansible_files import expand_pattern
from auditor.inventory.load import make_id
from import_helpers import DATA, loaded, options, skipped_text

ANSIBLE = DATA / "ansible"
SHAPES = {
    "ini": (ANSIBLE / "ini" / "hosts.ini", {"site_from_group": r"dc_(.+)"}),
    "yaml": (ANSIBLE / "yaml" / "inventory.yml",
             {"site_map": (("pusat_data_pemda", "pusat-data"),),
              "site_kinds": (("pusat-data", "data_center"),)}),
    "folders": (ANSIBLE / "folders" / "hosts", {"site_from_group": r"site_(.+)"}),
}


def _import(tmp_path: Path, shape: str) -> tuple[Path, object]:
    source, extra = SHAPES[shape]
    out = tmp_path / "inventory.yaml"
    report = run_import(IMPORTERS["ansible"], str(source), out, options(**extra))
    return out, report


def test_ini_groups_children_vars_and_ranges(tmp_path: Path) -> None:
    out, report = _import(tmp_path, "ini")
    inv = loaded(out)
    hosts = {h.id: h for h in inv.hosts}
    assert set(hosts) == {"bastion.kota.go.id", "web01.kota.go.id", "web02.kota.go.id",
                          "web03.kota.go.id", "db01.kota.go.id", "app-dishub", "cam-gateway"}
    assert hosts["web02.kota.go.id"].site == "balaikota"
    assert hosts["web02.kota.go.id"].user == "deploy"
    assert hosts["app-dishub"].user == "dishub"          # [dc_dishub:vars]
    assert hosts["db01.kota.go.id"].port == 2222
    assert hosts["db01.kota.go.id"].address == "10.10.1.20"
    # ProxyJump from [servers:vars] (-J) reaches the hosts of its children groups
    assert hosts["web01.kota.go.id"].jump == "bastion.kota.go.id"
    assert hosts["bastion.kota.go.id"].site == "pemerintah-kota-contoh"
    assert inv.site("pemerintah-kota-contoh").name == "Pemerintah Kota Contoh"
    # a host var ProxyJump outside the inventory is reported, not written
    assert hosts["cam-gateway"].jump is None
    notes = skipped_text(report)
    assert "cam-gateway: ProxyJump ops@jumpbox.elsewhere:2200: the jump host is not in the " \
           "inventory" in notes
    assert "host 'ad01': connection 'winrm' cannot be audited over SSH" in notes
    assert "host 'localhost': connection 'local' is the Ansible control machine" in notes
    assert "host db01.kota.go.id: ansible_password: secrets are never written; keep the " \
           "password in an environment variable and set password_env" in notes
    assert any("'Cam-Gateway' is written as id 'cam-gateway'" in w for w in report.warnings)


def test_no_secret_reaches_the_file(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, "ini")
    text = out.read_text()
    assert "s3cr3t-do-not-copy" not in text
    assert "also-secret" not in text
    assert "password" not in text


def test_yaml_inventory_with_site_map_and_proxyjump_by_address(tmp_path: Path) -> None:
    out, report = _import(tmp_path, "yaml")
    inv = loaded(out)
    hosts = {h.id: h for h in inv.hosts}
    assert set(hosts) == {"jump01", "simpeg01", "simda_02", "pg01", "puskesmas-app"}
    assert inv.site("pusat-data").kind == "data_center"
    assert hosts["pg01"].site == "pusat-data"            # child group of the mapped group
    assert hosts["puskesmas-app"].site == "pemerintah-kota-contoh"
    assert hosts["simpeg01"].jump == "jump01"             # ProxyJump=192.0.2.10 is jump01
    assert hosts["simpeg01"].user == "auditor"            # from all: vars
    assert hosts["pg01"].user is None                     # templated: not guessed
    assert "pg01: ansible_user: templated value '{{ vault_db_user }}'" in skipped_text(report)
    key = ANSIBLE / "folders" / "keys" / "auditor"
    assert hosts["simda_02"].key_file == key.resolve()


def test_group_vars_and_host_vars_folders(tmp_path: Path) -> None:
    out, report = _import(tmp_path, "folders")
    inv = loaded(out)
    hosts = {h.id: h for h in inv.hosts}
    assert hosts["web01"].address == "10.40.0.11"         # host_vars/web01/main.yml
    assert hosts["db01"].address == "10.40.0.21"          # host_vars/db01.yml
    assert hosts["api01"].port == 2200                    # group_vars/site_dc_kabupaten.yaml
    assert hosts["web01"].jump == "api01"                 # ProxyCommand ssh -W %h:%p api01
    assert {h.site for h in inv.hosts} == {"kantor_bupati", "dc_kabupaten"}
    assert all(h.user == "auditor" for h in inv.hosts)    # group_vars/all.yml
    assert "db01: ansible_become_password: secrets are never written" in skipped_text(report)


def test_key_file_beside_the_output_is_written_relative(tmp_path: Path) -> None:
    work = tmp_path / "pemda"
    shutil.copytree(ANSIBLE / "folders", work)
    run_import(IMPORTERS["ansible"], str(work / "hosts"), work / "inventory.yaml",
               options(site_from_group=r"site_(.+)"))
    assert "key_file: keys/auditor" in (work / "inventory.yaml").read_text()
    assert loaded(work / "inventory.yaml").host("db01").key_file == work / "keys" / "auditor"


def test_missing_key_file_is_reported_not_written(tmp_path: Path) -> None:
    source = tmp_path / "hosts.ini"
    source.write_text("[web]\nweb01 ansible_host=10.0.0.1 "
                      "ansible_ssh_private_key_file=~/.ssh/no-such-key-for-tests\n")
    report = run_import(IMPORTERS["ansible"], str(source), tmp_path / "inv.yaml", options())
    assert loaded(tmp_path / "inv.yaml").host("web01").key_file is None
    assert "host web01: key_file: '" in skipped_text(report)
    assert "no-such-key-for-tests' is not on this machine" in skipped_text(report)


def test_id_collisions_are_reported(tmp_path: Path) -> None:
    source = tmp_path / "hosts.ini"
    source.write_text("[web]\nWEB01 ansible_host=10.0.0.1\nweb01 ansible_host=10.0.0.2\n")
    report = run_import(IMPORTERS["ansible"], str(source), tmp_path / "inv.yaml", options())
    assert [h.address for h in loaded(tmp_path / "inv.yaml").hosts] == ["10.0.0.1"]
    assert "host 'web01': its id 'web01' is already used by 'WEB01'; rename one of them" \
        in skipped_text(report)


def test_host_in_two_site_groups_is_warned(tmp_path: Path) -> None:
    source = tmp_path / "hosts.ini"
    source.write_text("[dc_a]\nshared ansible_host=10.0.0.1\n[dc_b]\nshared\n")
    report = run_import(IMPORTERS["ansible"], str(source), tmp_path / "inv.yaml",
                        options(site_from_group=r"dc_(.+)"))
    assert loaded(tmp_path / "inv.yaml").host("shared").site == "a"
    assert "host 'shared' is in groups for several sites (a, b); placed in 'a'" in report.warnings


def test_bad_ini_line_names_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "hosts.ini"
    source.write_text("[web]\nweb01 ansible_host=10.0.0.1\nweb02 oops\n[web:stuff]\n")
    with pytest.raises(InputError) as caught:
        run_import(IMPORTERS["ansible"], str(source), tmp_path / "inv.yaml", options())
    text = str(caught.value)
    assert f"{source}:3: web02: expected key=value, got 'oops'" in text
    assert f"{source}:4: web: unknown section kind ':stuff'" in text
    assert not (tmp_path / "inv.yaml").exists()


def test_proxyjump_forms() -> None:
    assert jump_targets("-J ops@bastion:2222") == (["ops@bastion:2222"], None)
    assert jump_targets("-o ProxyJump=a,b") == (["a", "b"], None)
    assert jump_targets("-oProxyJump=b1 -o StrictHostKeyChecking=yes") == (["b1"], None)
    assert jump_targets("-o 'ProxyCommand ssh -W %h:%p -p 2200 gw'") == (["gw"], None)
    hops, problem = jump_targets("-o ProxyCommand='nc -x proxy %h %p'")
    assert hops == [] and problem is not None and "is not 'ssh -W %h:%p HOST'" in problem


def test_host_ranges() -> None:
    assert expand_pattern("web[01:03].x") == ["web01.x", "web02.x", "web03.x"]
    assert expand_pattern("db-[a:c]") == ["db-a", "db-b", "db-c"]
    assert expand_pattern("n[1:5:2]") == ["n1", "n3", "n5"]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_host_list_matches_ansible_inventory(tmp_path: Path, shape: str) -> None:
    """Cross-check with ansible-core's own parser: every host it sees is imported or reported."""
    tool = shutil.which("ansible-inventory")
    if tool is None:
        pytest.skip("ansible-inventory is not installed (pip install ansible-core)")
    source, _ = SHAPES[shape]
    listed = subprocess.run([tool, "-i", str(source), "--list"], capture_output=True,
                            text=True, check=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(tmp_path),
                                 "ANSIBLE_LOCAL_TEMP": str(tmp_path)})
    theirs = json.loads(listed.stdout)["_meta"]["hostvars"]
    out, report = _import(tmp_path, shape)
    inv = loaded(out)
    ours = {h.id for h in inv.hosts}
    notes = skipped_text(report)
    for name, their_vars in theirs.items():
        if make_id(name) in ours:
            host = inv.host(make_id(name))
            if "ansible_host" in their_vars:
                assert host.address == their_vars["ansible_host"], name
            if "ansible_port" in their_vars:
                assert host.port == int(their_vars["ansible_port"]), name
        else:
            assert f"host {name!r}" in notes, name
    assert len(ours) <= len(theirs)
