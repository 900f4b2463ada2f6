"""JSON Schemas of every file format, loaded from the packaged specs, and located validation.

Two validators judge a document. ``jsonschema-rs`` (compiled, Rust) answers "valid?" for
every document: a 10,000-host inventory in milliseconds (bench/schema_bench.py). Only a
document it refuses goes to ``jsonschema`` (pure Python), whose errors carry what the
messages users read need: the failing subschema (its ``description``), the alternatives of
a ``oneOf``, the instance, so a message can name file, line and field, suggest a key, and
never echo a secret.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from auditor.bundle.yamlfile import LocatedDocument, PathKey, format_path, load_yaml
from auditor.errors import InputError, Problem
from auditor.paths import schema_path

FORBIDDEN_KEYS = frozenset({"password", "passphrase"})
"""Keys the schemas name only to refuse them with a helpful message (secrets)."""

def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema ``specs/schemas/NAME.schema.json``."""
    text = schema_path(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _packaged_schemas() -> list[dict[str, Any]]:
    """Every packaged schema, in file name order."""
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(schema_path("spec").parent.glob("*.schema.json"))]


def _registry() -> Registry:
    """Every packaged schema by its $id, so schemas can refer to each other."""
    return Registry().with_resources(
        (contents["$id"], Resource.from_contents(contents)) for contents in _packaged_schemas())


