"""The report stage: render results.json of a bundle into the requested formats."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.bundle import Bundle, atomic_write_bytes, read_json
from auditor.errors import InputError
from auditor.report import FORMATS
from auditor.report.messages import LANGUAGES

DEFAULT_FORMATS = ("html", "md")


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


def write_reports(out_dir: Path, formats: Sequence[str] = DEFAULT_FORMATS,
                  lang: str = "id") -> list[Path]:
    """Render each format into the bundle; returns the files written."""
    if lang not in LANGUAGES:
        raise InputError(f"unknown language '{lang}'; choose from {', '.join(LANGUAGES)}")
    results = load_results(out_dir)
    written = []
    for name in formats:
        fmt = FORMATS[name]
        path = out_dir / fmt.filename
        atomic_write_bytes(path, fmt.render(results, lang))
        written.append(path)
    return written
