"""Inventory importers by name: Ansible inventories, CSV spreadsheets and NetBox."""

from __future__ import annotations

from auditor.inventory.importers.ansible import AnsibleImporter
from auditor.inventory.importers.csvfile import CsvImporter
from auditor.inventory.importers.interface import (
    HypervisorOptions,
    Importer,
    ImportOptions,
    ImportResult,
    NetBoxOptions,
    OrganisationOptions,
    Skipped,
)
from auditor.inventory.importers.netbox import NetBoxImporter
from auditor.inventory.importers.proxmox import ProxmoxImporter
from auditor.inventory.importers.run import ImportReport, run_import
from auditor.inventory.importers.vsphere import VSphereImporter

IMPORTERS: dict[str, Importer] = {
    "ansible": AnsibleImporter(),
    "csv": CsvImporter(),
    "netbox": NetBoxImporter(),
    "vsphere": VSphereImporter(),
    "proxmox": ProxmoxImporter(),
}

__all__ = ["IMPORTERS", "HypervisorOptions", "ImportOptions", "ImportReport", "ImportResult",
           "Importer", "NetBoxOptions", "OrganisationOptions", "Skipped", "run_import"]
