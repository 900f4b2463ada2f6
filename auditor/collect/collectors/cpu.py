"""Collector for the processor count and model."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.interface import Collector, ParseError, lines

SCRIPT = """\
echo "count $(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
grep -m1 -i '^model name' /proc/cpuinfo 2>/dev/null"""


def parse(text: str) -> dict[str, Any]:
    """``count N`` then an optional ``model name : ...`` line."""
    count: int | None = None
    model: str | None = None
    for row in lines(text):
        if row.startswith("count "):
            value = row[6:].strip()
            if not value.isdigit() or not 0 < int(value) < 100_000:
                raise ParseError(f"bad CPU count {value[:20]!r}")
            count = int(value)
        elif row.lower().startswith("model name"):
            model = row.partition(":")[2].strip()[:200] or None
    if count is None:
        raise ParseError("no CPU count")
    return {"count": count, "model": model}


COLLECTOR = Collector("cpu", "processor count and model", SCRIPT, parse, ("cpu.count", "cpu.model"))
