"""What check and audit print on a terminal: per-control tallies and the --fail-on decision."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.report.values import as_dict, as_list, text_of

SEVERITIES = ("low", "medium", "high", "critical")
"""Least to most severe: ``--fail-on high`` counts high and critical."""
OPEN = ("fail", "unknown", "error")
"""Statuses ``--fail-on`` counts: a failure, and a control that could not be checked (absence
of evidence is never a pass, as everywhere else in auditor)."""
MARKS = {"fail": ("✖", "X", "red"), "unknown": ("?", "?", "yellow"), "pass": ("✔", "v", "green"),
         "other": ("·", "-", None)}
"""Mark per outcome: (on a terminal that can show it, plain ASCII, colour)."""


def _findings(results: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("sites", "hosts", "services"):
        for subject in as_list(results.get(key)):
            yield from (as_dict(f) for f in as_list(as_dict(subject).get("findings")))


def _severity(finding: Mapping[str, Any], controls: Mapping[str, Mapping[str, Any]]) -> str:
    value = finding.get("severity") or controls.get(str(finding.get("control")), {}).get(
        "severity")
    return value if isinstance(value, str) and value in SEVERITIES else "medium"


def _controls(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(c.get("id")): c for c in map(as_dict, as_list(results.get("controls")))}


def open_at(results: Mapping[str, Any], threshold: str) -> int:
    """How many findings are failed, unknown or error with a severity at or above ``threshold``."""
    if threshold not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
    floor = SEVERITIES.index(threshold)
    controls = _controls(results)
    return sum(1 for f in _findings(results) if f.get("status") in OPEN
               and SEVERITIES.index(_severity(f, controls)) >= floor)


@dataclass(frozen=True)
class ControlTally:
    """One control's findings over every site, host and service, by status."""

    control: str
    title: str
    severity: str
    counts: dict[str, int]

    @property
    def outcome(self) -> str:
        """The control's mark: fail, else unknown, else pass, else other (waived or n/a)."""
        if self.counts.get("fail"):
            return "fail"
        if self.counts.get("unknown") or self.counts.get("error"):
            return "unknown"
        return "pass" if self.counts.get("pass") else "other"


ORDER = {"fail": 0, "unknown": 1, "pass": 2, "other": 3}


def tally_controls(results: Mapping[str, Any], lang: str = "en") -> list[ControlTally]:
    """Every control that has findings: failed, unknown, passed; most severe first in each."""
    controls = _controls(results)
    counts: dict[str, dict[str, int]] = {}
    severity: dict[str, str] = {}
    for finding in _findings(results):
        control = str(finding.get("control") or "?")
        status = str(finding.get("status") or "unknown")
        per = counts.setdefault(control, {})
        per[status] = per.get(status, 0) + 1
        severity.setdefault(control, _severity(finding, controls))
    tallies = [ControlTally(c, text_of(controls.get(c, {}).get("title"), lang) or c,
                            severity[c], per) for c, per in counts.items()]
    return sorted(tallies, key=lambda t: (ORDER[t.outcome], -SEVERITIES.index(t.severity),
                                          t.control))


def tally_line(tally: ControlTally, unicode: bool = True) -> tuple[str, str | None, str]:
    """(mark, colour of the mark, rest of the line) for one control on the terminal."""
    fancy, plain, colour = MARKS[tally.outcome]
    shown = [f"{status} {n}" for status in ("fail", "unknown", "error", "pass", "waived",
                                             "not_applicable") if (n := tally.counts.get(status))]
    rest = f"{tally.control:<28} {tally.severity:<8} {', '.join(shown):<28} {tally.title}"
    return fancy if unicode else plain, colour, rest.rstrip()
