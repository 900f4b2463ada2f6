"""Collector for memory and swap size and use (/proc/meminfo)."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.interface import Collector, ParseError, lines

SCRIPT = "cat /proc/meminfo"


def parse(text: str) -> dict[str, Any]:
    """Sizes in MiB from the kB values of /proc/meminfo."""
    kb: dict[str, int] = {}
    for row in lines(text):
        key, _, rest = row.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kb[key.strip()] = int(parts[0])
    if "MemTotal" not in kb or kb["MemTotal"] <= 0:
        raise ParseError("no MemTotal in /proc/meminfo")
    total = kb["MemTotal"]
    available = kb.get("MemAvailable", kb.get("MemFree", 0) + kb.get("Cached", 0))
    available = min(available, total)
    return {
        "total_mb": total // 1024,
        "available_mb": available // 1024,
        "used_mb": (total - available) // 1024,
        "used_pct": round(100 * (total - available) / total, 1),
        "swap_total_mb": kb.get("SwapTotal", 0) // 1024,
        "swap_used_mb": max(0, kb.get("SwapTotal", 0) - kb.get("SwapFree", 0)) // 1024,
    }


COLLECTOR = Collector("memory", "memory and swap", SCRIPT, parse,
                      ("memory.total_mb", "memory.available_mb", "memory.used_mb",
                       "memory.used_pct", "memory.swap_total_mb", "memory.swap_used_mb"))
