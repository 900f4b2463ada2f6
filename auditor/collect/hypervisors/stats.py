"""Average and 95th percentile of utilisation samples, as the migration assessors use them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from auditor.collect.hypervisors.records import Utilisation


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by nearest rank (a sample that occurred, never interpolated)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summarise(cpu: Sequence[float], memory: Sequence[float], period_s: int) -> Utilisation:
    """A Utilisation from percent samples (each clamped to 0–100); unknown without samples."""
    cpu = [min(100.0, max(0.0, v)) for v in cpu]
    memory = [min(100.0, max(0.0, v)) for v in memory]
    if not cpu and not memory:
        return Utilisation(unknown="the API returned no samples for this machine",
                           period_s=period_s)
    return Utilisation(
        cpu_avg_pct=round(sum(cpu) / len(cpu), 1) if cpu else None,
        cpu_p95_pct=round(p95(cpu), 1) if cpu else None,
        memory_avg_pct=round(sum(memory) / len(memory), 1) if memory else None,
        memory_p95_pct=round(p95(memory), 1) if memory else None,
        samples=max(len(cpu), len(memory)), period_s=period_s)
