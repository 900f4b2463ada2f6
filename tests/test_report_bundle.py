"""Reports in the bundle: both languages linked, the contract files, signed bundles, freshness."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from cdp import CHROMIUM, Browser
from conftest import REPO, run_cli
from test_report import fixed, loadable

CONTRACT = {"report.html", "report.en.html", "report.md", "report.en.md", "findings.csv",
            "junit.xml"}


def results_bundle(folder: Path) -> Path:
    """A bundle holding only a results.json (enough for `report`)."""
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(loadable(fixed())), encoding="utf-8")
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def new_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged specification as version 2027.1 (a new version to judge old facts by)."""
    folder = tmp_path_factory.mktemp("spec") / "specs"
    shutil.copytree(REPO / "specs", folder)
    main = folder / "national.yaml"
    text = main.read_text(encoding="utf-8")
    assert 'version: "2026.1"' in text
    main.write_text(text.replace('version: "2026.1"', 'version: "2027.1"', 1), encoding="utf-8")
    return folder


def copy_bundle(example_bundle: Path, target: Path) -> Path:
    shutil.copytree(example_bundle, target, ignore=shutil.ignore_patterns(".auditor.lock"))
    return target


def test_plain_report_writes_the_contract_files_in_both_languages(tmp_path: Path) -> None:
    bundle = results_bundle(tmp_path / "b")
    result = run_cli("report", str(bundle))
    assert result.returncode == 0, result.stderr
    names = {p.name for p in bundle.iterdir()}
    assert CONTRACT | {"reports.json", "results.json"} == names
    html_id = (bundle / "report.html").read_text(encoding="utf-8")
    html_en = (bundle / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="id">' in html_id and '<html lang="en">' in html_en
    assert '<a href="report.en.html" hreflang="en" lang="en">Read in English</a>' in html_id
    assert ('<a href="report.html" hreflang="id" lang="id">Baca dalam Bahasa Indonesia</a>'
            in html_en)
    assert "[Read in English](report.en.md)" in (bundle / "report.md").read_text()
    assert "[Baca dalam Bahasa Indonesia](report.md)" in (bundle / "report.en.md").read_text()
    index = json.loads((bundle / "reports.json").read_text())
    assert index["primary_lang"] == "id"
    assert set(index["files"]) == CONTRACT
    assert {e["results_sha256"] for e in index["files"].values()} == {
        sha(bundle / "results.json")}
    assert index["files"]["report.en.html"]["lang"] == "en"


def test_lang_en_makes_english_the_primary_report(tmp_path: Path) -> None:
    bundle = results_bundle(tmp_path / "b")
    assert run_cli("report", str(bundle), "--format", "html,md").returncode == 0
    assert (bundle / "report.en.html").is_file()
    result = run_cli("report", str(bundle), "--lang", "en", "--format", "html,md")
    assert result.returncode == 0, result.stderr
    assert {p.name for p in bundle.glob("report.*")} == {"report.html", "report.id.html",
                                                         "report.md", "report.id.md"}
    assert '<html lang="en">' in (bundle / "report.html").read_text()
    assert 'href="report.id.html"' in (bundle / "report.html").read_text()
    assert 'href="report.html"' in (bundle / "report.id.html").read_text()
    index = json.loads((bundle / "reports.json").read_text())
    assert index["primary_lang"] == "en"
    assert set(index["files"]) == {"report.html", "report.id.html", "report.md", "report.id.md"}


def test_format_narrows_or_adds(tmp_path: Path) -> None:
    narrow = results_bundle(tmp_path / "narrow")
    assert run_cli("report", str(narrow), "--format", "csv").returncode == 0
    assert {p.name for p in narrow.iterdir()} == {"results.json", "findings.csv",
                                                  "reports.json"}
    wide = results_bundle(tmp_path / "wide")
    result = run_cli("report", str(wide), "--format", "+sarif")
    assert result.returncode == 0, result.stderr
    assert CONTRACT | {"findings.sarif"} <= {p.name for p in wide.iterdir()}
    bad = run_cli("report", str(wide), "--format", "+pdf")
    assert bad.returncode == 2 and "sarif" in bad.stderr and "Traceback" not in bad.stderr


def test_a_signed_bundle_is_never_rewritten_by_report(tmp_path: Path) -> None:
    bundle = results_bundle(tmp_path / "b")
    assert run_cli("report", str(bundle)).returncode == 0
    sign_bundle(bundle, Ed25519PrivateKey.generate())
    before = snapshot(bundle)
    refused = run_cli("report", str(bundle), "--lang", "en")
    assert refused.returncode == 2
    assert "signed" in refused.stderr and "-o FOLDER" in refused.stderr
    inside = run_cli("report", str(bundle), "--lang", "en", "-o", str(bundle / "en"))
    assert inside.returncode == 2
    assert snapshot(bundle) == before
    other = tmp_path / "english"
    result = run_cli("report", str(bundle), "--lang", "en", "-o", str(other))
    assert result.returncode == 0, result.stderr
    assert '<html lang="en">' in (other / "report.html").read_text()
    assert 'href="report.id.html"' in (other / "report.html").read_text()
    assert CONTRACT - {"report.en.html", "report.en.md"} <= {p.name for p in other.iterdir()}
    assert snapshot(bundle) == before
    verify = run_cli("bundle", "verify", str(bundle), "--any-signer")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_check_with_a_new_spec_renders_the_reports_there_again(example_bundle: Path,
                                                               new_spec: Path,
                                                               tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path / "b")
    had = {p.name for p in bundle.iterdir()}
    assert {"report.html", "report.en.html"} <= had and "findings.csv" not in had
    result = run_cli("check", str(bundle), "--spec", str(new_spec))
    assert result.returncode in (0, 1), result.stderr
    assert "2027.1" in (bundle / "report.html").read_text()
    assert "2027.1" in (bundle / "report.en.md").read_text()
    assert "findings.csv" not in {p.name for p in bundle.iterdir()}  # only what was there
    index = json.loads((bundle / "reports.json").read_text())
    assert {e["spec"]["version"] for e in index["files"].values()} == {"2027.1"}
    assert "warning" not in result.stderr
    again = run_cli("report", str(bundle), "--format", "csv")
    assert again.returncode == 0 and "warning" not in again.stderr


def test_check_without_reports_marks_them_stale_for_every_reader(example_bundle: Path,
                                                                 new_spec: Path,
                                                                 tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path / "b")
    report_before = sha(bundle / "report.html")
    result = run_cli("check", str(bundle), "--spec", str(new_spec), "--no-report")
    assert result.returncode in (0, 1), result.stderr
    assert sha(bundle / "report.html") == report_before
    expected = "were made for spec 2026.1, results are for 2027.1"
    assert expected in result.stderr and "report.html" in result.stderr
    partial = run_cli("report", str(bundle), "--format", "csv")
    assert partial.returncode == 0
    assert expected in partial.stderr and "findings.csv" not in partial.stderr.split(
        "warning")[1]
    sign_bundle(bundle, Ed25519PrivateKey.generate())
    verify = run_cli("bundle", "verify", str(bundle), "--any-signer")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "report.html was made for spec 2026.1, results are for 2027.1" in verify.stderr
    fresh = run_cli("report", str(bundle), "-o", str(tmp_path / "fresh"))
    assert fresh.returncode == 0, fresh.stderr
    assert "2027.1" in (tmp_path / "fresh" / "report.html").read_text()


def test_an_old_bundle_without_the_index_is_marked_stale_too(example_bundle: Path,
                                                              new_spec: Path,
                                                              tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path / "b")
    (bundle / "reports.json").unlink()
    result = run_cli("check", str(bundle), "--spec", str(new_spec), "--no-report")
    assert "made for spec 2026.1, results are for 2027.1" in result.stderr
    index = json.loads((bundle / "reports.json").read_text())
    assert index["files"]["report.html"]["spec"]["version"] == "2026.1"


def test_check_on_a_signed_bundle_breaks_the_signature_and_says_so(example_bundle: Path,
                                                                   tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path / "b")
    sign_bundle(bundle, Ed25519PrivateKey.generate())
    result = run_cli("check", str(bundle))
    assert result.returncode in (0, 1), result.stderr
    assert "sign it again" in result.stderr
    verify = run_cli("bundle", "verify", str(bundle), "--any-signer")
    assert verify.returncode == 1 and "altered: results.json" in verify.stdout


def _evaluate(browser: Browser, session: str, expression: str) -> Any:
    reply = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                         session=session)
    return reply["result"].get("value")


