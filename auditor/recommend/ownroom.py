"""A host that stays in the pemda's own room: what the room must fix before it may stay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditor.messages import LANGUAGES, message
from auditor.recommend.common import blocker
from auditor.recommend.values import HostPlan

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
ROOM_DOMAINS = ("facility",)
"""Domains of the site controls that say whether the room itself is fit to keep data."""


def _controls(findings: Sequence[Mapping[str, Any]], statuses: tuple[str, ...]) -> list[str]:
    chosen = [f for f in findings if f.get("domain") in ROOM_DOMAINS
              and f.get("status") in statuses]
    chosen.sort(key=lambda f: (SEVERITY_ORDER.get(str(f.get("severity")), 9), f["control"]))
    return list(dict.fromkeys(str(f["control"]) for f in chosen))


def harden(plan: HostPlan, site: Mapping[str, Any]) -> HostPlan:
    """The plan of a host whose target is its own room, with the room's remediation added.

    Never "stay in the room that fails": the failing facility controls become the target's
    ``remediation`` and a ``room_hardening`` blocker; unknown ones are to be confirmed.
    """
    target = plan.target
    if not isinstance(target, Mapping) or target.get("kind") != "own_room":
        return plan
    findings = [f for f in site.get("findings", []) if isinstance(f, Mapping)]
    failing = _controls(findings, ("fail",))
    unknown = _controls(findings, ("unknown", "error"))
    extra: list[dict[str, Any]] = []
    if failing or unknown:
        parts = [message("plan.room.fix_failing", controls=", ".join(failing))] if failing \
            else []
        if unknown:
            parts.append(message("plan.room.confirm_unknown", controls=", ".join(unknown)))
        extra.append(blocker("plan.blocker.room_hardening", site=site.get("id"),
                             what={lang: "; ".join(p[lang] for p in parts) for lang in LANGUAGES}))
    reason = plan.reason or {"id": "", "en": ""}
    if not extra:
        reason = message("plan.room.passes", reason=reason, site=site.get("id"))
    return replace(plan, target=dict(target) | {"site": site.get("id"), "remediation": failing,
                                                "to_confirm": unknown},
                   reason=reason, blockers=(*plan.blockers, *extra))
