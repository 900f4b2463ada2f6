"""Collectors by name: each owns a snippet of the probe and the parser of its section."""

from __future__ import annotations

from auditor.collectors import cpu, disks, kernel, listening, memory, os_release, services, sshd
from auditor.collectors.interface import Collector

COLLECTORS: dict[str, Collector] = {
    c.name: c
    for c in (
        os_release.COLLECTOR,
        kernel.COLLECTOR,
        cpu.COLLECTOR,
        memory.COLLECTOR,
        disks.COLLECTOR,
        listening.COLLECTOR,
        services.COLLECTOR,
        sshd.COLLECTOR,
    )
}

__all__ = ["COLLECTORS", "Collector"]
