"""Per-host plan: strategy (rehost, replatform, repurchase, retire, retain), target and size."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, replace
from typing import Any

from auditor.inventory.load import Host
from auditor.messages import has, message, say
from auditor.model import FindingStatus, HostStatus
from auditor.numbers import number as number_in
from auditor.recommend.catalogue import Catalogue, Offering, Rules, SiteAssumptions
from auditor.recommend.common import OFF_SITE, Strategy, blocker, dig, number, strings
from auditor.recommend.general import general_application, repurchase_reason, repurchase_target
from auditor.recommend.sizing import Required, Usage, fit, required_size, usage_of
from auditor.recommend.values import NOT_SCANNED, HostPlan

MANAGED_KINDS = {"web_hosting": "web", "database": "database", "object_storage": None}
"""Managed kinds a replatformed host may land on, and which servers.* list must fit."""


EMPTY = {"id": "", "en": ""}
"""No text in either language: an optional part of a message left out."""
WHY_REBUILT = {True: message("plan.host.why_eol"), False: message("plan.host.why_stack")}
"""Why a host is rebuilt: its operating system is past end of life (True), or else its stack."""


def _not_scanned(host: Host, result: Mapping[str, Any], usage: Usage) -> HostPlan:
    status = str(result["status"])
    shown = {"id": say(f"report.hoststatus_{status}", "id")
             if has(f"report.hoststatus_{status}") else status, "en": status}
    return HostPlan(id=host.id, site=host.site, criticality=host.criticality, strategy=None,
                    rule=NOT_SCANNED, target=None, sizing=None,
                    reason=message("plan.host.not_scanned", status=shown),
                    blockers=(blocker("plan.blocker.not_scanned", status=shown),), usage=usage)


def number_id(value: float) -> str:
    """A number as the Indonesian report writes it (2,5)."""
    return number_in(value, "id", 1)


def _both(value: float, en_format: str = "") -> dict[str, str]:
    """A number as a plan's sentence writes it: 2,5 in Indonesian, ``format(value, en_format)``."""
    return {"id": number_id(value), "en": format(value, en_format)}


