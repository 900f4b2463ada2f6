"""Probe one web service (TLS, certificate, redirect, headers, exposure, content) and many."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from urllib3.exceptions import InsecureRequestWarning

from auditor import __version__
from auditor.bundle.folder import Bundle, atomic_write_json, read_json
from auditor.collect.web import tls
from auditor.collect.web.certificate import brief, certificate_facts
from auditor.collect.web.content import content_facts, gambling_hits
from auditor.collect.web.exposure import admin_console, exposure_facts
from auditor.collect.web.fetch import FetchError, Response, get, get_once, new_session
from auditor.collect.web.headers import header_facts
from auditor.collect.web.options import ServiceResult, ServiceStatus, WebOptions
from auditor.collect.web.untrusted import clean, decode
from auditor.collect.web.watchdog import Watchdog
from auditor.errors import InputError
from auditor.inventory.load import Inventory, Service

SERVICE_FORMAT = "auditor.service/1"
SECTIONS = ("tls", "certificate", "http", "headers", "exposure", "content")
CRAWLER_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
"""Injected spam is often shown to search engines only, so the page is fetched as one too."""


@dataclass(frozen=True)
class Target:
    """Where a service URL points."""

    url: str
    scheme: str
    host: str
    port: int
    path: str


def parse_target(url: str) -> Target:
    """Split a service URL; ValueError when it is not http(s) with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http:// or https:// URL with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Target(url, parts.scheme, parts.hostname, port, parts.path or "/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


