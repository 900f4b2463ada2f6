"""Import from vSphere: every ESXi host and every VM of a vCenter (or one ESXi), read-only."""

from __future__ import annotations

from auditor.inventory.importers.hypervisor_common import read_endpoint
from auditor.inventory.importers.interface import ImportOptions, ImportResult


class VSphereImporter:
    """Reads a vCenter or ESXi over its API (pyVmomi) into host entries."""

    name = "vsphere"
    description = ("a vCenter or ESXi URL (--user, --password-env; --ca-file or "
                   "--insecure-tls): every VM and ESXi host")

    def read(self, source: str, options: ImportOptions) -> ImportResult:
        """Log in read-only, list hosts and VMs, log out."""
        return read_endpoint("vsphere", source, options)
