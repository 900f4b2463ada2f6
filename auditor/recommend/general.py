"""SPBE general applications (Aplikasi Umum) that replace a host's local application."""

from __future__ import annotations

import re
from typing import Any

from auditor.inventory.load import Host
from auditor.messages import message
from auditor.recommend.catalogue import Catalogue, Offering


def matches(term: str, name: str) -> bool:
    """Whether ``term`` is a whole word (or words) of ``name``: e-office in e-office-dinkes."""
    return re.search(rf"(?:^|[^a-z0-9]){re.escape(term)}(?:$|[^a-z0-9])", name) is not None


def _replaced(offering: Offering, host: Host) -> list[str] | None:
    """What of the host the offering replaces (role or every application), else None."""
    apps = [a.lower() for a in host.applications]
    role = (host.role or "").lower()
    if apps:
        if all(any(matches(t, a) for t in offering.replaces_applications) for a in apps):
            return apps
        return None
    if role and any(matches(t, role) for t in offering.replaces_roles):
        return [role]
    return None


def general_application(host: Host, catalogue: Catalogue,
                        classification: str) -> tuple[Offering, list[str]] | None:
    """The first general application that replaces this host and may hold its data."""
    for offering in catalogue.of_kind("aplikasi_umum"):
        if not offering.allows(classification):
            continue
        replaced = _replaced(offering, host)
        if replaced is not None:
            return offering, replaced
    return None


def repurchase_target(offering: Offering) -> dict[str, Any]:
    """The plan's target for a host replaced by a general application (no size: not a VM)."""
    return {"offering": offering.id, "offering_name": offering.name, "kind": offering.kind,
            "provider": offering.provider, "flavour": None, "sizing": "not_applicable",
            "price_idr_per_year": offering.price_idr_per_year}


def repurchase_reason(offering: Offering, replaced: list[str]) -> dict[str, str]:
    """Why the host is replaced, not moved."""
    return message("plan.host.repurchase", name=offering.name, offering=offering.id,
                   what=", ".join(replaced))
