"""Render results.json into reports with Jinja2 (autoescape on, StrictUndefined)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import jinja2

from auditor.report.messages import LANGUAGES, translate

STATUS_ORDER = {"fail": 0, "error": 1, "unknown": 2, "waived": 3, "pass": 4, "not_applicable": 5}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor.report", "templates"),
        autoescape=autoescape,  # noqa: S701 - Markdown escapes with its own `md` filter
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["idr"] = lambda v: "—" if v is None else f"Rp {v:,.0f}".replace(",", ".")
    env.filters["score"] = lambda v: "—" if v is None else f"{v:g}"
    env.filters["md"] = _markdown_cell
    return env


def _markdown_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: no markup, pipes or line breaks survive."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    for char in "\\`*_[]<>|~":
        text = text.replace(char, "\\" + char)
    return text


def sorted_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed first, then errors and unknown; within each, most severe first."""
    return sorted(findings, key=lambda f: (STATUS_ORDER.get(f["status"], 9),
                                           SEVERITY_ORDER.get(f["severity"], 9), f["control"]))


def _context(results: Mapping[str, Any], lang: str) -> dict[str, Any]:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    controls = {c["id"]: c for c in results.get("controls", [])}

    def t(key: str) -> str:
        return translate(key, lang)

    def text(value: Mapping[str, str] | None) -> str:
        if not value:
            return ""
        return value.get(lang) or value.get("en") or next(iter(value.values()), "")

    def control_title(control_id: str) -> str:
        control = controls.get(control_id)
        return text(control["title"]) if control else control_id

    def remediation(control_id: str) -> str:
        control = controls.get(control_id)
        return text(control["remediation"]) if control else ""

    return {"r": results, "lang": lang, "t": t, "text": text, "title": control_title,
            "remediation": remediation, "sorted_findings": sorted_findings,
            "failed_hosts": [h for h in results["hosts"] if h["status"] != "ok"]}


def render_html(results: Mapping[str, Any], lang: str) -> bytes:
    """One self-contained HTML file."""
    template = _environment(True).get_template("report.html.j2")
    return template.render(**_context(results, lang)).encode("utf-8")


def render_markdown(results: Mapping[str, Any], lang: str) -> bytes:
    """Markdown readable in a git forge; every value from a target escaped as table text."""
    template = _environment(False).get_template("report.md.j2")
    return template.render(**_context(results, lang)).encode("utf-8")


def render_json(results: Mapping[str, Any], lang: str) -> bytes:
    """results.json itself."""
    return (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


Renderer = Callable[[Mapping[str, Any], str], bytes]
