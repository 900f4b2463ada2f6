"""SARIF 2.1.0 for code-scanning dashboards: a rule per control, a result per open finding."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from auditor import __version__
from auditor.report import RenderOptions
from auditor.report.machine import subjects
from auditor.report.values import as_dict, as_list, text_of
from auditor.report.view import BundleExtras, build_view

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
"""Control severity -> SARIF level of a failed finding."""
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
"""The CVSS-like number code-scanning dashboards sort by (``properties.security-severity``)."""
OPEN_STATUSES = ("fail", "unknown", "error")
"""Statuses that become results: a failure, and a control that could not be checked
(``kind: review``: absence of evidence is not a pass)."""
_FILES = {"host": "facts/{}.json", "service": "services/{}.json", "site": "facility/{}.yaml"}
"""Where in the bundle the evidence of a subject is, by its kind."""


def _rule(control: Mapping[str, Any], lang: str) -> dict[str, Any]:
    control_id = str(control.get("id") or "?")
    severity = str(control.get("severity") or "medium")
    title = text_of(control.get("title"), lang) or control_id
    remediation = text_of(control.get("remediation"), lang) or title
    tags = [str(control["domain"])] if control.get("domain") else []
    return {
        "id": control_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": title},
        "help": {"text": remediation},
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
        "properties": {"severity": severity, "tags": ["auditor", *tags],
                       "security-severity": SECURITY_SEVERITY.get(severity, "5.5")},
    }


def _result(subject: Mapping[str, Any], finding: Mapping[str, Any], index: int | None,
            site: str) -> dict[str, Any]:
    kind, subject_id = str(subject["kind"]), str(subject["id"])
    failed = finding["status"] == "fail"
    evidence = finding["evidence"] or finding["status"]
    identity = f"{kind}\x00{subject_id}\x00{finding['control']}".encode()
    result: dict[str, Any] = {
        "ruleId": finding["control"],
        "kind": "fail" if failed else "review",
        "level": LEVELS.get(finding["severity"], "warning") if failed else "none",
        "message": {"text": f"{kind} {subject_id}: {finding['title']}: {evidence}"},
        "locations": [{
            "physicalLocation": {"artifactLocation": {
                "uri": _FILES[kind].format(quote(subject_id, safe="")),
                "uriBaseId": "BUNDLE"}},
            "logicalLocations": [{"name": subject_id, "kind": kind,
                                  "fullyQualifiedName": f"{site}/{subject_id}"
                                  if kind != "site" else subject_id}]}],
        "partialFingerprints": {"auditorFinding/v1": hashlib.sha256(identity).hexdigest()},
        "properties": {"status": finding["status"], "severity": finding["severity"],
                       "subjectKind": kind, "subject": subject_id, "site": site},
    }
    if index is not None:
        result["ruleIndex"] = index
    return result


def render_sarif(results: Mapping[str, Any], lang: str, extras: BundleExtras | None = None,
                 options: RenderOptions | None = None) -> bytes:
    """One SARIF 2.1.0 log: the spec's controls as rules, each failed or unknown finding a result.

    Failed findings carry the control's severity as level (critical and high: error, medium:
    warning, low: note); unknown and error findings are ``kind: review`` with level none.
    Locations name the subject's evidence file in the bundle (``uriBaseId`` BUNDLE) and the
    subject itself as a logical location.
    """
    view = build_view(results, lang, extras)
    controls = [as_dict(c) for c in as_list(results.get("controls"))]
    rules = [_rule(c, lang) for c in controls]
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    found = []
    for subject in subjects(view):
        site = str(subject["id"] if subject["kind"] == "site" else subject["site"] or "")
        for finding in subject["findings"]:
            if finding["status"] in OPEN_STATUSES:
                found.append(_result(subject, finding, index.get(finding["control"]), site))
    spec = as_dict(results.get("spec"))
    org = as_dict(results.get("organisation"))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "auditor", "version": __version__,
                            "rules": rules}},
        "language": lang,
        "originalUriBaseIds": {"BUNDLE": {"description": {
            "text": "The audit bundle folder (where results.json is)."}}},
        "results": found,
        "properties": {"spec": {"id": str(spec.get("id") or ""),
                                "version": str(spec.get("version") or "")},
                       "organisation": {"code": str(org.get("code") or ""),
                                        "name": str(org.get("name") or "")},
                       "generatedAt": str(results.get("generated_at") or "")},
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return (json.dumps(log, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
