"""results.json: its format name, its one writer and (see ``Results.load``) its one reader."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.folder import atomic_write_bytes

RESULTS_FORMAT = "auditor.results/1"
"""The ``format`` of every results.json this version writes and reads."""


@dataclass(frozen=True)
class Results:
    """The results document of one bundle, as results.json holds it."""

    data: Mapping[str, Any]

    def to_json(self) -> bytes:
        """results.json's bytes: compact ASCII JSON and a newline."""
        return json.dumps(self.data, separators=(",", ":")).encode("ascii") + b"\n"

    def write(self, path: Path) -> None:
        """Write results.json atomically (no partial file is ever left)."""
        atomic_write_bytes(path, self.to_json())
