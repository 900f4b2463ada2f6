"""Reports: both languages, and hostile strings from targets never render as markup."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from auditor.report import FORMATS
from auditor.report.messages import LANGUAGES, MESSAGES
from auditor.report.render import render_html, render_markdown

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>{{ 7*7 }}|**bold**'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


@pytest.fixture()
def hostile_results(example_bundle: Path) -> dict[str, Any]:
    results = json.loads((example_bundle / "results.json").read_text())
    results = copy.deepcopy(results)
    results["organisation"]["name"] = HOSTILE
    results["hosts"][0]["reason"] = HOSTILE
    results["hosts"][0]["status"] = "error"
    results["hosts"][0]["findings"][0]["evidence"] = HOSTILE
    results["sites"][0]["findings"][0]["evidence"] = HOSTILE
    results["sites"][0]["name"] = HOSTILE
    return results


def test_every_message_has_both_languages() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts.values()), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_hostile_strings_are_escaped_in_html(hostile_results: dict[str, Any], lang: str) -> None:
    html = render_html(hostile_results, lang).decode()
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags
    assert "img" not in parser.tags
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    assert "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html  # printed as text, never evaluated


@pytest.mark.parametrize("lang", LANGUAGES)
def test_hostile_strings_are_escaped_in_markdown(hostile_results: dict[str, Any],
                                                 lang: str) -> None:
    text = render_markdown(hostile_results, lang).decode()
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "\\*\\*bold\\*\\*" in text
    for line in text.splitlines():
        if line.startswith("|") and "script" in line:
            assert "\\|" in line  # a pipe from a target cannot open a new table cell


def test_languages_differ_and_use_the_catalogue(example_bundle: Path) -> None:
    results = json.loads((example_bundle / "results.json").read_text())
    indonesian = render_html(results, "id").decode()
    english = render_html(results, "en").decode()
    assert '<html lang="id">' in indonesian and "Ringkasan" in indonesian
    assert '<html lang="en">' in english and "Summary" in english
    assert "Waktu cadangan UPS memenuhi target" in indonesian   # control title from the spec
    assert "UPS runtime meets the target" in english


def test_html_is_self_contained(example_bundle: Path) -> None:
    html = (example_bundle / "report.html").read_text()
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert "http://" not in html and "https://" not in html.replace(
        "https://127.0.0.1", "")


def test_every_format_renders(example_bundle: Path) -> None:
    results = json.loads((example_bundle / "results.json").read_text())
    for name, fmt in FORMATS.items():
        assert fmt.render(results, "en"), name
