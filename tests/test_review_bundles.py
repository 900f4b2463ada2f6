"""The review and issue 17: signers banner, bilingual reasons, copies, both languages."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from auditor.messages import say
from cdp import CHROMIUM, Browser
from conftest import run_cli
from test_report_bundle import copy_bundle, follow_link, new_spec  # noqa: F401 - a fixture
from test_review import openssh_line

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


@pytest.fixture(scope="module")
def bundles(example_bundle: Path, new_spec: Path,  # noqa: F811 - the fixture imported above
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A signed bundle, a byte copy of it, an unsigned one, and a newer one judged again
    against spec 2027.1 without rendering its reports (so they are stale), signed."""
    root = tmp_path_factory.mktemp("bundles")
    key = Ed25519PrivateKey.generate()
    first = copy_bundle(example_bundle, root / "first")
    sign_bundle(first, key)
    copy = root / "copy"
    shutil.copytree(first, copy)
    unsigned = copy_bundle(example_bundle, root / "unsigned")
    results = json.loads((unsigned / "results.json").read_text())
    results["organisation"]["code"] = "99.01"
    (unsigned / "results.json").write_text(json.dumps(results))
    rejudged = copy_bundle(example_bundle, root / "rejudged")
    check = run_cli("check", str(rejudged), "--spec", str(new_spec), "--no-report", "-q")
    assert check.returncode in (0, 1), check.stderr
    sign_bundle(rejudged, key)
    trusted = root / "allowed_signers"
    trusted.write_text(f"32.99 {openssh_line(key)}\n")
    return {"first": first, "copy": copy, "unsigned": unsigned, "rejudged": rejudged,
            "trusted": trusted, "root": root}


def review(bundles: dict[str, Any], out: Path, *args: str) -> tuple[Any, str]:
    paths = [str(bundles[name]) for name in ("first", "copy", "unsigned", "rejudged")]
    result = run_cli("review", *paths, "-o", str(out), *args)
    assert result.returncode == 1, result.stderr  # the copy, the older and the unsigned one
    return result, (out / "index.html").read_text(encoding="utf-8")


def text(key: str, lang: str) -> str:
    return html.escape(say(f"review.{key}", lang), quote=True)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_rejections_are_explained_in_the_review_language(bundles: dict[str, Any],
                                                         tmp_path: Path, lang: str) -> None:
    result, page = review(bundles, tmp_path / "out", "--lang", lang, "--trusted-keys",
                          str(bundles["trusted"]))
    rejected = page[page.index('id="rejected-table"'):]
    for key in ("why_unsigned", "why_duplicate_identical", "why_duplicate_newer",
                "trust_identical", "trust_duplicate", "trust_unsigned"):
        assert text(key, lang) in rejected, key
    rows = {line.split("</td>")[0].split(">")[-1]: line for line in rejected.split("<tr>")[1:]}
    copy_row = rows[str(bundles["copy"])]
    assert text("trust_identical", lang) in copy_row and "newer" not in copy_row
    assert f"the same bundle as {bundles['first']}" in copy_row
    first_row = rows[str(bundles["first"])]
    assert text("why_duplicate_newer", lang) in first_row
    assert f"rejected {bundles['copy']}: duplicate: the same bundle as" in result.stderr


def test_signers_not_checked_is_a_banner_and_a_line_on_stderr(bundles: dict[str, Any],
                                                               tmp_path: Path) -> None:
    result, page = review(bundles, tmp_path / "open", "--lang", "en")
    assert "no --trusted-keys" in result.stderr
    assert 'id="signers-banner"' in page and text("signers_not_checked", "en") in page
    checked, page = review(bundles, tmp_path / "checked", "--trusted-keys",
                           str(bundles["trusted"]))
    assert "no --trusted-keys" not in checked.stderr and 'id="signers-banner"' not in page


