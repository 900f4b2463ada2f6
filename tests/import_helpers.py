"""Shared helpers for the import tests."""

from __future__ import annotations

from pathlib import Path

from auditor.inventory.importers import ImportOptions, OrganisationOptions
from auditor.inventory.load import Inventory, load_inventory

ORG = OrganisationOptions(code="32.99", name="Pemerintah Kota Contoh", level="kota")
DATA = Path(__file__).parent / "data"


def options(**kwargs: object) -> ImportOptions:
    return ImportOptions(organisation=ORG, **kwargs)  # type: ignore[arg-type]


def loaded(path: Path) -> Inventory:
    """The written file, as `auditor scan` would load it."""
    return load_inventory(path)


def skipped_text(report: object) -> str:
    return "\n".join(str(s) for s in report.skipped)  # type: ignore[attr-defined]
