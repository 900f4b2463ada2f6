"""What the recommend stage decides, as values: a plan per host and the whole recommendation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.recommend.catalogue import Catalogue
from auditor.recommend.common import MOVING, Strategy
from auditor.recommend.sizing import Usage
from auditor.recommend.urgency import KEEP_OWN_BACKUPS, worst

NOT_SCANNED = "not_scanned"
"""The rule of a host that was not scanned: it has no strategy, and its plan says less."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HostPlan:
    """One host's migration plan (strategy, target, size, blockers) and the usage it read.

    Nested values (utilisation, sizing, reason, target, blockers) are results.json fragments.
    """

    id: str
    site: str
    criticality: str
    strategy: Strategy | None
    """rehost, replatform, repurchase, retire or retain; None when not planned."""
    rule: str
    """Which rule decided the strategy (``not_scanned`` when the host was not scanned)."""
    reason: Mapping[str, str]
    """Why, in both languages."""
    target: Mapping[str, Any] | None
    sizing: Mapping[str, Any] | None
    blockers: tuple[Mapping[str, Any], ...]
    """Each ``{code, text}``."""
    usage: Usage
    role: str | None = None
    data_classification: str | None = None
    """The host's data classification, or the one an unclassified host is taken as."""
    classification_stated: bool = False
    utilisation: Mapping[str, Any] | None = None
    runs_on: str | None = None
    """The hypervisor a virtual machine runs on, when its facts say."""
    hypervisor_name: str | None = None
    """The name a hypervisor host is known by to its virtual machines, when its facts say."""
    excluded_by_classification: tuple[str, ...] | None = None
    """Offerings the host's data classification refused, once a move was considered."""

    @property
    def scanned(self) -> bool:
        """Whether the host was scanned (a plan of a host that was not says less)."""
        return self.rule != NOT_SCANNED

    def to_data(self) -> dict[str, Any]:
        """The plan's entry of results.json (``recommendation.hosts``), keys in their order."""
        if not self.scanned:
            return {"id": self.id, "site": self.site, "criticality": self.criticality,
                    "strategy": self.strategy, "rule": self.rule, "target": self.target,
                    "sizing": self.sizing, "reason": self.reason, "blockers": list(self.blockers)}
        data: dict[str, Any] = {
            "id": self.id, "site": self.site, "criticality": self.criticality, "role": self.role,
            "data_classification": self.data_classification,
            "classification_stated": self.classification_stated,
            "utilisation": self.utilisation, "sizing": self.sizing}
        if self.runs_on is not None:
            data["runs_on"] = self.runs_on
        if self.hypervisor_name is not None:
            data["hypervisor_name"] = self.hypervisor_name
        if self.excluded_by_classification is not None:
            data["excluded_by_classification"] = list(self.excluded_by_classification)
        data.update(strategy=self.strategy, rule=self.rule, reason=self.reason,
                    target=self.target, blockers=list(self.blockers))
        return data


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
                "blockers": sum(len(p.blockers) for p in self.hosts)}
