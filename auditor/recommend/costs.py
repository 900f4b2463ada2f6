"""Costs per site: what the room costs now, what remains after migration, the one-off effort."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditor.inventory.load import Site
from auditor.messages import LANGUAGES, say
from auditor.numbers import number
from auditor.recommend.catalogue import SiteAssumptions
from auditor.recommend.common import MOVING, OFF_SITE, Strategy
from auditor.recommend.energy import Energy, kwh_formula, rp, site_energy
from auditor.recommend.values import HostPlan

INPUT_KEYS = ("power_kw", "hardware_value_idr", "maintenance_idr", "staff_fte", "licences_idr",
              "space_idr", "other_idr", "pue", "tariff", "tariff_idr_per_kwh")
"""Inventory ``costs`` keys that are the site's own figures (the rest override assumptions)."""
MIB_PER_TB = 1024 * 1024

Basis = Callable[[str], str]
"""A cost line's formula written in one language (``id`` or ``en``)."""


def _line(item: str, idr: float, basis: Basis, given: bool, estimate: bool) -> dict[str, Any]:
    """One cost line; ``basis``, how it was worked out, in both languages."""
    return {"item": item, "idr": round(idr), "basis": {lang: basis(lang) for lang in LANGUAGES},
            "given": given, "estimate": estimate}


def _n(value: float, lang: str) -> str:
    return number(value, lang, 4)


def current_lines(site: Site, a: SiteAssumptions, host_count: int, cores: int,
                  e: Energy) -> list[dict[str, Any]]:
    """The site's yearly cost now, one line per item, each saying how it was worked out."""
    c = site.costs
    hours = a("hours_per_year")
    lines = []
    if "power_kw" in c:
        kw = float(c["power_kw"])
        lines.append(_line("power", kw * hours * e.pue * e.tariff,
                           lambda lang: kwh_formula(kw, hours, e, lang),
                           True, e.pue_estimate or e.tariff_estimate))
    else:
        per_core, factor = a("kw_per_core"), a("load_factor")
        kw = cores * per_core * factor
        lines.append(_line("power", kw * hours * e.pue * e.tariff, lambda lang: say(
            "plan.cost.power_estimate", lang, cores=cores, per_core=_n(per_core, lang),
            factor=_n(factor, lang), kwh=kwh_formula(kw, hours, e, lang)), False, True))
    life = a("hardware_life_years")
    if "hardware_value_idr" in c:
        value = float(c["hardware_value_idr"])
        lines.append(_line("hardware_depreciation", value / life, lambda lang: say(
            "plan.cost.depreciation", lang, value=rp(value, lang), life=_n(life, lang)),
            True, a.estimate("hardware_life_years")))
    else:
        each = a("server_value_idr")
        lines.append(_line("hardware_depreciation", host_count * each / life, lambda lang: say(
            "plan.cost.depreciation_estimate", lang, hosts=host_count, each=rp(each, lang),
            life=_n(life, lang)), False, True))
    staff_cost = a("staff_cost_idr_per_fte")
    if "staff_fte" in c:
        fte = float(c["staff_fte"])
        lines.append(_line("staff", fte * staff_cost,
                           lambda lang: f"{_n(fte, lang)} FTE × {rp(staff_cost, lang)}",
                           True, a.estimate("staff_cost_idr_per_fte")))
    else:
        per = a("hosts_per_admin")
        fte = host_count / per if per else 0.0
        lines.append(_line("staff", fte * staff_cost, lambda lang: say(
            "plan.cost.staff_estimate", lang, hosts=host_count, per=_n(per, lang),
            fte=number(fte, lang, 2), cost=rp(staff_cost, lang)), False, True))
    for key in ("maintenance_idr", "licences_idr", "space_idr", "other_idr"):
        given = key in c
        value = float(c[key]) if given else 0.0
        lines.append(_line(key.removesuffix("_idr"), value, _as_given(given), given, False))
    return lines


def _as_given(given: bool) -> Basis:
    def basis(lang: str) -> str:
        return say("plan.cost.as_given" if given else "plan.cost.not_given", lang)
    return basis


