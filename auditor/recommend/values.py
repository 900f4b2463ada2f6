"""What the recommend stage decides, as values: a plan per host and the whole recommendation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.recommend.catalogue import Catalogue
from auditor.recommend.common import MOVING, Strategy
from auditor.recommend.sizing import Usage
from auditor.recommend.urgency import KEEP_OWN_BACKUPS, worst


@dataclass(frozen=True)
class HostPlan:
    """One host's migration plan (strategy, target, size, blockers) and the usage it read."""

    data: Mapping[str, Any]
    """The plan as results.json writes it (``recommendation.hosts``)."""
    usage: Usage

    @property
    def id(self) -> str:
        """The host's id."""
        return str(self.data["id"])

    @property
    def strategy(self) -> str | None:
        """rehost, replatform, repurchase, retire or retain; None when not planned."""
        strategy = self.data["strategy"]
        return None if strategy is None else str(strategy)

    def to_data(self) -> Mapping[str, Any]:
        """The plan's entry of results.json."""
        return self.data


@dataclass(frozen=True)
class Costs:
    """Each site's costs now and after the migration, and their totals."""

    sites: tuple[Mapping[str, Any], ...]
    five_year: Mapping[str, Any]
    assumptions: Mapping[str, Mapping[str, Any]]
    """Every assumption with its default value, unit, source and whether it is estimated."""

    def to_data(self) -> dict[str, Any]:
        """results["recommendation"]["costs"]."""
        current = sum(c["current"]["annual_idr"] for c in self.sites)
        after = sum(c["after"]["annual_idr"] for c in self.sites)
        return {
            "currency": "IDR",
            "current_annual_idr": current,
            "after_migration_annual_idr": after,
            "annual_savings_idr": current - after,
            "one_off_migration_idr": sum(c["one_off"]["idr"] for c in self.sites),
            "five_year": dict(self.five_year),
            "estimate": any(c["estimate"] for c in self.sites),
            "sites": list(self.sites),
            "assumptions": {name: {"value": item["value"], "unit": item["unit"],
                                   "source": item["source"], "estimate": item["estimate"]}
                            for name, item in self.assumptions.items()},
        }


@dataclass(frozen=True)
class Waves:
    """The hosts to move grouped in waves, and the links the grouping cut."""

    waves: Sequence[Any]
    details: Sequence[Any]
    max_size: int
    cross_wave_links: Sequence[Any]
    external_links: Sequence[Any]


@dataclass(frozen=True)
class Recommendation:
    """The migration recommendation: per-host plans, site urgency, waves and costs."""

    verdict: str
    catalogue: Catalogue
    sites: tuple[Mapping[str, Any], ...]
    """Each site's urgency, closure risk and backup gap."""
    waves: Waves
    dependencies: tuple[Mapping[str, Any], ...]
    unmapped_connections: Sequence[Any]
    hosts: tuple[HostPlan, ...]
    costs: Costs
    note: Mapping[str, str]
    """What the plan is based on, in both languages."""

    def to_data(self) -> dict[str, Any]:
        """results["recommendation"]."""
        plans = [p.to_data() for p in self.hosts]
        catalogue = self.catalogue
        return {
            "verdict": self.verdict,
            "urgency": worst([s["urgency"] for s in self.sites]),
            "closure_risk": any(s["closure_risk"] for s in self.sites),
            "backup_dr_gap": any(s["backup_dr_gap"] for s in self.sites),
            "keep_own_backups": True,
            "keep_own_backups_reason": KEEP_OWN_BACKUPS,
            "catalogue": {"id": catalogue.id, "version": catalogue.version,
                          "effective_date": catalogue.effective_date, "note": catalogue.note},
            "sites": list(self.sites),
            "waves": self.waves.waves,
            "wave_details": self.waves.details,
            "max_wave_size": self.waves.max_size,
            "cross_wave_links": self.waves.cross_wave_links,
            "links_to_hosts_staying": self.waves.external_links,
            "dependencies": list(self.dependencies),
            "unmapped_connections": self.unmapped_connections,
            "hosts": plans,
            "summary": self.summary(),
            "costs": self.costs.to_data(),
            "note": dict(self.note),
        }

    def summary(self) -> dict[str, Any]:
        """results["recommendation"]["summary"]: hosts by strategy, unplanned, blockers."""
        strategies = [p.strategy for p in self.hosts]
        return {"hosts": len(self.hosts), "moving": sum(s in MOVING for s in strategies),
                "by_strategy": {s: strategies.count(s) for s in Strategy},
                "unplanned": strategies.count(None),
                "blockers": sum(len(p.data["blockers"]) for p in self.hosts)}
