"""Options of the web service probe, and the caps every request keeps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


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


MAX_TEXT = 300
"""Characters kept at most of any string a target returns."""


class ServiceStatus(StrEnum):
    """How the probe of one web service ended (a subset of the host statuses)."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    ERROR = "error"
