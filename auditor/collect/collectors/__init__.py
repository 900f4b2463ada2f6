"""Collectors by name: each owns a snippet of the probe and the parser of its section."""

from __future__ import annotations

from auditor.collect.collectors import (
    accounts,
    antimalware,
    backup,
    connections,
    cpu,
    disks,
    firewall,
    kernel,
    listening,
    logs,
    memory,
    os_release,
    packages,
    passwords,
    servers,
    services,
    sshd,
    timesync,
    updates,
    uptime,
    virt,
)
from auditor.collect.collectors.interface import Collector

COLLECTORS: dict[str, Collector] = {
    c.name: c
    for c in (
        os_release.COLLECTOR,
        kernel.COLLECTOR,
        uptime.COLLECTOR,
        virt.COLLECTOR,
        cpu.COLLECTOR,
        memory.COLLECTOR,
        disks.COLLECTOR,
        listening.COLLECTOR,
        connections.COLLECTOR,
        services.COLLECTOR,
        packages.COLLECTOR,
        updates.COLLECTOR,
        sshd.COLLECTOR,
        firewall.COLLECTOR,
        timesync.COLLECTOR,
        logs.COLLECTOR,
        accounts.COLLECTOR,
        passwords.COLLECTOR,
        servers.COLLECTOR,
        backup.COLLECTOR,
        antimalware.COLLECTOR,
    )
}

__all__ = ["COLLECTORS", "Collector"]
