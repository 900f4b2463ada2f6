"""Golden files: the fixed bundle's reports, reviewed by eye once, then held.

Run with REGENERATE_GOLDEN=1 to rewrite them after a deliberate change, then review the diff
(and a browser screenshot, see test_report_browser.py) before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.report.render import render_html, render_markdown
from auditor.report.view import BundleExtras, Evidence
from test_report import fixed

GOLDEN = Path(__file__).parent / "data" / "report" / "golden"
EXTRAS = BundleExtras((
    Evidence("site-000", "FAC-UPS-RUNTIME", "evidence/uji-ups.txt", "0f" * 32, 135),
    Evidence("host-00000", "", "facts/host-00000.json", "a1" * 32, 20480),
))
RENDERERS = {"html": render_html, "md": render_markdown}


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_report_matches_its_golden_file(fmt: str, lang: str) -> None:
    rendered = RENDERERS[fmt](fixed(), lang, EXTRAS).decode()
    golden = GOLDEN / f"report.{lang}.{fmt}"
    if os.environ.get("REGENERATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert golden.is_file(), f"{golden} missing; run with REGENERATE_GOLDEN=1 and review it"
    assert rendered == golden.read_text(encoding="utf-8"), (
        f"{golden.name} changed; if intended, rerun with REGENERATE_GOLDEN=1 and review the diff")
