"""Small helpers the recommendation modules share: blockers, defensive facts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from auditor.messages import message


class Strategy(StrEnum):
    """What happens to one host (AWS/Azure terms)."""

    REHOST = "rehost"
    REPLATFORM = "replatform"
    REPURCHASE = "repurchase"
    RETIRE = "retire"
    RETAIN = "retain"


class Urgency(StrEnum):
    """How soon a site must act, in increasing order."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


CRITICALITY_RANK = {"low": 0, "medium": 1, "high": 2}
MOVING = (Strategy.REHOST, Strategy.REPLATFORM)
"""Strategies that move a host in a wave (a repurchased host is replaced, not moved)."""
OFF_SITE = (Strategy.REHOST, Strategy.REPLATFORM, Strategy.REPURCHASE)
"""Strategies after which the host no longer runs in the room (its users reach it over the link)."""


def blocker(key: str, **values: object) -> dict[str, Any]:
    """The blocker ``plan.blocker.CODE`` of the message catalogue: its code and its text."""
    return {"code": key.removeprefix("plan.blocker."), "text": message(key, **values)}


def dig(facts: Mapping[str, Any], *path: str) -> Any:
    """The value at ``path`` in untrusted facts, or None when any step is missing."""
    value: Any = facts
    for key in path:
        if type(value) is not dict and not isinstance(value, Mapping):  # dict: the fast way
            return None
        value = value.get(key)
    return value


def number(value: Any) -> float | None:
    """A finite, non-negative number from untrusted facts, else None (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    if not math.isfinite(result) or result < 0:
        return None
    return result


def strings(value: Any, limit: int = 100) -> list[str]:
    """A list of short strings from untrusted facts (anything else is dropped)."""
    if not isinstance(value, list):
        return []
    return [str(v)[:64].lower() for v in value[:limit] if isinstance(v, str)]
