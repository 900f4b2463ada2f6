"""The national view as a static, self-contained HTML site (Jinja2, autoescape, no network)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from auditor.bundle.folder import atomic_write_text
from auditor.messages import has, say
from auditor.messages.review import PROBLEM_PHRASES_ID
from auditor.numbers import fixed, rupiah
from auditor.review.load import ACCEPTED, IDENTICAL, URGENCIES, VERDICTS, BundleReport
from auditor.review.store import Comparison, writing

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.setAttribute("role", "button"); th.tabIndex = 0;
    function sort() {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      function key(row) {
        var cell = row.cells[col], v = cell.getAttribute("data-sort");
        if (v === null) { v = cell.textContent.trim(); }
        var n = parseFloat(v);
        return (v !== "" && !isNaN(n) && isFinite(v)) ? n : v.toLowerCase();
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (typeof x !== typeof y) { x = String(x); y = String(y); }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});
""".strip()

COLOURS = {"compliant": "#1e7b34", "incomplete": "#3949ab", "remediate": "#8a6d00",
           "migrate": "#b3261e",
           "critical": "#7f0000", "high": "#b3261e", "medium": "#8a6d00", "low": "#1e7b34",
           "none": "#9aa0a6"}


CHART_W = 320
"""The viewBox width of a chart: it scales to its box, about one unit per pixel on a phone."""
ROW_H = 36
"""One chart row: its label (13 units) above its bar."""


@dataclass(frozen=True)
class Bar:
    """One bar of an inline SVG chart, with its geometry already computed."""

    label: str
    value: int
    x: int
    width: int
    colour: str
    y: int = 0


def slug(index: int, code: str) -> str:
    """A file-name-safe, unique id for an organisation page."""
    return f"{index:04d}-{re.sub(r'[^0-9A-Za-z.-]', '_', code)[:40]}"


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def bars(counts: Sequence[tuple[str, int, str]], width: int = 250) -> list[Bar]:
    """Horizontal bars scaled to the largest value, one row each, label above the bar."""
    top = max((value for _, value, _ in counts), default=0) or 1
    return [Bar(label, value, 4, round(width * value / top), colour, 4 + i * ROW_H)
            for i, (label, value, colour) in enumerate(counts)]


def write_page(path: Path, text: str) -> None:
    """Write a page whole (temp file + rename) without fsync: pages are cheap to rebuild.

    A file-system fault raises InputError naming the page, and leaves no temp file.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            raise


def problem_text(problem: str, lang: str) -> str:
    """One problem line of a rejected bundle in ``lang`` (paths and keys kept as they are)."""
    if lang != "id":
        return problem
    kind, sep, rest = problem.partition(": ")
    if sep and has(f"review.problem_{kind}"):
        problem = f"{say(f'review.problem_{kind}', lang)}: {rest}"
    for english, indonesian in PROBLEM_PHRASES_ID:
        problem = problem.replace(english, indonesian)
    return problem


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor.review", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["idr"] = lambda v: "—" if v is None else rupiah(v, lang)
    env.filters["problem"] = lambda v: problem_text(str(v), lang)
    env.filters["score"] = lambda v: "—" if v is None else fixed(v, lang)
    env.filters["signed"] = lambda v: "—" if v is None else ("+" if v >= 0 else "") + fixed(
        v, lang)
    return env


def stale_lines(report: BundleReport, lang: str) -> list[str]:
    """The stale reports of a bundle in ``lang``: one sentence per reason, naming the files."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for stale in report.stale:
        if stale.spec_changed:
            made, now = stale.labels()
            key = "review.stale_spec"
        else:
            made, now = stale.made.generated_at or "?", stale.now.generated_at or "?"
            key = "review.stale_results"
        groups.setdefault((key, made, now), []).append(stale.file)
    return [say(key if len(files) == 1 else f"{key}_many", lang, file=", ".join(files),
                made=made, now=now)
            for (key, made, now), files in groups.items()]


def _reports(report: BundleReport, slug_: str, lang: str) -> list[dict[str, str]]:
    """Links to the copied reports, the one in the site's language first."""
    links = [{"href": f"{slug_}/{name}", "lang": code,
              "label": say(f"review.lang_{code}", lang) if code else ""}
             for name, code in report.report_files]
    return sorted(links, key=lambda link: link["lang"] != lang)


