"""Security headers and version banners of one HTTP response."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auditor.collect.web.untrusted import clean

REFERRER_POLICIES = ("no-referrer", "no-referrer-when-downgrade", "origin",
                     "origin-when-cross-origin", "same-origin", "strict-origin",
                     "strict-origin-when-cross-origin", "unsafe-url")
BANNER_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version",
                  "x-generator", "x-drupal-cache", "x-runtime")
_VERSION = re.compile(r"\d+\.\d+|/\s*\d")
_MAX_AGE = re.compile(r"(?:^|;)\s*max-age\s*=\s*\"?(\d{1,12})\"?\s*(?:;|$)", re.IGNORECASE)


def _hsts(value: str | None, https: bool) -> dict[str, Any]:
    if value is None or not https:
        return {"present": False, "max_age": None, "include_subdomains": False,
                "preload": False, "ignored_over_http": value is not None and not https}
    match = _MAX_AGE.search(value)
    directives = {d.strip().lower() for d in value.split(";")}
    return {"present": True, "max_age": int(match.group(1)) if match else None,
            "include_subdomains": "includesubdomains" in directives,
            "preload": "preload" in directives, "value": clean(value)}


def _csp(value: str | None) -> dict[str, Any]:
    if value is None:
        return {"present": False, "frame_ancestors": None}
    directives: dict[str, str] = {}
    for part in value.split(";"):
        words = part.strip().split()
        if words:
            directives.setdefault(words[0].lower(), " ".join(words[1:]))
    ancestors = directives.get("frame-ancestors")
    return {"present": True, "frame_ancestors": clean(ancestors) if ancestors is not None else None,
            "directives": sorted(clean(d, 40) for d in directives)[:40],
            "value": clean(value, 600)}


def _referrer_policy(value: str | None) -> str:
    """The policy a browser applies: the last valid token; ``absent`` or ``invalid`` else."""
    if value is None:
        return "absent"
    chosen = None
    for token in value.split(","):
        token = token.strip().lower()
        if token in REFERRER_POLICIES:
            chosen = token
    return chosen or "invalid"


def header_facts(headers: Mapping[str, str], https: bool) -> dict[str, Any]:
    """The headers facts of a response (``https``: it came over TLS, so HSTS counts)."""
    csp = _csp(headers.get("content-security-policy"))
    xfo_raw = headers.get("x-frame-options")
    xfo = clean(xfo_raw).upper() if xfo_raw is not None else None
    ancestors = csp["frame_ancestors"]
    framing = (xfo in ("DENY", "SAMEORIGIN")
               or (ancestors is not None and "*" not in ancestors.split()))
    nosniff_raw = headers.get("x-content-type-options")
    banners = {name: clean(headers[name], 200) for name in BANNER_HEADERS if name in headers}
    versioned = sorted(name for name, value in banners.items() if _VERSION.search(value))
    hsts = _hsts(headers.get("strict-transport-security"), https)
    return {
        "hsts": hsts,
        "hsts_max_age": hsts["max_age"] if hsts["present"] else 0,
        "csp": csp,
        "csp_present": csp["present"],
        "x_content_type_options": clean(nosniff_raw) if nosniff_raw is not None else None,
        "nosniff": nosniff_raw is not None and nosniff_raw.strip().lower() == "nosniff",
        "x_frame_options": xfo,
        "framing_protected": framing,
        "referrer_policy": _referrer_policy(headers.get("referrer-policy")),
        "server": banners.get("server"),
        "x_powered_by": banners.get("x-powered-by"),
        "banners": banners,
        "version_banners": versioned,
        "version_banner_exposed": bool(versioned),
    }