def inline_local_refs(schema: Any, root: dict[str, Any] | None = None,
                      seen: tuple[str, ...] = ()) -> Any:
    """Replace each non-recursive ``#/...`` $ref by what it points at.

    Validation then follows no references for the common case: with thousands of hosts
    in an inventory, reference lookups were half the validation time. Recursive references
    (a check inside a check) are left as they are.
    """
    root = schema if root is None else root
    if isinstance(schema, list):
        return [inline_local_refs(item, root, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen and len(schema) <= 2:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return inline_local_refs(merged, root, (*seen, ref))
    return {key: inline_local_refs(value, root, seen) if key not in ("$defs", "enum", "const")
            else value for key, value in schema.items()}


def ecma_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with the ECMA-262 meaning of a final ``$`` (JSON Schema's).

    In Python a final ``$`` also matches before a trailing newline, so ``^[a-z]+$`` would
    let ``"h1\\n"`` through as an id (and into a file name); ECMA's ``$`` is the end of the
    text, Python's ``\\Z``. (jsonschema-rs follows ECMA already.)
    """
    body = pattern[:-1]
    escaped = (len(body) - len(body.rstrip("\\"))) % 2 == 1  # an odd run of backslashes
    if pattern.endswith("$") and not escaped:
        pattern = body + r"\Z"
    return re.compile(pattern)


def _ecma_pattern(validator: Any, pattern: str, instance: Any,
                  schema: Mapping[str, Any]) -> Iterator[jsonschema.ValidationError]:
    """The ``pattern`` keyword with ECMA-262's final ``$``: "h1\\n" is not a valid id."""
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _ecma_pattern})
"""Draft 2020-12 as jsonschema has it, but for ``pattern`` (see ``ecma_regex``)."""


# The schemas are packaged files that never change while auditor runs, so each is read and
# compiled once per process: a spec (seven files) or fifty sites' answers do not each read
# every schema again to build the registry (about 3 ms a document).
@functools.cache
def validator(name: str) -> Any:
    """A validator for the named schema, with format checking on."""
    schema = inline_local_refs(load_schema(name))
    return Validator(schema, registry=_registry(),
                     format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def fast_validator(name: str) -> jsonschema_rs.Validator:
    """The compiled (jsonschema-rs) validator of the named schema: quick to say "valid?"."""
    registry = jsonschema_rs.Registry([(contents["$id"], contents)
                                       for contents in _packaged_schemas()])
    return jsonschema_rs.validator_for(load_schema(name), registry=registry,
                                       validate_formats=True)


def is_valid(data: Any, schema_name: str) -> bool:
    """True when ``data`` is valid against the named schema, as fast as it can be judged.

    jsonschema-rs judges first; a document it refuses, or cannot read (YAML can hold values
    JSON has no type for: a date, a key that is a number), is judged by jsonschema, which
    has the last word: both follow Draft 2020-12, and where they could differ (a ``format``
    jsonschema does not check without an extra package, ``\\d`` matching non-ASCII digits
    in Python) the document is accepted exactly as before.
    """
    return _fast_valid(data, schema_name) or not any(validator(schema_name).iter_errors(data))


def _fast_valid(data: Any, schema_name: str) -> bool:
    """jsonschema-rs's "valid"; False also when it cannot read ``data`` (not JSON's types).

    NaN and the infinities (YAML's ``.nan``, ``-.inf``) it reads as neither a number nor
    null, so any ``type`` refuses them and jsonschema judges; a numeric bound without a
    ``type`` beside it would let them through, and no packaged schema has one
    (tests/test_schema_validators.py holds that).
    """
    try:
        return fast_validator(schema_name).is_valid(data)
    except (ValueError, OverflowError, RecursionError):
        return False


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf failures, the alternative that came closest, as the user meant it."""
    while error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is None:
            break
        error = best
    return error


def _describe(error: jsonschema.ValidationError) -> tuple[PathKey, str]:
    """A human message for one schema error, and the path it is best shown at."""
    error = _deepest(error)
    path: PathKey = tuple(error.absolute_path)
    kind = error.validator
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        properties = schema.get("properties", {})
        extra = [k for k in error.instance if k not in properties]
        key = extra[0] if extra else ""
        allowed = sorted(k for k in properties if k not in FORBIDDEN_KEYS)
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return (*path, key), (f"unknown key '{key}'; {hint}allowed here: {', '.join(allowed)}")
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return path, f"missing required key '{missing}'"
    if kind == "enum":
        options = ", ".join(json.dumps(v) for v in schema.get("enum", []))
        return path, f"{json.dumps(error.instance, default=str)} is not one of: {options}"
    if kind == "type":
        wanted = schema.get("type")
        expected = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        got = type(error.instance).__name__
        names = {"str": "text", "int": "a whole number", "float": "a number", "bool": "yes/no",
                 "list": "a list", "dict": "a mapping", "NoneType": "nothing"}
        type_hint = schema.get("description")
        message = f"expected {expected}, got {names.get(got, got)}"
        return path, f"{message} ({type_hint})" if type_hint else message
    if kind == "not" and schema.get("description"):
        return path, str(schema["description"])
    description = schema.get("description")
    message = error.message if len(error.message) < 200 else error.message[:200] + "…"
    if description:
        return path, f"{message} ({description})"
    return path, message


SECRET_WORDS = ("password", "passphrase", "secret", "token", "credential")
"""A field whose name holds one of these may hold a secret typed in the wrong place."""


def _secret_field(name: object) -> bool:
    return isinstance(name, str) and any(word in name.lower() for word in SECRET_WORDS)


def _secret_values(instance: Any, secret: bool, depth: int = 0) -> Iterator[str]:
    """The scalar values in ``instance`` held by secret-looking fields, as text."""
    if depth > 50:
        return
    if isinstance(instance, dict):
        for key, value in instance.items():
            yield from _secret_values(value, secret or _secret_field(key), depth + 1)
    elif isinstance(instance, list):
        for item in instance:
            yield from _secret_values(item, secret, depth + 1)
    elif secret and instance is not None:
        yield str(instance)


def _hide_secrets(error: jsonschema.ValidationError, path: PathKey, message: str) -> str:
    """``message`` without any value of a secret-looking field (it may be a password).

    A message that would show such a value is replaced by one that describes it.
    """
    secret_here = any(_secret_field(part) for part in path)
    hidden = [v for v in _secret_values(error.instance, secret_here) if v]
    if not any(value in message or repr(value) in message for value in hidden):
        return message
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    note = " (not shown: it may be a secret)"
    if not secret_here or isinstance(error.instance, (dict, list)):
        description = schema.get("description")
        return f"not valid here{note}" + (f": {description}" if description else "")
    instance = error.instance
    given = (f"the value given ({len(instance)} characters)" if isinstance(instance, str)
             else "the value given")
    if error.validator == "pattern" and str(path[-1]).endswith("_env"):
        return (f"{given} is not a valid environment variable name (letters, digits and "
                "'_', not starting with a digit); write the variable's name here, never the "
                "secret itself")
    description = schema.get("description")
    return f"{given} is not valid here{note}" + (f": {description}" if description else "")


def validate_document(doc: LocatedDocument, schema_name: str) -> list[Problem]:
    """Validate a located YAML document; each problem names file, line and field.

    jsonschema-rs recognises a valid document; jsonschema runs for every other one, to say
    what is wrong and where (see ``is_valid``).
    """
    if _fast_valid(doc.data, schema_name):
        return []
    problems: list[Problem] = []
    errors = sorted(validator(schema_name).iter_errors(doc.data),
                    key=lambda e: (doc.line_of(tuple(e.absolute_path)) or 0, str(e.message)))
    for error in errors:
        path, message = _describe(error)
        message = _hide_secrets(_deepest(error), path, message)
        problems.append(Problem(doc.file, doc.line_of(path), format_path(path), message))
    return problems


def validate_data(data: Any, schema_name: str, shown: str) -> list[Problem]:
    """Validate plain data (e.g. JSON we wrote or read) against a schema."""
    return validate_document(LocatedDocument(shown, data, {}), schema_name)


def load_checked(path: Path, schema_name: str, what: str, expected: str) -> LocatedDocument:
    """Load a YAML file and validate it; InputError lists each problem with file and line.

    ``what`` names the file for people ("the inventory"); ``expected`` says what its top
    level should hold ("version, organisation, sites, hosts").
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError(f"invalid {what.removeprefix('the ')}",
                         [Problem(doc.file, 1, "", f"expected a mapping with {expected}")])
    problems = validate_document(doc, schema_name)
    if problems:
        raise InputError(f"{doc.file}: {what} does not match its schema "
                         f"(specs/schemas/{schema_name}.schema.json)", problems)
    return doc