def _floors(a: SiteAssumptions, e: Energy) -> dict[str, tuple[float, Basis]]:
    """What each item still costs once every host has left: the equipment and room that stay."""
    kw, hours, life = a("remaining_equipment_kw"), a("hours_per_year"), a("hardware_life_years")
    value, share = a("remaining_equipment_value_idr"), a("remaining_room_share")
    def room(lang: str) -> str:
        return say("plan.cost.room_stays", lang, share=_n(share, lang))
    return {
        "power": (kw * hours * e.pue * e.tariff, lambda lang: say(
            "plan.cost.equipment_stays", lang, formula=kwh_formula(kw, hours, e, lang))),
        "hardware_depreciation": (value / life, lambda lang: say(
            "plan.cost.equipment_stays", lang, formula=say(
                "plan.cost.depreciation", lang, value=rp(value, lang), life=_n(life, lang)))),
        "maintenance": (share, room),
        "space": (share, room),
    }


def _after_item(line: Mapping[str, Any], stay_share: float,
                floor: tuple[float, Basis] | None) -> dict[str, Any]:
    """An item after migration: the staying hosts' share of it, plus what stays regardless."""
    item, idr = line["item"], float(line["idr"])
    if floor is None:
        return _line(item, idr * stay_share, lambda lang: (
            f"{rp(idr, lang)} × {_n(stay_share, lang)} {say('plan.cost.staying', lang)}"),
            line["given"], line["estimate"])
    value, floor_basis = floor
    scaled = item in ("maintenance", "space")    # the room's share of today's figure
    if scaled:
        value *= idr

    def basis_of(lang: str) -> str:
        return f"{floor_basis(lang)} × {rp(idr, lang)}" if scaled else floor_basis(lang)
    kept = min(value, idr)
    def after_basis(lang: str) -> str:
        capped = say("plan.cost.capped", lang, idr=rp(idr, lang)) if value > idr else ""
        left = f"{rp(kept, lang)} [{basis_of(lang)}{capped}]"
        if stay_share <= 0:
            return left
        right = f"{_n(stay_share, lang)} × {rp(idr, lang)} ({say('plan.cost.staying', lang)})"
        return right if stay_share >= 1 else f"{right} + {_n(1 - stay_share, lang)} × {left}"
    return _line(item, stay_share * idr + (1 - stay_share) * kept, after_basis, line["given"],
                 line["estimate"] or (stay_share < 1 and kept > 0))


def after_lines(current: Sequence[Mapping[str, Any]], a: SiteAssumptions, e: Energy,
                stay_share: float, moved_tb: float, any_moved: bool, off_site: int,
                offerings: tuple[float, Basis]) -> list[dict[str, Any]]:
    """What the site still pays each year once the plan is carried out."""
    share_after = a("staff_share_after_migration")
    floors = _floors(a, e)
    out = []
    for line in current:
        item, idr = line["item"], float(line["idr"])
        if item == "licences":
            out.append(_line(item, idr, lambda lang: say("plan.cost.licences_kept", lang),
                             line["given"], line["estimate"]))
        elif item == "staff":
            factor = share_after + (1 - share_after) * stay_share
            out.append(_line(item, idr * factor, _staff_basis(idr, share_after, stay_share),
                             line["given"], True))
        else:
            out.append(_after_item(line, stay_share, floors.get(item)))
    out.append(_link_line(a, off_site))
    tb = max(a("own_backup_min_tb"), moved_tb) if any_moved else 0.0
    price, least = a("own_backup_idr_per_tb_year"), a("own_backup_min_tb")
    out.append(_line("own_offsite_backup", tb * price, lambda lang: say(
        "plan.cost.own_backup", lang, tb=number(tb, lang, 3), moved=number(moved_tb, lang, 3),
        least=_n(least, lang), price=rp(price, lang)) if any_moved
        else say("plan.cost.no_host_moves", lang), False, True))
    out.append(_line("central_offerings", offerings[0], offerings[1], False, False))
    return out


def _staff_basis(idr: float, share_after: float, stay_share: float) -> Basis:
    def basis(lang: str) -> str:
        return (f"{rp(idr, lang)} × ({_n(share_after, lang)} + (1 − {_n(share_after, lang)}) × "
                f"{_n(stay_share, lang)} {say('plan.cost.staying', lang)})")
    return basis


