"""Collector for the operating system release (/etc/os-release)."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.interface import Collector, ParseError, key_values

SCRIPT = "cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release"


def parse(text: str) -> dict[str, Any]:
    """Parse os-release into lower-case id, version and names."""
    kv = key_values(text)
    if "ID" not in kv:
        raise ParseError("no ID= line in os-release")
    return {
        "id": kv["ID"].lower()[:64],
        "id_like": kv.get("ID_LIKE", "").lower().split()[:10],
        "version_id": kv.get("VERSION_ID", "")[:64] or None,
        "version_codename": kv.get("VERSION_CODENAME", "")[:64] or None,
        "name": kv.get("NAME", "")[:200] or None,
        "pretty_name": kv.get("PRETTY_NAME", "")[:200] or None,
    }


COLLECTOR = Collector("os", "operating system release", SCRIPT, parse,
                      ("os.id", "os.id_like", "os.version_id", "os.version_codename", "os.name",
                       "os.pretty_name"))
