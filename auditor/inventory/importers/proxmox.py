"""Import from Proxmox VE: every node and every QEMU VM of a cluster, read-only."""

from __future__ import annotations

from auditor.inventory.importers.hypervisor_common import read_endpoint
from auditor.inventory.importers.interface import ImportOptions, ImportResult


class ProxmoxImporter:
    """Reads a Proxmox VE API (an API token of a PVEAuditor user) into host entries."""

    name = "proxmox"
    description = ("a Proxmox VE URL such as https://pve:8006 (--token-env; --ca-file or "
                   "--insecure-tls): every node and QEMU VM")

    def read(self, source: str, options: ImportOptions) -> ImportResult:
        """Read the cluster's resources, each VM's config, the nodes' versions."""
        return read_endpoint("proxmox", source, options)
