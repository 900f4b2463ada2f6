"""Report formats by name: each renders results.json into one file of the bundle."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from auditor.report.render import Renderer
    from auditor.report.view import BundleExtras

CSV_SEPARATORS = (",", ";")
"""Separators findings.csv can be written with: ``;`` is the list separator of Excel set to
Indonesian (and most European) regional settings."""


@dataclass(frozen=True)
class Alternate:
    """The same report in the other language, for the language switch at its top."""

    href: str
    """File name of the other report, relative to this one (they sit side by side)."""
    lang: str
    """Its language: ``id`` or ``en``."""


@dataclass(frozen=True)
class RenderOptions:
    """Choices of the user or of the writer that are not in results.json."""

    csv_separator: str = ","
    """The separator of findings.csv: one of ``CSV_SEPARATORS``."""
    alternate: Alternate | None = None
    """The other language's file, linked from a report for people; None: no link."""


@dataclass(frozen=True)
class ReportFormat:
    """One output format; its renderer is imported when first used (Jinja2 is slow to load)."""

    name: str
    """The name given to ``--format``."""
    filename: str
    """File name in the bundle (of the primary language, for a bilingual format)."""
    renderer: str
    """``module:function`` that turns results.json (and the bundle's evidence list) into the
    file's bytes."""
    bilingual: bool = False
    """A report for people: written in both languages, the other one as ``report.en.html``
    (or ``report.id.html`` when English is the primary language)."""

    def filename_for(self, lang: str, primary: str) -> str:
        """The file name of this format in ``lang`` when ``primary`` is the bundle's language."""
        if not self.bilingual or lang == primary:
            return self.filename
        stem, dot, suffix = self.filename.rpartition(".")
        return f"{stem}.{lang}{dot}{suffix}"

    def render(self, results: Mapping[str, Any], lang: str,
               extras: BundleExtras | None = None, options: RenderOptions | None = None
               ) -> bytes:
        """Render ``results`` in ``lang`` with this format's renderer."""
        module, _, function = self.renderer.partition(":")
        renderer = cast("Renderer", getattr(importlib.import_module(module), function))
        return renderer(results, lang, extras, options)


FORMATS: dict[str, ReportFormat] = {
    f.name: f for f in (
        ReportFormat("html", "report.html", "auditor.report.render:render_html", True),
        ReportFormat("md", "report.md", "auditor.report.render:render_markdown", True),
        ReportFormat("json", "results.json", "auditor.report.machine:render_json"),
        ReportFormat("csv", "findings.csv", "auditor.report.machine:render_csv"),
        ReportFormat("junit", "junit.xml", "auditor.report.machine:render_junit"),
        ReportFormat("sarif", "findings.sarif", "auditor.report.sarif:render_sarif"),
    )
}

CONTRACT_FORMATS = ("html", "md", "csv", "junit")
"""What every bundle holds after a plain ``audit`` or ``report`` (DESIGN.md, the audit bundle):
the reports for people in both languages, findings.csv and junit.xml."""

__all__ = ["CONTRACT_FORMATS", "CSV_SEPARATORS", "FORMATS", "Alternate", "RenderOptions",
           "ReportFormat"]
