"""Render the report view with Jinja2 (autoescape on for HTML, StrictUndefined always)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import jinja2

from auditor.messages import LANGUAGES, has, say
from auditor.numbers import number
from auditor.report import RenderOptions, charts, graph
from auditor.report.view import BundleExtras, build_view


class Renderer(Protocol):
    """Turns results.json (and what else the bundle holds) into one file's bytes."""

    def __call__(self, results: Mapping[str, Any], lang: str,
                 extras: BundleExtras | None = None, options: RenderOptions | None = None
                 ) -> bytes:
        """Render in ``lang``."""


def _markdown_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: no markup, pipes or line breaks survive."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    for char in "\\`*_[]<>|~#!&":
        text = text.replace(char, "\\" + char)
    return text


def money(value: float | None, lang: str) -> str:
    """Rupiah with the language's thousands separator; None is a dash."""
    if value is None:
        return "—"
    return say("report.money_idr", lang, amount=number(round(value), lang, 0))


def short_money(value: float, lang: str) -> str:
    """Rupiah in millions, for chart labels."""
    return say("report.money_million", lang, amount=number(round(value / 1e6), lang, 0))


def _environment(autoescape: bool, lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor.report", "templates"),
        autoescape=autoescape,  # noqa: S701 - Markdown escapes with its own `md` filter
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["idr"] = lambda v: money(v, lang)
    env.filters["idr_short"] = lambda v: "—" if v is None else short_money(v, lang)
    env.filters["score"] = lambda v: "—" if v is None else number(v, lang, 1)
    env.filters["num"] = lambda v: (number(v, lang) if isinstance(v, int | float)
                                    and not isinstance(v, bool) else v)
    env.filters["md"] = _markdown_cell
    return env


def _context(results: Mapping[str, Any], lang: str, extras: BundleExtras | None,
             options: RenderOptions | None = None) -> dict[str, Any]:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    view = build_view(results, lang, extras)

    def t(key: str, **values: object) -> str:
        return say(f"report.{key}", lang, **values)

    def domain_name(domain: str) -> str:
        key = f"report.domain_{domain}"
        return say(key, lang) if has(key) else domain

    def cost_item(item: str) -> str:
        key = f"report.cost_item_{item}"
        return say(key, lang) if has(key) else item

    alternate = options.alternate if options else None
    strategies = {p["id"]: p["strategy"] for p in view["rec"]["hosts"]}
    subjects = [*view["sites"], *view["hosts"], *view["services"]]
    return {
        "v": view, "lang": lang, "t": t, "domain_name": domain_name, "cost_item": cost_item,
        "alternate": alternate,
        "alternate_label": say("report.read_in_language", alternate.lang) if alternate else "",
        "severities": ("critical", "high", "medium", "low"),
        "score_chart": charts.score_chart(view["sites"]),
        "domain_chart": charts.domain_chart(subjects),
        "cost_chart": charts.cost_chart(view["rec"]["costs"], lambda x: short_money(x, lang)),
        "graph": graph.layout(view["rec"]["waves"], view["rec"]["dependencies"], strategies),
    }


def render_html(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
                options: RenderOptions | None = None) -> bytes:
    """One self-contained HTML file: inline CSS and SVG, no script, no external fetch."""
    template = _environment(True, lang).get_template("report.html.j2")
    return template.render(**_context(results, lang, extras, options)).encode("utf-8")


def render_markdown(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
                    options: RenderOptions | None = None) -> bytes:
    """Markdown readable in a git forge; every value from a target escaped as table text."""
    template = _environment(False, lang).get_template("report.md.j2")
    return template.render(**_context(results, lang, extras, options)).encode("utf-8")
