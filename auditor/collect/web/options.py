"""Options of the web service probe, and the caps every request keeps."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from auditor.errors import InputError


@dataclass(frozen=True)
class WebOptions:
    """How to probe web services; every request is bounded by these."""

    timeout: float = 10.0
    """Seconds for one connection, handshake or read."""
    total_timeout: float = 120.0
    """Seconds for one whole service; steps not started by then are recorded as unknown."""
    ca_file: Path | None = None
    """PEM file of trusted CAs for chain verification (default: the system trust store)."""
    http_port: int = 80
    """Port of the plain-HTTP check for https:// services (does it redirect to HTTPS?)."""
    max_body_bytes: int = 512 * 1024
    """Bytes read at most from one response body; the rest is never read."""
    max_redirects: int = 3
    """Redirects followed at most, and only within the same scheme-less host."""
    check_exposure: bool = True
    """Probe the fixed list of well-known exposed paths."""
    user_agent: str = "auditor-web-probe/1 (read-only compliance audit)"

    def check(self) -> None:
        """Raise InputError for options no probe could use (call before any scan)."""
        if self.timeout <= 0 or self.total_timeout <= 0:
            raise InputError("web service timeouts must be more than 0 seconds")
        if not 1 <= self.http_port <= 65535:
            raise InputError(f"HTTP port {self.http_port} is not between 1 and 65535")
        if self.ca_file is not None:
            try:
                ssl.create_default_context(cafile=str(self.ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise InputError(f"{self.ca_file}: not a readable PEM file of CA "
                                 f"certificates ({exc})") from None


MAX_TEXT = 300
"""Characters kept at most of any string a target returns."""


class ServiceStatus(StrEnum):
    """How the probe of one web service ended (a subset of the host statuses)."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True)
class ServiceResult:
    """How one service's probe ended (its facts are in the file)."""

    service: str
    status: ServiceStatus
    reason: str | None
    duration_s: float
    skipped: bool = False
    """True when resume kept an earlier good file."""
