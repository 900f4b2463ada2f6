"""Where the packaged specification data lives: the checkout's specs/ or the installed copy."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def specs_root() -> Path:
    """The ``specs/`` folder: beside the package in a source checkout, else installed data."""
    checkout = Path(__file__).resolve().parent.parent / "specs"
    if (checkout / "schemas").is_dir():
        return checkout
    return Path(str(resources.files("auditor.specs")))


def schema_path(name: str) -> Path:
    """Path of ``specs/schemas/NAME.schema.json``."""
    return specs_root() / "schemas" / f"{name}.schema.json"
