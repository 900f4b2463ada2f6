"""Costs per site: what the room costs now, what remains after migration, the one-off effort."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.inventory import Site
from auditor.recommend.catalogue import SiteAssumptions
from auditor.recommend.common import MOVING, Strategy
from auditor.recommend.sizing import Usage

INPUT_KEYS = ("power_kw", "hardware_value_idr", "maintenance_idr", "staff_fte", "licences_idr",
              "space_idr", "other_idr")
"""Inventory ``costs`` keys that are the site's own figures (the rest override assumptions)."""
MIB_PER_TB = 1024 * 1024


def _line(item: str, idr: float, basis: str, given: bool, estimate: bool) -> dict[str, Any]:
    return {"item": item, "idr": round(idr), "basis": basis, "given": given, "estimate": estimate}


def _rp(value: float) -> str:
    return f"Rp {value:,.0f}"


def current_lines(site: Site, a: SiteAssumptions, host_count: int,
                  cores: int) -> list[dict[str, Any]]:
    """The site's yearly cost now, one line per item, each saying how it was worked out."""
    c = site.costs
    hours, pue, tariff = a("hours_per_year"), a("pue"), a("tariff_idr_per_kwh")
    lines = []
    if "power_kw" in c:
        kw = float(c["power_kw"])
        lines.append(_line("power", kw * hours * pue * tariff,
                           f"{kw:g} kW × {hours:g} h × PUE {pue:g} × {_rp(tariff)}/kWh",
                           True, a.estimate("pue", "tariff_idr_per_kwh")))
    else:
        kw = cores * a("kw_per_core") * a("load_factor")
        lines.append(_line("power", kw * hours * pue * tariff,
                           f"estimate: {cores} scanned cores × {a('kw_per_core'):g} kW × load "
                           f"factor {a('load_factor'):g} = {kw:.3f} kW × {hours:g} h × PUE "
                           f"{pue:g} × {_rp(tariff)}/kWh", False, True))
    life = a("hardware_life_years")
    if "hardware_value_idr" in c:
        value = float(c["hardware_value_idr"])
        lines.append(_line("hardware_depreciation", value / life,
                           f"{_rp(value)} / {life:g} years", True,
                           a.estimate("hardware_life_years")))
    else:
        each = a("server_value_idr")
        lines.append(_line("hardware_depreciation", host_count * each / life,
                           f"estimate: {host_count} hosts × {_rp(each)} / {life:g} years",
                           False, True))
    staff_cost = a("staff_cost_idr_per_fte")
    if "staff_fte" in c:
        fte = float(c["staff_fte"])
        lines.append(_line("staff", fte * staff_cost, f"{fte:g} FTE × {_rp(staff_cost)}",
                           True, a.estimate("staff_cost_idr_per_fte")))
    else:
        per = a("hosts_per_admin")
        fte = host_count / per if per else 0.0
        lines.append(_line("staff", fte * staff_cost,
                           f"estimate: {host_count} hosts / {per:g} hosts per FTE = {fte:.2f} "
                           f"FTE × {_rp(staff_cost)}", False, True))
    for key in ("maintenance_idr", "licences_idr", "space_idr", "other_idr"):
        given = key in c
        value = float(c[key]) if given else 0.0
        lines.append(_line(key.removesuffix("_idr"), value,
                           "as given in the inventory" if given else "not given: counted as 0",
                           given, False))
    return lines


def after_lines(current: Sequence[Mapping[str, Any]], a: SiteAssumptions, stay_share: float,
                moved_tb: float, any_moved: bool, offerings_idr: float,
                offering_basis: str) -> list[dict[str, Any]]:
    """What the site still pays each year once the plan is carried out."""
    share_after = a("staff_share_after_migration")
    out = []
    for line in current:
        item, idr = line["item"], float(line["idr"])
        if item == "licences":
            out.append(_line(item, idr, "kept: software licences follow the applications",
                             line["given"], line["estimate"]))
        elif item == "staff":
            factor = share_after + (1 - share_after) * stay_share
            out.append(_line(item, idr * factor,
                             f"{_rp(idr)} × ({share_after:g} + (1 − {share_after:g}) × "
                             f"{stay_share:.4g} of hosts staying: retained or not yet "
                             "planned)", line["given"], True))
        else:
            out.append(_line(item, idr * stay_share,
                             f"{_rp(idr)} × {stay_share:.4g} of hosts staying (retained or "
                             "not yet planned)", line["given"], line["estimate"]))
    tb = max(a("own_backup_min_tb"), moved_tb) if any_moved else 0.0
    price = a("own_backup_idr_per_tb_year")
    out.append(_line("own_offsite_backup", tb * price,
                     f"{tb:.3g} TB (data of moved hosts {moved_tb:.3g} TB, at least "
                     f"{a('own_backup_min_tb'):g} TB) × {_rp(price)}/TB/year: the pemda keeps its "
                     "own off-site copy" if any_moved else "no host moves", False, True))
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
    basis = ("; ".join(f"{p['id']}: {p['target']['offering']} {p['target'].get('flavour') or ''}"
                       f" {_rp(p['target']['price_idr_per_year'])}".replace("  ", " ")
                       for p in priced) or "every target is free to the pemda")
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
                            "basis": f"{count} × {hours:g} h × {_rp(rate)}/h"})
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