class _Stop(Exception):
    """The service does not answer: end the probe with this status."""

    def __init__(self, status: ServiceStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


_STATUS = {"timeout": ServiceStatus.TIMEOUT, "unreachable": ServiceStatus.UNREACHABLE}


@dataclass
class _Run:
    """Mutable state of one service probe (local to one thread)."""

    target: Target
    options: WebOptions
    deadline: float
    facts: dict[str, Any]
    unknown: dict[str, str]
    watchdog: Watchdog

    def left(self) -> float:
        return max(0.1, min(self.options.timeout, self.deadline - time.monotonic()))


def _tls_sections(run: _Run) -> None:
    target, timeout = run.target, run.left()
    try:
        best = tls.best_handshake(target.host, target.port, timeout, run.watchdog)
    except tls.HandshakeError as exc:
        raise _Stop(_STATUS.get(exc.kind, ServiceStatus.ERROR), exc.reason) from None
    facts: dict[str, Any] = {"enabled": True, "negotiated": {
        "version": best.version, "cipher": clean(best.cipher or "", 80) or None,
        "bits": best.bits}}
    facts.update(tls.accepted_versions(target.host, target.port, run.left(), run.watchdog))
    run.facts["tls"] = facts
    if best.leaf is None:
        run.unknown["certificate"] = "the server sent no certificate"
        return
    try:
        cert = certificate_facts(best.leaf, target.host)
    except ValueError as exc:
        run.unknown["certificate"] = clean(f"certificate not readable: {exc}")
        return
    cert["chain"] = [brief(der) for der in best.chain]
    cert["chain_length"] = len(best.chain) or None
    cert["trust_store"] = str(run.options.ca_file) if run.options.ca_file else "system"
    try:
        verified, error = tls.verify_chain(target.host, target.port, run.left(),
                                           run.options.ca_file, run.watchdog)
    except tls.HandshakeError as exc:
        verified, error = None, f"could not verify: {exc.reason}"
    cert["chain_verified"] = verified
    cert["verify_error"] = clean(error) if error else None
    cert["valid"] = (None if verified is None else
                     bool(verified and cert["hostname_match"] and not cert["expired"]))
    run.facts["certificate"] = cert


def _main_fetch(run: _Run, session: requests.Session) -> tuple[Response, bool | str]:
    verify: bool | str = str(run.options.ca_file) if run.options.ca_file else True
    http: dict[str, Any] = {"verified_fetch": run.target.scheme == "https"}
    try:
        try:
            response = get(session, run.target.url, run.options, verify, run.deadline)
        except FetchError as exc:
            if exc.kind != "tls" or run.target.scheme != "https":
                raise
            http["verified_fetch"] = False
            http["note"] = ("certificate verification failed (recorded under certificate); "
                            "the page was then fetched without verification to check the rest")
            verify = False
            response = get(session, run.target.url, run.options, verify, run.deadline)
    except FetchError as exc:
        raise _Stop(_STATUS.get(exc.kind, ServiceStatus.ERROR), exc.reason) from None
    http.update({"status": response.status, "final_url": clean(response.url, 500),
                 "redirects": [clean(u, 500) for u in response.redirects],
                 "offsite_redirect": clean(response.location, 500) if response.location else None,
                 "body_bytes": len(response.body), "body_truncated": response.truncated})
    run.facts["http"] = http
    return response, verify


def _plain_http(run: _Run, session: requests.Session, main: Response) -> None:
    http = run.facts["http"]
    if run.target.scheme == "http":
        redirects = (main.location or "").startswith("https://")
        http.update({"plain_url": run.target.url, "plain_http_reachable": True,
                     "redirects_to_https": redirects, "serves_plain_http": not redirects})
        return
    port = run.options.http_port
    netloc = f"[{run.target.host}]" if ":" in run.target.host else run.target.host
    url = urlunsplit(("http", f"{netloc}:{port}", run.target.path, "", ""))
    http["plain_url"] = url
    try:
        response = get_once(session, url, run.options, False, run.deadline, max_body=4096)
    except FetchError as exc:
        answered = exc.kind == "error"
        http.update({"plain_http_reachable": answered, "redirects_to_https": None,
                     "serves_plain_http": None if answered else False,
                     "plain_http_error": exc.reason})
        return
    location = response.location or ""
    redirects = location.startswith("https://")
    http.update({"plain_http_reachable": True, "plain_status": response.status,
                 "plain_location": clean(location, 500) or None,
                 "redirects_to_https": redirects, "serves_plain_http": not redirects})


def _content(run: _Run, session: requests.Session, main: Response, verify: bool | str) -> None:
    text = decode(main.body, main.charset)
    facts = content_facts(text, main.headers.get("x-generator"))
    facts["crawler_gambling_keyword_count"] = None
    try:
        crawler = get(session, run.target.url, run.options, verify, run.deadline,
                      user_agent=CRAWLER_AGENT)
        hits = gambling_hits(decode(crawler.body, crawler.charset))
        facts["crawler_gambling_keyword_count"] = sum(hits.values())
        facts["cloaked_for_crawlers"] = sum(hits.values()) > facts["gambling_keyword_count"]
        if facts["cloaked_for_crawlers"]:
            facts["gambling_keywords"] = hits
            facts["gambling_keyword_count"] = sum(hits.values())
    except FetchError as exc:
        facts["crawler_error"] = exc.reason
    run.facts["content"] = facts


def _guard(run: _Run, section: str, step: Callable[[], None]) -> None:
    if time.monotonic() > run.deadline:
        run.unknown[section] = "time budget for the service spent"
        return
    try:
        step()
    except _Stop:
        raise
    except Exception as exc:  # one broken section must not lose the others
        run.unknown[section] = f"internal error in the web probe: {type(exc).__name__}"


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def probe_service(service: Service, options: WebOptions) -> dict[str, Any]:
    """Probe one service read-only; the DIR/services/SERVICE.json document. Never raises."""
    warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1", DeprecationWarning)
    started, checked_at = time.monotonic(), utc_now()
    doc: dict[str, Any] = {"format": SERVICE_FORMAT, "service": service.id, "url": service.url,
                           "host": service.host, "site": service.site, "status": "ok",
                           "reason": None, "checked_at": checked_at, "duration_s": 0.0,
                           "auditor_version": __version__, "facts": {}, "unknown": {}}
    try:
        target = parse_target(service.url)
    except ValueError as exc:
        doc.update(status=str(ServiceStatus.ERROR), reason=f"bad URL: {exc}",
                   unknown=dict.fromkeys(SECTIONS, "service not probed: bad URL"))
        return doc
    watchdog = Watchdog(options.total_timeout + 1.0)
    run = _Run(target, options, started + options.total_timeout, {}, {}, watchdog)
    session = new_session(watchdog)
    try:
        watchdog.start()
        if target.scheme == "https":
            _tls_sections(run)
        else:
            run.facts["tls"] = {"enabled": False}
            run.facts["certificate"] = {"present": False}
        main, verify = _main_fetch(run, session)
        https = urlsplit(main.url).scheme == "https"
        _guard(run, "headers", lambda: run.facts.__setitem__(
            "headers", header_facts(main.headers, https)))
        _guard(run, "content", lambda: _content(run, session, main, verify))
        _guard(run, "http", lambda: _plain_http(run, session, main))
        if options.check_exposure:
            console = admin_console(main.url, run.facts.get("content", {}).get("title"))
            _guard(run, "exposure", lambda: run.facts.__setitem__("exposure", exposure_facts(
                session, _origin(main.url), options, verify, run.deadline, main, console)))
        else:
            run.unknown["exposure"] = "exposure checks turned off"
    except _Stop as stop:
        doc["status"], doc["reason"] = str(stop.status), clean(stop.reason, 500)
    except Exception as exc:  # a probe bug must not stop the other services
        doc["status"] = str(ServiceStatus.ERROR)
        doc["reason"] = f"internal error in the web probe: {type(exc).__name__}"
    finally:
        watchdog.cancel()
        session.close()
    for section in SECTIONS:
        if section not in run.facts and section not in run.unknown:
            run.unknown[section] = f"service not probed: {doc['status']}"
    doc["facts"], doc["unknown"] = run.facts, run.unknown
    doc["duration_s"] = round(time.monotonic() - started, 3)
    return doc


def good_service_file(bundle: Bundle, service_id: str) -> bool:
    """True when the bundle holds a complete, successful probe of this service."""
    try:
        data = read_json(bundle.service(service_id))
    except InputError:
        return False
    return isinstance(data, dict) and data.get("format") == SERVICE_FORMAT \
        and data.get("status") == ServiceStatus.OK


def probe_services(inventory: Inventory, bundle: Bundle, options: WebOptions,
                   concurrency: int = 8, *, resume: bool = False,
                   on_result: Callable[[ServiceResult], None] | None = None,
                   stop: threading.Event | None = None) -> list[ServiceResult]:
    """Probe every service of ``inventory`` in a bounded pool; write DIR/services/*.json."""
    options.check()
    bundle.services_dir.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()

    def one(service: Service) -> ServiceResult:
        if resume and good_service_file(bundle, service.id):
            return ServiceResult(service.id, ServiceStatus.OK, None, 0.0, skipped=True)
        if stop.is_set():
            return ServiceResult(service.id, ServiceStatus.ERROR, "scan stopped", 0.0,
                                 skipped=True)
        doc = probe_service(service, options)
        atomic_write_json(bundle.service(service.id), doc)
        result = ServiceResult(service.id, ServiceStatus(doc["status"]), doc["reason"],
                               doc["duration_s"])
        if on_result:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 64)),
                            thread_name_prefix="auditor-web") as pool:
        return list(pool.map(one, inventory.services))
