"""Reports and the review on a phone and a laptop: no sideways scroll, readable charts.

Pages are loaded in a real headless Chromium at 390 px (device emulation, mobile) and at
1366 px; a screenshot of each is kept under test-artifacts/phone/. The charts' SVG is also
read as text: every label at least 12 px, the migrate threshold drawn, a text alternative
that carries the numbers.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from auditor.report.charts import MIGRATE_BELOW
from auditor.report.render import render_html
from auditor.review import review
from cdp import CHROMIUM, Browser
from conftest import REPO
from test_report import fixed, hostile

ARTIFACTS = REPO / "test-artifacts" / "phone"
PHONE = {"width": 390, "height": 844, "mobile": True}
DEVICES = {"phone": PHONE, "small-phone": {"width": 360, "height": 740, "mobile": True},
           "laptop": {"width": 1366, "height": 900, "mobile": False}}
LONG_NAME = ("Ruang Server Dinas Komunikasi, Informatika, Statistik dan Persandian "
             "Kabupaten Contoh Yang Sangat Panjang Namanya")
LONG_ID = "host-" + "tanpa-spasi-" * 12 + "00"

CHART_FONTS = """(() => {
  const sizes = [];
  for (const svg of document.querySelectorAll('figure svg')) {
    const scale = svg.getScreenCTM().a;
    for (const text of svg.querySelectorAll('text')) {
      sizes.push([text.textContent.slice(0, 30),
                  parseFloat(getComputedStyle(text).fontSize) * scale]);
    }
  }
  const figures = [];
  for (const b of document.querySelectorAll('.card b')) {
    const card = b.parentElement.getBoundingClientRect(), box = b.getBoundingClientRect();
    const line = parseFloat(getComputedStyle(b).fontSize) * 1.6;
    figures.push([b.textContent.trim(), box.height <= line, box.right <= card.right + 0.5]);
  }
  return {sizes: sizes, figures: figures};
})()"""


def _big_results() -> dict[str, Any]:
    """300 hosts (the compact report) with long site names, long host ids and huge costs."""
    sys.path.insert(0, str(REPO / "bench"))
    from synthetic import make_results

    results = make_results(300)
    for site in results["sites"]:
        site["name"] = f"{LONG_NAME} {site['id']}"
        site["facility_score"] = round(site["score"] - 5, 1)
    for host in results["hosts"][:3]:
        host["id"] = LONG_ID + host["id"]
    costs = results["recommendation"]["costs"]
    costs["current_annual_idr"] = 2_283_456_789_012
    costs["annual_savings_idr"] = 1_983_456_789_012
    return results


@pytest.fixture(scope="module")
def pages(example_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The reports (fixed, example, large, hostile) and a review of three signed bundles."""
    root = tmp_path_factory.mktemp("phone")
    found = {}
    for lang in ("id", "en"):
        found[f"report-fixed-{lang}"] = root / f"fixed-{lang}.html"
        found[f"report-fixed-{lang}"].write_bytes(render_html(fixed(), lang))
    found["report-large"] = root / "large.html"
    found["report-large"].write_bytes(render_html(_big_results(), "id"))
    found["report-example"] = example_bundle / "report.html"
    odd = hostile()
    odd["sites"][1]["name"] = "X" * 300  # no place to break a line
    odd["recommendation"]["hosts"][1]["id"] = "y" * 300
    found["report-hostile"] = root / "hostile.html"
    found["report-hostile"].write_bytes(render_html(odd, "en"))
    base = json.loads((example_bundle / "results.json").read_text())
    bundles = []
    for number, name in enumerate((LONG_NAME, "Pemerintah Kota Contoh", "Provinsi Contoh")):
        results = copy.deepcopy(base)
        results["organisation"] = {"code": f"3{number}.01", "name": name, "level": "kabupaten"}
        results["summary"]["score"] = 35.0 + number * 25
        results["recommendation"]["costs"]["current_annual_idr"] = 2_283_456_789_012
        results["recommendation"]["costs"]["annual_savings_idr"] = 1_283_456_789_012
        folder = root / f"bundle-{number}"
        shutil.copytree(example_bundle, folder)
        (folder / "results.json").write_text(json.dumps(results, ensure_ascii=False))
        sign_bundle(folder, Ed25519PrivateKey.generate())
        bundles.append(folder)
    review(bundles, root / "review", "id", workers=1)
    found["review-index"] = root / "review" / "index.html"
    for org in sorted((root / "review" / "org").glob("*.html"))[:2]:
        found[f"review-org-{org.stem}"] = org
    return found


