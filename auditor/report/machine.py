"""Reports for programs: findings as CSV, JUnit XML for CI dashboards, and results.json itself."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from auditor.report import CSV_SEPARATORS, RenderOptions
from auditor.report.view import BundleExtras, build_view

CSV_COLUMNS = ("subject_kind", "subject_id", "site", "control", "title", "severity", "status",
               "evidence", "frameworks")
"""``frameworks`` is ``spbe:29;iso27001:A.5.35,A.8.13`` (the control's framework ids)."""
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet read a cell as a formula (and the full-width forms, for safety)."""
_BLANK = " \t\r\n\""
"""What a spreadsheet may skip before a formula: spaces, line breaks, an opening quote."""
_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n])(?=[ \t\r\n\"]*[=+\-@\uff1d\uff0b\uff0d\uff20])")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_QUOTE_IF = re.compile(r'[,;\t\r\n"]')


def csv_cell(value: str) -> str:
    """A cell every spreadsheet shows as text, whichever list separator it splits on.

    A quote goes before the cell when it (past blanks and quotes) starts a formula or starts
    with a tab or carriage return, and after every ``,`` ``;`` tab or line break that a formula
    follows: a spreadsheet reading with ``;`` (Indonesian Excel) starts a cell there. A plain
    number such as ``-5`` stays a number.
    """
    if _NUMBER.fullmatch(value):
        return value
    if value.startswith(("\t", "\r")) or value.lstrip(_BLANK).startswith(_FORMULA):
        value = "'" + value
    return _AFTER_SEPARATOR.sub(r"\1'", value)


def csv_row(cells: Iterable[str], separator: str = ",") -> str:
    """One CSV line without its line end: guarded cells, quoted when they hold a separator.

    A cell that holds ``,`` ``;`` a tab, a line break or a quote goes in quotes, whatever the
    file's own separator (csv.QUOTE_MINIMAL would leave a ``;`` bare).
    """
    if separator not in CSV_SEPARATORS:
        raise ValueError(f"CSV separator must be one of {' '.join(CSV_SEPARATORS)}")
    out = []
    for cell in cells:
        safe = csv_cell(cell)
        out.append('"' + safe.replace('"', '""') + '"' if _QUOTE_IF.search(safe) else safe)
    return separator.join(out)


def xml_text(value: str) -> str:
    """Text XML 1.0 can hold: control characters become U+FFFD."""
    return _XML_INVALID.sub("\ufffd", value)


def subjects(view: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every site, host and service of a report view, each site before its hosts and services."""
    for site in view["sites"]:
        yield site
        yield from site["hosts"]
        yield from site["services"]
    yield from view["unplaced"]


CSV_BOM = "\ufeff"
"""UTF-8 byte order mark: Excel reads a CSV file without one in the machine's legacy code page
(Windows-1252 in Indonesia), which garbles every non-ASCII name."""


def render_csv(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
               options: RenderOptions | None = None) -> bytes:
    """One row per finding, after a UTF-8 BOM; column names fixed for programs, titles in ``lang``.

    The separator is ``options.csv_separator`` (``,`` by default, ``;`` for Excel set to
    Indonesian); cells are guarded and quoted the same way whichever is used.
    """
    sep = options.csv_separator if options else ","
    view = build_view(results, lang, extras)
    lines = [csv_row(CSV_COLUMNS, sep)]
    for subject in subjects(view):
        site = subject["id"] if subject["kind"] == "site" else (subject["site"] or "")
        for f in subject["findings"]:
            lines.append(csv_row([subject["kind"], subject["id"], str(site), f["control"],
                                  f["title"], f["severity"], f["status"], f["evidence"],
                                  f["framework_ids"]], sep))
    return (CSV_BOM + "".join(line + "\r\n" for line in lines)).encode("utf-8")


def _testcase(suite: ET.Element, subject: Mapping[str, Any], finding: Mapping[str, Any]) -> str:
    case = ET.SubElement(suite, "testcase", {
        "name": xml_text(f"{finding['control']}: {finding['title']}"),
        "classname": xml_text(f"{subject['kind']}.{subject['id']}"), "time": "0"})
    status = finding["status"]
    detail = xml_text(finding["evidence"])
    if status == "fail":
        node = ET.SubElement(case, "failure", {"type": finding["severity"],
                                               "message": xml_text(finding["title"])})
        node.text = detail + ("\n\n" + xml_text(finding["remediation"])
                              if finding["remediation"] else "")
        return "failures"
    if status in ("unknown", "error"):
        node = ET.SubElement(case, "error", {"type": status, "message": detail[:500]})
        node.text = detail
        return "errors"
    if status in ("waived", "not_applicable"):
        ET.SubElement(case, "skipped", {"message": xml_text(f"{status}: {detail}")[:500]})
        return "skipped"
    return "passed"


def render_junit(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
                 options: RenderOptions | None = None) -> bytes:
    """A testsuite per site, host and service; a testcase per control.

    fail -> <failure>; unknown and error -> <error> (absence of evidence is not a pass, so a
    CI job must not go green on it); waived and not_applicable -> <skipped>. A subject that
    could not be scanned also gets a ``scan`` testcase with an <error> saying why.
    """
    view = build_view(results, lang, extras)
    stamp = view["generated_at"].removesuffix("Z")[:19]
    root = ET.Element("testsuites", {"name": "auditor"})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for number, subject in enumerate(subjects(view)):
        counts = dict.fromkeys(("tests", "failures", "errors", "skipped", "passed"), 0)
        attrs = {"name": xml_text(f"{subject['kind']}:{subject['id']}"), "id": str(number),
                 "package": xml_text(str(subject["site"] or subject["id"]))}
        if stamp:
            attrs["timestamp"] = xml_text(stamp)
        suite = ET.SubElement(root, "testsuite", attrs)
        props = ET.SubElement(suite, "properties")
        for name, value in (("kind", subject["kind"]), ("status", subject["status"]),
                            ("score", "" if subject["score"] is None else f"{subject['score']:g}")):
            ET.SubElement(props, "property", {"name": name, "value": xml_text(value)})
        if subject["kind"] != "site" and subject["status"] != "ok":
            case = ET.SubElement(suite, "testcase", {
                "name": "scan", "classname": xml_text(f"{subject['kind']}.{subject['id']}"),
                "time": "0"})
            node = ET.SubElement(case, "error", {"type": subject["status"],
                                                 "message": xml_text(subject["reason"])[:500]})
            node.text = xml_text(subject["reason"])
            counts["tests"] += 1
            counts["errors"] += 1
        for f in subject["findings"]:
            counts[_testcase(suite, subject, f)] += 1
            counts["tests"] += 1
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        suite.set("time", "0")
    for key in ("tests", "failures", "errors"):  # the JUnit schema has no "skipped" up here
        root.set(key, str(totals[key]))
    root.set("time", "0")
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def render_json(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
                options: RenderOptions | None = None) -> bytes:
    """results.json itself."""
    return (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
