"""A quick yes/no check of a document against a JSON Schema, for the common case: it is valid.

``jsonschema`` walks a 10,000-host inventory in about a second, building an error object
for each keyword it descends into. Most documents are valid, and then no message is
needed: ``compile_schema`` turns a schema into plain nested closures that only answer
"valid?". It mirrors ``jsonschema``'s Draft 2020-12 keywords one by one (type checks,
``bool`` not being a number, ``const``/``enum`` equality) and refuses any schema that uses
a keyword it does not know (``format``, ``$ref``, ``uniqueItems``…): for those, and for
every document it finds invalid, the caller runs ``jsonschema`` for the located messages.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Check = Callable[[Any], bool]
"""True when the instance is valid."""

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description",
                         "default", "examples", "deprecated", "readOnly", "writeOnly"})
"""Keywords that say nothing about validity."""


class Unsupported(Exception):
    """The schema uses a keyword this module does not check: use jsonschema."""


def compile_schema(schema: Any) -> Check | None:
    """The yes/no check of ``schema``, or None when it uses a keyword not mirrored here."""
    try:
        return _compile(schema)
    except Unsupported:
        return None


def _always(instance: Any) -> bool:
    return True


def _compile(schema: Any) -> Check:
    if schema is True:
        return _always
    if schema is False:
        return lambda instance: False
    if not isinstance(schema, dict):
        raise Unsupported(f"schema {schema!r}")
    checks: list[Check] = []
    for key, value in schema.items():
        if key in ANNOTATIONS or key in ("then", "else"):   # then/else: read by "if"
            continue
        maker = _KEYWORDS.get(key)
        if maker is None:
            raise Unsupported(key)
        checks.append(maker(value, schema))
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def every(instance: Any) -> bool:
        for check in checks:  # noqa: SIM110 (a loop: faster than all() over a generator)
            if not check(instance):
                return False
        return True
    return every


def _unbool(value: Any, true: object = object(), false: object = object()) -> Any:
    if value is True:
        return true
    if value is False:
        return false
    return value


def equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it (``True`` is not ``1``), as jsonschema has it."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(i, j) for i, j in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and equal(value, two[key])
                                            for key, value in one.items())
    return bool(_unbool(one) == _unbool(two))


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}
"""Draft 2020-12's types as jsonschema checks them."""


def _type(value: Any, schema: Mapping[str, Any]) -> Check:
    names = value if isinstance(value, list) else [value]
    if not all(isinstance(n, str) and n in TYPES for n in names):
        raise Unsupported(f"type {value!r}")
    if len(names) == 1:
        return TYPES[names[0]]
    checks = [TYPES[n] for n in names]
    return lambda instance: any(check(instance) for check in checks)


def _properties(value: Any, schema: Mapping[str, Any]) -> Check:
    compiled = {key: _compile(sub) for key, sub in value.items()}

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for key, item in instance.items():
            sub = compiled.get(key)
            if sub is not None and not sub(item):
                return False
        return True
    return check


def _additional(value: Any, schema: Mapping[str, Any]) -> Check:
    if "patternProperties" in schema:
        raise Unsupported("patternProperties")
    known = frozenset(schema.get("properties", {}))
    if isinstance(value, dict):
        sub = _compile(value)
        return lambda instance: not isinstance(instance, dict) or all(
            sub(item) for key, item in instance.items() if key not in known)
    if value:
        return _always
    return lambda instance: not isinstance(instance, dict) or all(key in known
                                                                  for key in instance)


def _required(value: Any, schema: Mapping[str, Any]) -> Check:
    names = list(value)
    return lambda instance: not isinstance(instance, dict) or all(n in instance for n in names)


def _items(value: Any, schema: Mapping[str, Any]) -> Check:
    if "prefixItems" in schema:
        raise Unsupported("prefixItems")
    sub = _compile(value)
    return lambda instance: not isinstance(instance, list) or all(sub(item) for item in instance)


