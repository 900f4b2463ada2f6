"""The catalogue of central offerings and the stated assumptions, loaded and schema-checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.schemas import validate_document
from auditor.bundle.yamlfile import LocatedDocument, load_yaml
from auditor.errors import InputError, Problem
from auditor.messages import message
from auditor.paths import specs_root

Text = dict[str, str]


@dataclass(frozen=True)
class Flavour:
    """One size of an offering."""

    id: str
    vcpu: int
    memory_gb: float
    disk_gb: float
    price_idr_per_year: float


@dataclass(frozen=True)
class Offering:
    """A central (or PDN-ecosystem) offering a host can move to."""

    id: str
    kind: str
    """``vm``, ``web_hosting``, ``database``, ``object_storage``, ``backup`` or
    ``aplikasi_umum`` (an SPBE general application that replaces local applications)."""
    provider: str
    name: Text
    classifications: tuple[str, ...]
    os_families: tuple[str, ...]
    roles: tuple[str, ...]
    stacks: tuple[str, ...]
    limits: Mapping[str, float]
    price_idr_per_year: float
    price_idr_per_extra_gb_year: float
    flavours: tuple[Flavour, ...]
    replaces_roles: tuple[str, ...] = ()
    """aplikasi_umum: inventory roles it replaces (whole words, lower case)."""
    replaces_applications: tuple[str, ...] = ()
    """aplikasi_umum: inventory application names it replaces (whole words, lower case)."""

    def allows(self, classification: str) -> bool:
        """Whether this offering may hold data of this classification."""
        return classification in self.classifications


@dataclass(frozen=True)
class Rules:
    """Planning rules the central office states in the catalogue."""

    unclassified_as: str
    unclassified_reason: Text
    retain_roles: tuple[str, ...]
    retain_reason: Text
    backup_dr_controls: tuple[str, ...]
    own_room_name: Text
    own_room_reason: Text


@dataclass(frozen=True)
class Level:
    """One level of the classification scheme and the Kominfo category planned as it."""

    level: str
    name: Text
    kominfo: str


@dataclass(frozen=True)
class Catalogue:
    """The versioned catalogue."""

    id: str
    version: str
    effective_date: str
    offerings: tuple[Offering, ...]
    rules: Rules
    note: Text | None = None
    scheme: tuple[Level, ...] = ()

    def label(self, classification: str) -> Text:
        """A level in words, e.g. ``tertutup (closed; Kominfo: Strategis)``."""
        for level in self.scheme:
            if level.level == classification:
                # Indonesian gives the level's code beside its name; English the Indonesian name.
                return message("plan.level", name=dict(level.name), kominfo=level.kominfo,
                               aside={"id": classification, "en": level.name["id"]})
        return {"id": classification, "en": classification}

    def of_kind(self, kind: str) -> list[Offering]:
        """Offerings of one kind, in catalogue order."""
        return [o for o in self.offerings if o.kind == kind]


def catalogue_path() -> Path:
    """The packaged ``specs/catalogue.yaml``."""
    return specs_root() / "catalogue.yaml"


def assumptions_path() -> Path:
    """The packaged ``specs/assumptions.yaml``."""
    return specs_root() / "assumptions.yaml"


def _checked(path: Path, schema: str, what: str) -> LocatedDocument:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError(f"{doc.file}: the {what} is not valid",
                         [Problem(doc.file, 1, "", "expected a mapping")])
    problems = validate_document(doc, schema)
    if problems:
        raise InputError(f"{doc.file}: the {what} does not match its schema "
                         f"(specs/schemas/{schema}.schema.json)", problems)
    return doc


def _semantic(doc: LocatedDocument) -> list[Problem]:
    problems: list[Problem] = []
    levels = [item["level"] for item in doc.data["classification_scheme"]]
    kominfo = [item["kominfo"] for item in doc.data["classification_scheme"]]
    if len(set(levels)) != len(levels) or len(set(kominfo)) != len(kominfo):
        problems.append(Problem(doc.file, doc.line_of(("classification_scheme",)),
                                "classification_scheme", "each level (open, limited, closed) "
                                "and each Kominfo category once"))
    seen: set[str] = set()
    for index, offering in enumerate(doc.data["offerings"]):
        if offering["id"] in seen:
            path = ("offerings", index, "id")
            problems.append(Problem(doc.file, doc.line_of(path), f"offerings[{index}].id",
                                    f"duplicate offering id '{offering['id']}'"))
        seen.add(offering["id"])
        flavour_ids: set[str] = set()
        limits = offering.get("limits", {})
        for f_index, flavour in enumerate(offering.get("flavours", [])):
            where = f"offerings[{index}].flavours[{f_index}]"
            line = doc.line_of(("offerings", index, "flavours", f_index))
            if flavour["id"] in flavour_ids:
                problems.append(Problem(doc.file, line, f"{where}.id",
                                        f"duplicate flavour id '{flavour['id']}'"))
            flavour_ids.add(flavour["id"])
            for key, limit in (("vcpu", "max_vcpu"), ("memory_gb", "max_memory_gb")):
                if limit in limits and flavour[key] > limits[limit]:
                    problems.append(Problem(doc.file, line, f"{where}.{key}",
                                            f"{flavour[key]} is above the offering's {limit} "
                                            f"({limits[limit]})"))
        replaces = offering.get("replaces", {})
        if offering["kind"] == "aplikasi_umum" and not (replaces.get("roles")
                                                        or replaces.get("applications")):
            problems.append(Problem(doc.file, doc.line_of(("offerings", index)),
                                    f"offerings[{index}].replaces",
                                    "a general application needs roles or applications it "
                                    "replaces"))
        if offering["kind"] == "vm" and not offering.get("os_families"):
            problems.append(Problem(doc.file, doc.line_of(("offerings", index)),
                                    f"offerings[{index}]", "a vm offering needs os_families"))
    return problems


def _num(value: Any) -> float:
    """A catalogue number, kept whole when it is whole (so reports show 4 GB, not 4.0 GB)."""
    number = float(value)
    return int(number) if number.is_integer() else number


def _text(value: Any) -> Text:
    return {"id": str(value["id"]), "en": str(value["en"])}


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load and check the catalogue; InputError names file, line and field of each problem."""
    doc = _checked(path or catalogue_path(), "catalogue", "catalogue")
    problems = _semantic(doc)
    if problems:
        raise InputError(f"{doc.file}: the catalogue is not consistent", problems)
    data = doc.data
    offerings = []
    for raw in data["offerings"]:
        base_price = float(raw["price_idr_per_year"])
        offerings.append(Offering(
            id=raw["id"], kind=raw["kind"], provider=raw["provider"], name=_text(raw["name"]),
            classifications=tuple(raw["classifications"]),
            os_families=tuple(raw.get("os_families", ())), roles=tuple(raw.get("roles", ())),
            stacks=tuple(raw.get("stacks", ())),
            limits={k: float(v) for k, v in raw["limits"].items()},
            price_idr_per_year=base_price,
            price_idr_per_extra_gb_year=float(raw.get("price_idr_per_extra_gb_year", 0)),
            flavours=tuple(Flavour(f["id"], int(f["vcpu"]), _num(f["memory_gb"]),
                                   _num(f["disk_gb"]),
                                   float(f.get("price_idr_per_year", base_price)))
                           for f in raw.get("flavours", ())),
            replaces_roles=tuple(r.lower() for r in raw.get("replaces", {}).get("roles", ())),
            replaces_applications=tuple(a.lower() for a in
                                        raw.get("replaces", {}).get("applications", ()))))
    rules = data["rules"]
    meta = data["catalogue"]
    return Catalogue(
        id=meta["id"], version=str(meta["version"]), effective_date=str(meta["effective_date"]),
        offerings=tuple(offerings),
        rules=Rules(unclassified_as=rules["unclassified_as"],
                    unclassified_reason=_text(rules.get("unclassified_reason")
                                              or message("plan.data_not_classified")),
                    retain_roles=tuple(rules["retain_roles"]["roles"]),
                    retain_reason=_text(rules["retain_roles"]["reason"]),
                    backup_dr_controls=tuple(rules["backup_dr_controls"]),
                    own_room_name=_text(rules["own_room"]["name"]),
                    own_room_reason=_text(rules["own_room"]["reason"])),
        note=_text(meta["note"]) if "note" in meta else None,
        scheme=tuple(Level(item["level"], _text(item["name"]), item["kominfo"])
                     for item in data["classification_scheme"]))


