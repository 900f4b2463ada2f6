"""NetBox import against a real HTTP(S) server on 127.0.0.1 shaped like NetBox's REST API."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from auditor.errors import InputError
from auditor.inventory.importers import IMPORTERS, NetBoxOptions, run_import
from import_helpers import loaded, options, skipped_text
from netbox_server import TOKEN, netbox

ENV = {"NETBOX_TOKEN": TOKEN}


def _run(url: str, out: Path, **netbox_options: object) -> object:
    nb = NetBoxOptions(page_size=2, timeout=10, **netbox_options)  # type: ignore[arg-type]
    return run_import(IMPORTERS["netbox"], url, out, options(netbox=nb, environ=ENV))


def test_imports_active_devices_and_vms_across_pages(tmp_path: Path) -> None:
    out = tmp_path / "inv.yaml"
    with netbox() as (url, seen):
        report = _run(url, out)
    inv = loaded(out)
    hosts = {h.id: h for h in inv.hosts}
    assert set(hosts) == {"web-01", "db-01", "app-dishub", "simpeg-vm", "orphan-vm"}
    assert hosts["web-01"].address == "10.0.0.5"             # prefix length dropped
    assert hosts["db-01"].role == "database"
    assert hosts["web-01"].site == "balaikota"
    assert hosts["app-dishub"].site == "dc-dishub"
    assert hosts["simpeg-vm"].site == "balaikota"
    site = inv.site("balaikota")
    assert (site.name, site.address) == ("Ruang Server Balai Kota", "Jl. Merdeka 1, Kota Contoh")
    assert "platform Ubuntu 22.04" in inv.raw["hosts"][0]["notes"]
    notes = skipped_text(report)
    assert "device 'old-mail': status is 'decommissioning' (imported: active)" in notes
    assert "device 'spare-01': status is 'offline'" in notes
    assert "virtual machine 'test-vm': status is 'staged'" in notes
    assert "device 'switch-core': it has no primary IP in NetBox" in notes
    assert "device id 7: it has no name in NetBox" in notes
    assert "virtual machine 'orphan-vm' has no site in NetBox; placed in " \
           "'pemerintah-kota-contoh'" in report.warnings
    # the token went in the header on every request, and pagination was followed
    assert all(auth == f"Token {TOKEN}" for _, auth in seen.requests)
    device_pages = [p for p, _ in seen.requests if p.startswith("/api/dcim/devices/")]
    assert len(device_pages) == 4                            # 7 devices, 2 per page
    assert any("offset=6" in p for p in device_pages)
    assert TOKEN not in out.read_text()


def test_credentials_in_the_url_are_refused_and_a_query_is_not_written(tmp_path: Path) -> None:
    out = tmp_path / "inv.yaml"
    with netbox() as (url, seen):
        with pytest.raises(InputError) as caught:
            _run(url.replace("http://", "http://admin:hunter2@"), out)
        assert "must not hold a user name or password" in str(caught.value)
        assert "hunter2" not in str(caught.value) and seen.requests == []
        _run(url + "?note=private", out)
    text = out.read_text()
    assert "private" not in text and TOKEN not in text
    assert f"from {url} on" in text


def test_filters_by_site_and_tag(tmp_path: Path) -> None:
    out = tmp_path / "inv.yaml"
    with netbox() as (url, seen):
        _run(url, out, sites=("balaikota",), tags=("audit",))
    assert {h.id for h in loaded(out).hosts} == {"web-01", "db-01", "simpeg-vm"}
    first_device_query = next(p for p, _ in seen.requests if p.startswith("/api/dcim/devices/"))
    assert "site=balaikota" in first_device_query and "tag=audit" in first_device_query


def test_other_statuses_and_vm_only(tmp_path: Path) -> None:
    out = tmp_path / "inv.yaml"
    with netbox() as (url, _):
        _run(url, out, statuses=("active", "staged"), devices=False)
    assert {h.id for h in loaded(out).hosts} == {"simpeg-vm", "test-vm", "orphan-vm"}


def test_refused_token_is_reported_without_the_token(tmp_path: Path) -> None:
    with netbox() as (url, _), pytest.raises(InputError) as caught:
        run_import(IMPORTERS["netbox"], url, tmp_path / "inv.yaml",
                   options(environ={"NB": "wrong-token-value"},
                           netbox=NetBoxOptions(token_env="NB")))
    assert "NetBox refused the token (HTTP 403)" in str(caught.value)
    assert "wrong-token-value" not in str(caught.value)
    assert not (tmp_path / "inv.yaml").exists()


def test_missing_token(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="put it in the environment variable NETBOX_TOKEN"):
        run_import(IMPORTERS["netbox"], "http://127.0.0.1:9/", tmp_path / "inv.yaml",
                   options(environ={}))


def test_next_link_to_another_server_is_refused(tmp_path: Path) -> None:
    with netbox(next_host="evil.example:80") as (url, seen), \
            pytest.raises(InputError, match="points to another server"):
        _run(url, tmp_path / "inv.yaml")
    assert all("evil" not in p for p, _ in seen.requests)


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)                 # connections queue; nothing ever answers
    try:
        port = listener.getsockname()[1]
        with pytest.raises(InputError, match=r"no answer within 0.5 s"):
            run_import(IMPORTERS["netbox"], f"http://127.0.0.1:{port}/", tmp_path / "inv.yaml",
                       options(environ=ENV, netbox=NetBoxOptions(timeout=0.5)))
    finally:
        listener.close()
    assert not (tmp_path / "inv.yaml").exists()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netbox.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_tls_is_verified_by_default_and_a_ca_bundle_is_accepted(tmp_path: Path) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    def wrap(sock: socket.socket) -> socket.socket:
        return context.wrap_socket(sock, server_side=True)

    out = tmp_path / "inv.yaml"
    with netbox(wrap=wrap) as (url, _):
        with pytest.raises(InputError, match="TLS certificate not trusted"):
            _run(url, out)
        report = _run(url, out, ca_bundle=str(cert_file))
    assert "web-01" in {h.id for h in loaded(out).hosts}
    assert not any("plain http" in w for w in report.warnings)
    assert TOKEN not in out.read_text()
