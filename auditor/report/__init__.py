"""Report formats by name: each renders results.json into one file of the bundle."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.report.machine import render_csv, render_json, render_junit
from auditor.report.render import Renderer, render_html, render_markdown


@dataclass(frozen=True)
class ReportFormat:
    """One output format."""

    name: str
    """The name given to ``--format``."""
    filename: str
    """File name in the bundle."""
    render: Renderer
    """Turns results.json (and the bundle's evidence list) into the file's bytes."""


FORMATS: dict[str, ReportFormat] = {
    f.name: f for f in (
        ReportFormat("html", "report.html", render_html),
        ReportFormat("md", "report.md", render_markdown),
        ReportFormat("json", "results.json", render_json),
        ReportFormat("csv", "findings.csv", render_csv),
        ReportFormat("junit", "junit.xml", render_junit),
    )
}

__all__ = ["FORMATS", "ReportFormat"]
