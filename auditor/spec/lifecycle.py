"""The operating-system lifecycle table (specs/lifecycle.yaml) and the end-of-support lookup."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from auditor.bundle.schemas import validate_document
from auditor.bundle.yamlfile import load_yaml
from auditor.errors import InputError, Problem
from auditor.paths import specs_root


def table_path() -> Path:
    """The packaged ``specs/lifecycle.yaml``."""
    return specs_root() / "lifecycle.yaml"


def _semantic_problems(shown: str, table: dict[str, Any],
                       line_of: Any) -> list[Problem]:
    """What the schema cannot say: real dates, extended after standard, no duplicates."""
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    for family, entry in table["families"].items():
        for os_id in entry["ids"]:
            if os_id in owners:
                problems.append(Problem(shown, line_of(("families", family, "ids")),
                                        f"families.{family}.ids",
                                        f"id '{os_id}' is already listed under {owners[os_id]}"))
            owners[os_id] = family
        seen: set[tuple[str, str]] = set()
        for index, release in enumerate(entry["releases"]):
            where = ("families", family, "releases", index)
            field = f"families.{family}.releases[{index}]"
            key = (release["version"], release.get("name_contains", ""))
            if key in seen:
                problems.append(Problem(shown, line_of(where), field,
                                        f"release {key[0]} {key[1]} is listed twice".rstrip()))
            seen.add(key)
            try:
                eol = date.fromisoformat(release["eol"])
                extended = date.fromisoformat(release.get("extended_eol", release["eol"]))
            except ValueError as exc:
                problems.append(Problem(shown, line_of(where), field, f"not a real date: {exc}"))
                continue
            if extended < eol:
                problems.append(Problem(shown, line_of(where), field,
                                        "extended_eol is before eol"))
    return problems


def load_table(path: Path | None = None) -> dict[str, Any]:
    """Load and validate the lifecycle table; InputError names file, line and field."""
    path = path or table_path()
    doc = load_yaml(path, str(path))
    problems = validate_document(doc, "lifecycle")
    if not problems:
        problems = _semantic_problems(doc.file, doc.data, doc.line_of)
    if problems:
        raise InputError(f"{doc.file}: the lifecycle table is not valid", problems)
    data: dict[str, Any] = doc.data
    return data


def _unknown(family: str | None, reason: str) -> dict[str, Any]:
    return {"known": False, "family": family, "release": None, "name": None, "eol_date": None,
            "days_left": None, "supported": None, "extended_eol_date": None,
            "extended_days_left": None, "extended_supported": None, "extended_name": None,
            "source": None, "precision": None, "reason": reason, "security_updates": None}


def lookup(os_facts: dict[str, Any], table: dict[str, Any], today: date) -> dict[str, Any]:
    """End of support of the release the ``os`` facts describe; unknown releases are not guessed.

    Returns ``known``, ``family``, ``release``, ``eol_date``, ``days_left``, ``supported``
    (standard support), the same three for extended support (None where none exists),
    ``security_updates`` (standard support, or free extended support such as Debian LTS),
    ``source``, and a ``reason`` when ``known`` is False (then ``supported`` is None).
    """
    os_id = str(os_facts.get("id") or "").lower()
    version = str(os_facts.get("version_id") or "")
    label = " ".join(str(os_facts.get(k) or "") for k in ("name", "pretty_name")).lower()
    family = next((k for k, v in table.get("families", {}).items() if os_id in v["ids"]), None)
    if not os_id:
        return _unknown(None, "the operating system is not known")
    if family is None:
        return _unknown(None, f"no lifecycle data for distribution '{os_id[:40]}'")
    entry = table["families"][family]
    if not version:
        return _unknown(family, f"{entry['name']} gives no VERSION_ID (testing or rolling?)")
    key = version.split(".")[0] if entry["match"] == "major" else version
    matching = [r for r in entry["releases"] if r["version"] == key and (
        "name_contains" not in r or r["name_contains"].lower() in label)]
    variants = [r for r in matching if "name_contains" in r]
    markers = {r["name_contains"].lower() for r in entry["releases"] if "name_contains" in r}
    if not variants and any(m in label for m in markers):
        matching = []  # e.g. a CentOS Stream release the table does not list: not CentOS Linux
    release = (variants or matching or [None])[0]
    if release is None:
        return _unknown(family, f"no lifecycle data for {entry['name']} {version[:20]}")
    eol = date.fromisoformat(release["eol"])
    result: dict[str, Any] = {
        "known": True, "family": family, "release": release["version"],
        "name": entry["name"] + (f" {release['name_contains']}" if variants else ""),
        "eol_date": eol.isoformat(), "days_left": (eol - today).days,
        "supported": today <= eol, "extended_eol_date": None, "extended_days_left": None,
        "extended_supported": None, "extended_name": None, "source": entry["source"],
        "precision": release.get("precision", "day"), "reason": None,
        "security_updates": today <= eol,
    }
    if "extended_eol" in release:
        extended = date.fromisoformat(release["extended_eol"])
        result.update(extended_eol_date=extended.isoformat(),
                      extended_days_left=(extended - today).days,
                      extended_supported=today <= extended,
                      extended_name=entry.get("extended_name"))
        if entry.get("extended_free"):
            result["security_updates"] = today <= extended
    return result
