"""The audit bundle folder: its paths, and files written whole or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.jsonfile import read_json_file


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a Z, as every bundle file records it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then rename over ``path``."""
    atomic_write_parts(path, [data])


def atomic_write_parts(path: Path, parts: Iterable[bytes]) -> None:
    """Write the ``parts`` one after the other, as ``atomic_write_bytes`` writes one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines(parts)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any, *, compact: bool = False) -> None:
    """Write JSON (UTF-8) atomically; indented for people, or compact for large documents.

    The compact form uses the C encoder, several times faster than the indented one, and
    writes non-ASCII text as \\u escapes.
    """
    if compact:  # ASCII escapes: the C encoder's fastest path
        text = json.dumps(data, separators=(",", ":"))
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    atomic_write_text(path, text + "\n")


@dataclass(frozen=True)
class Bundle:
    """Paths inside an audit bundle folder, as DESIGN.md lays it out."""

    root: Path

    @property
    def inventory(self) -> Path:
        """Copy of the inventory as scanned."""
        return self.root / "inventory.yaml"

    @property
    def facts_dir(self) -> Path:
        """One JSON file per host."""
        return self.root / "facts"

    def facts(self, host_id: str) -> Path:
        """DIR/facts/HOST.json."""
        return self.facts_dir / f"{host_id}.json"

    @property
    def services_dir(self) -> Path:
        """One JSON file per web service."""
        return self.root / "services"

    def service(self, service_id: str) -> Path:
        """DIR/services/SERVICE.json."""
        return self.services_dir / f"{service_id}.json"

    @property
    def facility_dir(self) -> Path:
        """Questionnaire answers per site."""
        return self.root / "facility"

    def facility(self, site_id: str) -> Path:
        """DIR/facility/SITE.yaml."""
        return self.facility_dir / f"{site_id}.yaml"

    @property
    def results(self) -> Path:
        """DIR/results.json."""
        return self.root / "results.json"

    @property
    def manifest(self) -> Path:
        """DIR/manifest.json."""
        return self.root / "manifest.json"

    def require_scanned(self) -> None:
        """Raise InputError unless this folder holds a scanned bundle."""
        if not self.root.is_dir():
            raise InputError(f"{self.root}: no such folder; run 'auditor scan INVENTORY -o "
                             f"{self.root}' first")
        if not self.inventory.is_file():
            raise InputError(f"{self.root}: not an audit bundle (no inventory.yaml); run "
                             f"'auditor scan INVENTORY -o {self.root}' first")


def read_json(path: Path) -> Any:
    """Read a JSON file we or a peer wrote; InputError names the file on any problem."""
    return read_json_file(path)


def sha256_file(path: Path) -> tuple[str, int]:
    """sha256 hex digest and size of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            size += len(block)
            digest.update(block)
    return digest.hexdigest(), size
