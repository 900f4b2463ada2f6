"""The report's view of results.json: every field defaulted, sorted and counted once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.bundle.results import Results, number
from auditor.messages import has, say
from auditor.numbers import number as number_in
from auditor.report.costs import cost_view
from auditor.report.evidence import evidence_text, reason_text
from auditor.report.values import as_dict, as_list, text_of

STATUS_ORDER = {"fail": 0, "error": 1, "unknown": 2, "waived": 3, "pass": 4, "not_applicable": 5}
SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
STATUSES = ("fail", "error", "unknown", "waived", "pass", "not_applicable")
URGENCIES = ("critical", "high", "medium", "low")
VERDICTS = ("compliant", "incomplete", "remediate", "migrate")
MAX_NAMED_CONTROLS = 20
"""Control ids named beside a verdict reason, at most."""
SUBJECT_STATUSES = ("ok", "unreachable", "auth_failed", "hostkey_mismatch", "timeout", "error")
COMPACT_FROM_HOSTS = 200
"""From this many hosts on, findings show remediation once per control, not per row."""


@dataclass(frozen=True)
class Evidence:
    """One hashed file the audit relied on (questionnaire evidence or a probe output)."""

    subject: str
    label: str
    path: str
    sha256: str
    size: int | None


@dataclass(frozen=True)
class BundleExtras:
    """What the report reads from the bundle besides results.json."""

    evidence: tuple[Evidence, ...] = field(default_factory=tuple)


def _known(value: Any, allowed: Sequence[str], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


def _control_ids(raw: Any) -> list[str]:
    return [str(c) for c in as_list(raw)[:MAX_NAMED_CONTROLS]]


def _also(raw: Any, lang: str) -> list[dict[str, Any]]:
    """Reasons given beside the verdict (rules marked always_report that also matched)."""
    return [{"verdict": _known(as_dict(a).get("verdict"), VERDICTS, "remediate"),
             "reason": text_of(as_dict(a).get("reason"), lang),
             "controls": _control_ids(as_dict(a).get("controls"))} for a in as_list(raw)[:10]]


def _stratum(raw: Any) -> str:
    return ("I", "II", "III", "IV")[raw - 1] if isinstance(raw, int) and 1 <= raw <= 4 else ""


def frameworks_text(raw: Any, lang: str) -> str:
    """A control's framework ids in one line: ``Indikator SPBE 29 · ISO/IEC 27001:2022 A.5.35``."""
    parts = []
    for name, ids in as_dict(raw).items():
        key = f"framework_{name}"
        label = say(f"report.{key}", lang) if has(f"report.{key}") else str(name)
        shown = ", ".join(str(i) for i in as_list(ids))
        if shown:
            parts.append(f"{label} {shown}")
    return " · ".join(parts)


def _finding(raw: Any, controls: Mapping[str, Mapping[str, Any]], lang: str) -> dict[str, Any]:
    f = as_dict(raw)
    control_id = str(f.get("control", "?"))
    control = controls.get(control_id, {})
    return {
        "control": control_id,
        "title": text_of(control.get("title"), lang) or control_id,
        "remediation": text_of(control.get("remediation"), lang),
        "status": _known(f.get("status"), STATUSES, "unknown"),
        "severity": _known(f.get("severity") or control.get("severity"), SEVERITIES, "medium"),
        "domain": str(f.get("domain") or control.get("domain") or "other"),
        "evidence": "" if f.get("evidence") is None else evidence_text(str(f.get("evidence")),
                                                                         lang),
        "frameworks": frameworks_text(control.get("frameworks"), lang),
        "framework_ids": ";".join(
            f"{name}:{','.join(str(i) for i in as_list(ids))}"
            for name, ids in as_dict(control.get("frameworks")).items() if as_list(ids)),
    }


