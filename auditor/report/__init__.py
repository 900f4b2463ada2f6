"""Report formats by name: each renders results.json into one file of the bundle."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from auditor.report.render import Renderer
    from auditor.report.view import BundleExtras


@dataclass(frozen=True)
class ReportFormat:
    """One output format; its renderer is imported when first used (Jinja2 is slow to load)."""

    name: str
    """The name given to ``--format``."""
    filename: str
    """File name in the bundle."""
    renderer: str
    """``module:function`` that turns results.json (and the bundle's evidence list) into the
    file's bytes."""

    def render(self, results: Mapping[str, Any], lang: str,
               extras: BundleExtras | None = None) -> bytes:
        """Render ``results`` in ``lang`` with this format's renderer."""
        module, _, function = self.renderer.partition(":")
        renderer = cast("Renderer", getattr(importlib.import_module(module), function))
        return renderer(results, lang, extras)


FORMATS: dict[str, ReportFormat] = {
    f.name: f for f in (
        ReportFormat("html", "report.html", "auditor.report.render:render_html"),
        ReportFormat("md", "report.md", "auditor.report.render:render_markdown"),
        ReportFormat("json", "results.json", "auditor.report.machine:render_json"),
        ReportFormat("csv", "findings.csv", "auditor.report.machine:render_csv"),
        ReportFormat("junit", "junit.xml", "auditor.report.machine:render_junit"),
    )
}

__all__ = ["FORMATS", "ReportFormat"]
