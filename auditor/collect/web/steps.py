"""The web probe's steps, in order: each a named object that fills one section of the facts.

The probe (``probe.py``) runs ``STEPS`` in order over one ``ProbeRun``. A step either
belongs to the service's answer itself (``ends_probe``: the TLS handshake, the certificate
it sent, the main fetch; a service that does not answer raises ``Stop`` and its status
says why) or is one more look at an answering service (a failure marks only its section
unknown, and a step whose turn comes after the time budget is spent is not run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from auditor.collect.web import tls
from auditor.collect.web.certificate import brief, certificate_facts
from auditor.collect.web.content import content_facts, gambling_hits
from auditor.collect.web.exposure import admin_console, exposure_facts
from auditor.collect.web.fetch import FetchError, Response, get, get_once
from auditor.collect.web.headers import header_facts
from auditor.collect.web.options import ServiceStatus, WebOptions
from auditor.collect.web.untrusted import clean, decode
from auditor.collect.web.watchdog import Watchdog

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


class Stop(Exception):
    """The service does not answer: end the probe with this status."""

    def __init__(self, status: ServiceStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


_STATUS = {"timeout": ServiceStatus.TIMEOUT, "unreachable": ServiceStatus.UNREACHABLE}


@dataclass
class ProbeRun:
    """Mutable state of one service probe (local to one thread), filled in by the steps."""

    target: Target
    options: WebOptions
    deadline: float
    watchdog: Watchdog
    session: requests.Session
    facts: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    handshake: tls.Handshake | None = None
    """The best TLS handshake (https only), for the certificate step."""
    main: Response | None = None
    """The answer to the main fetch, for every step after it."""
    verify: bool | str = True
    """How the main fetch verified the certificate: the later fetches do the same."""

    def left(self) -> float:
        """Seconds the next network call may take: its timeout within the total budget."""
        return max(0.1, min(self.options.timeout, self.deadline - time.monotonic()))

    def answer(self) -> Response:
        """The main fetch's answer (the steps after it run only when there is one)."""
        assert self.main is not None, "a step after the main fetch ran before it"
        return self.main


@dataclass(frozen=True)
class ProbeStep:
    """One step of the web probe: it fills ``section`` of the facts."""

    section: str
    """The section of the facts (and of ``unknown``) this step fills."""
    run: Callable[[ProbeRun], None]
    """Does the step: reads and writes the probe's state."""
    ends_probe: bool = False
    """The service's answer itself: a failure ends the probe (``Stop`` gives its status)
    rather than marking the section unknown."""
    skipped: Callable[[WebOptions], str | None] = lambda options: None
    """Why the options leave this step out (the section's unknown reason), or None."""


def _tls(run: ProbeRun) -> None:
    """The TLS facts: the best handshake and every protocol version the server accepts."""
    target = run.target
    if target.scheme != "https":
        run.facts["tls"] = {"enabled": False}
        return
    try:
        best = tls.best_handshake(target.host, target.port, run.left(), run.watchdog)
    except tls.HandshakeError as exc:
        raise Stop(_STATUS.get(exc.kind, ServiceStatus.ERROR), exc.reason) from None
    facts: dict[str, Any] = {"enabled": True, "negotiated": {
        "version": best.version, "cipher": clean(best.cipher or "", 80) or None,
        "bits": best.bits}}
    facts.update(tls.accepted_versions(target.host, target.port, run.left(), run.watchdog))
    run.facts["tls"] = facts
    run.handshake = best


def _certificate(run: ProbeRun) -> None:
    """The certificate the handshake brought, and whether its chain verifies."""
    best, target = run.handshake, run.target
    if best is None:
        run.facts["certificate"] = {"present": False}
        return
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


def _main_fetch(run: ProbeRun) -> None:
    """The page itself: status, redirects, body (unverified only when verification failed)."""
    session = run.session
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
        raise Stop(_STATUS.get(exc.kind, ServiceStatus.ERROR), exc.reason) from None
    http.update({"status": response.status, "final_url": clean(response.url, 500),
                 "redirects": [clean(u, 500) for u in response.redirects],
                 "offsite_redirect": clean(response.location, 500) if response.location else None,
                 "body_bytes": len(response.body), "body_truncated": response.truncated})
    run.facts["http"] = http
    run.main, run.verify = response, verify


def _plain_http(run: ProbeRun) -> None:
    """Whether plain http:// answers too, and redirects to https://."""
    session, main = run.session, run.answer()
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


def _content(run: ProbeRun) -> None:
    """What the page says: generator, title, gambling spam (also as a search engine sees it)."""
    session, main, verify = run.session, run.answer(), run.verify
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


def _headers(run: ProbeRun) -> None:
    """The security headers of the final answer, and the version banners it shows."""
    main = run.answer()
    run.facts["headers"] = header_facts(main.headers, urlsplit(main.url).scheme == "https")


def _exposure(run: ProbeRun) -> None:
    """Files and consoles that should not be public, probed at the final answer's origin."""
    main = run.answer()
    console = admin_console(main.url, run.facts.get("content", {}).get("title"))
    run.facts["exposure"] = exposure_facts(run.session, _origin(main.url), run.options,
                                           run.verify, run.deadline, main, console)


STEPS: tuple[ProbeStep, ...] = (
    ProbeStep("tls", _tls, ends_probe=True),
    ProbeStep("certificate", _certificate, ends_probe=True),
    ProbeStep("http", _main_fetch, ends_probe=True),
    ProbeStep("headers", _headers),
    ProbeStep("content", _content),
    ProbeStep("http", _plain_http),
    ProbeStep("exposure", _exposure, skipped=lambda options: None if options.check_exposure
              else "exposure checks turned off"),
)
"""The web probe, step by step, in the order the steps run (and their facts are written)."""
