"""Inventory importers by name: Ansible inventories, CSV spreadsheets and NetBox."""

from __future__ import annotations

from auditor.errors import InputError
from auditor.inventory.importers.ansible import AnsibleImporter
from auditor.inventory.importers.csvfile import CsvImporter
from auditor.inventory.importers.interface import (
    HypervisorOptions,
    Importer,
    ImportFrom,
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

IMPORTERS: dict[str, ImportFrom] = {
    source.name: source for source in (
        ImportFrom(AnsibleImporter()),
        ImportFrom(CsvImporter()),
        ImportFrom(NetBoxImporter(), secret_env=lambda options: options.netbox.token_env),
        ImportFrom(VSphereImporter(),
                   secret_env=lambda options: options.hypervisor.password_env),
        ImportFrom(ProxmoxImporter(), secret_env=lambda options: options.hypervisor.token_env),
    )
}
"""Every importer by its ``--from`` name: the CLI picks one and passes it to ``run_import``."""


def importer_named(name: str) -> ImportFrom:
    """The importer ``--from NAME`` means; InputError naming the known ones otherwise."""
    found = IMPORTERS.get(name)
    if found is None:
        raise InputError(f"unknown source kind '{name}' (known: {', '.join(IMPORTERS)})")
    return found

__all__ = ["IMPORTERS", "HypervisorOptions", "ImportFrom", "ImportOptions", "ImportReport",
           "ImportResult", "Importer", "NetBoxOptions", "OrganisationOptions", "Skipped",
           "importer_named", "run_import"]
