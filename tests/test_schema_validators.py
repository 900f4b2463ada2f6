"""jsonschema-rs, the fast validator, says "valid" exactly when jsonschema finds no error.

What a user notices: a valid document is accepted, an invalid one is refused with its file,
line and field (jsonschema's located message), whichever validator judged it first.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.bundle.schemas import (
    Validator,
    fast_validator,
    is_valid,
    load_checked,
    validate_data,
    validator,
)
from auditor.bundle.yamlfile import load_yaml
from auditor.errors import InputError
from conftest import REPO

CORPUS = REPO / "tests" / "data" / "inventories"
EXAMPLE = REPO / "inventory" / "example.yaml"


def _agree(schema_name: str, data: Any) -> tuple[bool, bool]:
    """(jsonschema-rs says valid, jsonschema says valid) for ``data``."""
    return fast_validator(schema_name).is_valid(data), not any(
        validator(schema_name).iter_errors(data))


def _parsed(path: Path) -> bool:
    try:
        load_yaml(path)
    except InputError:   # not YAML: the parser refuses it before any schema is read
        return False
    return True


@pytest.mark.parametrize("path", sorted(p for p in CORPUS.glob("*/*.yaml") if _parsed(p)),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_inventory_of_the_corpus_is_judged_as_jsonschema_judges_it(path: Path) -> None:
    quick, full = _agree("inventory", load_yaml(path).data)
    assert quick == full


def test_every_packaged_schema_compiles_with_its_references(tmp_path: Path) -> None:
    for path in sorted((REPO / "specs" / "schemas").glob("*.schema.json")):
        assert fast_validator(path.name.removesuffix(".schema.json")) is not None
    # controls.schema.json refers to spec.schema.json by $id: the fast validator follows it
    assert not fast_validator("controls").is_valid({"controls": [{"id": 1}]})


def test_an_invalid_inventory_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("criticality: high",
                                                       "criticality: high\n    port: banyak", 1)
    broken = tmp_path / "inventory.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_checked(broken, "inventory", "the inventory", "version, sites, hosts")
    [problem] = raised.value.problems
    line = next(n for n, row in enumerate(text.splitlines()) if "port: banyak" in row)
    assert (problem.file, problem.line) == (str(broken), line + 1)
    assert (problem.field, problem.message) == ("hosts[0].port", "expected integer, got text")


@pytest.mark.parametrize("value", [-math.inf, math.nan])
def test_nan_and_infinities_are_judged_as_jsonschema_judges_them(value: float) -> None:
    # jsonschema-rs reads them as neither number nor null: refused by any "type", then
    # jsonschema says where (-.inf breaks "minimum: 0"; .nan passes it, as before)
    doc = load_yaml(EXAMPLE).data
    doc["hosts"][0]["virtual"] = {"disk_provisioned_gb": value}
    assert not fast_validator("inventory").is_valid(doc)
    problems = validate_data(doc, "inventory", "x.yaml")
    assert is_valid(doc, "inventory") is (not problems) is math.isnan(value)
    assert all(p.field == "hosts[0].virtual.disk_provisioned_gb" for p in problems)


BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                    "multipleOf"})


def _untyped_bounds(schema: Any, where: str) -> list[str]:
    if isinstance(schema, list):
        return [w for i, item in enumerate(schema) for w in _untyped_bounds(item, f"{where}/{i}")]
    if not isinstance(schema, dict):
        return []
    here = [where] if BOUNDS & set(schema) and "type" not in schema else []
    return here + [w for key, sub in schema.items() if key not in ("enum", "const")
                   for w in _untyped_bounds(sub, f"{where}/{key}")]


def test_no_schema_bounds_a_number_without_a_type_beside_it() -> None:
    # the one place NaN or an infinity could pass jsonschema-rs and not jsonschema
    for path in sorted((REPO / "specs" / "schemas").glob("*.schema.json")):
        assert _untyped_bounds(json.loads(path.read_text()), path.name) == []


@pytest.mark.parametrize("value", [datetime.date(2026, 1, 2), {1: "a"}, b"x"])
def test_values_json_has_no_type_for_are_judged_by_jsonschema(value: Any) -> None:
    # YAML can hold a date or a number as a key: jsonschema-rs cannot read them, so
    # jsonschema judges and locates the problem instead of a crash
    doc = {**load_yaml(EXAMPLE).data, "organisation": value}
    assert not is_valid(doc, "inventory")
    problems = validate_data(doc, "inventory", "x.yaml")
    assert problems and all(p.field.startswith("organisation") for p in problems)


@pytest.mark.parametrize(("schema", "instance", "valid"), [
    ({"type": "integer"}, True, False),          # yes/no is not a number
    ({"type": "integer"}, 3.0, True),            # a whole float is an integer
    ({"type": "number"}, False, False),
    ({"const": 1}, True, False),
    ({"const": 1}, 1.0, True),
    ({"enum": [0, "a"]}, False, False),
    ({"enum": [[1, 2]]}, [1, 2], True),
    ({"minimum": 0}, math.nan, True),            # both let NaN through
    ({"maximum": 10}, 1e300, False),
    ({"exclusiveMinimum": 0}, 0, False),
    ({"minLength": 2}, "é", False),
    ({"maxItems": 1}, [1, 2], False),
    ({"required": ["a"]}, [], True),             # required only speaks of mappings
    ({"additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}, False),
    ({"additionalProperties": {"type": "string"}}, {"b": 2}, False),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1, False),
    ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, "x", True),
    ({"not": {"type": "string"}}, "x", False),
    ({"if": {"type": "string"}, "then": {"minLength": 3}, "else": {"minimum": 5}}, 4, False),
    ({"if": {"type": "string"}, "then": {"minLength": 3}}, "ab", False),
    ({"then": {"minLength": 3}}, "ab", True),    # then without if says nothing
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"A": 1}, False),
    ({"minProperties": 1}, {}, False),
    ({"pattern": "b"}, "abc", True),             # search, not match
    ({"pattern": "^[a-z0-9]+$"}, "h1\n", False),  # ECMA's $: no trailing newline
    ({"pattern": "^a\\$"}, "a$", True),          # an escaped $ is a dollar sign
    ({"items": {"type": "string"}}, ["a", 1], False),
])
def test_each_keyword_judges_as_jsonschema(schema: dict[str, Any], instance: Any,
                                           valid: bool) -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    assert jsonschema_rs.validator_for(schema).is_valid(instance) is valid
    assert Validator(schema).is_valid(instance) is valid


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-70000, 70000), st.floats(allow_nan=True),
    st.sampled_from(["", "web-01", "ruang-server-balaikota", "32.73", "kota", "ssh", "local",
                     "high", "open", "keys/auditor", "https://x/", "Web 01", "x" * 300,
                     "password", "10.0.0.1"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["id", "site", "name", "kind", "port", "address", "extra", "code", "level"]), inner,
        max_size=3)), max_leaves=6)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_inventories_are_judged_as_jsonschema_judges_them(data: st.DataObject) -> None:
    doc = copy.deepcopy(load_yaml(EXAMPLE).data)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        if not path:
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = data.draw(VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["adress", "notes", "role", "x"]))] = \
                data.draw(VALUES)
        else:
            parent.append(data.draw(VALUES))
    quick, full = _agree("inventory", doc)
    assert quick == full
