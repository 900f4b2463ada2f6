"""`auditor init`: a starter folder (inventory, answers, import templates), or the demo bundle."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from auditor.bundle.folder import atomic_write_bytes, cannot
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
    checkout = Path(__file__).resolve().parents[2] / "inventory"
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


def _refuse_existing(dest: Path, pairs: list[tuple[Path, Path]], force: bool) -> None:
    existing = [target for _, target in pairs if target.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise InputError(f"{dest}: would overwrite {len(existing)} existing files ({shown}); "
                         "choose an empty folder or add --force")


def _copy_all(pairs: list[tuple[Path, Path]], appended: dict[str, str] | None = None
              ) -> tuple[Path, ...]:
    """Copy each (source, target), whole or not at all; ``appended`` adds text by file name."""
    written = []
    for source, target in pairs:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise cannot("read", source, exc) from None
        extra = (appended or {}).get(target.name)
        atomic_write_bytes(target, data + extra.encode("utf-8") if extra else data)
        written.append(target)
    return tuple(written)


def write_starter(dest: Path, *, force: bool = False) -> Starter:
    """Write the starter files into ``dest``; existing files are refused unless ``force``."""
    pairs = _plan(examples_root(), dest)
    _refuse_existing(dest, pairs, force)
    written = _copy_all(pairs, {"inventory.yaml": SSH_HOST_EXAMPLE})
    return Starter(dest / "inventory.yaml", written)


DEMO_PARTS = ("*.yaml", "facts/*.json", "services/*.json", "facility/*.yaml")
"""The files of the demo bundle (``inventory/demo/``, made by scripts/make-demo)."""


def write_demo(dest: Path, *, force: bool = False) -> Starter:
    """Copy the demo bundle (recorded facts of eight hosts, no results) into ``dest``.

    ``dest`` is then a scanned bundle: ``auditor check`` and ``auditor report`` run on it
    without any SSH. Existing files are refused unless ``force``.
    """
    source = examples_root() / "demo"
    pairs = [(path, dest / path.relative_to(source)) for part in DEMO_PARTS
             for path in sorted(source.glob(part)) if path.is_file()]
    if not pairs:
        raise FileSystemError(f"{source}: the demo bundle is missing from this installation; "
                              "reinstall auditor")
    _refuse_existing(dest, pairs, force)
    return Starter(dest / "inventory.yaml", _copy_all(pairs))
