"""Reports: both languages, the catalogue, defensive rendering, hostile strings escaped."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from auditor.messages import LANGUAGES
from auditor.report import FORMATS
from auditor.report.render import render_html, render_markdown
from auditor.report.write import collect_extras, write_reports

DATA = Path(__file__).parent / "data" / "report"
TEMPLATES = Path(__file__).resolve().parent.parent / "auditor" / "report" / "templates"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>{{ 7*7 }}|**bold**'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)


def fixed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "results-fixed.json").read_text())
    return data


def hostile() -> dict[str, Any]:
    """Every string a target or an inventory could set, made hostile."""
    results = copy.deepcopy(fixed())
    results["organisation"]["name"] = HOSTILE
    results["sites"][0]["name"] = HOSTILE
    results["sites"][0]["findings"][0]["evidence"] = HOSTILE
    host = results["hosts"][0]
    host["id"] = HOSTILE
    host["status"] = "error"
    host["reason"] = HOSTILE
    host["findings"][0]["evidence"] = HOSTILE + "\x00\x1b[31m"
    results["services"][0]["url"] = "javascript:alert(1)//" + HOSTILE
    rec = results["recommendation"]
    rec["hosts"][0]["id"] = HOSTILE
    rec["hosts"][0]["target"] = {"offering": HOSTILE, "flavour": HOSTILE, "sizing": HOSTILE}
    rec["hosts"][0]["blockers"] = [{"code": "x", "text": {"id": HOSTILE, "en": HOSTILE}}]
    rec["waves"][0].append(HOSTILE)
    rec["dependencies"].append({"from": HOSTILE, "to": "host-00001", "port": HOSTILE,
                                "source": HOSTILE})
    rec["urgency_reasons"] = [{"id": HOSTILE, "en": HOSTILE}]
    rec["costs"]["assumptions"][HOSTILE] = {"value": HOSTILE, "unit": HOSTILE, "source": HOSTILE}
    return results




def _words_outside_markup(text: str) -> list[str]:
    text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return re.findall(r"[A-Za-zÀ-ÿ]{2,}", text)


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.j2")
                                            if p.name != "style.css.j2"))
def test_templates_have_no_hard_coded_words(template: str) -> None:
    """Every word a reader sees comes from the catalogue or the data, never the template."""
    assert _words_outside_markup((TEMPLATES / template).read_text()) == []




@pytest.mark.parametrize("lang", LANGUAGES)
def test_hostile_strings_are_escaped_in_html(lang: str) -> None:
    html = render_html(hostile(), lang).decode()
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags
    assert "img" not in parser.tags
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    assert not any((value or "").startswith("javascript:") for _, value in parser.attrs)
    assert "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html  # printed as text, never evaluated


@pytest.mark.parametrize("lang", LANGUAGES)
def test_hostile_strings_are_escaped_in_markdown(lang: str) -> None:
    text = render_markdown(hostile(), lang).decode()
    assert not re.search(r"(?<!\\)<", text)  # no tag can open
    assert "\\<script\\>" in text
    assert "\\*\\*bold\\*\\*" in text
    for line in text.splitlines():
        if line.startswith("|") and "script" in line:
            assert "\\|" in line  # a pipe from a target cannot open a new table cell
            assert line.count("|") - line.count("\\|") >= 2


def test_languages_differ_and_use_the_catalogue(example_bundle: Path) -> None:
    results = json.loads((example_bundle / "results.json").read_text())
    indonesian = render_html(results, "id").decode()
    english = render_html(results, "en").decode()
    assert '<html lang="id">' in indonesian and "Ringkasan eksekutif" in indonesian
    assert '<html lang="en">' in english and "Executive summary" in english
    assert "Pemadam gas bersih otomatis" in indonesian   # control title from the spec
    assert "Automatic clean-agent suppression" in english
    assert "Rp " in indonesian and "IDR " in english


def test_summary_comes_first_with_what_a_pemda_head_needs() -> None:
    html = render_html(fixed(), "en").decode()
    summary = html[html.index('id="summary"'):html.index('id="plan"')]
    for words in ("Overall verdict", "Urgency", "Closure risk", "Overall score",
                  "Saved per year", "Saved over five years", "critical", "Score per site",
                  "IDR 330 M", "IDR 1,575 M"):  # (150 M - 40 M) x 3 sites; x 5 - 75 M
        assert words in summary, words
    assert summary.count("<svg") == 3
    assert html.index('id="summary"') < html.index('id="plan"') < html.index('id="findings"')


def test_plan_shows_waves_targets_blockers_and_the_graph() -> None:
    html = render_html(fixed(), "en").decode()
    plan = html[html.index('id="plan"'):html.index('id="failing"')]
    assert "Wave 1" in plan and "pdn-iaas-vm" in plan and "Host not scanned." in plan
    assert 'class="edge' in plan and 'class="node' in plan
    assert "vCPU" in plan


def test_failed_come_first_and_unknown_and_waived_stand_apart() -> None:
    html = render_html(fixed(), "en").decode()
    blocks = re.findall(r'<details id="host-.*?</details>', html, flags=re.S)
    both = [b for b in blocks if "Failed (" in b and "Could not be checked" in b]
    assert both
    for block in both:
        assert block.index("Failed (") < block.index("Could not be checked")
        if "Waived (" in block:
            assert block.index("Could not be checked") < block.index("Waived (")


def test_minimal_results_render_without_recommendation_details() -> None:
    """Only the names DESIGN.md fixes: nothing beyond them may be needed."""
    minimal = {
        "format": "auditor.results/1", "spec": {"id": "national", "version": "1"},
        "generated_at": "2026-01-01T00:00:00Z",
        "organisation": {"code": "1", "name": "X", "level": "kota"},
        "summary": {"score": None, "verdict": "remediate", "hosts": 1, "hosts_scanned": 0},
        "hosts": [{"id": "h", "site": "s", "status": "timeout", "score": None,
                   "findings": [{"control": "C", "status": "unknown", "severity": "high",
                                 "evidence": "e"}]}],
        "sites": [{"id": "s", "score": None, "verdict": "remediate", "findings": []}],
        "services": [],
        "recommendation": {"verdict": "remediate", "urgency": "low", "waves": [],
                           "hosts": [{"id": "h", "strategy": None, "target": None,
                                      "blockers": []}],
                           "costs": {"current_annual_idr": 0, "assumptions": {}}},
    }
    for name, fmt in FORMATS.items():
        for lang in LANGUAGES:
            assert fmt.render(minimal, lang), name
    odd = copy.deepcopy(minimal)
    odd["recommendation"] = {"waves": "nope", "hosts": [None, 3], "costs": [],
                             "dependencies": [{"from": "a"}], "urgency": "bogus"}
    odd["hosts"][0]["findings"].append({"status": "weird"})
    assert b"h" in render_html(odd, "en")


def loadable(results: dict[str, Any]) -> dict[str, Any]:
    """The hand-made fixture with the keys the schema requires that its reports do not show."""
    rec = results["recommendation"]
    for host in rec["hosts"]:
        host.setdefault("rule", "fixture")
        if isinstance(host.get("sizing"), dict):
            host["sizing"].setdefault("required", {})
    for site in rec["costs"]["sites"]:
        site.setdefault("assumptions", {})
    return results


def test_every_format_writes_a_file(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "results.json").write_text(json.dumps(loadable(fixed())))
    written = write_reports(bundle, list(FORMATS), "en")
    expected = [f.filename_for(lang, "en") for f in FORMATS.values()
                for lang in (("en", "id") if f.bilingual else ("en",))]
    assert sorted(p.name for p in written) == sorted(expected)
    assert {"report.html", "report.id.html", "report.md", "report.id.md"} <= set(expected)
    assert all(p.stat().st_size > 0 for p in written)


def test_evidence_hashes_from_the_bundle_reach_the_appendix(example_bundle: Path) -> None:
    extras = collect_extras(example_bundle)
    assert any(e.path.startswith("evidence/") for e in extras.evidence)
    assert any(e.path.startswith("facts/") for e in extras.evidence)
    html = render_html(json.loads((example_bundle / "results.json").read_text()), "id",
                       extras).decode()
    appendix = html[html.index('id="appendix"'):]
    assert extras.evidence[0].sha256 in appendix


def test_html_is_self_contained(example_bundle: Path) -> None:
    html = (example_bundle / "report.html").read_text()
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert not [v for _, v in parser.attrs if v and re.match(r"(https?:)?//", v)]
    assert "default-src 'none'" in html


def test_large_bundles_keep_hosts_collapsed() -> None:
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from synthetic import make_results

    html = render_html(make_results(300), "en").decode()
    assert html.count('<details id="host-') == 300
    assert '<details id="host-host-00000" open' not in html
    assert html.count("Fix host ssh root login.") == 1  # remediation once per control
    assert 'href="#control-HOST-SSH-ROOT-LOGIN"' in html  # each finding links to it


def test_report_command_writes_every_format_in_english(tmp_path: Path) -> None:
    from conftest import run_cli

    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "results.json").write_text(json.dumps(loadable(fixed())))
    result = run_cli("report", str(bundle), "--format", "html,md,csv,junit", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Executive summary" in (bundle / "report.html").read_text()
    assert (bundle / "findings.csv").read_text(encoding="utf-8-sig").startswith("subject_kind,")
    assert (bundle / "junit.xml").read_text().startswith("<?xml")
    bad = run_cli("report", str(bundle), "--format", "pdf")
    assert bad.returncode == 2 and "csv" in bad.stderr




def test_dependency_graph_stays_bounded_for_large_plans() -> None:
    from auditor.report.graph import MAX_COLUMNS, MAX_EDGES, MAX_PER_COLUMN, layout

    waves = [[f"h{w}-{i}" for i in range(400)] for w in range(20)]
    deps = [{"from": f"h{w}-{i}", "to": f"h{w + 1}-{i}", "port": "443", "source": "x"}
            for w in range(19) for i in range(400)]
    g = layout(waves, deps, {})
    assert g["trimmed"]
    assert len(g["columns"]) <= MAX_COLUMNS
    assert all(len(c["boxes"]) <= MAX_PER_COLUMN for c in g["columns"])
    assert len(g["edges"]) <= MAX_EDGES
    assert g["width"] < 2500 and g["height"] < 1000
    html = render_html({**fixed(), "recommendation": {
        **fixed()["recommendation"], "waves": waves, "dependencies": deps}}, "en").decode()
    assert "Graph trimmed" in html
