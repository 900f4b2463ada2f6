"""Electricity of a site: the PLN tariff class and the PUE its cooling implies, with formulas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.collect.facility import COOLING_CONTROL
from auditor.inventory.load import Site
from auditor.messages import message, say
from auditor.numbers import number
from auditor.recommend.catalogue import SiteAssumptions

PRECISION_ANSWERS = ("n", "n_plus_1", "2n")
"""Answers to COOLING_CONTROL that mean precision cooling (PUE pue_precision)."""
TARIFFS = {"P-1": "tariff_p1_idr_per_kwh", "P-2": "tariff_p2_idr_per_kwh"}
"""PLN government tariff classes and the assumption holding each price."""
DEFAULT_TARIFF = "P-1"


def rp(value: float, lang: str) -> str:
    """Rupiah in the language's number format: whole rupiah, cents only below Rp 100.000."""
    return f"Rp {number(value, lang, 2 if value < 100_000 else 0)}"


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
        why = message("plan.energy.pue_given")
    elif cooling in PRECISION_ANSWERS:
        pue, basis, estimate = a("pue_precision"), "precision", a.estimate("pue_precision")
        why = message("plan.energy.pue_precision", control=COOLING_CONTROL, answer=cooling)
    else:
        pue, basis, estimate = a("pue_split_ac"), "split_ac", a.estimate("pue_split_ac")
        why = message("plan.energy.pue_split_ac" if cooling else "plan.energy.pue_not_answered",
                      control=COOLING_CONTROL, answer=cooling)
    if "tariff_idr_per_kwh" in c:
        tariff, klass, t_estimate = float(c["tariff_idr_per_kwh"]), None, False
        t_why = message("plan.energy.tariff_given")
    else:
        klass = str(c.get("tariff", DEFAULT_TARIFF))
        klass = klass if klass in TARIFFS else DEFAULT_TARIFF
        tariff, t_estimate = a(TARIFFS[klass]), a.estimate(TARIFFS[klass])
        t_why = message("plan.energy.tariff_class" if "tariff" in c
                        else "plan.energy.tariff_default", tariff_class=klass)
    return Energy(pue, basis, why, estimate, tariff, klass, t_why, t_estimate, cooling)


def kwh_formula(kw: float, hours: float, e: Energy, lang: str) -> str:
    """``kW × h × PUE × tariff`` written out with the reasons of PUE and tariff."""
    return say("plan.energy.kwh", lang, kw=number(kw, lang, 3), hours=number(hours, lang, 2),
               pue=number(e.pue, lang, 2), pue_why=e.pue_why, tariff=rp(e.tariff, lang),
               tariff_why=e.tariff_why)
