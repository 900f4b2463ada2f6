"""Transports by name: how the probe reaches a host."""

from __future__ import annotations

from auditor.transports.interface import ProbeRun, ScanOptions, Transport
from auditor.transports.local import LocalTransport
from auditor.transports.ssh import SSHTransport

TRANSPORTS: dict[str, type[Transport]] = {
    "local": LocalTransport,
    "ssh": SSHTransport,
}

__all__ = ["TRANSPORTS", "ProbeRun", "ScanOptions", "Transport"]