def _link_line(a: SiteAssumptions, off_site: int) -> dict[str, Any]:
    """The link to the PDN / government intranet, sized from the hosts that leave the room."""
    if not off_site:
        return _line("pdn_link", 0, lambda lang: say("plan.cost.no_host_moves", lang),
                     False, False)
    per, least, price = a("link_mbps_per_host"), a("link_min_mbps"), a("link_idr_per_mbps_year")
    mbps = max(least, off_site * per)
    return _line("pdn_link", mbps * price, lambda lang: say(
        "plan.cost.link", lang, least=_n(least, lang), hosts=off_site, per=_n(per, lang),
        mbps=_n(mbps, lang), price=rp(price, lang)),
        False, a.estimate("link_mbps_per_host", "link_min_mbps", "link_idr_per_mbps_year"))


def _offerings(off_site: Sequence[HostPlan]) -> tuple[float, Basis]:
    priced = [(p.id, p.target) for p in off_site
              if p.target and p.target.get("price_idr_per_year")]
    idr = sum(float(target["price_idr_per_year"]) for _, target in priced)

    def basis(lang: str) -> str:
        parts = [f"{host}: {target['offering']} {target.get('flavour') or ''}"
                 f" {rp(target['price_idr_per_year'], lang)}".replace("  ", " ")
                 for host, target in priced]
        return "; ".join(parts) or say("plan.cost.all_free", lang)
    return idr, basis


def site_costs(site: Site, plans: Sequence[HostPlan], a: SiteAssumptions,
               cooling: str | None = None) -> dict[str, Any]:
    """The cost block of one site: current, after, one-off and the multi-year comparison.

    ``cooling`` is the site's answer to the cooling question (it chooses the PUE).
    """
    cores = sum(p.usage.cpu_count or 0 for p in plans)
    energy = site_energy(site, a, cooling)
    current = current_lines(site, a, len(plans), cores, energy)
    staying = [p for p in plans if p.strategy in (Strategy.RETAIN, None)]
    moved = [p for p in plans if p.strategy in MOVING]
    off_site = [p for p in plans if p.strategy in OFF_SITE]
    stay_share = len(staying) / len(plans) if plans else 1.0
    moved_mb = 0.0
    for p in moved:
        used = p.usage.disk_used_mb
        if used is None and p.target and p.target.get("disk_gb"):
            used = float(p.target["disk_gb"]) * 1024
        moved_mb += used or 0.0
    after = after_lines(current, a, energy, stay_share, moved_mb / MIB_PER_TB, bool(moved),
                        len(off_site), _offerings(off_site))
    rate = a("migration_rate_idr_per_hour")
    one_off: list[dict[str, Any]] = []
    for strategy in Strategy:
        count = sum(p.strategy == strategy for p in plans)
        hours = a(f"migration_hours_{strategy}")
        if count:
            one_off.append({"strategy": strategy, "hosts": count, "hours_per_host": hours,
                            "hours": count * hours, "idr": round(count * hours * rate),
                            "basis": {lang: say("plan.cost.one_off", lang, hosts=count,
                                                hours=_n(hours, lang), rate=rp(rate, lang))
                                      for lang in LANGUAGES}})
    current_idr = sum(line["idr"] for line in current)
    after_idr = sum(line["idr"] for line in after)
    one_off_idr = sum(line["idr"] for line in one_off)
    years = int(a("horizon_years"))
    return {
        "site": site.id, "name": site.name,
        "current": {"lines": current, "annual_idr": current_idr},
        "after": {"lines": after, "annual_idr": after_idr},
        "one_off": {"lines": one_off, "idr": one_off_idr,
                    "unplanned_hosts": sum(p.strategy is None for p in plans)},
        "hosts": len(plans), "hosts_staying": len(staying), "stay_share": round(stay_share, 4),
        "hosts_off_site": len(off_site),
        "energy": energy.to_data(),
        "five_year": five_year(years, current_idr, after_idr, one_off_idr),
        "estimate": any(line["estimate"] for line in current + after),
        "inputs": dict(site.costs),
        "assumptions": a.used(),
    }


def five_year(years: int, current: int, after: int, one_off: int) -> dict[str, Any]:
    """The comparison over the planning horizon (named five_year after its default)."""
    after_total = after * years + one_off
    return {"years": years, "current_idr": current * years, "after_idr": after_total,
            "one_off_idr": one_off, "savings_idr": current * years - after_total}