def sort_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed first, then errors and unknown; within each, most severe first."""
    return sorted(findings, key=lambda f: (STATUS_ORDER.get(f["status"], 9),
                                           SEVERITY_ORDER.get(f["severity"], 9), f["control"]))


def _groups(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    ordered = sort_findings(findings)
    return {
        "failed": [f for f in ordered if f["status"] == "fail"],
        "unknown": [f for f in ordered if f["status"] in ("unknown", "error")],
        "waived": [f for f in ordered if f["status"] == "waived"],
        "passed": [f for f in ordered if f["status"] == "pass"],
        "not_applicable": [f for f in ordered if f["status"] == "not_applicable"],
    }


def _subject(kind: str, raw: Any, controls: Mapping[str, Mapping[str, Any]],
             lang: str) -> dict[str, Any]:
    s = as_dict(raw)
    findings = [_finding(f, controls, lang) for f in as_list(s.get("findings"))]
    groups = _groups(findings)
    return {
        "kind": kind, "id": str(s.get("id", "?")), "site": s.get("site"),
        "name": str(s.get("name") or s.get("id") or "?"),
        "url": str(s.get("url") or ""),
        "status": _known(s.get("status"), SUBJECT_STATUSES, "error"),
        "reason": "" if s.get("reason") is None else reason_text(str(s.get("reason")), lang),
        "score": number(s.get("score")),
        "findings": findings, "groups": groups,
        "n_fail": len(groups["failed"]), "n_unknown": len(groups["unknown"]),
    }


def _site_entry(section: Mapping[str, Any], site_id: str, key: str,
                other: str) -> Mapping[str, Any]:
    """The entry of ``section["sites"]`` whose ``key`` (or else ``other``) is ``site_id``."""
    for item in as_list(section.get("sites")):
        item = as_dict(item)
        if item.get(key, item.get(other)) == site_id:
            return item
    return {}


def _confidence(target: Mapping[str, Any], sizing: Mapping[str, Any], lang: str) -> str | None:
    """``high``/``medium``/``low`` in words, or a 1-5 score shown as ``n/5``."""
    for value in (sizing.get("confidence"), target.get("confidence")):
        if value in ("high", "medium", "low"):
            return say(f"report.confidence_{value}", lang)
        score = number(value)
        if score is not None:
            return f"{score:g}/5"
    return None


def _plan_host(raw: Any, lang: str) -> dict[str, Any]:
    p = as_dict(raw)
    target = as_dict(p.get("target"))
    sizing = as_dict(p.get("sizing"))
    size = None
    if all(number(target.get(k)) is not None for k in ("vcpu", "memory_gb", "disk_gb")):
        size = say("report.size_value", lang,
                         **{k: number_in(number(target[f]) or 0.0, lang, 1) for k, f in (
                             ("vcpu", "vcpu"), ("memory", "memory_gb"), ("disk", "disk_gb"))})
    offering = str(target.get("offering") or "")
    name = text_of(target.get("offering_name"), lang)
    return {
        "id": str(p.get("id", "?")),
        "site": str(p.get("site") or ""),
        "strategy": _known(p.get("strategy"), ("rehost", "replatform", "repurchase", "retire",
                                               "retain"),
                           "none"),
        "reason": text_of(p.get("reason"), lang),
        "offering": f"{name} ({offering})" if name and offering else (name or offering),
        "flavour": str(target.get("flavour") or ""),
        "sizing": text_of(sizing.get("basis"), lang) or text_of(
            sizing.get("method") or target.get("sizing"), lang),
        "confidence": _confidence(target, sizing, lang),
        "size": size,
        "blockers": [text_of(b, lang) or str(as_dict(b).get("code", "")) for b in
                     as_list(p.get("blockers"))],
    }


def _waves(raw: Any) -> list[list[str]]:
    waves = []
    for wave in as_list(raw):
        members = as_list(wave.get("hosts") if isinstance(wave, Mapping) else wave)
        waves.append([str(h) for h in members])
    return waves


def _wave_reasons(raw: Any, lang: str) -> dict[int, list[str]]:
    """Why each wave holds what it holds, by wave number."""
    reasons: dict[int, list[str]] = {}
    for detail in as_list(raw):
        detail = as_dict(detail)
        wave_no = detail.get("number")
        if isinstance(wave_no, int):
            reasons[wave_no] = [text_of(r, lang) for r in as_list(detail.get("reasons"))]
    return reasons


def _dep_source(source: str, lang: str) -> str:
    """``connections``, ``application:NAME`` or ``service:ID`` in the report's words."""
    kind, sep, name = source.partition(":")
    key = f"depsource_{kind}"
    if not has(f"report.{key}"):
        return source
    return say(f"report.{key}", lang) + (f": {name}" if sep else "")


