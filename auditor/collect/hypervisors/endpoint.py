"""A hypervisor API endpoint: where it is, how to log in (by env var), and how it failed."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditor.errors import AuditorError, InputError
from auditor.model import HostStatus


@dataclass(frozen=True)
class Endpoint:
    """One vCenter/ESXi or Proxmox VE API, as the inventory's ``hypervisors:`` names it."""

    id: str
    kind: str
    """``vsphere`` or ``proxmox``."""
    url: str
    user: str | None = None
    """vSphere login, e.g. ``audit@vsphere.local`` (Proxmox: the token carries the user)."""
    password_env: str | None = None
    """vSphere: the environment variable holding the password."""
    token_env: str | None = None
    """Proxmox: the environment variable holding ``USER@REALM!TOKENID=SECRET``."""
    ca_file: Path | None = None
    """PEM file of the CA that signed the endpoint's certificate."""
    insecure_tls: bool = False
    """Do not verify the certificate (explicit opt-in; recorded in the facts)."""
    timeout: float = 30.0
    """Seconds allowed to connect and for each answer."""

    @property
    def host_port(self) -> tuple[str, int | None, str]:
        """The URL's host, port (None: the scheme's) and scheme."""
        parts = urlsplit(self.url)
        return parts.hostname or "", parts.port, parts.scheme

    @property
    def shown(self) -> str:
        """The URL without user, password or query, for messages and facts."""
        host, port, scheme = self.host_port
        return f"{scheme}://{host}{f':{port}' if port else ''}{urlsplit(self.url).path}"

    def tls_note(self) -> str:
        """How the certificate was checked, for the facts."""
        if self.host_port[2] != "https":
            return "plain http: no TLS"
        if self.insecure_tls:
            return "certificate NOT verified (--insecure-tls / insecure_tls: true)"
        against = self.ca_file.name if self.ca_file else "the system CAs"
        return f"certificate verified against {against}"


class EndpointFailure(AuditorError):
    """The endpoint could not be read; ``status`` says how, the message what to do."""

    def __init__(self, status: HostStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_url(url: str, where: str) -> None:
    """Refuse a URL that is not http(s)://host[:port]; InputError names where it came from."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{where}: '{url[:200]}' is not an http(s):// URL of a hypervisor API")
    if parts.username or parts.password:
        raise InputError(f"{where}: put no user or password in the URL; use --user and "
                         "--password-env (or user/password_env)")


def secret(name: str | None, what: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of environment variable ``name``; InputError when it is not set."""
    env = os.environ if environ is None else environ
    if not name:
        raise InputError(f"{what}: no environment variable named for the secret")
    value = env.get(name, "")
    if not value:
        raise InputError(f"{what}: environment variable {name} is not set (it must hold the "
                         "secret; the secret is never written anywhere)")
    return value


def tls_context(endpoint: Endpoint) -> ssl.SSLContext:
    """The TLS context: verifying (system CAs or ``ca_file``) unless insecure_tls."""
    if endpoint.insecure_tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(
            cafile=str(endpoint.ca_file) if endpoint.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"hypervisor {endpoint.id}: cannot read CA file {endpoint.ca_file}: "
                         f"{exc}") from None


def tls_failure(endpoint: Endpoint, exc: BaseException) -> EndpointFailure:
    """The failure for a certificate that did not verify, saying what the user can do."""
    detail = getattr(exc, "verify_message", None) or str(exc)
    return EndpointFailure(HostStatus.ERROR, (
        f"{endpoint.shown}: the TLS certificate was not verified ({str(detail)[:160]}); give "
        "the CA that signed it with --ca-file (inventory: ca_file), or --insecure-tls "
        "(insecure_tls: true) to skip the check, which is recorded"))


def endpoints_of(raw: Mapping[str, Any], base: Path) -> tuple[Endpoint, ...]:
    """The ``hypervisors:`` section of a loaded inventory document (already schema-checked)."""
    out = []
    for entry in raw.get("hypervisors") or []:
        ca = entry.get("ca_file")
        out.append(Endpoint(
            id=entry["id"], kind=entry["kind"], url=entry["url"], user=entry.get("user"),
            password_env=entry.get("password_env"), token_env=entry.get("token_env"),
            ca_file=(base / ca).expanduser() if ca else None,
            insecure_tls=bool(entry.get("insecure_tls", False)),
            timeout=float(entry.get("timeout", 30.0))))
    return tuple(out)
