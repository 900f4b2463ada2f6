"""The catalogue of central offerings and the assumptions: loading, located errors, editing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from auditor.bundle.folder import Bundle
from auditor.check import evaluate_bundle
from auditor.errors import InputError
from auditor.inventory.load import load_inventory
from auditor.judge.facts import read_facts
from auditor.judge.stage import judge
from auditor.paths import schema_path, specs_root
from auditor.recommend import load_assumptions, load_catalogue, recommend
from auditor.spec.load import load_spec
from recommend_bundle import TODAY, FleetHost, facts, write_bundle


def test_packaged_catalogue_has_every_kind_and_free_pdn_offerings() -> None:
    catalogue = load_catalogue()
    kinds = {o.kind for o in catalogue.offerings}
    assert kinds == {"vm", "web_hosting", "database", "object_storage", "backup",
                     "aplikasi_umum"}
    assert [level.kominfo for level in catalogue.scheme] == ["Rendah", "Tinggi", "Strategis"]
    assert any(o.allows("closed") for o in catalogue.offerings)
    assert catalogue.version and catalogue.effective_date
    for offering in catalogue.offerings:
        if offering.provider == "PDN":
            assert offering.price_idr_per_year == 0
            assert all(f.price_idr_per_year == 0 for f in offering.flavours)
    assert any(o.provider != "PDN" and any(f.price_idr_per_year > 0 for f in o.flavours)
               for o in catalogue.offerings)


def test_every_assumption_can_be_overridden_in_the_inventory() -> None:
    costs = json.loads(schema_path("inventory").read_text())["$defs"]["costs"]["properties"]
    for name, item in load_assumptions().items():
        assert name in costs, name
        assert item["source"] and item["unit"]


def _broken(tmp_path: Path, edit: str, replacement: str) -> Path:
    text = (specs_root() / "catalogue.yaml").read_text()
    assert edit in text
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(edit, replacement, 1))
    return path


def test_schema_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, "classifications: [open, limited]\n",
                   "classifications: [open, secret]\n")
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    problem = caught.value.problems[0]
    line = path.read_text().splitlines().index(
        "    classifications: [open, secret]") + 1
    assert (problem.file, problem.line) == (str(path), line)
    assert problem.field == "offerings[0].classifications[1]"
    assert '"secret" is not one of' in problem.message


def test_duplicate_offering_ids_are_refused_with_their_line(tmp_path: Path) -> None:
    path = _broken(tmp_path, "  - id: pdn-dbaas\n", "  - id: pdn-iaas-vm\n")
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    problem = caught.value.problems[0]
    assert "duplicate offering id 'pdn-iaas-vm'" in problem.message
    lines = path.read_text().splitlines()
    assert problem.line == lines.index("  - id: pdn-iaas-vm",
                                       lines.index("  - id: pdn-iaas-vm") + 1) + 1


def _edited(tmp_path: Path, name: str, closed_on: str | None) -> Path:
    """The packaged catalogue with closed data allowed only on offering ``closed_on``."""
    data = yaml.safe_load((specs_root() / "catalogue.yaml").read_text())
    for offering in data["offerings"]:
        allowed = [c for c in offering["classifications"] if c != "closed"]
        offering["classifications"] = allowed + (["closed"] if offering["id"] == closed_on
                                                 else [])
    data["catalogue"]["version"] = "2026.2"
    edited = tmp_path / name
    edited.write_text(yaml.safe_dump(data, allow_unicode=True))
    return edited


def test_an_edited_catalogue_changes_the_plan(tmp_path: Path) -> None:
    """Where the catalogue lets closed data go decides the closed host's target."""
    root = write_bundle(tmp_path / "b", [
        FleetHost("secret", "s", "10.9.0.1", facts(), {"data_classification": "closed"})],
        [{"id": "s", "name": "S", "kind": "server_room"}])
    outcome = evaluate_bundle(root, load_spec(), TODAY)
    packaged = outcome.results["recommendation"]["hosts"][0]
    assert packaged["strategy"] == "rehost"
    assert packaged["target"]["offering"] == "pemerintah-khusus-vm"
    inventory = load_inventory(root / "inventory.yaml")
    judged = judge(inventory, read_facts(Bundle(root)), load_spec(), TODAY)
    plan = recommend(inventory, judged, load_catalogue(_edited(tmp_path, "pdn.yaml",
                                                               "pdn-iaas-vm")),
                     load_assumptions()).to_data()
    assert plan["catalogue"]["version"] == "2026.2"
    assert plan["hosts"][0]["strategy"] == "rehost"
    assert plan["hosts"][0]["target"]["offering"] == "pdn-iaas-vm"
    # No offering takes closed data: the host stays in its own room, once hardened.
    plan = recommend(inventory, judged, load_catalogue(_edited(tmp_path, "none.yaml", None)),
                     load_assumptions()).to_data()
    host = plan["hosts"][0]
    assert (host["strategy"], host["rule"]) == ("retain", "classification")
    assert host["target"]["kind"] == "own_room"
    assert [b["code"] for b in host["blockers"]] == ["classification_no_offering",
                                                     "room_hardening"]
