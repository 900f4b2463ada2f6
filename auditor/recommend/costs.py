"""Costs per site: what the room costs now, what remains after migration, the one-off effort."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.inventory import Site
from auditor.numbers import Money, Num, rupiah, say
from auditor.recommend.catalogue import SiteAssumptions
from auditor.recommend.common import MOVING, Strategy
from auditor.recommend.sizing import Usage

INPUT_KEYS = ("power_kw", "hardware_value_idr", "maintenance_idr", "staff_fte", "licences_idr",
              "space_idr", "other_idr")
"""Inventory ``costs`` keys that are the site's own figures (the rest override assumptions)."""
MIB_PER_TB = 1024 * 1024


def _line(item: str, idr: float, basis: dict[str, str], given: bool,
          estimate: bool) -> dict[str, Any]:
    return {"item": item, "idr": round(idr), "basis": basis, "given": given, "estimate": estimate}


def current_lines(site: Site, a: SiteAssumptions, host_count: int,
                  cores: int) -> list[dict[str, Any]]:
    """The site's yearly cost now, one line per item, each saying how it was worked out."""
    c = site.costs
    hours, pue, tariff = a("hours_per_year"), a("pue"), a("tariff_idr_per_kwh")
    lines = []
    if "power_kw" in c:
        kw = float(c["power_kw"])
        lines.append(_line("power", kw * hours * pue * tariff,
                           say("{kw} kW × {hours} jam × PUE {pue} × {tariff}/kWh",
                               "{kw} kW × {hours} h × PUE {pue} × {tariff}/kWh",
                               kw=kw, hours=hours, pue=pue, tariff=Money(tariff)),
                           True, a.estimate("pue", "tariff_idr_per_kwh")))
    else:
        kw = cores * a("kw_per_core") * a("load_factor")
        lines.append(_line("power", kw * hours * pue * tariff, say(
            "perkiraan: {cores} inti CPU terpindai × {per} kW × faktor beban {load} = {kw} kW × "
            "{hours} jam × PUE {pue} × {tariff}/kWh",
            "estimate: {cores} scanned cores × {per} kW × load factor {load} = {kw} kW × "
            "{hours} h × PUE {pue} × {tariff}/kWh",
            cores=cores, per=a("kw_per_core"), load=a("load_factor"), kw=Num(kw, 3),
            hours=hours, pue=pue, tariff=Money(tariff)), False, True))
    life = a("hardware_life_years")
    if "hardware_value_idr" in c:
        value = float(c["hardware_value_idr"])
        lines.append(_line("hardware_depreciation", value / life,
                           say("{value} / {life} tahun", "{value} / {life} years",
                               value=Money(value), life=life), True,
                           a.estimate("hardware_life_years")))
    else:
        each = a("server_value_idr")
        lines.append(_line("hardware_depreciation", host_count * each / life,
                           say("perkiraan: {n} host × {each} / {life} tahun",
                               "estimate: {n} hosts × {each} / {life} years",
                               n=host_count, each=Money(each), life=life), False, True))
    staff_cost = a("staff_cost_idr_per_fte")
    if "staff_fte" in c:
        fte = float(c["staff_fte"])
        lines.append(_line("staff", fte * staff_cost,
                           say("{fte} staf purnawaktu × {cost}", "{fte} FTE × {cost}",
                               fte=fte, cost=Money(staff_cost)),
                           True, a.estimate("staff_cost_idr_per_fte")))
    else:
        per = a("hosts_per_admin")
        fte = host_count / per if per else 0.0
        lines.append(_line("staff", fte * staff_cost, say(
            "perkiraan: {n} host / {per} host per staf purnawaktu = {fte} staf purnawaktu × "
            "{cost}",
            "estimate: {n} hosts / {per} hosts per FTE = {fte} FTE × {cost}",
            n=host_count, per=per, fte=Num(fte, 2), cost=Money(staff_cost)), False, True))
    for key in ("maintenance_idr", "licences_idr", "space_idr", "other_idr"):
        given = key in c
        value = float(c[key]) if given else 0.0
        lines.append(_line(key.removesuffix("_idr"), value,
                           say("sesuai inventaris", "as given in the inventory") if given
                           else say("tidak diisi: dihitung 0", "not given: counted as 0"),
                           given, False))
    return lines


