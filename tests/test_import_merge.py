"""Importing into an existing inventory keeps every hand-made field and never drops a host."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.inventory.importers import (
    IMPORTERS,
    ImportOptions,
    OrganisationOptions,
    importer_named,
    run_import,
)
from import_helpers import loaded, options

EXISTING = """\
# hand-written
version: 1
organisation: {code: "32.73", name: Pemerintah Kota Bandung, level: kota}
sites:
  - id: ruang-server-balaikota
    name: Ruang Server Balai Kota
    kind: server_room
    facility: facility/balaikota.yaml
    costs: {power_kw: 6.5, maintenance_idr: 120000000, staff_fte: 2}
hosts:
  - id: web-01
    site: ruang-server-balaikota
    address: 10.0.0.99
    port: 2200
    user: olduser
    criticality: high
    applications: [portal]
    data_classification: limited
    password_env: WEB_PASSWORD
    notes: diisi manual
  - id: legacy-01
    site: ruang-server-balaikota
    address: 10.0.0.50
services:
  - id: portal
    url: https://portal.kota.go.id/
    host: web-01
"""
SOURCE = "id,address,port,user,site,role\nweb-01,10.0.0.11,22,auditor,import-site,web\n" \
         "db-01,10.0.0.21,,auditor,,database\n"


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "facility").mkdir()
    (tmp_path / "facility" / "balaikota.yaml").write_text("answers: {}\n")
    out = tmp_path / "inventory.yaml"
    out.write_text(EXISTING)
    source = tmp_path / "hosts.csv"
    source.write_text(SOURCE)
    return out, source


def test_merge_keeps_hand_made_fields_and_hosts(tmp_path: Path) -> None:
    out, source = _setup(tmp_path)
    report = run_import(IMPORTERS["csv"], str(source), out, ImportOptions())
    inv = loaded(out)
    assert inv.organisation.name == "Pemerintah Kota Bandung"
    site = inv.site("ruang-server-balaikota")
    assert site.facility == tmp_path / "facility" / "balaikota.yaml"
    assert site.costs == {"power_kw": 6.5, "maintenance_idr": 120000000, "staff_fte": 2}
    web = inv.host("web-01")
    # connection fields come from the source ...
    assert (web.address, web.port, web.user) == ("10.0.0.11", 22, "auditor")
    # ... everything else made by hand stays, the site included
    assert web.site == "ruang-server-balaikota"
    assert (web.criticality, web.applications, web.data_classification) == (
        "high", ("portal",), "limited")
    assert web.password_env == "WEB_PASSWORD"
    assert inv.raw["hosts"][0]["notes"] == "diisi manual"
    assert web.role == "web"                              # new field from the source is added
    assert inv.host("legacy-01").address == "10.0.0.50"   # not in the source: kept
    assert inv.host("db-01").site == "pemerintah-kota-bandung"
    assert [s.id for s in inv.services] == ["portal"]
    assert report.hosts_added == ("db-01",)
    assert report.hosts_updated == ("web-01",)
    assert report.hosts_kept == ("legacy-01",)
    assert report.sites_added == ("pemerintah-kota-bandung",)
    assert "import-site" not in out.read_text()            # the unused site is not created
    summary = "\n".join(report.lines())
    assert "kept 1 host(s) the source no longer lists" in summary and "legacy-01" in summary
    assert any("comments are not kept" in w for w in report.warnings)


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    out, source = _setup(tmp_path)
    run_import(IMPORTERS["csv"], str(source), out, ImportOptions())
    first = out.read_text().split("\n", 1)[1]
    report = run_import(IMPORTERS["csv"], str(source), out, ImportOptions())
    assert out.read_text().split("\n", 1)[1] == first
    assert report.hosts_added == () and report.hosts_updated == ()
    assert set(report.hosts_unchanged) == {"web-01", "db-01"}


def test_invalid_merge_writes_nothing(tmp_path: Path) -> None:
    out, source = _setup(tmp_path)
    (tmp_path / "facility" / "balaikota.yaml").unlink()    # the existing file is now broken
    with pytest.raises(InputError) as caught:
        run_import(IMPORTERS["csv"], str(source), out, ImportOptions())
    assert "the existing inventory is not valid, so nothing was imported; fix it first" \
        in str(caught.value)
    assert f"{out}:8: sites[0].facility: file 'facility/balaikota.yaml' not found" \
        in str(caught.value)
    assert out.read_text() == EXISTING
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facility", "hosts.csv",
                                                          "inventory.yaml"]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    out, source = _setup(tmp_path)
    report = run_import(IMPORTERS["csv"], str(source), out, ImportOptions(), dry_run=True)
    assert out.read_text() == EXISTING
    assert report.hosts_added == ("db-01",) and not report.written
    assert report.lines()[0].startswith("would write (dry run)")


def test_new_file_needs_the_organisation(tmp_path: Path) -> None:
    source = tmp_path / "hosts.csv"
    source.write_text(SOURCE)
    with pytest.raises(InputError, match="give the organisation with --org-code"):
        run_import(IMPORTERS["csv"], str(source), tmp_path / "new.yaml", ImportOptions())
    bad = OrganisationOptions(code="Bandung", name="X", level="kota")
    with pytest.raises(InputError) as caught:
        run_import(IMPORTERS["csv"], str(source), tmp_path / "new.yaml",
                   ImportOptions(organisation=bad))
    assert "organisation.code" in str(caught.value)
    assert not (tmp_path / "new.yaml").exists()


def test_default_site_option(tmp_path: Path) -> None:
    source = tmp_path / "hosts.csv"
    source.write_text("id,address\nweb-01,10.0.0.1\n")
    out = tmp_path / "inv.yaml"
    run_import(IMPORTERS["csv"], str(source), out, options(default_site="dc-pemda",
                                                default_site_name="Pusat Data Pemda",
                                                site_kinds=(("dc-pemda", "data_center"),)))
    site = loaded(out).site("dc-pemda")
    assert (site.name, site.kind) == ("Pusat Data Pemda", "data_center")


def test_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown source kind 'excel'"):
        importer_named("excel")