@pytest.fixture(scope="module")
def browser() -> Browser:
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium")
    with Browser() as b:
        yield b  # type: ignore[misc]


PAGES = ["report-fixed-id", "report-fixed-en", "report-large", "report-example", "report-hostile",
         "review-index", "review-org"]


@pytest.mark.browser
@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("page", PAGES)
def test_nothing_scrolls_sideways(browser: Browser, pages: dict[str, Path], page: str,
                                  device: str) -> None:
    """At 390, 360 and 1366 px the page is as wide as the screen; tables scroll alone."""
    names = [n for n in pages if n == page or n.startswith(page + "-")]
    assert names, f"no page {page}"
    for name in names:
        shot = ARTIFACTS / f"{name}-{device}.png"
        metrics = DEVICES[device]
        load = browser.load(pages[name], screenshot=shot, full_page=True, probe=CHART_FONTS,
                            width=int(metrics["width"]), height=int(metrics["height"]),
                            mobile=bool(metrics["mobile"]))
        assert load.console_errors == [] and load.outside_requests == []
        if metrics["mobile"]:
            assert load.viewport_width == metrics["width"]
        assert load.scroll_width == load.viewport_width, (
            f"{name} scrolls sideways at {device} width: {load.scroll_width} px of content "
            f"in a {load.viewport_width} px viewport")
        assert shot.stat().st_size > 5_000
        small = [(text, round(px, 1)) for text, px in load.probe["sizes"] if px < 11.9]
        assert small == [], f"{name}: chart text under 12 px on the {device}: {small[:5]}"
        for figure, one_line, inside in load.probe["figures"]:
            assert one_line and inside, f"{name}: card figure {figure!r} wraps or spills"


@pytest.mark.browser
def test_the_harness_notices_a_page_that_scrolls_sideways(browser: Browser,
                                                          tmp_path: Path) -> None:
    """A negative control: a fixed 520 px chart and a wide bare table are caught on a phone."""
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><meta name="viewport" content="width=device-width">'
                    '<svg width="520" height="20"><text font-size="10" y="15">x</text></svg>'
                    "<table><tr>" + "<td>Rp&nbsp;2.283&nbsp;jt</td>" * 8 + "</tr></table>"
                    '<div class="cards"><div class="card"><b>Rp 2.283 jt</b></div></div>',
                    encoding="utf-8")
    load = browser.load(page, probe=CHART_FONTS, **PHONE)  # type: ignore[arg-type]
    assert load.viewport_width == 390 and load.scroll_width > 500


@pytest.mark.browser
def test_phone_pages_have_charts_and_money_figures(browser: Browser,
                                                    pages: dict[str, Path]) -> None:
    """The probe really met charts and "Rp … jt" cards (a guard for the test above)."""
    load = browser.load(pages["report-large"], probe=CHART_FONTS, **PHONE)  # type: ignore[arg-type]
    assert len(load.probe["sizes"]) > 30
    assert any(re.fullmatch(r"Rp [\d.]+ jt", f) for f, _, _ in load.probe["figures"])
    index = browser.load(pages["review-index"], probe=CHART_FONTS, **PHONE)  # type: ignore[arg-type]
    assert any(f.startswith("Rp 6.850.370.367.036") for f, _, _ in index.probe["figures"])


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


