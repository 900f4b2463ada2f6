"""Chart geometry for inline SVG: the templates draw it, so every label stays escaped."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditor.report.view import SEVERITIES

MAX_BARS = 30
LABEL_W = 190
BAR_W = 420
ROW_H = 24
PAD = 6


def score_chart(sites: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One horizontal bar per site on a 0-100 scale; a missing score draws no bar."""
    shown = list(sites)[:MAX_BARS]
    rows = []
    for i, s in enumerate(shown):
        score = s["score"]
        width = 0.0 if score is None else max(0.0, min(100.0, score)) / 100 * BAR_W
        rows.append({"y": PAD + i * ROW_H, "label": s["name"], "width": round(width, 1),
                     "value": None if score is None else round(score, 1),
                     "cls": "v-" + s["verdict"]})
    ticks = [{"x": LABEL_W + t / 100 * BAR_W, "label": str(t)} for t in (0, 25, 50, 75, 100)]
    return {"rows": rows, "ticks": ticks, "label_w": LABEL_W, "bar_w": BAR_W,
            "height": PAD * 2 + len(rows) * ROW_H + 16, "width": LABEL_W + BAR_W + 60,
            "more": max(0, len(sites) - MAX_BARS)}


def domain_chart(subjects: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Failed findings per domain, stacked by severity."""
    table: dict[str, dict[str, int]] = {}
    for s in subjects:
        for f in s["groups"]["failed"]:
            table.setdefault(f["domain"], dict.fromkeys(SEVERITIES, 0))[f["severity"]] += 1
    biggest = max((sum(c.values()) for c in table.values()), default=0)
    rows = []
    for i, (domain, counts) in enumerate(sorted(table.items())):
        x = float(LABEL_W)
        parts = []
        for sev in SEVERITIES:
            if counts[sev]:
                width = counts[sev] / biggest * BAR_W
                parts.append({"x": round(x, 1), "width": round(width, 1), "severity": sev,
                              "count": counts[sev]})
                x += width
        rows.append({"y": PAD + i * ROW_H, "domain": domain, "parts": parts,
                     "total": sum(counts.values()), "end": round(x, 1)})
    return {"rows": rows, "label_w": LABEL_W, "height": PAD * 2 + len(rows) * ROW_H + 24,
            "width": LABEL_W + BAR_W + 60, "legend_y": PAD + len(rows) * ROW_H + 8}


def cost_chart(costs: Mapping[str, Any], money: Callable[[float], str]) -> dict[str, Any]:
    """Two bars, the yearly cost now and after migration; empty when neither is known."""
    values = [("before", costs.get("current")), ("after", costs.get("after"))]
    known = [v for _, v in values if v is not None]
    biggest = max(known, default=0) or 1
    rows = []
    for i, (key, value) in enumerate(values):
        width = 0.0 if value is None else value / biggest * BAR_W
        rows.append({"y": PAD + i * 34, "key": key, "width": round(width, 1),
                     "value": None if value is None else money(value)})
    return {"rows": rows if known else [], "label_w": LABEL_W, "height": PAD * 2 + 2 * 34,
            "width": LABEL_W + BAR_W + 120}