def ecma_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with the ECMA-262 meaning of a final ``$`` (JSON Schema's).

    In Python a final ``$`` also matches before a trailing newline, so ``^[a-z]+$`` would
    let ``"h1\\n"`` through as an id (and into a file name); ECMA's ``$`` is the end of the
    text, Python's ``\\Z``.
    """
    body = pattern[:-1]
    escaped = (len(body) - len(body.rstrip("\\"))) % 2 == 1  # an odd run of backslashes
    if pattern.endswith("$") and not escaped:
        pattern = body + r"\Z"
    return re.compile(pattern)


def _pattern(value: Any, schema: Mapping[str, Any]) -> Check:
    try:
        search = ecma_regex(value).search
    except (re.error, TypeError) as exc:
        raise Unsupported(f"pattern {value!r}") from exc
    return lambda instance: not isinstance(instance, str) or search(instance) is not None


def _sized(kind: Callable[[Any], bool], least: bool) -> Callable[[Any, Mapping[str, Any]], Check]:
    def make(value: Any, schema: Mapping[str, Any]) -> Check:
        if least:
            return lambda instance: not kind(instance) or not len(instance) < value
        return lambda instance: not kind(instance) or not len(instance) > value
    return make


def _bound(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Mapping[str, Any]], Check]:
    def make(value: Any, schema: Mapping[str, Any]) -> Check:
        return lambda instance: not _is_number(instance) or compare(instance, value)
    return make


def _combined(how: Callable[[Any], bool]) -> Callable[[Any, Mapping[str, Any]], Check]:
    def make(value: Any, schema: Mapping[str, Any]) -> Check:
        subs = [_compile(sub) for sub in value]
        return lambda instance: bool(how(sub(instance) for sub in subs))
    return make


def _one_of(value: Any, schema: Mapping[str, Any]) -> Check:
    subs = [_compile(sub) for sub in value]
    return lambda instance: sum(1 for sub in subs if sub(instance)) == 1


def _not(value: Any, schema: Mapping[str, Any]) -> Check:
    sub = _compile(value)
    return lambda instance: not sub(instance)


def _if(value: Any, schema: Mapping[str, Any]) -> Check:
    condition = _compile(value)
    then = _compile(schema["then"]) if "then" in schema else _always
    otherwise = _compile(schema["else"]) if "else" in schema else _always
    return lambda instance: then(instance) if condition(instance) else otherwise(instance)


def _property_names(value: Any, schema: Mapping[str, Any]) -> Check:
    sub = _compile(value)
    return lambda instance: not isinstance(instance, dict) or all(sub(key) for key in instance)


_KEYWORDS: dict[str, Callable[[Any, Mapping[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "const": lambda value, schema: lambda instance: equal(instance, value),
    "enum": lambda value, schema: lambda instance: any(equal(each, instance) for each in value),
    "pattern": _pattern,
    "minLength": _sized(lambda v: isinstance(v, str), least=True),
    "maxLength": _sized(lambda v: isinstance(v, str), least=False),
    "minItems": _sized(lambda v: isinstance(v, list), least=True),
    "maxItems": _sized(lambda v: isinstance(v, list), least=False),
    "minProperties": _sized(lambda v: isinstance(v, dict), least=True),
    "maxProperties": _sized(lambda v: isinstance(v, dict), least=False),
    # Written as jsonschema's failing comparison, negated (so NaN is judged as it judges it).
    "minimum": _bound(lambda instance, limit: not instance < limit),
    "maximum": _bound(lambda instance, limit: not instance > limit),
    "exclusiveMinimum": _bound(lambda instance, limit: not instance <= limit),
    "exclusiveMaximum": _bound(lambda instance, limit: not instance >= limit),
    "allOf": _combined(all),
    "anyOf": _combined(any),
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
    "propertyNames": _property_names,
}
"""Each keyword mirrored from jsonschema's Draft 2020-12 validator, as (value, schema) -> check."""
