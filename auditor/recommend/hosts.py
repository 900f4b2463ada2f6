"""Per-host plan: strategy (rehost, replatform, repurchase, retire, retain), target and size."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from typing import Any

from auditor.inventory.load import Host
from auditor.model import FindingStatus, HostStatus
from auditor.numbers import number as number_in
from auditor.recommend.catalogue import Catalogue, Offering, SiteAssumptions
from auditor.recommend.common import OFF_SITE, Strategy, blocker, dig, number, strings, text
from auditor.recommend.general import general_application, repurchase_reason, repurchase_target
from auditor.recommend.sizing import Required, Usage, fit, required_size, usage_of

Done = Callable[[Strategy, str, dict[str, str], dict[str, Any] | None], dict[str, Any]]

MANAGED_KINDS = {"web_hosting": "web", "database": "database", "object_storage": None}
"""Managed kinds a replatformed host may land on, and which servers.* list must fit."""


STATUS_ID = {"unreachable": "tidak terjangkau", "auth_failed": "autentikasi gagal",
             "hostkey_mismatch": "kunci host tidak cocok", "timeout": "waktu habis",
             "error": "galat"}
"""Scan statuses as the Indonesian report names them."""


def _not_scanned(host: Host, result: Mapping[str, Any]) -> dict[str, Any]:
    status = result["status"]
    status_id = STATUS_ID.get(str(status), str(status))
    return {"id": host.id, "site": host.site, "criticality": host.criticality,
            "strategy": None, "rule": "not_scanned", "target": None, "sizing": None,
            "reason": text(f"Host belum berhasil dipindai ({status_id}); strategi belum dapat "
                           "ditentukan.",
                           f"Not scanned ({status}); no strategy can be decided yet."),
            "blockers": [blocker("not_scanned",
                                 f"Host belum berhasil dipindai ({status_id}); pindai dahulu "
                                 "sebelum direncanakan.",
                                 f"Not scanned ({status}): scan it before planning.")]}


def number_id(value: float) -> str:
    """A number as the Indonesian report writes it (2,5)."""
    return number_in(value, "id", 1)


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


HYPERVISOR_REASON = text(
    "Host hypervisor: yang pindah adalah mesin virtualnya, masing-masing dengan rencananya "
    "sendiri; matikan perangkat ini setelah mesin virtual terakhirnya pindah (selama masih ada "
    "yang dipertahankan, perangkat ini tetap).",
    "Hypervisor host: its virtual machines move, each with its own plan; switch this machine "
    "off once its last VM has moved (while any stays, it stays).")


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


def plan_host(host: Host, result: Mapping[str, Any], facts: Mapping[str, Any],
              catalogue: Catalogue, a: SiteAssumptions, inbound: Set[str],
              usage: Usage | None = None) -> dict[str, Any]:
    """The plan for one host: strategy, rule, reason, target, sizing and blockers."""
    if result["status"] != HostStatus.OK:
        return _not_scanned(host, result)
    rules = catalogue.rules
    usage = usage if usage is not None else usage_of(facts)
    need = required_size(usage, a)
    blockers: list[dict[str, Any]] = []
    classification = host.data_classification or rules.unclassified_as
    if host.data_classification is None:
        blockers.append({"code": "data_not_classified", "text": rules.unclassified_reason})
    idle, utilisation = _idle(usage, a)
    utilisation["idle"] = idle
    if idle and inbound:
        utilisation["idle_but_used_by"] = sorted(inbound)
    plan: dict[str, Any] = {"id": host.id, "site": host.site, "criticality": host.criticality,
                            "role": host.role, "data_classification": classification,
                            "classification_stated": host.data_classification is not None,
                            "utilisation": utilisation,
                            "sizing": need.to_data(usage) if need else None}

    runs_on, name = dig(facts, "vm", "hypervisor"), dig(facts, "hypervisor", "name")
    if isinstance(runs_on, str) and runs_on:
        plan["runs_on"] = runs_on[:200]
    if isinstance(name, str) and name:
        plan["hypervisor_name"] = name[:200]

    def done(strategy: Strategy, rule: str, reason: dict[str, str],
             target: dict[str, Any] | None) -> dict[str, Any]:
        return plan | {"strategy": strategy, "rule": rule, "reason": reason, "target": target,
                       "blockers": blockers}

    if (host.role or "").lower() in rules.retain_roles:
        return done(Strategy.RETAIN, "retain_role", rules.retain_reason, None)
    if dig(facts, "virtual", "kind") == "hypervisor":
        return done(Strategy.RETIRE, "hypervisor_host", HYPERVISOR_REASON, None)
    off_days = number(dig(facts, "vm", "powered_off_days"))
    if dig(facts, "vm", "power_state") == "off" and off_days is not None \
            and off_days >= a("retire_powered_off_days"):
        utilisation |= {"powered_off": True, "powered_off_days": off_days}
    if utilisation.get("powered_off") and off_days is not None and not inbound:
        return done(Strategy.RETIRE, "powered_off", text(
            f"Mesin virtual mati sejak {number_id(off_days)} hari (ambang "
            f"{number_id(a('retire_powered_off_days'))} hari) dan tidak dipakai host lain: "
            "konfirmasi dengan pemilik aplikasi, arsipkan, lalu hapus.",
            f"Virtual machine powered off for {off_days:g} days (threshold "
            f"{a('retire_powered_off_days'):g} days) and used by no other host: confirm with the "
            "application owner, archive, then delete."), None)
    if idle and not inbound:
        return done(Strategy.RETIRE, "idle", text(
            f"Menganggur: CPU {number_id(utilisation['cpu_pct'])}% dan memori "
            f"{number_id(utilisation['memory_pct'])}% di bawah ambang "
            f"{number_id(a('idle_cpu_pct'))}%/{number_id(a('idle_memory_pct'))}%; konfirmasi "
            "dengan pemilik aplikasi, arsipkan, lalu matikan.",
            f"Idle: CPU {utilisation['cpu_pct']}% and memory {utilisation['memory_pct']}% below "
            f"the {a('idle_cpu_pct'):g}%/{a('idle_memory_pct'):g}% thresholds; confirm with the "
            "application owner, archive, then switch off."), None)

    replaced = general_application(host, catalogue, classification)
    if replaced is not None:
        offering, what = replaced
        return done(Strategy.REPURCHASE, "general_application",
                    repurchase_reason(offering, what), repurchase_target(offering)) | {
                        "sizing": None}

    eol = _end_of_life(result, facts)
    os_ids = _os_ids(facts)
    vms = catalogue.of_kind("vm")
    os_ok = [o for o in vms if set(os_ids) & set(o.os_families)]
    replatform = eol or bool(os_ids and not os_ok)
    if eol:
        blockers.append(blocker(
            "os_end_of_life",
            f"Sistem operasi ({_os_label(facts)}) sudah melewati akhir masa dukungan: bangun "
            "ulang di platform yang didukung.",
            f"Operating system ({_os_label(facts)}) past end of life: rebuild on a supported "
            "platform (replatform)."))
    elif replatform:
        blockers.append(blocker(
            "os_not_supported_by_target",
            f"Sistem operasi ({_os_label(facts)}) tidak didukung oleh target mana pun di "
            "katalog: pindahkan aplikasinya ke sistem operasi yang didukung.",
            f"Operating system ({_os_label(facts)}) is not supported by any target in the "
            "catalogue: move the application onto a supported OS."))
    elif not os_ids:
        blockers.append(blocker("os_unknown",
                                "Sistem operasi tidak diketahui: pastikan didukung target.",
                                "Operating system unknown: confirm the target supports it."))
    if replatform:
        managed = [o for kind in MANAGED_KINDS for o in catalogue.of_kind(kind)
                   if _managed_fits(o, host, facts)]
        candidates = managed + vms
    else:
        candidates = os_ok or vms
    allowed = [o for o in candidates if o.allows(classification)]
    refused = [o.id for o in candidates if not o.allows(classification)]
    plan["excluded_by_classification"] = refused
    strategy = Strategy.REPLATFORM if replatform else Strategy.REHOST
    rule = "eol" if eol else ("os_not_supported" if replatform else "rehost")
    label = catalogue.label(classification)
    if not allowed:
        blockers.append(blocker(
            "classification_no_offering",
            f"Data {label['id']}: tidak ada layanan di katalog yang boleh menampungnya; data "
            "tetap di ruang pemda sendiri yang harus diperkuat lebih dahulu.",
            f"Data {label['en']}: no offering in the catalogue may hold it; it stays in the "
            "pemda's own room, which must be hardened first."))
        return done(Strategy.RETAIN, "classification", text(
            f"Data {label['id']}: {rules.own_room_reason['id']}",
            f"Data {label['en']}: {rules.own_room_reason['en']}"), own_room_target(catalogue))
    if need is None:
        blockers.append(blocker("size_unknown",
                                "CPU, memori atau disk tidak diketahui: tentukan ukuran secara "
                                "manual.", "CPU, memory or disk unknown: size it by hand."))
        first = allowed[0]
        target = {"offering": first.id, "offering_name": first.name, "kind": first.kind,
                  "provider": first.provider, "flavour": None, "sizing": "unknown",
                  "price_idr_per_year": first.price_idr_per_year}
        return done(strategy, rule, _reason(strategy, eol, None, refused, label), target)
    return _place(done, blockers, (strategy, rule), eol, need, allowed, refused, catalogue,
                  classification)


def own_room_target(catalogue: Catalogue) -> dict[str, Any]:
    """The target of a host no offering may or can hold: the pemda's own room, hardened."""
    return {"offering": "own-room", "offering_name": catalogue.rules.own_room_name,
            "kind": "own_room", "provider": "pemda", "flavour": None,
            "sizing": "not_applicable", "price_idr_per_year": 0}


