"""The quick schema check says "valid" exactly when jsonschema finds no error."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.bundle.quickschema import compile_schema
from auditor.bundle.schemas import Validator, inline_local_refs, load_schema, validator
from auditor.bundle.yamlfile import load_yaml
from auditor.errors import InputError
from conftest import REPO

CORPUS = REPO / "tests" / "data" / "inventories"
EXAMPLE = REPO / "inventory" / "example.yaml"


def _agree(schema_name: str, data: Any) -> tuple[bool, bool]:
    """(quick says valid, jsonschema says valid) for ``data``."""
    quick = compile_schema(inline_local_refs(load_schema(schema_name)))
    assert quick is not None
    return quick(data), not any(validator(schema_name).iter_errors(data))


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


def test_the_inventory_and_assumptions_schemas_take_the_quick_path() -> None:
    for name in ("inventory", "assumptions"):
        assert compile_schema(inline_local_refs(load_schema(name))) is not None


@pytest.mark.parametrize("keyword", [
    {"format": "date"}, {"$ref": "#/x"}, {"uniqueItems": True},
    {"patternProperties": {"^x": {}}, "additionalProperties": False},
    {"prefixItems": [{}], "items": False}, {"multipleOf": 2}, {"x-unknown": 1},
    {"type": "decimal"},
])
def test_keywords_not_mirrored_send_the_document_to_jsonschema(keyword: dict[str, Any]) -> None:
    assert compile_schema({"type": "object", "properties": {"a": keyword}}) is None


@pytest.mark.parametrize(("schema", "instance", "valid"), [
    ({"type": "integer"}, True, False),          # yes/no is not a number
    ({"type": "integer"}, 3.0, True),            # a whole float is an integer
    ({"type": "number"}, False, False),
    ({"const": 1}, True, False),
    ({"const": 1}, 1.0, True),
    ({"enum": [0, "a"]}, False, False),
    ({"enum": [[1, 2]]}, [1, 2], True),
    ({"minimum": 0}, math.nan, True),            # jsonschema lets NaN through: so do we
    ({"maximum": 10}, math.inf, False),
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
    quick = compile_schema(schema)
    assert quick is not None
    assert quick(instance) is valid
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
