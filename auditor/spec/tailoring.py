"""Tailoring overlays: change severities and parameters, disable controls, grant waivers."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from auditor.bundle.schemas import load_checked
from auditor.bundle.yamlfile import LocatedDocument
from auditor.errors import InputError, Problem
from auditor.model import Severity, Waiver
from auditor.spec.lint import lint_spec
from auditor.spec.load import Control, Spec, load_spec


def _kind(value: Any) -> str:
    """The JSON kind of a parameter value: a number, text, yes/no, a list or a mapping."""
    if isinstance(value, bool):
        return "yes/no (true or false)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping"


def _check_param_types(doc: LocatedDocument, control: Control, params: dict[str, Any]) -> None:
    """An overlay's parameter keeps the kind of the specification's value (4 stays a number)."""
    problems = []
    for name, value in params.items():
        wanted = _kind(control.params[name])
        if _kind(value) != wanted:
            problems.append(Problem(
                doc.file, doc.line_of(("controls", control.id, "params", name)),
                f"controls.{control.id}.params.{name}",
                f"expected {wanted}, like the specification's {control.params[name]!r}; "
                f"got {value!r}"))
    if problems:
        raise InputError(f"{doc.file}: parameters of the wrong kind", problems)


def apply_overlay(spec: Spec, path: Path) -> Spec:
    """A new Spec with the overlay's changes; unknown control ids are located errors."""
    doc = load_checked(path, "overlay", "the overlay", "overlay, id, controls")
    data = doc.data
    target = data.get("spec")
    if target and (target["id"] != spec.id or target.get("version", spec.version) != spec.version):
        raise InputError("overlay written for another specification", [Problem(
            doc.file, doc.line_of(("spec",)), "spec",
            f"written for {target['id']} {target.get('version', '')}, but the specification "
            f"is {spec.id} {spec.version}")])
    known = {c.id: c for c in spec.controls}
    problems = []
    for control_id in data.get("controls") or {}:
        if control_id not in known:
            problems.append(Problem(doc.file, doc.line_of(("controls", control_id)),
                                    f"controls.{control_id}", "no such control in "
                                    f"{spec.id} {spec.version}"))
    for index, waiver in enumerate(data.get("waivers") or []):
        if waiver["control"] not in known:
            problems.append(Problem(doc.file, doc.line_of(("waivers", index, "control")),
                                    f"waivers[{index}].control",
                                    f"no such control '{waiver['control']}'"))
    if problems:
        raise InputError(f"{doc.file}: the overlay names unknown controls", problems)
    controls = []
    for control in spec.controls:
        change = (data.get("controls") or {}).get(control.id)
        if change:
            unknown_params = set(change.get("params") or {}) - set(control.params)
            if unknown_params:
                raise InputError("unknown parameter", [Problem(
                    doc.file, doc.line_of(("controls", control.id, "params")),
                    f"controls.{control.id}.params",
                    f"{', '.join(sorted(unknown_params))} not a parameter of {control.id} "
                    f"(its parameters: {', '.join(sorted(control.params)) or 'none'})")])
            _check_param_types(doc, control, change.get("params") or {})
            by_stratum = set(change.get("params") or {}) & {
                name for stratum in spec.policy.strata.values() for name in stratum.params}
            if by_stratum:
                raise InputError("parameter set by the target stratum", [Problem(
                    doc.file, doc.line_of(("controls", control.id, "params")),
                    f"controls.{control.id}.params",
                    f"{', '.join(sorted(by_stratum))} is set by the site's target stratum "
                    "(policy.strata): choose the stratum with sites[].target_stratum in the "
                    "inventory instead")])
            control = dataclasses.replace(
                control,
                severity=Severity(change.get("severity", control.severity)),
                params={**control.params, **(change.get("params") or {})},
                enabled=change.get("enabled", control.enabled),
                disabled_reason=change.get("justification") if change.get("enabled") is False
                else None)
        controls.append(control)
    waivers = tuple(
        Waiver(control=w["control"], justification=w["justification"], approver=w["approver"],
               expires=w["expires"],
               hosts=tuple(w["hosts"]) if "hosts" in w else None,
               sites=tuple(w["sites"]) if "sites" in w else None,
               services=tuple(w["services"]) if "services" in w else None,
               source=f"{doc.file}:{doc.line_of(('waivers', i)) or 0}")
        for i, w in enumerate(data.get("waivers") or []))
    identity = {"id": data["id"], "file": path.name, "title": data.get("title"),
                "issued_by": data.get("issued_by"),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return dataclasses.replace(spec, controls=tuple(controls), waivers=waivers,
                               overlay=identity)


def load_tailored_spec(spec_path: Path | None, overlay_path: Path | None) -> Spec:
    """The specification, with the overlay applied when one is given, both as lint wants them.

    Judging with a specification that ``auditor spec lint`` refuses would write results
    from rules nobody can defend: InputError with lint's messages instead.
    """
    spec = load_spec(spec_path)
    problems = lint_spec(spec)
    if problems:
        raise InputError(f"{spec.path}: the specification fails 'auditor spec lint' "
                         f"({len(problems)} problems); nothing was judged", problems)
    if overlay_path is None:
        return spec
    tailored = apply_overlay(spec, overlay_path)
    problems = lint_spec(tailored)
    if problems:
        raise InputError(f"{overlay_path}: with this overlay the specification fails "
                         f"'auditor spec lint' ({len(problems)} problems); nothing was judged",
                         problems)
    return tailored
