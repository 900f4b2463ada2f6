"""JSON Schemas of every file format, loaded from the packaged specs, and located validation."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from auditor.errors import Problem
from auditor.paths import schema_path
from auditor.yamlfile import LocatedDocument, PathKey, format_path

SCHEMA_NAMES = ("inventory", "facility", "facts", "results", "spec", "service")


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema ``specs/schemas/NAME.schema.json``."""
    text = schema_path(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validator(name: str) -> Draft202012Validator:
    """A validator for the named schema, with format checking on."""
    return Draft202012Validator(load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _describe(error: jsonschema.ValidationError) -> tuple[PathKey, str]:
    """A human message for one schema error, and the path it is best shown at."""
    path: PathKey = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        key = extra[0] if extra else ""
        return (*path, key), (f"unknown key '{key}'; allowed here: {', '.join(allowed)}")
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return path, f"missing required key '{missing}'"
    if kind == "enum":
        options = ", ".join(json.dumps(v) for v in error.validator_value)
        return path, f"{json.dumps(error.instance, default=str)} is not one of: {options}"
    if kind == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            expected = " or ".join(expected)
        got = type(error.instance).__name__
        names = {"str": "text", "int": "a whole number", "float": "a number", "bool": "yes/no",
                 "list": "a list", "dict": "a mapping", "NoneType": "nothing"}
        return path, f"expected {expected}, got {names.get(got, got)}"
    if kind == "not" and error.schema.get("description"):
        return path, str(error.schema["description"])
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    message = error.message if len(error.message) < 200 else error.message[:200] + "…"
    if description:
        return path, f"{message} ({description})"
    return path, message


def validate_document(doc: LocatedDocument, schema_name: str) -> list[Problem]:
    """Validate a located YAML document; each problem names file, line and field."""
    problems: list[Problem] = []
    errors = sorted(validator(schema_name).iter_errors(doc.data),
                    key=lambda e: (doc.line_of(tuple(e.absolute_path)) or 0, str(e.message)))
    for error in errors:
        path, message = _describe(error)
        problems.append(Problem(doc.file, doc.line_of(path), format_path(path), message))
    return problems


def validate_data(data: Any, schema_name: str, shown: str) -> list[Problem]:
    """Validate plain data (e.g. JSON we wrote or read) against a schema."""
    return validate_document(LocatedDocument(shown, data, {}), schema_name)