def follow_link(browser: Browser, page: Path, selector: str) -> tuple[str, str]:
    """Open ``page``, click the first ``selector`` element; (location, <html lang>) after."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target,
                                                     "flatten": True})["sessionId"]
    browser.send("Page.enable", session=session)
    browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    start = _evaluate(browser, session, "location.href")
    assert _evaluate(browser, session, f"!!document.querySelector({json.dumps(selector)})")
    _evaluate(browser, session, f"document.querySelector({json.dumps(selector)}).click()")
    where, lang = start, ""
    for _ in range(100):  # bounded: ten seconds at most
        where = _evaluate(browser, session, "location.href")
        ready = _evaluate(browser, session, "document.readyState")
        if where != start and ready == "complete":
            lang = _evaluate(browser, session, "document.documentElement.lang")
            break
        time.sleep(0.1)
    browser.send("Target.closeTarget", {"targetId": target})
    return where, lang


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_the_language_switch_works_in_chromium(tmp_path: Path) -> None:
    bundle = results_bundle(tmp_path / "b")
    assert run_cli("report", str(bundle), "--format", "html").returncode == 0
    with Browser() as browser:
        where, lang = follow_link(browser, bundle / "report.html", "p.langswitch a")
        assert where.endswith("/report.en.html") and lang == "en"
        where, lang = follow_link(browser, bundle / "report.en.html", "p.langswitch a")
        assert where.endswith("/report.html") and lang == "id"