def after_lines(current: Sequence[Mapping[str, Any]], a: SiteAssumptions, stay_share: float,
                moved_tb: float, any_moved: bool, offerings_idr: float,
                offering_basis: dict[str, str]) -> list[dict[str, Any]]:
    """What the site still pays each year once the plan is carried out."""
    share_after = a("staff_share_after_migration")
    out = []
    for line in current:
        item, idr = line["item"], float(line["idr"])
        if item == "licences":
            out.append(_line(item, idr, say("tetap: lisensi perangkat lunak mengikuti aplikasinya",
                                            "kept: software licences follow the applications"),
                             line["given"], line["estimate"]))
        elif item == "staff":
            factor = share_after + (1 - share_after) * stay_share
            out.append(_line(item, idr * factor, say(
                "{idr} × ({share} + (1 − {share}) × {stay} bagian host yang tetap tinggal: "
                "dipertahankan atau belum direncanakan)",
                "{idr} × ({share} + (1 − {share}) × {stay} of hosts staying: retained or not "
                "yet planned)",
                idr=Money(idr), share=share_after, stay=stay_share), line["given"], True))
        else:
            out.append(_line(item, idr * stay_share, say(
                "{idr} × {stay} bagian host yang tetap tinggal (dipertahankan atau belum "
                "direncanakan)",
                "{idr} × {stay} of hosts staying (retained or not yet planned)",
                idr=Money(idr), stay=stay_share), line["given"], line["estimate"]))
    tb = max(a("own_backup_min_tb"), moved_tb) if any_moved else 0.0
    price = a("own_backup_idr_per_tb_year")
    out.append(_line("own_offsite_backup", tb * price, say(
        "{tb} TB (data host yang pindah {moved} TB, paling sedikit {least} TB) × {price}/TB/tahun: "
        "pemda tetap menyimpan salinan sendiri di lokasi lain",
        "{tb} TB (data of moved hosts {moved} TB, at least {least} TB) × {price}/TB/year: the "
        "pemda keeps its own off-site copy",
        tb=Num(tb, 3), moved=Num(moved_tb, 3), least=a("own_backup_min_tb"), price=Money(price))
        if any_moved else say("tidak ada host yang pindah", "no host moves"), False, True))
    out.append(_line("central_offerings", offerings_idr, offering_basis, False, False))
    return out


def site_costs(site: Site, plans: Sequence[Mapping[str, Any]], usages: Mapping[str, Usage],
               a: SiteAssumptions) -> dict[str, Any]:
    """The cost block of one site: current, after, one-off and the multi-year comparison."""
    cores = sum(usages[p["id"]].cpu_count or 0 for p in plans if p["id"] in usages)
    current = current_lines(site, a, len(plans), cores)
    staying = [p for p in plans if p["strategy"] in (Strategy.RETAIN, None)]
    moved = [p for p in plans if p["strategy"] in MOVING]
    stay_share = len(staying) / len(plans) if plans else 1.0
    moved_mb = 0.0
    for p in moved:
        used = usages[p["id"]].disk_used_mb if p["id"] in usages else None
        if used is None and p.get("target") and p["target"].get("disk_gb"):
            used = float(p["target"]["disk_gb"]) * 1024
        moved_mb += used or 0.0
    priced = [p for p in moved if p["target"] and p["target"].get("price_idr_per_year")]
    offerings_idr = sum(float(p["target"]["price_idr_per_year"]) for p in priced)
    basis = ({lang: "; ".join(f"{p['id']}: {p['target']['offering']} "
                             f"{p['target'].get('flavour') or ''} "
                             f"{rupiah(p['target']['price_idr_per_year'], lang)}".replace("  ", " ")
                             for p in priced) for lang in ("id", "en")} if priced
             else say("semua target gratis bagi pemda", "every target is free to the pemda"))
    after = after_lines(current, a, stay_share, moved_mb / MIB_PER_TB, bool(moved),
                        offerings_idr, basis)
    rate = a("migration_rate_idr_per_hour")
    one_off = []
    for strategy in Strategy:
        count = sum(p["strategy"] == strategy for p in plans)
        hours = a(f"migration_hours_{strategy}")
        if count:
            one_off.append({"strategy": strategy, "hosts": count, "hours_per_host": hours,
                            "hours": count * hours, "idr": round(count * hours * rate),
                            "basis": say("{n} × {hours} jam × {rate}/jam",
                                         "{n} × {hours} h × {rate}/h",
                                         n=count, hours=hours, rate=Money(rate))})
    current_idr = sum(line["idr"] for line in current)
    after_idr = sum(line["idr"] for line in after)
    one_off_idr = sum(line["idr"] for line in one_off)
    years = int(a("horizon_years"))
    return {
        "site": site.id, "name": site.name,
        "current": {"lines": current, "annual_idr": current_idr},
        "after": {"lines": after, "annual_idr": after_idr},
        "one_off": {"lines": one_off, "idr": one_off_idr,
                    "unplanned_hosts": sum(p["strategy"] is None for p in plans)},
        "hosts": len(plans), "hosts_staying": len(staying), "stay_share": round(stay_share, 4),
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
