"""Inventory checks the schema cannot express for the ``hypervisors:`` section and API hosts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

PLATFORMS = ("vsphere", "proxmox")
"""The hypervisor APIs discovery understands; also the host transports they give."""


Add = Callable[[tuple[str | int, ...], str], None]


def check_inventory(data: Mapping[str, Any], base: Path, files: bool, add: Add) -> None:
    """Report each problem with ``add(path, message)``: ids, credentials, CA files, references."""
    endpoints: dict[str, str] = {}
    for index, entry in enumerate(data.get("hypervisors") or []):
        where: tuple[str | int, ...] = ("hypervisors", index)
        if entry["id"] in endpoints:
            add((*where, "id"), f"duplicate hypervisor id '{entry['id']}'")
        endpoints[entry["id"]] = entry["kind"]
        if entry["kind"] == "vsphere" and not (entry.get("user") and entry.get("password_env")):
            add(where, "a vsphere endpoint needs 'user' and 'password_env' (the name of the "
                       "environment variable holding the password)")
        if entry["kind"] == "proxmox" and not entry.get("token_env"):
            add(where, "a proxmox endpoint needs 'token_env' (the environment variable holding "
                       "USER@REALM!TOKENID=SECRET)")
        if entry.get("ca_file") and entry.get("insecure_tls"):
            add((*where, "insecure_tls"), "give either ca_file or insecure_tls, not both")
        if files and entry.get("ca_file") and not (base / entry["ca_file"]).expanduser().is_file():
            add((*where, "ca_file"), f"file '{entry['ca_file']}' not found (paths are relative "
                                     "to the inventory's folder)")
    defaults = data.get("defaults") or {}
    for index, host in enumerate(data.get("hosts") or []):
        transport = host.get("transport", defaults.get("transport", "ssh"))
        virtual = host.get("virtual") or {}
        wanted = virtual.get("endpoint")
        if wanted is not None and wanted not in endpoints:
            add(("hosts", index, "virtual", "endpoint"),
                f"hypervisor '{wanted}' is not defined under hypervisors")
        elif transport in PLATFORMS:
            if wanted is not None and endpoints[wanted] != transport:
                add(("hosts", index, "transport"),
                    f"transport {transport} but hypervisor '{wanted}' is {endpoints[wanted]}")
            elif wanted is None and list(endpoints.values()).count(transport) != 1:
                add(("hosts", index, "transport"),
                    f"a {transport} host needs one {transport} endpoint under hypervisors "
                    "(or virtual.endpoint naming it)")
