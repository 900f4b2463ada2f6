"""The report's view of the costs: yearly before and after, one-off, five years, and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.bundle.results import number
from auditor.report.values import as_dict, as_list, text_of


def _first_number(data: Mapping[str, Any], *prefixes: str, contains: str = "") -> float | None:
    for key, value in data.items():
        wanted = any(key.startswith(p) for p in prefixes) and contains in key
        if wanted and number(value) is not None:
            return number(value)
    return None


def _annual(data: Mapping[str, Any], flat: str, nested: str) -> float | None:
    """``current_annual_idr`` at the top, or ``current: {annual_idr}`` per site."""
    value = number(data.get(flat))
    return value if value is not None else number(as_dict(data.get(nested)).get("annual_idr"))


def _lines(data: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """Cost items side by side: each item's yearly cost now and after, and the bases."""
    rows: dict[str, dict[str, Any]] = {}
    for when in ("current", "after"):
        for line in as_list(as_dict(data.get(when)).get("lines")):
            line = as_dict(line)
            item = str(line.get("item") or "other")
            row = rows.setdefault(item, {"item": item, "current": None, "after": None,
                                         "current_basis": "", "after_basis": "",
                                         "estimate": False})
            row[when] = number(line.get("idr"))
            row[f"{when}_basis"] = text_of(line.get("basis"), lang)
            row["estimate"] = row["estimate"] or line.get("estimate") is True
    return list(rows.values())


def cost_view(raw: Any, lang: str = "en") -> dict[str, Any]:
    """Yearly costs before and after, the one-off cost and the five-year saving.

    Reads either flat names (``current_annual_idr``, ``one_off_idr``) or the nested ones
    the recommendation writes (``current.annual_idr``, ``five_year.savings_idr``); what is
    missing is derived when it can be and left None when it cannot.
    """
    costs = as_dict(raw)
    current = _annual(costs, "current_annual_idr", "current")
    after = _annual(costs, "after_migration_annual_idr", "after")
    one_off = _first_number(costs, "one_off")
    if one_off is None:
        one_off = number(as_dict(costs.get("one_off")).get("idr"))
    saved = number(costs.get("annual_savings_idr"))
    if saved is None and current is not None and after is not None:
        saved = current - after
    five = as_dict(costs.get("five_year"))
    years = number(five.get("years")) or 5
    five_current = number(five.get("current_idr"))
    five_after = number(five.get("after_idr"))
    five_saved = number(five.get("savings_idr"))
    if five_current is None and current is not None:
        five_current = current * years
    if five_after is None and after is not None:
        five_after = after * years + (one_off or 0)
    if five_saved is None and five_current is not None and five_after is not None:
        five_saved = five_current - five_after
    assumptions = []
    for name, a in as_dict(costs.get("assumptions")).items():
        a = as_dict(a)
        assumptions.append({"name": str(name), "value": a.get("value"),
                            "unit": text_of(a.get("unit"), lang),
                            "source": text_of(a.get("source"), lang),
                            "estimate": a.get("estimate") is True,
                            "overridden": a.get("overridden") is True})
    return {"current": current, "after": after, "one_off": one_off, "saved": saved,
            "five_current": five_current, "five_after": five_after, "five_saved": five_saved,
            "years": int(years), "estimate": costs.get("estimate") is True,
            "lines": _lines(costs, lang), "assumptions": assumptions}
