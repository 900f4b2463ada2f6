"""Report formats by name: each renders results.json into one file of the bundle."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.report.render import Renderer, render_html, render_json, render_markdown


@dataclass(frozen=True)
class ReportFormat:
    """One output format."""

    name: str
    filename: str
    """File name in the bundle; ``{lang}`` is replaced for language-specific files."""
    render: Renderer


FORMATS: dict[str, ReportFormat] = {
    f.name: f for f in (
        ReportFormat("html", "report.html", render_html),
        ReportFormat("md", "report.md", render_markdown),
        ReportFormat("json", "results.json", render_json),
    )
}

__all__ = ["FORMATS", "ReportFormat"]
