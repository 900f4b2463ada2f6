"""The transport interface: run the fixed read-only probe on one host, return its output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from auditor.inventory.load import Host, Inventory
from auditor.model import HostStatus

MAX_OUTPUT_BYTES = 16 * 1024 * 1024
"""Probe output beyond this is cut and recorded as truncated."""


@dataclass(frozen=True)
class ScanOptions:
    """Options every transport honours."""

    timeout: float = 60.0
    """Total seconds allowed for one host, connection included."""
    known_hosts: str | None = None
    """known_hosts file for host-key verification (ssh)."""
    accept_new_host_keys: bool = False
    """Trust on first use: pin unknown keys into ``known_hosts``."""
    max_output: int = MAX_OUTPUT_BYTES
    ssh_config: str | None = "~/.ssh/config"
    """OpenSSH client config read as OpenSSH reads it where the inventory is silent
    (transports/ssh_config.py: Include, Host/Match, ProxyJump, ProxyCommand…); None ignores
    any."""
    connect_timeout: float = 10.0
    """Seconds for the TCP connection (ssh), within ``timeout``."""
    banner_timeout: float = 15.0
    """Seconds for the SSH banner and key exchange, within ``timeout``."""
    auth_timeout: float = 30.0
    """Seconds for each login answer, within ``timeout``."""


@dataclass(frozen=True)
class ProbeRun:
    """What running the probe on one host gave."""

    status: HostStatus
    reason: str | None
    """One human line when status is not ok (never holds a secret)."""
    output: bytes = b""
    truncated: bool = False
    exit_code: int | None = None
    duration_s: float = 0.0


class Transport(Protocol):
    """Runs a probe script on a host in one round trip."""

    def run_probe(self, host: Host, script: bytes, inventory: Inventory,
                  options: ScanOptions) -> ProbeRun:
        """Run ``script`` (POSIX sh, fixed text) read-only on ``host``; never raise."""
        ...