def _row(slug_: str, report: BundleReport, comparison: Comparison | None,
         lang: str = "id") -> dict[str, Any]:
    s = report.summary
    assert s is not None, "only accepted bundles have rows"
    change = comparison.changes.get(s.code) if comparison else None
    delta = None
    if change and change.previous_score is not None and s.score is not None:
        delta = s.score - change.previous_score
    return {"slug": slug_, "s": s, "trust": str(report.trust), "has_report": report.has_report,
            "reports": _reports(report, slug_, lang), "stale": stale_lines(report, lang),
            "fingerprint": report.fingerprint or "", "change": change, "delta": delta,
            "is_new": comparison is not None and change is None}


def rejection(report: BundleReport, lang: str) -> dict[str, Any]:
    """A rejected bundle for the table: its badge and its reason in ``lang``, then details."""
    trust = str(report.trust)
    if report.duplicate:
        label = say("review.trust_identical" if report.duplicate == IDENTICAL
                    else "review.trust_duplicate", lang)
        why = say(f"review.why_duplicate_{report.duplicate}", lang)
    else:
        label = say(f"review.trust_{trust}", lang)
        why = say(f"review.why_{trust}" if has(f"review.why_{trust}") else "review.why_other",
                  lang)
    return {"r": report, "trust": trust, "label": label, "why": why}


def render_site(output: Path, entries: Sequence[tuple[int, BundleReport]], lang: str,
                generated_at: str, comparison: Comparison | None,
                trusted_keys: bool, history: dict[str, Any] | None = None) -> Path:
    """Write DIR/index.html and DIR/org/SLUG.html; returns the index path.

    ``history``: the trend and capacity charts of a history store (auditor.history.charts).
    """
    env = _environment(lang)

    def t(key: str) -> str:
        return say(f"review.{key}", lang)

    accepted = [(i, r) for i, r in entries if r.trust in ACCEPTED and r.summary is not None]
    rejected = [rejection(r, lang) for _, r in entries if r.trust not in ACCEPTED]
    rows = [_row(slug(i, r.summary.code), r, comparison, lang)
            for i, r in accepted if r.summary is not None]
    summaries = [row["s"] for row in rows]
    scores = [s.score for s in summaries if s.score is not None]
    totals = {
        "orgs": len(rows),
        "hosts": sum(s.hosts for s in summaries),
        "hosts_scanned": sum(s.hosts_scanned for s in summaries),
        "eol_hosts": sum(s.eol_hosts for s in summaries),
        "sites": sum(s.sites for s in summaries),
        "site_verdicts": {v: sum(s.site_verdicts[v] for s in summaries) for v in VERDICTS},
        "sites_to_migrate": sum(s.sites_to_migrate for s in summaries),
        "savings": sum(s.savings_idr for s in summaries if s.savings_idr is not None),
        "current": sum(s.current_annual_idr for s in summaries
                       if s.current_annual_idr is not None),
        "mean_score": sum(scores) / len(scores) if scores else None,
    }
    verdicts = Counter(s.verdict or "none" for s in summaries)
    urgencies = Counter(s.urgency or "none" for s in summaries)
    buckets = Counter(min(int(score // 10), 9) for score in scores)
    charts = {
        "by_verdict": bars([(t(f"verdict_{v}"), verdicts[v], COLOURS[v]) for v in VERDICTS]),
        "by_urgency": bars([(t(f"urgency_{u}"), urgencies[u], COLOURS[u])
                            for u in reversed(URGENCIES)]),
        "by_score": bars([(f"{b * 10}–{b * 10 + 10}", buckets[b], "#1a73e8")
                          for b in range(10)]),
    }
    common = {"lang": lang, "t": t, "generated_at": generated_at,
              "csp_script": script_hash(SORT_SCRIPT)}
    improved = sorted((r for r in rows if r["change"] and (r["change"].fixed > r["change"]
                       .new_failures or (r["delta"] or 0) > 0)),
                      key=lambda r: -(r["delta"] or 0))
    regressed = sorted((r for r in rows if r["change"] and (r["change"].new_failures > r["change"]
                        .fixed or (r["delta"] or 0) < 0)),
                       key=lambda r: r["delta"] or 0)
    page = env.get_template("org.html.j2")
    for row in rows:
        write_page(output / "org" / f"{row['slug']}.html", page.render(**common, row=row))
    index = output / "index.html"
    with writing(index):  # last: the way into the site appears when the pages are there
        atomic_write_text(index, env.get_template("index.html.j2").render(
            **common, rows=rows, totals=totals, charts=charts, rejected=rejected,
            comparison=comparison, improved=improved, regressed=regressed,
            trusted_keys=trusted_keys, bundles_read=len(entries), script=SORT_SCRIPT,
            history=history, chart_w=CHART_W))
    return index
