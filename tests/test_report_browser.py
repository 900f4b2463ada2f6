"""The HTML report in a real headless Chromium: no console errors, no network requests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditor.report.render import render_html
from cdp import CHROMIUM, Browser
from test_report import fixed, hostile

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")]


@pytest.fixture(scope="module")
def browser() -> Browser:
    with Browser() as b:
        yield b  # type: ignore[misc]


def test_the_harness_notices_errors_and_requests(browser: Browser, tmp_path: Path) -> None:
    """A negative control: a page that logs an error and fetches something is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">'
                    '<script>console.error("boom")</script>')
    load = browser.load(page)
    assert load.outside_requests == ["http://127.0.0.1:9/x.png"]
    assert any("boom" in e for e in load.console_errors)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_loads_cleanly_offline(browser: Browser, tmp_path: Path, lang: str) -> None:
    page = tmp_path / "report.html"
    page.write_bytes(render_html(fixed(), lang))
    load = browser.load(page, screenshot=ARTIFACTS / f"report-fixed-{lang}.png")
    assert load.console_errors == []
    assert load.outside_requests == []
    assert load.dom_nodes > 500
    assert (ARTIFACTS / f"report-fixed-{lang}.png").stat().st_size > 10_000


def test_example_bundle_report_loads_cleanly(browser: Browser, example_bundle: Path) -> None:
    load = browser.load(example_bundle / "report.html",
                        screenshot=ARTIFACTS / "report-example.png")
    assert load.console_errors == [] and load.outside_requests == []


def test_hostile_report_runs_nothing(browser: Browser, tmp_path: Path) -> None:
    """Hostile strings stay text: no script runs (it would log), nothing is fetched."""
    page = tmp_path / "hostile.html"
    results = hostile()
    results["hosts"][2]["findings"][0]["evidence"] = (
        '<script>console.error("ran")</script><img src="http://127.0.0.1:9/p.png">'
        '<style>@import url(http://127.0.0.1:9/s.css)</style>')
    page.write_bytes(render_html(results, "en"))
    load = browser.load(page, screenshot=ARTIFACTS / "report-hostile.png")
    assert load.console_errors == []
    assert load.outside_requests == []
    assert json.dumps(load.console) == "[]"


def test_report_prints_on_a4(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_bytes(render_html(fixed(), "id"))
    pdf = browser.pdf(page)
    (ARTIFACTS / "report-fixed-id.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf)
    assert boxes, "the PDF names its page size"
    for width, height in boxes:  # A4 is 595 x 842 points
        assert round(float(width)) == 595 and round(float(height)) == 842
    assert len(boxes) > 2
