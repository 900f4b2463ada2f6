"""Urgency per site from its verdict and findings: closure risk and backup/DR gaps first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.messages import has, message
from auditor.recommend.catalogue import Rules
from auditor.recommend.common import Urgency

LEVELS = tuple(Urgency)
GAP_STATUSES = ("fail", "unknown", "error")

KEEP_OWN_BACKUPS = message("plan.urgency.keep_own_backups")
"""Why a pemda keeps its own backups after moving (results.json: keep_own_backups_reason)."""


def site_urgency(site: Mapping[str, Any], hosts: Sequence[Mapping[str, Any]],
                 rules: Rules) -> dict[str, Any]:
    """Urgency (low, medium, high, critical) of one site, with reasons in both languages.

    ``critical``: a closure risk (the check stage's ``closure_controls``) or a failing backup
    or disaster-recovery control, whatever the verdict; ``high``: backup/DR controls not
    evidenced, or other critical controls failing.
    """
    own = list(site.get("findings", []))
    everything = own + [f for h in hosts for f in h.get("findings", [])]
    closure = sorted(site.get("closure_controls") or ())
    backup_dr = sorted({f["control"] for f in everything if f["status"] in GAP_STATUSES
                        and f["control"].startswith(rules.backup_dr_controls)})
    backup_failing = sorted({f["control"] for f in everything if f["status"] == "fail"
                             and f["control"].startswith(rules.backup_dr_controls)})
    critical_site = sorted({f["control"] for f in own if f["severity"] == "critical"
                            and f["status"] == "fail"} - set(closure) - set(backup_dr))
    critical_hosts = sorted({f["control"] for h in hosts for f in h.get("findings", [])
                             if f["severity"] == "critical" and f["status"] == "fail"})
    verdict = site["verdict"]
    reasons: list[dict[str, str]] = []
    level = 0
    if closure:
        level = 3
        reasons.append(message("plan.urgency.closure", controls=", ".join(closure)))
    if backup_failing:
        level = 3
        reasons.append(message("plan.urgency.backup_failing",
                               controls=", ".join(backup_failing)))
    unproven = [c for c in backup_dr if c not in backup_failing]
    if unproven:
        level = max(level, 2)
        reasons.append(message("plan.urgency.backup_unproven", controls=", ".join(unproven)))
    if critical_site:
        level = max(level, 2)
        reasons.append(message("plan.urgency.critical_site", controls=", ".join(critical_site)))
    if critical_hosts:
        level = max(level, 2 if verdict == "migrate" else 1)
        reasons.append(message("plan.urgency.critical_hosts",
                               controls=", ".join(critical_hosts)))
    if verdict != "compliant" and level < 1:
        level = 1
    name = message(f"plan.verdict_{verdict}") if has(f"plan.verdict_{verdict}") \
        else {"id": verdict, "en": verdict}
    if not reasons:
        reasons.append(message("plan.urgency.verdict_no_gap", verdict=name))
    elif verdict != "compliant":
        reasons.append(message("plan.urgency.verdict", verdict=name))
    return {"site": site["id"], "verdict": verdict, "urgency": LEVELS[level],
            "closure_risk": bool(closure), "backup_dr_gap": bool(backup_dr),
            "closure_controls": closure, "backup_dr_controls": backup_dr,
            "reasons": reasons, "keep_own_backups": True}


def worst(levels: Sequence[str]) -> str:
    """The most urgent of several levels (low when there are none)."""
    return str(max((Urgency(v) for v in levels), key=LEVELS.index, default=Urgency.LOW))
