"""Chart geometry for inline SVG: the templates draw it, so every label stays escaped.

Every chart is drawn in a 320-unit-wide viewBox and scaled to its box's width, so on a
360-414 px phone one unit is a pixel or a little more: labels of 12-13 units stay at least
12 px and nothing needs a minimum width. Each row puts its label above its bar, so long names
never squeeze the bars.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditor.report.view import SEVERITIES

MAX_BARS = 30
WIDTH = 320
"""The viewBox width of every chart."""
LEFT = 4
BAR_W = 250
"""The longest bar; the rest of the width holds the value written after it."""
LABEL_CHARS = 40
"""A label longer than this is cut with an ellipsis (the full text is in the bar's title)."""
FONT = 13
"""Label size in viewBox units (the stylesheet sets the same); ticks and legends use 12."""
MIGRATE_BELOW = 50.0
"""The national spec's rule: a facility score below this makes the site `migrate`.

results.json does not carry the verdict rules, so the chart states this default; a test
holds it equal to the rule in specs/national.yaml."""


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _clamp(score: float | None) -> float | None:
    return None if score is None else max(0.0, min(100.0, score))


def score_chart(sites: Sequence[Mapping[str, Any]],
                threshold: float = MIGRATE_BELOW) -> dict[str, Any]:
    """Per site a bar for its score and a thin one for its facility score, on a 0-100 scale.

    The threshold of the migrate rule is drawn as a labelled dashed line, so even a single
    site is shown against what decides its verdict. A missing score draws no bar.
    """
    shown = list(sites)[:MAX_BARS]
    with_facility = any(s.get("facility_score") is not None for s in shown)
    row_h = 52 if with_facility else 40
    top = 24
    rows = []
    for i, s in enumerate(shown):
        y = top + i * row_h
        score, facility = _clamp(s["score"]), _clamp(s.get("facility_score"))
        width = 0.0 if score is None else score / 100 * BAR_W
        fwidth = 0.0 if facility is None else facility / 100 * BAR_W
        rows.append({"y": y, "label": _short(str(s["name"])), "name": s["name"],
                     "width": round(width, 1), "value": None if score is None else round(score, 1),
                     "facility_width": round(fwidth, 1),
                     "facility": None if facility is None else round(facility, 1),
                     "verdict": s["verdict"], "cls": "v-" + s["verdict"]})
    bottom = top + len(rows) * row_h
    ticks = [{"x": LEFT + t / 100 * BAR_W, "label": str(t)} for t in (0, 25, 50, 75, 100)]
    return {"rows": rows, "ticks": ticks, "left": LEFT, "width": WIDTH,
            "with_facility": with_facility, "threshold": threshold,
            "threshold_x": round(LEFT + threshold / 100 * BAR_W, 1),
            "top": top, "bottom": bottom, "tick_y": bottom + 16,
            "legend_y": bottom + 24, "height": bottom + (44 if with_facility else 24),
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
        x = float(LEFT)
        parts = []
        for sev in SEVERITIES:
            if counts[sev]:
                width = counts[sev] / biggest * BAR_W
                parts.append({"x": round(x, 1), "width": round(width, 1), "severity": sev,
                              "count": counts[sev]})
                x += width
        rows.append({"y": 4 + i * 40, "domain": domain, "parts": parts, "counts": counts,
                     "total": sum(counts.values()), "end": round(x, 1)})
    legend_y = 4 + len(rows) * 40 + 6
    legend = [{"severity": sev, "x": LEFT + (i % 2) * 160, "y": legend_y + (i // 2) * 20}
              for i, sev in enumerate(SEVERITIES)]
    return {"rows": rows, "left": LEFT, "width": WIDTH, "legend": legend,
            "height": legend_y + 42}


def cost_chart(costs: Mapping[str, Any], money: Callable[[float], str]) -> dict[str, Any]:
    """Two bars, the yearly cost now and after migration; empty when neither is known."""
    values = [("before", costs.get("current")), ("after", costs.get("after"))]
    known = [v for _, v in values if v is not None]
    biggest = max(known, default=0) or 1
    rows = []
    for i, (key, value) in enumerate(values):
        width = 0.0 if value is None else max(0.0, value) / biggest * (BAR_W - 60)
        rows.append({"y": 4 + i * 46, "key": key, "width": round(width, 1),
                     "value": None if value is None else money(value)})
    return {"rows": rows if known else [], "left": LEFT, "width": WIDTH, "height": 4 + 2 * 46}