def load_assumptions(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The stated assumptions: name -> {value, unit, source, estimate}."""
    doc = _checked(path or assumptions_path(), "assumptions", "assumptions file")
    return {name: dict(item) for name, item in doc.data["assumptions"].items()}


@dataclass(frozen=True)
class SiteAssumptions:
    """The assumptions as one site sees them: defaults with that site's inventory overrides."""

    defaults: Mapping[str, Mapping[str, Any]]
    overrides: Mapping[str, float]

    def __call__(self, name: str) -> float:
        """The value of assumption ``name`` for this site."""
        if name in self.overrides:
            return float(self.overrides[name])
        return float(self.defaults[name]["value"])

    def estimate(self, *names: str) -> bool:
        """Whether any of these values is an estimate (a default marked so, not overridden)."""
        return any(n not in self.overrides and bool(self.defaults[n]["estimate"]) for n in names)

    def used(self) -> dict[str, dict[str, Any]]:
        """Every assumption with the value this site used and whether the inventory set it."""
        return {name: {"value": self(name), "unit": item["unit"],
                       "overridden": name in self.overrides,
                       "source": message("plan.cost.from_inventory") if name in self.overrides
                       else item["source"],
                       "estimate": False if name in self.overrides else bool(item["estimate"])}
                for name, item in self.defaults.items()}