def test_stale_reports_are_shown_on_the_index_and_the_org_page(bundles: dict[str, Any],
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    review(bundles, out, "--lang", "id", "--trusted-keys", str(bundles["trusted"]))
    index = (out / "index.html").read_text()
    assert text("stale_reports", "id") in index
    org = next(p for p in (out / "org").glob("*.html"))
    page = org.read_text()
    assert 'id="stale-banner"' in page
    banner = page[page.index('id="stale-banner"'):].split("</div>")[0]
    assert "dibuat untuk spesifikasi 2026.1, sedangkan hasilnya untuk 2027.1." in banner
    assert "report.html, report.en.html" in banner


def test_both_languages_of_a_report_are_copied_and_linked(bundles: dict[str, Any],
                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    review(bundles, out, "--lang", "en", "--trusted-keys", str(bundles["trusted"]))
    org = next(p for p in (out / "org").glob("*.html"))
    folder = out / "org" / org.stem
    assert {p.name for p in folder.iterdir()} == {"report.html", "report.en.html"}
    for name in ("report.html", "report.en.html"):
        assert (folder / name).read_bytes().startswith(b"\xef\xbb\xbf")  # the inert copy
    page = org.read_text()
    english = page.index(f'href="{org.stem}/report.en.html"')
    indonesian = page.index(f'href="{org.stem}/report.html"')
    assert english < indonesian  # the review's language first
    assert "(English)" in page and "(Bahasa Indonesia)" in page


@pytest.mark.browser
@needs_chromium
def test_banner_and_language_switch_in_chromium(bundles: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    review(bundles, out, "--lang", "en")
    org = next(p for p in (out / "org").glob("*.html"))
    with Browser(width=390, height=844) as browser:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target,
                                                         "flatten": True})["sessionId"]
        browser.send("Page.enable", session=session)
        browser.send("Page.navigate", {"url": (out / "index.html").as_uri()}, session=session)
        browser.wait_event("Page.loadEventFired", session)
        box = browser.send("Runtime.evaluate", {"returnByValue": True, "expression": """
            (() => { const b = document.getElementById("signers-banner");
                     const r = b.getBoundingClientRect();
                     return {top: r.top, height: r.height, width: r.width,
                             display: getComputedStyle(b).display,
                             text: b.innerText}; })()"""}, session=session)["result"]["value"]
        browser.send("Target.closeTarget", {"targetId": target})
        assert box["display"] != "none" and box["height"] > 20 and box["width"] > 200
        assert box["top"] < 844  # seen without scrolling, on a phone too
        assert "Signers not checked." in box["text"]
        where, lang = follow_link(browser, out / "org" / org.stem / "report.html",
                                  "p.langswitch a")
        assert where.endswith(f"/org/{org.stem}/report.en.html") and lang == "en"


def test_a_hostile_reports_index_is_only_text(example_bundle: Path, tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path / "hostile")
    hostile = '<script>document.title="pwned"</script>'
    entry = {"format": "html", "lang": "id", "results_sha256": "0" * 64,
             "spec": {"id": hostile, "version": hostile * 20}, "generated_at": hostile}
    (bundle / "reports.json").write_text(json.dumps({
        "format": "auditor.reports/1", "primary_lang": "xx", "csv_separator": "|",
        "files": {"report.html": entry, "../../etc/passwd": entry, "index.html": entry,
                  "report.en.html": [1, 2], "report.md": {"spec": "odd"}}}))
    sign_bundle(bundle, Ed25519PrivateKey.generate())
    out = tmp_path / "out"
    result = run_cli("review", str(bundle), "-o", str(out), "--lang", "en")
    assert result.returncode == 0, result.stderr
    page = next((out / "org").glob("*.html")).read_text()
    banner = page[page.index('id="stale-banner"'):].split("</div>")[0]
    assert "report.html was made for spec" in banner and "passwd" not in banner
    assert "<script>" not in page and "&lt;script&gt;" in banner
