"""The web probe against real HTTP(S) servers on 127.0.0.1 with certificates made here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from auditor.bundle.folder import Bundle
from auditor.bundle.schemas import load_schema
from auditor.collect.web import WebOptions
from auditor.collect.web.probe import probe_service, probe_services
from auditor.errors import InputError
from auditor.inventory.load import Inventory, Organisation, Service, Site
from web_servers import (
    LocalCa,
    Page,
    drip_server,
    raw_server,
    rsa_key,
    serve,
    server_context,
    silent_server,
)

pytestmark = pytest.mark.timeout(120)

SECURE_HEADERS = (
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCa:
    return LocalCa(tmp_path_factory.mktemp("pki"))


def options(ca: LocalCa, **extra: Any) -> WebOptions:
    values: dict[str, Any] = {"timeout": 5.0, "total_timeout": 60.0, "ca_file": ca.pem,
                              "http_port": 1}
    values.update(extra)
    return WebOptions(**values)


def probe(url: str, opts: WebOptions) -> dict[str, Any]:
    doc = probe_service(Service("portal", url, host="web-01"), opts)
    jsonschema.validate(doc, load_schema("service"),
                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    json.dumps(doc)
    return doc


@pytest.fixture(scope="module")
def secure_doc(ca: LocalCa) -> dict[str, Any]:
    """The probe of a well-configured HTTPS server with an HTTP-to-HTTPS redirector."""
    tls = server_context(ca.issue("valid", key=rsa_key(2048)))
    pages = {"/": Page(headers=(*SECURE_HEADERS, ("Server", "nginx")))}
    with serve(pages, tls=tls) as port, \
            serve({"/": Page(301, b"", (("Location", f"https://127.0.0.1:{port}/"),))}) as plain:
        return probe(f"https://127.0.0.1:{port}/", options(ca, http_port=plain))


def test_valid_certificate_modern_tls_and_secure_headers(secure_doc: dict[str, Any]) -> None:
    doc = secure_doc
    assert doc["status"] == "ok" and doc["unknown"] == {}
    facts = doc["facts"]
    assert facts["tls"]["versions"] == {"tls1_0": False, "tls1_1": False, "tls1_2": True,
                                        "tls1_3": True}
    assert facts["tls"]["legacy_versions_accepted"] is False
    assert facts["tls"]["negotiated"]["version"] == "TLSv1.3"
    cert = facts["certificate"]
    assert cert["chain_verified"] is True and cert["hostname_match"] is True
    assert cert["self_signed"] is False and cert["expired"] is False
    assert cert["key_type"] == "RSA" and cert["key_size"] == 2048
    assert cert["san_ip"] == ["127.0.0.1"] and cert["issuer_cn"] == "Auditor Test CA"
    assert 363 <= cert["days_left"] <= 365
    assert facts["http"]["verified_fetch"] is True
    assert facts["http"]["redirects_to_https"] is True
    assert facts["http"]["serves_plain_http"] is False
    headers = facts["headers"]
    assert headers["hsts_max_age"] == 31536000 and headers["hsts"]["include_subdomains"]
    assert headers["csp_present"] and headers["csp"]["frame_ancestors"] == "'none'"
    assert headers["nosniff"] and headers["framing_protected"]
    assert headers["referrer_policy"] == "strict-origin-when-cross-origin"
    assert headers["version_banner_exposed"] is False
    assert facts["exposure"]["admin_panels"] == []
    assert facts["exposure"]["sensitive_files"] == []
    assert facts["exposure"]["directory_listings"] == []


def test_missing_headers_version_banners_and_plain_http(ca: LocalCa) -> None:
    page = Page(body=b'<html><head><title>Dinas</title><meta name="generator" '
                     b'content="WordPress 5.8.1"></head><body>x</body></html>',
                headers=(("X-Powered-By", "PHP/7.4.3"),))
    tls = server_context(ca.issue("bare"))
    with serve({"/": page}, tls=tls) as port, serve({"/": Page()}) as plain:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca, http_port=plain))
    headers = doc["facts"]["headers"]
    assert headers["hsts"]["present"] is False and headers["hsts_max_age"] == 0
    assert not headers["csp_present"] and not headers["nosniff"]
    assert not headers["framing_protected"] and headers["referrer_policy"] == "absent"
    assert headers["x_powered_by"] == "PHP/7.4.3"
    assert headers["version_banners"] == ["x-powered-by"]
    assert doc["facts"]["http"]["serves_plain_http"] is True
    assert doc["facts"]["http"]["redirects_to_https"] is False
    content = doc["facts"]["content"]
    assert content["title"] == "Dinas"
    assert (content["cms"], content["cms_version"]) == ("WordPress", "5.8.1")
    assert content["generator_version_exposed"] is True


def test_expired_certificate_is_recorded_and_the_page_still_checked(ca: LocalCa) -> None:
    with serve({"/": Page()}, tls=server_context(ca.issue("expired", expired=True))) as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    cert = doc["facts"]["certificate"]
    assert doc["status"] == "ok"
    assert cert["expired"] is True and cert["days_left"] < 0
    assert cert["chain_verified"] is False and "expired" in cert["verify_error"]
    assert cert["valid"] is False
    http = doc["facts"]["http"]
    assert http["verified_fetch"] is False and "without verification" in http["note"]
    assert doc["facts"]["content"]["title"] == "Portal"


def test_self_signed_certificate(ca: LocalCa) -> None:
    pki = ca.issue("selfsigned", self_signed=True)
    with serve({"/": Page()}, tls=server_context(pki)) as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    cert = doc["facts"]["certificate"]
    assert cert["self_signed"] is True and cert["chain_verified"] is False
    assert "self-signed" in cert["verify_error"] or "self signed" in cert["verify_error"]
    assert cert["hostname_match"] is True


def test_wrong_hostname(ca: LocalCa) -> None:
    pki = ca.issue("wronghost", dns=("portal.other.example",), ips=())
    with serve({"/": Page()}, tls=server_context(pki)) as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    cert = doc["facts"]["certificate"]
    assert cert["chain_verified"] is True
    assert cert["hostname_match"] is False and cert["valid"] is False
    assert cert["san_dns"] == ["portal.other.example"]
    assert doc["facts"]["http"]["verified_fetch"] is False


def test_weak_key_and_legacy_tls(ca: LocalCa) -> None:
    pki = ca.issue("weak", key=rsa_key(1024))
    with serve({"/": Page()}, tls=server_context(pki, legacy=True)) as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    assert doc["status"] == "ok"
    cert = doc["facts"]["certificate"]
    assert cert["key_type"] == "RSA" and cert["key_size"] == 1024
    tls = doc["facts"]["tls"]
    for version in ("tls1_0", "tls1_1"):
        # Either the probe saw the server accept it, or it says why it could not test it.
        assert tls["versions"][version] is True or version in tls["untested"]
    assert tls["legacy_versions_accepted"] in (True, None)
    assert tls["versions"]["tls1_2"] is True


def test_exposed_git_env_listing_and_phpmyadmin(ca: LocalCa, tmp_path: Path) -> None:
    site = tmp_path / "www"
    (site / ".git").mkdir(parents=True)
    (site / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (site / ".env").write_text("APP_KEY=base64:SECRETVALUE\nDB_PASSWORD=hunter2\n")
    (site / "phpmyadmin").mkdir()
    (site / "phpmyadmin" / "index.html").write_text("<title>phpMyAdmin</title>")
    (site / "laporan.pdf").write_bytes(b"%PDF-1.4")
    with serve(tls=server_context(ca.issue("exposed")), directory=site) as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    exposure = doc["facts"]["exposure"]
    assert exposure["directory_listings"] == ["/"]
    assert exposure["sensitive_files"] == ["/.git/HEAD", "/.env"]
    assert exposure["admin_panels"] == ["/phpmyadmin/"]
    text = json.dumps(doc)
    assert "SECRETVALUE" not in text and "hunter2" not in text


def test_http_only_service_and_gambling_spam(ca: LocalCa) -> None:
    spam = (b"<html><title>Kabupaten</title><div style='display:none'>slot gacor maxwin "
            b"situs slot togel</div><a href='x'>SLOT GACOR</a></html>")
    with serve({"/": Page(body=spam, headers=(("Strict-Transport-Security", "max-age=9"),))}) \
            as port:
        doc = probe(f"http://127.0.0.1:{port}/", options(ca))
    facts = doc["facts"]
    assert doc["status"] == "ok"
    assert facts["tls"] == {"enabled": False} and facts["certificate"] == {"present": False}
    assert facts["http"]["serves_plain_http"] is True
    assert facts["headers"]["hsts"]["present"] is False  # HSTS over plain HTTP is ignored
    assert facts["content"]["gambling_keywords"] == {"slot gacor": 2, "situs slot": 1,
                                                     "togel": 1, "maxwin": 1}
    assert facts["content"]["gambling_keyword_count"] == 5


def test_server_that_never_answers_times_out(ca: LocalCa) -> None:
    with silent_server() as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca, timeout=1.0))
    assert doc["status"] == "timeout"
    assert doc["facts"] == {} and set(doc["unknown"]) == {
        "tls", "certificate", "http", "headers", "exposure", "content"}


def test_closed_port_is_unreachable(ca: LocalCa) -> None:
    with silent_server() as port:
        pass
    doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    assert doc["status"] == "unreachable"


def test_hostile_headers_and_endless_body_are_capped(ca: LocalCa) -> None:
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            b"Server: <script>alert(1)</script>\x1b[31mApache/2.4.1\x07\r\n"
            b"X-Powered-By: " + b"<img src=x onerror=alert(1)>" * 2000 + b"\r\n"
            b"Content-Security-Policy: " + b"a" * 60000 + b"\r\n\r\n"
            b"<title>\x1b]0;pwned\x07" + b"T" * 5000 + b"</title>")
    with raw_server(head, endless=True) as port:
        doc = probe(f"http://127.0.0.1:{port}/", options(ca, max_body_bytes=256 * 1024,
                                                       check_exposure=False))
    assert doc["status"] == "ok"
    facts = doc["facts"]
    assert facts["http"]["body_truncated"] is True
    assert facts["http"]["body_bytes"] == 256 * 1024
    server = facts["headers"]["server"]
    assert "\x1b" not in server and "\x07" not in server and server.endswith("Apache/2.4.1")
    assert len(facts["headers"]["x_powered_by"]) <= 300
    assert len(facts["content"]["title"]) <= 300 and "\x1b" not in facts["content"]["title"]
    assert len(json.dumps(doc)) < 64 * 1024


def test_too_many_headers_is_an_error_not_a_hang(ca: LocalCa) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(500)) + b"\r\n"
    with raw_server(head, endless=True) as port:
        doc = probe(f"http://127.0.0.1:{port}/", options(ca))
    assert doc["status"] == "error" and "HTTP response" in doc["reason"]


def test_probe_services_writes_one_file_per_service(ca: LocalCa, tmp_path: Path) -> None:
    with serve({"/": Page()}, tls=server_context(ca.issue("multi"))) as port, \
            silent_server() as dead:
        services = (Service("portal", f"https://127.0.0.1:{port}/"),
                    Service("dead", f"https://127.0.0.1:{dead}/"))
        inventory = Inventory(path=tmp_path / "inventory.yaml",
                              organisation=Organisation("32.99", "Kota Uji", "kota"),
                              sites=(Site("ruang", "Ruang", "server_room"),), hosts=(),
                              services=services)
        bundle = Bundle(tmp_path / "bundle")
        results = probe_services(inventory, bundle, options(ca, timeout=1.0), concurrency=2)
    assert [(r.service, r.status) for r in results] == [("portal", "ok"), ("dead", "timeout")]
    for name, status in (("portal", "ok"), ("dead", "timeout")):
        data = json.loads(bundle.service(name).read_text())
        assert data["status"] == status and data["format"] == "auditor.service/1"
    assert not list(bundle.services_dir.glob(".*.tmp"))


def _fact_paths(check: dict[str, Any]) -> list[str]:
    if "all" in check or "any" in check:
        return [p for c in check.get("all", check.get("any", [])) for p in _fact_paths(c)]
    if "not" in check:
        return _fact_paths(check["not"])
    return [check["fact"]]


def _resolve(facts: dict[str, Any], path: str) -> Any:
    value: Any = facts
    for part in path.split("."):
        assert isinstance(value, dict) and part in value, f"{path}: not in the probe's facts"
        value = value[part]
    return value


def test_every_web_control_has_examples_and_reads_facts_the_probe_writes(
        secure_doc: dict[str, Any]) -> None:
    root = Path(__file__).resolve().parent.parent
    controls = yaml.safe_load((root / "specs/controls/web.yaml").read_text())["controls"]
    examples = yaml.safe_load((root / "tests/data/control_examples.yaml").read_text())["service"]
    assert {c["id"] for c in controls} == set(examples)
    facts_schema = load_schema("service")
    for control in controls:
        assert control["applies_to"] == "service" and control["domain"] == "web"
        assert set(examples[control["id"]]) == {"pass", "fail"}
        for example in examples[control["id"]].values():
            jsonschema.validate({**_MINIMAL_DOC, "facts": example}, facts_schema)
        for check in (control["check"], control.get("when") or {"fact": "tls.enabled"}):
            for path in _fact_paths(check):
                assert _resolve(secure_doc["facts"], path) is not None, path


_MINIMAL_DOC = {"format": "auditor.service/1", "service": "portal", "url": "https://x/",
                "status": "ok", "reason": None, "checked_at": "2026-01-01T00:00:00Z",
                "duration_s": 0, "unknown": {}}


def test_admin_console_recognised_by_its_page(ca: LocalCa) -> None:
    page = Page(body=b"<html><title>Login to Webmin</title></html>")
    with serve({"/": page}, tls=server_context(ca.issue("webmin"))) as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    assert doc["facts"]["exposure"]["admin_panels"] == ["console:Webmin"]
    assert doc["facts"]["exposure"]["admin_console"] == "Webmin"


def test_slow_drip_server_is_cut_by_the_service_time_budget(ca: LocalCa) -> None:
    with drip_server() as port:
        doc = probe(f"http://127.0.0.1:{port}/", options(ca, timeout=1.0, total_timeout=3.0))
    assert doc["status"] == "timeout"
    assert "time budget" in doc["reason"]


def test_unusable_ca_file_is_bad_input_before_any_probe(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    for opts in (WebOptions(ca_file=bogus), WebOptions(ca_file=tmp_path / "missing.pem"),
                 WebOptions(timeout=0)):
        with pytest.raises(InputError):
            opts.check()
    WebOptions().check()


def test_gambling_spam_shown_only_to_search_engines_is_found(ca: LocalCa) -> None:
    page = Page(crawler_body=b"<title>Dinas</title>" + b"<a>situs slot gacor maxwin</a>" * 5)
    with serve({"/": page}, tls=server_context(ca.issue("cloaked"))) as port:
        doc = probe(f"https://127.0.0.1:{port}/", options(ca))
    content = doc["facts"]["content"]
    assert content["cloaked_for_crawlers"] is True
    assert content["gambling_keyword_count"] == 15
    assert content["gambling_keywords"] == {"situs slot": 5, "slot gacor": 5, "maxwin": 5}
