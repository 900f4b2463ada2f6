"""Collector for mounted filesystems, their size and use (df)."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.interface import Collector, ParseError, lines

SCRIPT = """\
T=; command -v timeout >/dev/null 2>&1 && T="timeout 10"
$T df -P -k -x tmpfs -x devtmpfs -x squashfs -x efivarfs 2>/dev/null || $T df -P -k"""

MAX_FILESYSTEMS = 500


def parse(text: str) -> dict[str, Any]:
    """POSIX df output (1024-byte blocks) into filesystems and totals in MiB."""
    rows = lines(text)
    if not rows or not rows[0].lower().startswith("filesystem"):
        raise ParseError("df output has no header")
    filesystems: list[dict[str, Any]] = []
    for row in rows[1:MAX_FILESYSTEMS + 1]:
        parts = row.split()
        if len(parts) < 6 or not all(p.isdigit() for p in parts[1:4]):
            continue
        size_kb, used_kb, avail_kb = (int(p) for p in parts[1:4])
        if size_kb == 0:
            continue
        filesystems.append({
            "device": parts[0][:200],
            "mount": " ".join(parts[5:])[:500],
            "size_mb": size_kb // 1024,
            "used_mb": used_kb // 1024,
            "available_mb": avail_kb // 1024,
            "used_pct": round(100 * used_kb / max(1, used_kb + avail_kb), 1),
        })
    if not filesystems:
        raise ParseError("df listed no filesystem")
    seen: set[str] = set()
    total = used = 0
    for fs in filesystems:
        if fs["device"] in seen:
            continue
        seen.add(fs["device"])
        total += fs["size_mb"]
        used += fs["used_mb"]
    return {"filesystems": filesystems, "total_mb": total, "used_mb": used,
            "max_used_pct": max(fs["used_pct"] for fs in filesystems)}


COLLECTOR = Collector("disks", "filesystems, size and use", SCRIPT, parse,
                      ("disks.filesystems", "disks.total_mb", "disks.used_mb",
                       "disks.max_used_pct"))
