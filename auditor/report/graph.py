"""Layout of the dependency graph: waves as columns, hosts as boxes, dependencies as lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NODE_W = 170
NODE_H = 20
V_GAP = 6
COL_GAP = 70
TOP = 30
LEFT = 10
MAX_COLUMNS = 8
MAX_PER_COLUMN = 25
MAX_EDGES = 300
LABEL_CHARS = 24


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"


Column = tuple[int | None, list[str]]
"""A wave's number (None for hosts in no wave shown) and its hosts."""


def _columns(waves: Sequence[Sequence[str]],
             dependencies: Sequence[Mapping[str, str]]) -> list[Column]:
    """The first waves as columns, then one column of linked hosts in no wave shown."""
    columns: list[Column] = []
    placed: set[str] = set()
    for index, wave in enumerate(waves[:MAX_COLUMNS]):
        members = [h for h in dict.fromkeys(wave) if h not in placed]
        placed.update(members)
        columns.append((index + 1, members))
    in_later_waves = {h for wave in waves[MAX_COLUMNS:] for h in wave}
    loose = [h for d in dependencies for h in (d["from"], d["to"])
             if h not in placed and h not in in_later_waves]
    loose = list(dict.fromkeys(loose))
    if loose:
        columns.append((None, loose))
    return columns


def _boxes(columns: list[Column], linked: set[str], strategies: Mapping[str, str]
           ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], int]:
    """Each shown host as a box (by id), each column, and the most rows in one column."""
    nodes: dict[str, dict[str, Any]] = {}
    cols = []
    tallest = 0
    for c, (wave_no, members) in enumerate(columns):
        x = LEFT + c * (NODE_W + COL_GAP)
        ordered = sorted(members, key=lambda h: (h not in linked, h))
        shown = ordered[:MAX_PER_COLUMN]
        boxes = []
        for r, host in enumerate(shown):
            y = TOP + r * (NODE_H + V_GAP)
            node = {"id": host, "label": _short(host), "x": x, "y": y, "col": c,
                    "strategy": strategies.get(host, "none")}
            nodes[host] = node
            boxes.append(node)
        more = len(ordered) - len(shown)
        tallest = max(tallest, len(shown) + (1 if more else 0))
        cols.append({"wave": wave_no, "x": x, "count": len(members), "boxes": boxes,
                     "more": more, "more_y": TOP + len(shown) * (NODE_H + V_GAP)})
    return nodes, cols, tallest


def _curve(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """The SVG path of a line from box ``a`` to box ``b`` (a loop when in one column)."""
    ay, by = a["y"] + NODE_H / 2, b["y"] + NODE_H / 2
    if a["col"] == b["col"]:
        x1 = a["x"] + NODE_W
        bend = x1 + 30 + abs(by - ay) / 8
        return f"M{x1},{ay} C{bend:.0f},{ay} {bend:.0f},{by} {x1},{by}"
    if a["col"] < b["col"]:
        x1, x2 = a["x"] + NODE_W, b["x"]
    else:
        x1, x2 = a["x"], b["x"] + NODE_W
    mid = (x1 + x2) / 2
    return f"M{x1},{ay} C{mid:.0f},{ay} {mid:.0f},{by} {x2},{by}"


def _lines(dependencies: Sequence[Mapping[str, str]],
           nodes: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The dependencies between shown boxes, at most MAX_EDGES."""
    drawable = [d for d in dependencies if d["from"] in nodes and d["to"] in nodes]
    edges = []
    for d in drawable[:MAX_EDGES]:
        a, b = nodes[d["from"]], nodes[d["to"]]
        edges.append({"d": _curve(a, b), "from": d["from"], "to": d["to"], "port": d["port"],
                      "back": a["col"] > b["col"], "cross": a["col"] != b["col"]})
    return edges


def layout(waves: Sequence[Sequence[str]], dependencies: Sequence[Mapping[str, str]],
           strategies: Mapping[str, str]) -> dict[str, Any]:
    """Boxes and lines with bounded size; ``trimmed`` says whether anything was left out."""
    columns = _columns(waves, dependencies)
    linked = {h for d in dependencies for h in (d["from"], d["to"])}
    total_hosts = len({h for wave in waves for h in wave} | linked)
    nodes, cols, tallest = _boxes(columns, linked, strategies)
    edges = _lines(dependencies, nodes)
    drawn_nodes = len(nodes)
    return {
        "columns": cols, "edges": edges,
        "width": LEFT * 2 + max(1, len(cols)) * (NODE_W + COL_GAP),
        "height": TOP + max(1, tallest) * (NODE_H + V_GAP) + 10,
        "node_w": NODE_W, "node_h": NODE_H,
        "shown": drawn_nodes, "total": total_hosts,
        "edges_shown": len(edges), "edges_total": len(dependencies),
        "trimmed": drawn_nodes < total_hosts or len(edges) < len(dependencies),
    }
