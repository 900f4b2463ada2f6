"""CSV host lists: both template headers import; every bad cell is named by row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.inventory.importers import IMPORTERS, run_import
from import_helpers import loaded, options, skipped_text

TEMPLATES = Path(__file__).parent.parent / "inventory"
HEADER = ("id,address,port,user,key_file,password_env,jump,transport,site,site_name,site_kind,"
          "role,criticality,applications,data_classification,notes\n")


def _csv(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "hosts.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def _errors(tmp_path: Path, body: str, header: str = HEADER) -> list[str]:
    source = _csv(tmp_path, body, header)
    with pytest.raises(InputError) as caught:
        run_import(IMPORTERS["csv"], str(source), tmp_path / "inv.yaml", options())
    assert not (tmp_path / "inv.yaml").exists()
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("template", ["hosts-template.csv", "hosts-template-id.csv"])
def test_templates_import_to_the_same_valid_inventory(tmp_path: Path, template: str) -> None:
    out = tmp_path / "inv.yaml"
    run_import(IMPORTERS["csv"], str(TEMPLATES / template), out, options())
    inv = loaded(out)
    assert [h.id for h in inv.hosts] == ["bastion", "web-01", "db-01"]
    web = inv.host("web-01")
    assert (web.address, web.port, web.jump, web.criticality) == ("10.0.0.11", 22, "bastion",
                                                                  "high")
    assert web.applications == ("portal", "ppid")
    assert web.data_classification == "limited"
    assert web.password_env in ("AUDITOR_PASSWORD", "SANDI_AUDITOR")
    assert inv.host("db-01").port == 2222
    site = inv.site("ruang-server-balaikota")
    assert (site.name, site.kind) == ("Ruang Server Balai Kota", "server_room")


def test_each_error_names_file_row_and_column(tmp_path: Path) -> None:
    body = ("web-01,10.0.0.1,22x,,,,,,ruang-a,,gudang,,,,,\n"
            "web-01,10.0.0.2,22,,,,,,ruang-a,,,,,,,\n"
            "Bad Id,10.0.0.3,70000,,,,,,ruang-a,,,,urgent,,,\n"
            "db-01,,22,,,,nowhere,,ruang-a,,,,,,secret,\n"
            "app-01,10.0.0.5,22,,,hunter2!,,ftp,,,,,,,,\n")
    shown = str(tmp_path / "hosts.csv")
    assert _errors(tmp_path, body) == [
        f"{shown}:2: port: '22x' is not a port number (1-65535)",
        f"{shown}:2: site_kind: 'gudang' is not a site kind; use one of: server_room, "
        "ruang_server, data_center, pusat_data",
        f"{shown}:3: id: duplicate id 'web-01' (first used on row 2)",
        f"{shown}:4: id: 'Bad Id' is not a valid id (lower-case letters, digits, '.', '_', '-')",
        f"{shown}:4: port: '70000' is not a port number (1-65535)",
        f"{shown}:4: criticality: 'urgent' is not a criticality; use one of: low, rendah, "
        "medium, sedang, high, tinggi",
        f"{shown}:5: address: empty; an ssh host needs an IP address or DNS name",
        f"{shown}:5: jump: jump host 'nowhere' is not an id in this file",
        f"{shown}:5: data_classification: 'secret' is not a data classification; use one of: "
        "open, terbuka, limited, terbatas, closed, tertutup",
        f"{shown}:6: transport: 'ftp' is not a transport; use one of: ssh, local, lokal",
        f"{shown}:6: password_env: the value given (8 characters) is not an environment "
        "variable name (write the variable's NAME here, never the password)",
    ]


def test_indonesian_header_errors_use_its_column_names(tmp_path: Path) -> None:
    header = "nama_host;alamat;port;lokasi;jenis_lokasi\n"
    body = "web-01;10.0.0.1;abc;ruang-a;ruang_server\nweb-02;10.0.0.2;22;ruang-a;pusat_data\n"
    shown = str(tmp_path / "hosts.csv")
    assert _errors(tmp_path, body, header) == [
        f"{shown}:2: port: 'abc' is not a port number (1-65535)",
        f"{shown}:3: jenis_lokasi: site 'ruang-a' is server_room on row 2, data_center here",
    ]


def test_missing_id_column(tmp_path: Path) -> None:
    assert _errors(tmp_path, "10.0.0.1\n", "alamat\n") == [
        f"{tmp_path / 'hosts.csv'}:1: id: missing the 'id' column (Indonesian: 'nama_host')"]


def test_password_column_is_never_written(tmp_path: Path) -> None:
    source = _csv(tmp_path, "web-01,10.0.0.1,rahasia-sekali\n", "id,address,kata_sandi\n")
    out = tmp_path / "inv.yaml"
    report = run_import(IMPORTERS["csv"], str(source), out, options())
    assert "rahasia-sekali" not in out.read_text()
    assert f"{source}:2: kata_sandi: passwords are never written" in skipped_text(report)
    assert loaded(out).host("web-01").address == "10.0.0.1"


def test_spreadsheet_quirks_bom_semicolons_comments_unknown_columns(tmp_path: Path) -> None:
    source = tmp_path / "hosts.csv"
    source.write_bytes("\ufeffID;Alamat;Keterangan Lain\n# contoh;1.2.3.4;\n"
                       "srv-1;10.1.1.1;rak 3\n\n".encode())
    out = tmp_path / "inv.yaml"
    report = run_import(IMPORTERS["csv"], str(source), out, options(default_site="ruang-server"))
    inv = loaded(out)
    assert [(h.id, h.site, h.address) for h in inv.hosts] == [("srv-1", "ruang-server",
                                                               "10.1.1.1")]
    assert any("column 'Keterangan Lain' is not known; ignored" in w for w in report.warnings)


def test_local_host_row(tmp_path: Path) -> None:
    source = _csv(tmp_path, "self,,,,,,,lokal,,,,,,,,\n")
    out = tmp_path / "inv.yaml"
    run_import(IMPORTERS["csv"], str(source), out, options())
    assert loaded(out).host("self").transport == "local"