def _end_of_life(result: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    failed = any(f["control"] == "HOST-OS-SUPPORTED" and f["status"] == FindingStatus.FAIL
                 for f in result.get("findings", []))
    return failed or dig(facts, "lifecycle", "security_updates") is False


def _os_ids(facts: Mapping[str, Any]) -> list[str]:
    os_id = dig(facts, "os", "id")
    ids = [str(os_id)[:64].lower()] if isinstance(os_id, str) and os_id else []
    return ids + strings(dig(facts, "os", "id_like"), 10)


def _os_label(facts: Mapping[str, Any]) -> str:
    name = dig(facts, "os", "pretty_name") or dig(facts, "os", "id") or "?"
    return str(name)[:80]


def _managed_fits(offering: Offering, host: Host, facts: Mapping[str, Any]) -> bool:
    """Whether a managed offering is meant for this host's role and runs its stack."""
    if offering.roles and (host.role or "").lower() not in offering.roles:
        return False
    servers_key = MANAGED_KINDS.get(offering.kind)
    if servers_key is None:
        return offering.kind == "object_storage"
    stack = set(strings(dig(facts, "servers", servers_key)))
    other = "database" if servers_key == "web" else "web"
    if not stack or not stack <= set(offering.stacks):
        return False
    return not (servers_key == "web" and strings(dig(facts, "servers", other)))


def _idle(usage: Usage, a: SiteAssumptions) -> tuple[bool, dict[str, Any]]:
    cpu: float | None
    memory: float | None
    if usage.cpu_avg_pct is not None and usage.memory_avg_pct is not None:
        # measured by a hypervisor over its samples: idle is judged on averages, as the
        # assessors do (Azure Migrate, AWS: < 5% average CPU and memory)
        cpu, memory = usage.cpu_avg_pct, usage.memory_avg_pct
        basis = (f"averages of CPU and memory use over {usage.samples or 0} samples from the "
                 "hypervisor")
    else:
        cpu, memory = usage.cpu_pct, usage.memory_used_pct
        basis = ("CPU % = load average / CPU count × 100; memory % = memory.used_pct; one "
                 "probe, not an average over weeks")
    data = {"cpu_pct": cpu, "memory_pct": memory, "load": usage.load,
            "load_measure": usage.load_name, "cpu_count": usage.cpu_count, "basis": basis}
    idle = cpu is not None and memory is not None and cpu < a("idle_cpu_pct") \
        and memory < a("idle_memory_pct")
    return idle, data


@dataclass(slots=True)
class _Draft:
    """What every plan of a scanned host says before its strategy: who it is and what it uses.

    The blockers and the offerings refused by classification grow while the plan is decided.
    """

    host: Host
    classification: str
    utilisation: dict[str, Any]
    sizing: dict[str, Any] | None
    usage: Usage
    runs_on: str | None
    hypervisor_name: str | None
    blockers: list[dict[str, Any]]
    excluded: tuple[str, ...] | None = None

    def done(self, strategy: Strategy, rule: str, reason: dict[str, str],
             target: dict[str, Any] | None) -> HostPlan:
        """The plan, decided: its strategy, the rule that chose it, why, and its target."""
        host = self.host
        return HostPlan(id=host.id, site=host.site, criticality=host.criticality, role=host.role,
                        data_classification=self.classification,
                        classification_stated=host.data_classification is not None,
                        utilisation=self.utilisation, sizing=self.sizing, runs_on=self.runs_on,
                        hypervisor_name=self.hypervisor_name,
                        excluded_by_classification=self.excluded, strategy=strategy, rule=rule,
                        reason=reason, target=target, blockers=tuple(self.blockers),
                        usage=self.usage)


def _facts_of(host: Host, facts: Mapping[str, Any], classification: str,
              utilisation: dict[str, Any], sizing: dict[str, Any] | None, usage: Usage,
              blockers: list[dict[str, Any]]) -> _Draft:
    """The draft of a scanned host's plan, with the hypervisor it runs on or is, if any."""
    runs_on, name = dig(facts, "vm", "hypervisor"), dig(facts, "hypervisor", "name")
    return _Draft(host, classification, utilisation, sizing, usage,
                  runs_on[:200] if isinstance(runs_on, str) and runs_on else None,
                  name[:200] if isinstance(name, str) and name else None, blockers)


def plan_host(host: Host, result: Mapping[str, Any], facts: Mapping[str, Any],
              catalogue: Catalogue, a: SiteAssumptions, inbound: Set[str],
              usage: Usage | None = None) -> HostPlan:
    """The plan for one host: strategy, rule, reason, target, sizing and blockers."""
    usage = usage if usage is not None else usage_of(facts)
    if result["status"] != HostStatus.OK:
        return _not_scanned(host, result, usage)
    rules = catalogue.rules
    need = required_size(usage, a)
    blockers: list[dict[str, Any]] = []
    classification = host.data_classification or rules.unclassified_as
    if host.data_classification is None:
        blockers.append({"code": "data_not_classified", "text": rules.unclassified_reason})
    idle, utilisation = _idle(usage, a)
    utilisation["idle"] = idle
    if idle and inbound:
        utilisation["idle_but_used_by"] = sorted(inbound)
    draft = _facts_of(host, facts, classification, utilisation,
                      need.to_data(usage) if need else None, usage, blockers)
    kept = _retain_or_retire(draft, facts, a, inbound, rules)
    if kept is not None:
        return kept
    replaced = general_application(host, catalogue, classification)
    if replaced is not None:
        offering, what = replaced
        return replace(draft.done(Strategy.REPURCHASE, "general_application",
                                  repurchase_reason(offering, what), repurchase_target(offering)),
                       sizing=None)
    return _move(draft, (host, result, facts), catalogue, need)


def _retain_or_retire(draft: _Draft, facts: Mapping[str, Any], a: SiteAssumptions,
                      inbound: Set[str], rules: Rules) -> HostPlan | None:
    """The plan of a host that stays by its role or is retired (hypervisor, off, idle), else None.

    A virtual machine powered off long enough is marked so in ``utilisation`` (in place), even
    when another host still uses it and it is not retired.
    """
    done, utilisation = draft.done, draft.utilisation
    if (draft.host.role or "").lower() in rules.retain_roles:
        return done(Strategy.RETAIN, "retain_role", rules.retain_reason, None)
    if dig(facts, "virtual", "kind") == "hypervisor":
        return done(Strategy.RETIRE, "hypervisor_host", message("plan.host.hypervisor"), None)
    off_days = number(dig(facts, "vm", "powered_off_days"))
    if dig(facts, "vm", "power_state") == "off" and off_days is not None \
            and off_days >= a("retire_powered_off_days"):
        utilisation |= {"powered_off": True, "powered_off_days": off_days}
    if utilisation.get("powered_off") and off_days is not None and not inbound:
        return done(Strategy.RETIRE, "powered_off", message(
            "plan.host.powered_off", days=_both(off_days, "g"),
            threshold=_both(a("retire_powered_off_days"), "g")), None)
    if utilisation["idle"] and not inbound:
        return done(Strategy.RETIRE, "idle", message(
            "plan.host.idle", cpu=_both(utilisation["cpu_pct"]),
            memory=_both(utilisation["memory_pct"]), cpu_max=_both(a("idle_cpu_pct"), "g"),
            memory_max=_both(a("idle_memory_pct"), "g")), None)
    return None


def _os_blocker(eol: bool, replatform: bool, os_ids: list[str],
                facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the host's operating system blocks: past end of life, unsupported, or unknown."""
    if eol:
        return blocker("plan.blocker.os_end_of_life", os=_os_label(facts))
    if replatform:
        return blocker("plan.blocker.os_not_supported_by_target", os=_os_label(facts))
    if not os_ids:
        return blocker("plan.blocker.os_unknown")
    return None


def _move(draft: _Draft, scanned: tuple[Host, Mapping[str, Any], Mapping[str, Any]],
          catalogue: Catalogue, need: Required | None) -> HostPlan:
    """Rehost or replatform a host onto the cheapest allowed target that fits, if any may hold it.

    ``scanned``: the host, its result in results.json and its facts.
    """
    host, result, facts = scanned
    done, blockers, classification = draft.done, draft.blockers, draft.classification
    eol = _end_of_life(result, facts)
    os_ids = _os_ids(facts)
    vms = catalogue.of_kind("vm")
    os_ok = [o for o in vms if set(os_ids) & set(o.os_families)]
    replatform = eol or bool(os_ids and not os_ok)
    os_blocker = _os_blocker(eol, replatform, os_ids, facts)
    if os_blocker is not None:
        blockers.append(os_blocker)
    if replatform:
        managed = [o for kind in MANAGED_KINDS for o in catalogue.of_kind(kind)
                   if _managed_fits(o, host, facts)]
        candidates = managed + vms
    else:
        candidates = os_ok or vms
    allowed = [o for o in candidates if o.allows(classification)]
    refused = [o.id for o in candidates if not o.allows(classification)]
    draft.excluded = tuple(refused)
    strategy = Strategy.REPLATFORM if replatform else Strategy.REHOST
    rule = "eol" if eol else ("os_not_supported" if replatform else "rehost")
    label = catalogue.label(classification)
    if not allowed:
        blockers.append(blocker("plan.blocker.classification_no_offering", label=label))
        return done(Strategy.RETAIN, "classification", message(
            "plan.host.classification", label=label, reason=catalogue.rules.own_room_reason),
            own_room_target(catalogue))
    if need is None:
        blockers.append(blocker("plan.blocker.size_unknown"))
        first = allowed[0]
        target = {"offering": first.id, "offering_name": first.name, "kind": first.kind,
                  "provider": first.provider, "flavour": None, "sizing": "unknown",
                  "price_idr_per_year": first.price_idr_per_year}
        return done(strategy, rule, _reason(strategy, eol, None, refused, label), target)
    return _place(draft, (strategy, rule), eol, need, allowed, refused, catalogue)


def own_room_target(catalogue: Catalogue) -> dict[str, Any]:
    """The target of a host no offering may or can hold: the pemda's own room, hardened."""
    return {"offering": "own-room", "offering_name": catalogue.rules.own_room_name,
            "kind": "own_room", "provider": "pemda", "flavour": None,
            "sizing": "not_applicable", "price_idr_per_year": 0}


def _reason(strategy: Strategy, eol: bool, target: dict[str, Any] | None, refused: list[str],
            label: dict[str, str]) -> dict[str, str]:
    where = f" → {target['offering']}" + (f" ({target['flavour']})" if target and
                                          target.get("flavour") else "") if target else ""
    why_class = message("plan.host.refused", label=label,
                        offerings=", ".join(refused)) if refused else EMPTY
    if strategy is Strategy.REHOST:
        return message("plan.host.rehost", where=where, refused=why_class)
    return message("plan.host.replatform", why=WHY_REBUILT[eol], where=where, refused=why_class)


def _place(draft: _Draft, decided: tuple[Strategy, str], eol: bool, need: Required,
           allowed: list[Offering], refused: list[str], catalogue: Catalogue) -> HostPlan:
    done, blockers, classification = draft.done, draft.blockers, draft.classification
    options = [(o, t) for o in allowed if (t := fit(o, need)) is not None]
    if not options:
        refused_text = message("plan.blocker.no_offering_fits_refused",
                               offerings=", ".join(refused),
                               classification=classification) if refused else EMPTY
        blockers.append(blocker("plan.blocker.no_offering_fits", vcpu=need.vcpu,
                                memory=_both(need.memory_gb), disk=_both(need.disk_gb),
                                refused=refused_text))
        return done(Strategy.RETAIN, "too_large", message(
            "plan.host.too_large", reason=catalogue.rules.own_room_reason),
            own_room_target(catalogue))
    order = {o.id: i for i, o in enumerate(allowed)}
    _, target = min(options, key=lambda ot: (ot[1]["price_idr_per_year"], order[ot[0].id]))
    strategy, rule = decided
    return done(strategy, rule, _reason(strategy, eol, target, refused,
                                        catalogue.label(classification)), target)


def keep_hypervisors_of_staying_vms(plans: list[HostPlan]) -> list[HostPlan]:
    """A hypervisor host retires only once every VM it runs moves or retires.

    While one stays (retained, kept in a hardened room, or not planned because it was not
    scanned), the host stays too: retain, with a blocker naming those VMs.
    """
    staying: dict[str, list[str]] = {}
    for p in plans:
        on = p.runs_on
        if on and p.strategy not in (*OFF_SITE, Strategy.RETIRE):
            staying.setdefault(on, []).append(p.id)
    out = []
    for p in plans:
        vms = sorted(staying.get(p.hypervisor_name or "", []))
        if p.rule == "hypervisor_host" and vms:
            shown = ", ".join(vms[:10]) + (" …" if len(vms) > 10 else "")
            p = replace(p, strategy=Strategy.RETAIN, rule="hypervisor_with_staying_vms",
                        reason=message("plan.host.hypervisor_stays", vms=shown),
                        blockers=(*p.blockers, blocker("plan.blocker.vms_stay", vms=shown)))
        out.append(p)
    return out