def _font_sizes(html: str) -> list[float]:
    """Every font size an SVG in the page is given: attributes and the stylesheet's svg rules."""
    sizes = [float(v) for svg in _svgs(html) for v in re.findall(r'font-size="([\d.]+)', svg)]
    style = "".join(re.findall(r"<style>(.*?)</style>", html, flags=re.S))
    for rule in re.findall(r"([^{}]*svg[^{}]*)\{([^}]*)\}", style):
        sizes += [float(v) for v in re.findall(r"font(?:-size)?:\s*([\d.]+)px", rule[1])]
    return sizes


@pytest.mark.parametrize("lang", ["id", "en"])
def test_chart_labels_are_at_least_12px(lang: str, pages: dict[str, Path]) -> None:
    for html in (render_html(fixed(), lang).decode(), render_html(_big_results(), lang).decode(),
                 pages["review-index"].read_text()):
        sizes = _font_sizes(html)
        assert sizes and min(sizes) >= 12, sorted(sizes)[:5]


def test_single_site_chart_shows_the_threshold_and_says_its_numbers() -> None:
    results = fixed()
    results["sites"] = results["sites"][:1]
    results["sites"][0] |= {"score": 61.5, "facility_score": 47.9, "verdict": "migrate"}
    for lang, words in (("id", ("batas migrasi 50", "skor fasilitas 47,9", "Skor 61,5")),
                        ("en", ("migrate threshold 50", "facility score 47.9", "Score 61.5"))):
        html = render_html(results, lang).decode()
        chart = _svgs(html)[0]
        assert 'role="img"' in chart and 'width="100%"' in chart and "viewBox" in chart
        line = re.search(r'<line class="threshold" x1="([\d.]+)" x2="([\d.]+)"', chart)
        assert line and line.group(1) == line.group(2)
        start = float(re.search(r'<rect class="bar [^"]*" x="([\d.]+)"', chart).group(1))
        full = float(re.findall(r'<line class="axis" x1="([\d.]+)"', chart)[-1])
        assert float(line.group(1)) == pytest.approx(start + (full - start) * 0.5)
        title = re.search(r"<title id=\"chart-scores-title\">(.*?)</title>", chart, re.S)
        assert title and 'aria-labelledby="chart-scores-title"' in chart
        assert all(w in title.group(1) for w in words[1:]), title.group(1)
        assert re.search(r"\b50\b", title.group(1))  # the threshold, said in words
        assert words[0] in chart  # the line is labelled on the chart itself


def test_every_chart_has_a_text_alternative_with_its_values(pages: dict[str, Path]) -> None:
    html = render_html(fixed(), "en").decode()
    charts = _svgs(html)
    assert len(charts) == 4  # scores, domains, costs, dependency graph
    for svg in charts:
        assert 'role="img"' in svg
        label = re.search(r'aria-label="([^"]+)"|<title id="[^"]+">([^<]+)</title>', svg)
        assert label and re.search(r"\d", label.group(0)), svg[:200]
    assert re.search(r"Before IDR [\d,]+ M; After IDR [\d,]+ M", html)
    assert re.search(r"Failed controls by domain and severity: data \d+ \(critical \d+", html)
    index = pages["review-index"].read_text()
    titles = re.findall(r'<title id="chart-by_\w+">([^<]+)</title>', index)
    assert len(titles) == 3
    assert titles[0].startswith("Organisasi menurut putusan: patuh ")
    assert re.search(r"migrasi \d", titles[0])


def test_the_threshold_is_the_national_specs_migrate_rule() -> None:
    """The chart states the spec's default because results.json does not carry the rules."""
    spec = yaml.safe_load((REPO / "specs" / "national.yaml").read_text())
    rules = [r for r in spec["policy"]["verdict_rules"]
             if r["verdict"] == "migrate" and "score_below" in r.get("when", {})]
    assert [r["when"]["score_below"] for r in rules] == [MIGRATE_BELOW]
