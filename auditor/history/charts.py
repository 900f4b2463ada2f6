"""Trend and capacity charts of a history for the review's index.html (inline SVG, no script)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.history.queries import ACCEPTED_SQL, capacity, latest_round
from auditor.history.store import Store, connect, prepare
from auditor.messages import say

MAX_ROUNDS = 12
MAX_OFFERINGS = 12
LABEL_W = 170
BAR_W = 360
ROW_H = 24
VERDICT_COLOURS = {"compliant": "#1e7b34", "incomplete": "#5f6368", "remediate": "#8a6d00",
                   "migrate": "#b3261e"}
OTHER_COLOUR = "#9aa0a6"
"""No verdict, or one this chart does not know: still drawn, in grey."""

LABELS = ("history", "trend", "capacity", "waves", "round", "wave", "no_wave", "mean", "store",
          "no_capacity", "legend")
"""The chart texts the template draws, each the message ``review.history_NAME``."""


@dataclass(frozen=True)
class Segment:
    """One coloured part of a stacked bar."""

    x: float
    width: float
    colour: str
    label: str


def _trend(store: Store, lang: str) -> list[dict[str, Any]]:
    sql = ("SELECT rb.round, r.finished_at, coalesce(b.verdict, 'none'), count(*), "  # noqa: S608
           "avg(b.score) FROM round_bundles rb JOIN rounds r ON r.id = rb.round "
           "JOIN bundles b ON b.id = "
           f"rb.bundle WHERE {ACCEPTED_SQL} GROUP BY rb.round, r.finished_at, "
           "coalesce(b.verdict, 'none') ORDER BY rb.round")
    rows = store.query(sql)
    rounds: dict[int, dict[str, Any]] = {}
    for round_, finished, verdict, count, mean in rows:
        entry = rounds.setdefault(round_, {"round": round_, "date": str(finished)[:10],
                                           "counts": {}, "weighted": 0.0, "scored": 0})
        entry["counts"][verdict] = int(count)
        if mean is not None:
            entry["weighted"] += float(mean) * int(count)
            entry["scored"] += int(count)
    shown = list(rounds.values())[-MAX_ROUNDS:]
    top = max((sum(e["counts"].values()) for e in shown), default=0) or 1
    bars = []
    round_word, mean_word = say("review.history_round", lang), say("review.history_mean", lang)
    for i, entry in enumerate(shown):
        x = float(LABEL_W)
        parts = []
        order = [*VERDICT_COLOURS, *sorted(set(entry["counts"]) - set(VERDICT_COLOURS))]
        for verdict in order:
            count = entry["counts"].get(verdict, 0)
            if count:
                width = round(count / top * BAR_W, 1)
                parts.append(Segment(round(x, 1), width, VERDICT_COLOURS.get(verdict, OTHER_COLOUR),
                                     f"{verdict}: {count}"))
                x += width
        mean = entry["weighted"] / entry["scored"] if entry["scored"] else None
        bars.append({"y": i * ROW_H, "label": f"{round_word} {entry['round']} · "
                     f"{entry['date']}", "parts": parts, "end": round(x, 1),
                     "total": sum(entry["counts"].values()),
                     "mean": "—" if mean is None else f"{mean_word} {mean:.1f}"})
    return bars


def _hbars(items: list[tuple[str, float, str]]) -> list[dict[str, Any]]:
    top = max((v for _, v, _ in items), default=0) or 1
    return [{"y": i * ROW_H, "label": label, "width": round(value / top * BAR_W, 1),
             "value": text} for i, (label, value, text) in enumerate(items)]


def _capacity(store: Store, lang: str) -> tuple[int | None, list[dict[str, Any]],
                                                list[dict[str, Any]]]:
    chosen = latest_round(store)
    if chosen is None:
        return None, [], []
    table = capacity(store, chosen)
    offerings: dict[str, list[float]] = {}
    waves: dict[int | None, float] = {}
    for _, _, _, offering, wave, hosts, vcpu, memory, storage, _, _ in table.rows:
        total = offerings.setdefault(offering, [0, 0.0, 0.0, 0.0])
        for k, v in enumerate((hosts, vcpu, memory, storage)):
            total[k] += v or 0
        waves[wave] = waves.get(wave, 0.0) + (vcpu or 0)
    ranked = sorted(offerings.items(), key=lambda kv: -kv[1][1])[:MAX_OFFERINGS]
    by_offering = _hbars([(name, t[1], f"{t[1]:g} vCPU · {t[2]:g} GB · {t[3]:g} TB · "
                           f"{int(t[0])} host") for name, t in ranked])
    by_wave = _hbars([(f"{say('review.history_wave', lang)} {w}" if w is not None else
                       say("review.history_no_wave", lang), v, f"{v:g} vCPU")
                      for w, v in sorted(waves.items(), key=lambda kv: (kv[0] is None,
                                                                         kv[0] or 0))][:20])
    return chosen, by_offering, by_wave


def history_view(target: str, where: str, lang: str) -> dict[str, Any]:
    """Everything _history.html.j2 draws, read from the store ``target``."""
    store = connect(target, read_only=True)
    try:
        prepare(store, write=False)
        trend = _trend(store, lang)
        chosen, by_offering, by_wave = _capacity(store, lang)
    finally:
        store.close()
    labels = {key: say(f"review.history_{key}", lang) for key in LABELS if key != "capacity"}
    labels["capacity"] = say("review.history_capacity", lang, round=chosen or "—")
    return {"labels": labels, "where": where, "trend": trend, "by_offering": by_offering,
            "by_wave": by_wave, "label_w": LABEL_W, "bar_w": BAR_W, "row_h": ROW_H}
