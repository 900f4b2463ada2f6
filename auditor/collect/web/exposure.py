"""A fixed, bounded list of well-known paths that should never answer, each checked by GET."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from auditor.collect.web.fetch import FetchError, Response, get_once
from auditor.collect.web.options import WebOptions

EXPOSURE_BODY_BYTES = 64 * 1024
"""Bytes read at most from an exposure probe: enough to recognise, never to download."""
_LISTING = re.compile(r"<title>\s*(Index of /|Directory listing for /)|<h1>\s*Index of /",
                      re.IGNORECASE)
_ENV_LINE = re.compile(rb"^\s*(?:export\s+)?[A-Z][A-Z0-9_]{1,63}\s*=", re.MULTILINE)
_SQL = re.compile(rb"(-- MySQL dump|-- PostgreSQL database dump|CREATE TABLE|INSERT INTO)",
                  re.IGNORECASE)
_ARCHIVE_TYPES = ("application/zip", "application/x-zip", "application/gzip",
                  "application/x-gzip", "application/x-tar", "application/octet-stream",
                  "application/sql", "application/x-sql")
ADMIN_PORTS = {2082: "cPanel", 2083: "cPanel", 2086: "WHM", 2087: "WHM", 2222: "DirectAdmin",
               8880: "Plesk", 10000: "Webmin", 9090: "Cockpit", 8083: "VestaCP"}
"""Usual ports of hosting control panels (8443 is left out: too many ordinary apps use it)."""
_CONSOLE_SIGNS = {"webmin": "Webmin", "cpanel": "cPanel", "whm login": "WHM",
                  "plesk": "Plesk", "directadmin": "DirectAdmin", "phpmyadmin": "phpMyAdmin",
                  "cockpit": "Cockpit", "adminer": "Adminer"}


def _html(r: Response) -> bool:
    return "html" in r.headers.get("content-type", "").lower() or b"<html" in r.body[:2048].lower()


def _phpmyadmin(r: Response) -> str | None:
    return "phpMyAdmin page" if r.status == 200 and b"phpmyadmin" in r.body.lower() else None


def _wp_admin(r: Response) -> str | None:
    if r.location and "wp-login.php" in r.location:
        return "redirects to the WordPress login"
    if r.status == 200 and (b"wp-login" in r.body or b"wp-admin" in r.body):
        return "WordPress admin page"
    return None


def _wp_login(r: Response) -> str | None:
    found = r.status == 200 and (b"user_login" in r.body or b"wp-submit" in r.body)
    return "WordPress login form" if found else None


def _git_head(r: Response) -> str | None:
    head = r.body[:100].strip()
    if r.status == 200 and (head.startswith(b"ref:") or re.fullmatch(rb"[0-9a-f]{40}", head)):
        return "git HEAD readable (the whole repository is likely downloadable)"
    return None


def _env(r: Response) -> str | None:
    if r.status != 200 or _html(r):
        return None
    lines = len(_ENV_LINE.findall(r.body))
    return f"{lines} KEY=VALUE lines (values not kept)" if lines >= 2 else None


def _backup(r: Response) -> str | None:
    if r.status != 200 or _html(r):
        return None
    kind = r.headers.get("content-type", "").split(";")[0].strip().lower()
    magic = r.body[:4]
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"\x1f\x8b") or _SQL.search(r.body):
        return f"archive or dump content ({kind or 'no content type'})"
    if kind in _ARCHIVE_TYPES and len(r.body) > 0:
        return f"downloadable as {kind}"
    return None


def _server_status(r: Response) -> str | None:
    found = r.status == 200 and (b"Apache Server Status" in r.body or b"Server Version:" in r.body)
    return "Apache server-status page" if found else None


def listing(r: Response) -> str | None:
    """Evidence that the response is a directory listing."""
    text = r.body[:EXPOSURE_BODY_BYTES].decode("utf-8", errors="replace")
    return "directory listing" if r.status == 200 and _LISTING.search(text) else None


@dataclass(frozen=True)
class PathCheck:
    """One well-known path, what it exposes, and how to recognise it."""

    path: str
    kind: str
    """admin_panels, sensitive_files or directory_listings."""
    detect: Callable[[Response], str | None]


PATH_CHECKS: tuple[PathCheck, ...] = (
    PathCheck("/phpmyadmin/", "admin_panels", _phpmyadmin),
    PathCheck("/pma/", "admin_panels", _phpmyadmin),
    PathCheck("/wp-admin/", "admin_panels", _wp_admin),
    PathCheck("/wp-login.php", "admin_panels", _wp_login),
    PathCheck("/.git/HEAD", "sensitive_files", _git_head),
    PathCheck("/.env", "sensitive_files", _env),
    PathCheck("/backup.zip", "sensitive_files", _backup),
    PathCheck("/backup.sql", "sensitive_files", _backup),
    PathCheck("/backup.tar.gz", "sensitive_files", _backup),
    PathCheck("/server-status", "sensitive_files", _server_status),
    PathCheck("/uploads/", "directory_listings", listing),
    PathCheck("/files/", "directory_listings", listing),
    PathCheck("/backup/", "directory_listings", listing),
)
"""The fixed list; the site root's listing is judged on the main page already fetched."""
KINDS = ("admin_panels", "sensitive_files", "directory_listings")


def admin_console(url: str, title: str | None) -> str | None:
    """A hosting control panel answering at ``url`` (by its usual port or its page title)."""
    lowered = (title or "").lower()
    for sign, name in _CONSOLE_SIGNS.items():
        if sign in lowered:
            return name
    try:
        port = urlsplit(url).port
    except ValueError:
        return None
    return ADMIN_PORTS.get(port) if port is not None else None


def exposure_facts(session: requests.Session, origin: str, options: WebOptions,
                   verify: bool | str, deadline: float, root: Response,
                   console: str | None) -> dict[str, Any]:
    """Check every path of PATH_CHECKS under ``origin``; the exposure facts."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    errors: dict[str, str] = {}
    details: list[dict[str, Any]] = []
    if listing(root):
        found["directory_listings"].append("/")
        details.append({"path": "/", "kind": "directory_listings", "status": root.status,
                        "evidence": "directory listing"})
    if console:
        found["admin_panels"].append(f"console:{console}")
        details.append({"path": "/", "kind": "admin_panels", "status": root.status,
                        "evidence": f"{console} control panel answers"})
    for check in PATH_CHECKS:
        if time.monotonic() > deadline:
            errors[check.path] = "time budget for the service spent"
            continue
        try:
            response = get_once(session, origin + check.path, options, verify, deadline,
                                max_body=EXPOSURE_BODY_BYTES)
        except FetchError as exc:
            errors[check.path] = exc.reason
            continue
        evidence = check.detect(response)
        if evidence:
            found[check.kind].append(check.path)
            details.append({"path": check.path, "kind": check.kind, "status": response.status,
                            "evidence": evidence})
    facts: dict[str, Any] = {"checked": [c.path for c in PATH_CHECKS], "found": details,
                             "errors": errors, "admin_console": console}
    for kind in KINDS:
        incomplete = any(c.kind == kind and c.path in errors for c in PATH_CHECKS)
        facts[kind] = found[kind] if found[kind] or not incomplete else None
    return facts
