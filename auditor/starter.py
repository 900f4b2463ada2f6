"""`auditor init`: a starter folder with an inventory, facility answers and import templates."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from auditor.bundle import cannot, make_folder
from auditor.errors import FileSystemError, InputError

SSH_HOST_EXAMPLE = """
# Add the pemda's hosts below, one entry per machine scanned over SSH, for example:
# Tambahkan host pemda di bawah ini, satu entri per mesin yang dipindai lewat SSH, misalnya:
#
#  - id: web-01
#    site: ruang-server-balaikota
#    address: 10.10.1.21
#    user: auditor
#    key_file: keys/auditor          # relative to this file; or password_env / agent: true
#    role: web
#    criticality: high
#    applications: [portal]
#
# Web services probed over HTTPS / Layanan web yang diperiksa lewat HTTPS:
# services:
#   - id: portal
#     url: https://portal.example.go.id/
#     host: web-01
"""


def examples_root() -> Path:
    """The ``inventory/`` folder: beside the package in a checkout, else installed data."""
    checkout = Path(__file__).resolve().parent.parent / "inventory"
    if (checkout / "example.yaml").is_file():
        return checkout
    return Path(str(resources.files("auditor.examples")))


@dataclass(frozen=True)
class Starter:
    """What ``write_starter`` wrote."""

    inventory: Path
    """The starter inventory, ready for ``auditor audit``."""
    files: tuple[Path, ...]
    """Every file written, the inventory first."""


def _plan(source: Path, dest: Path) -> list[tuple[Path, Path]]:
    pairs = [(source / "example.yaml", dest / "inventory.yaml")]
    for path in sorted((source / "facility").rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".txt"):
            pairs.append((path, dest / "facility" / path.relative_to(source / "facility")))
    for path in sorted(source.glob("hosts-template*.csv")):
        pairs.append((path, dest / "templates" / path.name))
    return pairs


def write_starter(dest: Path, *, force: bool = False) -> Starter:
    """Write the starter files into ``dest``; existing files are refused unless ``force``."""
    pairs = _plan(examples_root(), dest)
    existing = [target for _, target in pairs if target.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise InputError(f"{dest}: would overwrite {len(existing)} existing files ({shown}); "
                         "choose an empty folder or add --force")
    written = []
    for source, target in pairs:
        make_folder(target.parent)
        try:
            if target.name == "inventory.yaml":
                target.write_text(source.read_text(encoding="utf-8") + SSH_HOST_EXAMPLE,
                                  encoding="utf-8")
            else:
                shutil.copyfile(source, target)
        except OSError as exc:
            error: FileSystemError = cannot("write", target, exc)
            raise error from None
        written.append(target)
    return Starter(dest / "inventory.yaml", tuple(written))