def _reason(strategy: Strategy, eol: bool, target: dict[str, Any] | None, refused: list[str],
            label: dict[str, str]) -> dict[str, str]:
    where = f" → {target['offering']}" + (f" ({target['flavour']})" if target and
                                          target.get("flavour") else "") if target else ""
    why_class = text(f" Klasifikasi data {label['id']}: {', '.join(refused)} tidak boleh "
                     "menampungnya.",
                     f" Data classified {label['en']}: {', '.join(refused)} may not hold "
                     "it.") if refused else text("", "")
    if strategy is Strategy.REHOST:
        return text(f"Dipindah apa adanya ke layanan pusat{where}.{why_class['id']}",
                    f"Moved as it is to a central offering{where}.{why_class['en']}")
    why_id = "sistem operasi akhir masa dukungan" if eol else "tumpukan tidak didukung target"
    why_en = "operating system past end of life" if eol else "stack not supported by the target"
    return text(f"Dibangun ulang ({why_id}){where}.{why_class['id']}",
                f"Rebuilt ({why_en}){where}.{why_class['en']}")


def _place(done: Done, blockers: list[dict[str, Any]], decided: tuple[Strategy, str], eol: bool,
           need: Required, allowed: list[Offering], refused: list[str], catalogue: Catalogue,
           classification: str) -> dict[str, Any]:
    options = [(o, t) for o in allowed if (t := fit(o, need)) is not None]
    if not options:
        refused_text = (f" ({', '.join(refused)} tidak boleh menampung data '{classification}')"
                        if refused else "")
        refused_en = (f" ({', '.join(refused)} may not hold '{classification}' data)"
                      if refused else "")
        blockers.append(blocker(
            "no_offering_fits",
            f"Butuh {need.vcpu} vCPU, {number_id(need.memory_gb)} GB memori, "
            f"{number_id(need.disk_gb)} GB disk: tidak "
            f"ada layanan yang diizinkan cukup besar{refused_text}.",
            f"Needs {need.vcpu} vCPU, {need.memory_gb} GB memory, {need.disk_gb} GB disk: no "
            f"allowed offering is large enough{refused_en}."))
        reason = catalogue.rules.own_room_reason
        return done(Strategy.RETAIN, "too_large", text(
            f"Terlalu besar untuk layanan yang diizinkan di katalog. {reason['id']}",
            f"Too large for the offerings the catalogue allows. {reason['en']}"),
            own_room_target(catalogue))
    order = {o.id: i for i, o in enumerate(allowed)}
    _, target = min(options, key=lambda ot: (ot[1]["price_idr_per_year"], order[ot[0].id]))
    strategy, rule = decided
    return done(strategy, rule, _reason(strategy, eol, target, refused,
                                        catalogue.label(classification)), target)


def keep_hypervisors_of_staying_vms(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A hypervisor host retires only once every VM it runs moves or retires.

    While one stays (retained, kept in a hardened room, or not planned because it was not
    scanned), the host stays too: retain, with a blocker naming those VMs.
    """
    staying: dict[str, list[str]] = {}
    for p in plans:
        on = p.get("runs_on")
        if on and p["strategy"] not in (*OFF_SITE, Strategy.RETIRE):
            staying.setdefault(on, []).append(p["id"])
    out = []
    for p in plans:
        vms = sorted(staying.get(p.get("hypervisor_name") or "", []))
        if p.get("rule") == "hypervisor_host" and vms:
            shown = ", ".join(vms[:10]) + (" …" if len(vms) > 10 else "")
            p = p | {"strategy": Strategy.RETAIN, "rule": "hypervisor_with_staying_vms",
                     "reason": text(
                         f"Host hypervisor ini tetap selama mesin virtualnya tetap: {shown}.",
                         f"This hypervisor host stays while its virtual machines stay: {shown}."),
                     "blockers": [*p["blockers"], blocker(
                         "vms_stay", f"Mesin virtual yang tetap di host ini: {shown}.",
                         f"Virtual machines that stay on this host: {shown}.")]}
        out.append(p)
    return out