def _dependencies(raw: Any, lang: str) -> list[dict[str, str]]:
    deps = []
    for d in as_list(raw):
        d = as_dict(d)
        if "from" in d and "to" in d:
            deps.append({"from": str(d["from"]), "to": str(d["to"]),
                         "port": "" if d.get("port") is None else str(d.get("port")),
                         "source": _dep_source(text_of(d.get("source"), "en"), lang)})
    return deps


def _failing_controls(subjects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each control that failed or could not be checked somewhere, with how often."""
    table: dict[str, dict[str, Any]] = {}
    for s in subjects:
        for key, group in (("count", "failed"), ("unknown_count", "unknown")):
            for f in s["groups"][group]:
                entry = table.setdefault(f["control"], {**f, "count": 0, "unknown_count": 0})
                entry[key] += 1
    return sorted(table.values(), key=lambda c: (c["count"] == 0,
                                                 SEVERITY_ORDER.get(c["severity"], 9),
                                                 -c["count"], c["control"]))


def _overlay(overlay: Any, lang: str) -> str:
    """The tailoring overlay's identity as one line (id, file, title, issuer, hash)."""
    if not overlay:
        return ""
    if not isinstance(overlay, Mapping):
        return text_of(overlay, lang)
    return ", ".join(f"{k}: {text_of(v, lang)}" for k, v in overlay.items() if text_of(v, lang))


def _site_view(raw: Mapping[str, Any], plan: Mapping[str, Any], rec: Mapping[str, Any],
               cost: dict[str, Any], here: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """What the report shows of one site beyond its findings: verdict, plan, hosts."""
    site_hosts = sorted((h for h in here if h["kind"] == "host"),
                        key=lambda h: (h["status"] == "ok", h["score"] or 0, h["id"]))
    return {
        "verdict": _known(raw.get("verdict"), VERDICTS, "remediate"),
        "reason": text_of(raw.get("verdict_reason"), lang),
        "reason_controls": _control_ids(raw.get("verdict_controls")),
        "also": _also(raw.get("verdict_also"), lang),
        "facility_score": number(raw.get("facility_score")),
        "stratum": _stratum(raw.get("target_stratum")),
        "answered": raw.get("answered", True) is not False,
        "urgency": _known(plan.get("urgency"), URGENCIES, _known(rec.get("urgency"), URGENCIES,
                                                                  "")),
        "urgency_reasons": [text_of(r, lang) for r in as_list(plan.get("reasons"))],
        "closure_risk": plan.get("closure_risk", rec.get("closure_risk")),
        "cost": cost,
        "hosts": site_hosts,
        "services": [s for s in here if s["kind"] == "service"],
    }


def _sites(results: Results, subjects: list[dict[str, Any]],
           controls: Mapping[str, Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Each site with its findings, verdict, plan, cost, hosts and services."""
    rec, costs = results.recommendation, results.costs
    by_site: dict[Any, list[dict[str, Any]]] = {}
    for subject in subjects:
        by_site.setdefault(subject["site"], []).append(subject)
    sites = []
    for raw in results.sites:
        site = _subject("site", raw, controls, lang)
        plan = _site_entry(rec, site["id"], "id", "site")
        cost = cost_view(_site_entry(costs, site["id"], "site", "id"), lang)
        site |= _site_view(raw, plan, rec, cost, by_site.get(site["id"], []), lang)
        sites.append(site)
    return sites


def _summary(results: Results, hosts: list[dict[str, Any]],
             subjects: list[dict[str, Any]]) -> dict[str, Any]:
    """The verdict, score and the findings counted by status and by severity."""
    summary = results.summary
    all_findings = [f for s in subjects for f in s["findings"]]
    return {
        "verdict": _known(summary.get("verdict"), VERDICTS, "remediate"),
        "score": number(summary.get("score")),
        "hosts": len(hosts), "hosts_scanned": sum(h["status"] == "ok" for h in hosts),
        "by_status": {st: sum(f["status"] == st for f in all_findings) for st in STATUSES},
        "failed_by_severity": {sev: sum(f["status"] == "fail" and f["severity"] == sev
                                        for f in all_findings) for sev in SEVERITIES},
    }


def _recommendation(results: Results, hosts: list[dict[str, Any]],
                    lang: str) -> dict[str, Any]:
    """The plan: urgency, reasons, waves, hosts, dependencies and costs."""
    rec = results.recommendation
    plan_hosts = [_plan_host(p, lang) for p in as_list(rec.get("hosts"))]
    site_of = {h["id"]: h["site"] for h in hosts}
    for p in plan_hosts:
        p["site"] = p["site"] or str(site_of.get(p["id"]) or "")
    return {
        "urgency": _known(rec.get("urgency"), URGENCIES, ""),
        "reasons": [text_of(r, lang) for r in
                    as_list(rec.get("urgency_reasons", rec.get("reasons")))],
        "closure_risk": rec.get("closure_risk"),
        "backup_gap": rec.get("backup_dr_gap") is True,
        "keep_backups": text_of(rec.get("keep_own_backups_reason"), lang),
        "note": text_of(rec.get("note"), lang),
        "catalogue": {k: text_of(as_dict(rec.get("catalogue")).get(k), lang)
                      for k in ("id", "version", "effective_date", "note")},
        "wave_reasons": _wave_reasons(rec.get("wave_details"), lang),
        "waves": _waves(rec.get("waves")),
        "hosts": plan_hosts,
        "dependencies": _dependencies(rec.get("dependencies"), lang),
        "costs": cost_view(results.costs, lang),
    }


def _identity(results: Results, lang: str) -> dict[str, Any]:
    """When, by which version, for which organisation and against which spec."""
    org, spec = results.organisation, results.spec
    return {
        "generated_at": str(results.data.get("generated_at") or ""),
        "evaluated_on": str(results.data.get("evaluated_on") or ""),
        "auditor_version": str(results.data.get("auditor_version") or ""),
        "org": {"name": str(org.get("name") or ""), "code": str(org.get("code") or ""),
                "level": _known(org.get("level"), ("provinsi", "kabupaten", "kota"), "")},
        "spec": {"id": str(spec.get("id") or ""), "version": str(spec.get("version") or ""),
                 "title": text_of(spec.get("title"), lang),
                 "effective_date": str(spec.get("effective_date") or ""),
                 "overlay": _overlay(spec.get("overlay"), lang)},
    }


def build_view(results: Mapping[str, Any], lang: str,
               extras: BundleExtras | None = None) -> dict[str, Any]:
    """The whole report as plain values; optional fields left out become defaults."""
    doc = Results(results)
    controls = {str(c.get("id")): c for c in doc.controls}
    hosts = [_subject("host", h, controls, lang) for h in doc.hosts]
    services = [_subject("service", s, controls, lang) for s in doc.services]
    sites = _sites(doc, [*hosts, *services], controls, lang)
    site_ids = {site["id"] for site in sites}
    return {
        "lang": lang,
        **_identity(doc, lang),
        "summary": _summary(doc, hosts, [*sites, *hosts, *services]),
        "sites": sites, "hosts": hosts, "services": services,
        "unplaced": [s for s in (*hosts, *services) if s["site"] not in site_ids],
        "rec": _recommendation(doc, hosts, lang),
        "failing_controls": _failing_controls([*sites, *hosts, *services]),
        "scan_errors": [s for s in (*hosts, *services) if s["status"] != "ok"],
        "evidence": list(extras.evidence) if extras else [],
        "compact": len(hosts) >= COMPACT_FROM_HOSTS,
    }
