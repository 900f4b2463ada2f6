"""Transports by name: how the probe reaches a host."""

from __future__ import annotations

from auditor.collect.transports.interface import ProbeRun, ScanOptions, Transport
from auditor.collect.transports.local import LocalTransport
from auditor.collect.transports.ssh import SSHTransport

TRANSPORTS: dict[str, type[Transport]] = {
    "local": LocalTransport,
    "ssh": SSHTransport,
}

__all__ = ["TRANSPORTS", "ProbeRun", "ScanOptions", "Transport"]
