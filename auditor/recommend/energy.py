"""Electricity of a site: the PLN tariff class and the PUE its cooling implies, with formulas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.yamlfile import load_yaml
from auditor.errors import AuditorError
from auditor.inventory.load import Site
from auditor.numbers import number
from auditor.recommend.catalogue import SiteAssumptions
from auditor.recommend.common import text

COOLING_CONTROL = "FAC-COOLING-REDUNDANT"
"""The facility question whose answer says how the room is cooled."""
PRECISION_ANSWERS = ("n", "n_plus_1", "2n")
"""Answers to COOLING_CONTROL that mean precision cooling (PUE pue_precision)."""
TARIFFS = {"P-1": "tariff_p1_idr_per_kwh", "P-2": "tariff_p2_idr_per_kwh"}
"""PLN government tariff classes and the assumption holding each price."""
DEFAULT_TARIFF = "P-1"


def rp(value: float, lang: str) -> str:
    """Rupiah in the language's number format: whole rupiah, cents only below Rp 100.000."""
    return f"Rp {number(value, lang, 2 if value < 100_000 else 0)}"


def cooling_answer(facility_file: Path) -> str | None:
    """The answer to COOLING_CONTROL in a bundle's facility answers, or None (untrusted file)."""
    if not facility_file.is_file():
        return None
    try:
        data = load_yaml(facility_file).data
    except (AuditorError, OSError, ValueError):
        return None
    answers = data.get("answers") if isinstance(data, Mapping) else None
    entry = answers.get(COOLING_CONTROL) if isinstance(answers, Mapping) else None
    value = entry.get("value") if isinstance(entry, Mapping) else None
    return str(value)[:32] if isinstance(value, str) else None


@dataclass(frozen=True)
class Energy:
    """The PUE and the price per kWh a site's power lines use, and why."""

    pue: float
    pue_basis: str
    """``given`` (inventory), ``precision`` or ``split_ac`` (from the cooling answer)."""
    pue_why: dict[str, str]
    pue_estimate: bool
    tariff: float
    tariff_class: str | None
    """``P-1`` or ``P-2``; None when the inventory gives its own price per kWh."""
    tariff_why: dict[str, str]
    tariff_estimate: bool
    cooling: str | None

    def to_data(self) -> dict[str, Any]:
        """The choice as results.json shows it."""
        return {"pue": self.pue, "pue_basis": self.pue_basis, "pue_why": self.pue_why,
                "cooling_answer": self.cooling, "tariff_idr_per_kwh": self.tariff,
                "tariff_class": self.tariff_class, "tariff_why": self.tariff_why}


def site_energy(site: Site, a: SiteAssumptions, cooling: str | None) -> Energy:
    """Choose the PUE (given, else from the cooling answer) and the tariff (given, else P-1/P-2)."""
    c = site.costs
    if "pue" in c:
        pue, basis, estimate = float(c["pue"]), "given", False
        why = text("PUE dari inventaris", "PUE as given in the inventory")
    elif cooling in PRECISION_ANSWERS:
        pue, basis, estimate = a("pue_precision"), "precision", a.estimate("pue_precision")
        why = text(f"pendingin presisi menurut jawaban {COOLING_CONTROL}",
                   f"precision cooling, {COOLING_CONTROL} = {cooling}")
    else:
        pue, basis, estimate = a("pue_split_ac"), "split_ac", a.estimate("pue_split_ac")
        why = (text(f"AC split/biasa (bukan pendingin presisi) menurut jawaban {COOLING_CONTROL}",
                    f"split/comfort AC, {COOLING_CONTROL} = {cooling}") if cooling else
               text(f"{COOLING_CONTROL} belum dijawab: dianggap AC split",
                    f"{COOLING_CONTROL} not answered: split AC assumed"))
    if "tariff_idr_per_kwh" in c:
        tariff, klass, t_estimate = float(c["tariff_idr_per_kwh"]), None, False
        t_why = text("tarif dari tagihan lokasi (inventaris)",
                     "the site's own bill rate (inventory)")
    else:
        klass = str(c.get("tariff", DEFAULT_TARIFF))
        klass = klass if klass in TARIFFS else DEFAULT_TARIFF
        tariff, t_estimate = a(TARIFFS[klass]), a.estimate(TARIFFS[klass])
        given = "tariff" in c
        t_why = text(f"PLN 2025 golongan {klass}" + ("" if given else ", bawaan"),
                     f"PLN 2025 class {klass}" + ("" if given else ", the default"))
    return Energy(pue, basis, why, estimate, tariff, klass, t_why, t_estimate, cooling)


def kwh_formula(kw: float, hours: float, e: Energy, lang: str) -> str:
    """``kW × h × PUE × tariff`` written out with the reasons of PUE and tariff."""
    return (f"{number(kw, lang, 3)} kW × {number(hours, lang, 2)} "
            f"{'jam' if lang == 'id' else 'h'} × PUE {number(e.pue, lang, 2)} "
            f"({e.pue_why[lang]}) × {rp(e.tariff, lang)}/kWh ({e.tariff_why[lang]})")
