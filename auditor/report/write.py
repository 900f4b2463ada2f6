"""The report stage: render results.json of a bundle into the requested formats."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.bundle import Bundle, atomic_write_bytes, read_json
from auditor.errors import AuditorError, InputError
from auditor.report import FORMATS
from auditor.report.messages import LANGUAGES
from auditor.report.values import as_dict, as_list
from auditor.report.view import BundleExtras, Evidence
from auditor.yamlfile import load_yaml

DEFAULT_FORMATS = ("html", "md")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def parse_formats(value: str) -> list[str]:
    """``html,md`` -> ["html", "md"]; unknown names raise InputError naming the known ones."""
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise InputError(f"unknown report format {', '.join(unknown) or '(none)'}; choose from "
                         f"{', '.join(FORMATS)}")
    return list(dict.fromkeys(names))


def load_results(out_dir: Path) -> dict[str, Any]:
    """The bundle's results.json; InputError tells how to make it when missing."""
    bundle = Bundle(out_dir)
    if not bundle.results.is_file():
        raise InputError(f"{bundle.results} not found; run 'auditor check {out_dir}' first")
    data = read_json(bundle.results)
    if not isinstance(data, dict) or data.get("format") != "auditor.results/1":
        raise InputError(f"{bundle.results}: not a results file of this version of auditor")
    return data


def _digest(value: Any) -> str | None:
    return value if isinstance(value, str) and _SHA256.match(value) else None


def collect_extras(out_dir: Path) -> BundleExtras:
    """Evidence fingerprints from the bundle: questionnaire files and host probe outputs.

    A file that cannot be read or does not have the expected shape is left out: the report
    shows what the bundle proves, and results.json stays the source of every verdict.
    """
    bundle = Bundle(out_dir)
    found: list[Evidence] = []
    if bundle.facility_dir.is_dir():
        for path in sorted(bundle.facility_dir.glob("*.yaml")):
            try:
                data = as_dict(load_yaml(path).data)
            except AuditorError:
                continue
            site = str(data.get("site") or path.stem)
            for control, answer in sorted(as_dict(data.get("answers")).items()):
                for item in as_list(as_dict(answer).get("evidence")):
                    item = as_dict(item)
                    digest = _digest(item.get("sha256"))
                    size = item.get("bytes")
                    if digest:
                        found.append(Evidence(site, str(control), str(item.get("path") or ""),
                                              digest, size if isinstance(size, int) else None))
    if bundle.facts_dir.is_dir():
        for path in sorted(bundle.facts_dir.glob("*.json")):
            try:
                probe = as_dict(as_dict(read_json(path)).get("probe"))
            except AuditorError:
                continue
            digest = _digest(probe.get("output_sha256"))
            size = probe.get("output_bytes")
            if digest:
                found.append(Evidence(path.stem, "", f"facts/{path.name}", digest,
                                      size if isinstance(size, int) else None))
    return BundleExtras(tuple(found))


def write_reports(out_dir: Path, formats: Sequence[str] = DEFAULT_FORMATS,
                  lang: str = "id") -> list[Path]:
    """Render each format into the bundle; returns the files written."""
    if lang not in LANGUAGES:
        raise InputError(f"unknown language '{lang}'; choose from {', '.join(LANGUAGES)}")
    results = load_results(out_dir)
    extras = collect_extras(out_dir)
    written = []
    for name in formats:
        fmt = FORMATS[name]
        path = out_dir / fmt.filename
        atomic_write_bytes(path, fmt.render(results, lang, extras))
        written.append(path)
    return written
