"""results.json: its format name, its one writer and (see ``Results.load``) its one reader.

Number rules, applied once here for every reader (report, review, history): a number is a
JSON number, never ``true``/``false``; NaN and Infinity (which Python's JSON accepts) are
refused; counts are whole numbers of 0 or more; scores lie in 0..100 or are null. The schema
(specs/schemas/results.schema.json) states what it can of these; ``load`` refuses the rest.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.folder import atomic_write_bytes
from auditor.bundle.jsonfile import MAX_JSON_BYTES, JsonInputError, parse_json
from auditor.bundle.schemas import validate_data
from auditor.bundle.yamlfile import PathKey, format_path, read_user_bytes

RESULTS_FORMAT = "auditor.results/1"
"""The ``format`` of every results.json this version writes and reads."""
RESULTS_SCHEMA = "results"
"""specs/schemas/results.schema.json."""
MAX_RESULTS_BYTES = 4 * MAX_JSON_BYTES
"""Largest results.json read (256 MiB): about 6 KB a host, so some 40,000 hosts (the 10,000-host
bench writes 61 MB, near the 64 MiB cap of other JSON files)."""
MAX_COUNT = 10**9
"""Largest count believed: one hostile bundle cannot overflow a national sum."""



class ResultsError(JsonInputError):
    """A results.json that cannot be used; ``what`` reads after "is", ``field`` locates it."""

    def __init__(self, shown: str, what: str, field: str = "", line: int | None = None) -> None:
        super().__init__(shown, line, what)
        self.field = field


def _not_finite(value: Any, path: PathKey = ()) -> Iterator[PathKey]:
    """Where ``value`` holds NaN or an infinity (bounded: the reader capped the depth)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _not_finite(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _not_finite(item, (*path, index))


def _check_finite(raw: bytes, data: Any, shown: str) -> None:
    """Refuse NaN and ±Infinity: not JSON, though Python's reader accepts them."""
    if b"NaN" not in raw and b"Infinity" not in raw:  # a fast scan; the walk is exact
        return
    where = next(_not_finite(data), None)
    if where is not None:
        field = format_path(where)
        raise ResultsError(shown, f"not valid at {field or 'the top'}: NaN and Infinity are not "
                           "numbers JSON allows", field)


def _check_format(data: Any, shown: str) -> None:
    if not isinstance(data, dict):
        raise ResultsError(shown, "not a JSON object (not a results file of this version of "
                           "auditor)")
    found = data.get("format")
    if found != RESULTS_FORMAT:
        said = json.dumps(found)[:60] if found is not None else "none"
        raise ResultsError(shown, f"not a results file of this version of auditor (format "
                           f"{said}, expected \"{RESULTS_FORMAT}\"); run 'auditor check' "
                           "again", "format")


def _check_schema(data: Mapping[str, Any], shown: str) -> None:
    problems = validate_data(data, RESULTS_SCHEMA, shown)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ResultsError(shown, f"not valid at {first.field or 'the top'}: {first.message}"
                           f"{more}; it does not match specs/schemas/results.schema.json "
                           "(damaged, edited or not written by auditor)", first.field)


@dataclass(frozen=True)
class Results:
    """The results document of one bundle, as results.json holds it."""

    data: Mapping[str, Any]

    def to_json(self) -> bytes:
        """results.json's bytes: compact ASCII JSON and a newline."""
        return json.dumps(self.data, separators=(",", ":")).encode("ascii") + b"\n"

    def write(self, path: Path) -> None:
        """Write results.json atomically (no partial file is ever left)."""
        atomic_write_bytes(path, self.to_json())

    @classmethod
    def load(cls, path: Path, shown: str | None = None) -> Results:
        """Read and check results.json; ResultsError (exit 2) names the file and the field."""
        return cls.load_digest(path, shown)[0]

    @classmethod
    def load_digest(cls, path: Path, shown: str | None = None) -> tuple[Results, str]:
        """``load``, and the sha256 of the file's bytes (which bundle this is)."""
        name = shown or str(path)
        raw = read_user_bytes(path, name, "a results file", MAX_RESULTS_BYTES)
        return cls.parse(raw, name), hashlib.sha256(raw).hexdigest()

    @classmethod
    def parse(cls, raw: bytes, shown: str) -> Results:
        """Results from results.json's bytes, named ``shown`` in messages (see ``load``)."""
        data = parse_json(raw, shown)
        _check_format(data, shown)
        _check_finite(raw, data, shown)
        _check_schema(data, shown)
        return cls(data)

    # Typed accessors: required parts are there (the schema says so); optional ones default.
    @property
    def organisation(self) -> Mapping[str, Any]:
        """code, name and level."""
        return mapping(self.data.get("organisation"))

    @property
    def spec(self) -> Mapping[str, Any]:
        """The spec judged against: id, version, title, effective_date, overlay."""
        return mapping(self.data.get("spec"))

    @property
    def summary(self) -> Mapping[str, Any]:
        """score, verdict, hosts, hosts_scanned, by_status, failed_by_severity."""
        return mapping(self.data.get("summary"))

    @property
    def hosts(self) -> Sequence[Mapping[str, Any]]:
        """Each host with its status, score and findings."""
        return mappings(self.data.get("hosts"))

    @property
    def sites(self) -> Sequence[Mapping[str, Any]]:
        """Each site with its verdict, score and findings."""
        return mappings(self.data.get("sites"))

    @property
    def services(self) -> Sequence[Mapping[str, Any]]:
        """Each web service with its status and findings."""
        return mappings(self.data.get("services"))

    @property
    def controls(self) -> Sequence[Mapping[str, Any]]:
        """The controls judged, with their titles (optional: empty when left out)."""
        return mappings(self.data.get("controls"))

    @property
    def recommendation(self) -> Mapping[str, Any]:
        """The verdict, urgency, plan per host, waves and costs."""
        return mapping(self.data.get("recommendation"))

    @property
    def costs(self) -> Mapping[str, Any]:
        """recommendation.costs."""
        return mapping(self.recommendation.get("costs"))


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one (an optional part left out)."""
    return value if isinstance(value, Mapping) else {}


def mappings(value: Any) -> list[Mapping[str, Any]]:
    """The JSON objects of a list (empty when the list is left out)."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def number(value: Any) -> float | None:
    """A number of a loaded results.json as float; None for null, a missing or a non-number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def count(value: Any) -> int:
    """A count of a loaded results.json: a whole number of 0 or more (at most 10⁹), else 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return min(value, MAX_COUNT)
