"""Report formats by name: each renders results.json into one file of the bundle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
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


class Renderer(Protocol):
    """Turns results.json (and what else the bundle holds) into one file's bytes."""

    def __call__(self, results: Mapping[str, Any], lang: str,
                 extras: BundleExtras | None = None, options: RenderOptions | None = None
                 ) -> bytes:
        """Render in ``lang``."""


@dataclass(frozen=True)
class ReportFormat:
    """One output format: its name, its file in the bundle, and the function that renders it."""

    name: str
    """The name given to ``--format``."""
    filename: str
    """File name in the bundle (of the primary language, for a bilingual format)."""
    renderer: Renderer
    """Turns results.json (and the bundle's evidence list) into the file's bytes."""
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
        return self.renderer(results, lang, extras, options)


# Each renderer's module is imported when the format is first rendered: the reports for
# people load Jinja2 (slow to import), and `auditor scan`, which imports this registry for
# its --format option, renders nothing (tests/test_cli.py holds that it never loads Jinja2).

def _html(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
          options: RenderOptions | None = None) -> bytes:
    from auditor.report.render import render_html
    return render_html(results, lang, extras, options)


def _markdown(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
              options: RenderOptions | None = None) -> bytes:
    from auditor.report.render import render_markdown
    return render_markdown(results, lang, extras, options)


def _json(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
          options: RenderOptions | None = None) -> bytes:
    from auditor.report.machine import render_json
    return render_json(results, lang, extras, options)


def _csv(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
         options: RenderOptions | None = None) -> bytes:
    from auditor.report.machine import render_csv
    return render_csv(results, lang, extras, options)


def _junit(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
           options: RenderOptions | None = None) -> bytes:
    from auditor.report.machine import render_junit
    return render_junit(results, lang, extras, options)


def _sarif(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
           options: RenderOptions | None = None) -> bytes:
    from auditor.report.sarif import render_sarif
    return render_sarif(results, lang, extras, options)


FORMATS: dict[str, ReportFormat] = {
    f.name: f for f in (
        ReportFormat("html", "report.html", _html, bilingual=True),
        ReportFormat("md", "report.md", _markdown, bilingual=True),
        ReportFormat("json", "results.json", _json),
        ReportFormat("csv", "findings.csv", _csv),
        ReportFormat("junit", "junit.xml", _junit),
        ReportFormat("sarif", "findings.sarif", _sarif),
    )
}
"""Every report format by its ``--format`` name, in the order they are listed and written."""

CONTRACT_FORMATS = ("html", "md", "csv", "junit")
"""What every bundle holds after a plain ``audit`` or ``report`` (DESIGN.md, the audit bundle):
the reports for people in both languages, findings.csv and junit.xml."""

__all__ = ["CONTRACT_FORMATS", "CSV_SEPARATORS", "FORMATS", "Alternate", "RenderOptions",
           "Renderer", "ReportFormat"]
