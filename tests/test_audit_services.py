"""`auditor audit` of an inventory with web services: their findings reach results and report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from auditor.cli.main import cli
from web_servers import LocalCa, Page, rsa_key, serve, server_context


def test_audit_includes_service_findings(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    ca = LocalCa(tmp_path / "pki")
    tls = server_context(ca.issue("portal", key=rsa_key(2048)))
    pages = {"/": Page(headers=(("Server", "Apache/2.4.41 (Ubuntu)"),)),
             "/.git/HEAD": Page(body=b"ref: refs/heads/main\n")}
    with serve(pages, tls=tls) as port, serve() as dead_http:
        inventory = tmp_path / "inventory.yaml"
        inventory.write_text(
            "version: 1\n"
            "organisation: {code: '32.73', name: Kota Contoh, level: kota}\n"
            "sites: [{id: s1, name: Ruang Server, kind: server_room}]\n"
            "hosts: [{id: self, site: s1, transport: local}]\n"
            "services:\n"
            f"  - {{id: portal, url: 'https://127.0.0.1:{port}/', host: self}}\n"
            "  - {id: gone, url: 'https://127.0.0.1:9/', site: s1}\n")
        out = tmp_path / "bundle"
        result = CliRunner().invoke(cli, [
            "audit", str(inventory), "-o", str(out), "--ca-file", str(ca.pem),
            "--http-port", str(dead_http), "--service-timeout", "3", "--lang", "en", "-q"])
    # One service never answers: the scan is incomplete whatever else was found.
    assert result.exit_code == 3, result.output
    results = json.loads((out / "results.json").read_text())
    services = {s["id"]: s for s in results["services"]}
    portal = {f["control"]: f["status"] for f in services["portal"]["findings"]}
    assert services["portal"]["status"] == "ok"
    assert portal["WEB-CERT-TRUSTED"] == "pass"
    assert portal["WEB-SENSITIVE-FILES"] == "fail"
    assert portal["WEB-VERSION-BANNER"] == "fail"
    assert portal["WEB-HSTS"] == "fail"
    assert services["gone"]["status"] in ("unreachable", "timeout")
    assert all(f["status"] == "unknown" for f in services["gone"]["findings"])
    assert services["gone"]["score"] is None
    html = (out / "report.html").read_text()
    assert "portal" in html and "WEB-SENSITIVE-FILES" in html
