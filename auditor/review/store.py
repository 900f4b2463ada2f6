"""The review tables: SQLite of all findings, the CSV, and the comparison with a previous one."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor.bundle import atomic_write_text
from auditor.errors import InputError
from auditor.report.machine import csv_row
from auditor.review.load import ACCEPTED, SEVERITIES, VERDICTS, BundleReport

DB_NAME = "review.sqlite"
CSV_NAME = "review.csv"
MAX_LISTED = 200

SCHEMA = """
CREATE TABLE bundles (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, trust TEXT NOT NULL, organisation TEXT,
  fingerprint TEXT, problems TEXT NOT NULL);
CREATE TABLE organisations (
  code TEXT PRIMARY KEY, bundle INTEGER NOT NULL REFERENCES bundles(id), name TEXT, level TEXT,
  score REAL, verdict TEXT, urgency TEXT, hosts INTEGER, hosts_scanned INTEGER,
  eol_hosts INTEGER, sites INTEGER, sites_compliant INTEGER, sites_remediate INTEGER,
  sites_migrate INTEGER, current_annual_idr REAL, after_migration_annual_idr REAL,
  savings_idr REAL, fail_critical INTEGER, fail_high INTEGER, fail_medium INTEGER,
  fail_low INTEGER, generated_at TEXT, spec TEXT);
CREATE TABLE findings (
  bundle INTEGER NOT NULL REFERENCES bundles(id), organisation TEXT NOT NULL,
  subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, site TEXT, control TEXT NOT NULL,
  severity TEXT, status TEXT NOT NULL, evidence TEXT);
"""

INDEXES = """
CREATE INDEX findings_org ON findings (organisation, status);
CREATE INDEX findings_control ON findings (control, status);
"""

CSV_COLUMNS = ("code", "name", "level", "trust", "score", "verdict", "urgency", "hosts",
               "hosts_scanned", "eol_hosts", "sites", "sites_compliant", "sites_remediate",
               "sites_migrate", "current_annual_idr", "after_migration_annual_idr", "savings_idr",
               "fail_critical", "fail_high", "fail_medium", "fail_low", "generated_at", "spec",
               "fingerprint", "bundle", "problems")

Item = tuple[str, str, str]
"""subject kind, subject id, control."""


@dataclass(frozen=True)
class Change:
    """What changed for one organisation since the previous review."""

    previous_score: float | None
    previous_verdict: str | None
    fixed: int
    """Failures of the previous review that no longer fail."""
    new_failures: int
    """Failures that the previous review did not have."""
    fixed_items: tuple[Item, ...] = ()
    new_items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """The whole comparison with a previous review."""

    changes: dict[str, Change]
    gone: tuple[tuple[str, str], ...]
    """(code, name) of organisations in the previous review but not in this one."""


def org_values(report: BundleReport) -> tuple[object, ...]:
    """The organisations row of an accepted bundle, in CSV_COLUMNS order up to ``spec``."""
    s = report.summary
    assert s is not None, "callers pass accepted bundles only"
    return (s.code, s.name, s.level, str(report.trust), s.score, s.verdict, s.urgency, s.hosts,
            s.hosts_scanned, s.eol_hosts, s.sites, *(s.site_verdicts[v] for v in VERDICTS),
            s.current_annual_idr, s.after_migration_annual_idr, s.savings_idr,
            *(s.failed_by_severity[v] for v in SEVERITIES), s.generated_at, s.spec)


class FindingsStore:
    """An SQLite file built beside its final name and renamed into place when complete."""

    def __init__(self, output: Path) -> None:
        """Start a new database for the review written into ``output``."""
        self.final = output / DB_NAME
        self.temp = output / f".{DB_NAME}.{os.getpid()}.tmp"
        self.temp.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.temp)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)

    def add_bundle(self, index: int, report: BundleReport) -> None:
        """Record a bundle and, when accepted, its findings."""
        code = report.summary.code if report.summary else None
        self.db.execute("INSERT INTO bundles VALUES (?, ?, ?, ?, ?, ?)",
                        (index, str(report.path), str(report.trust), code, report.fingerprint,
                         "\n".join(report.problems)))
        if report.trust in ACCEPTED:
            self.db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                ((index, *row) for row in report.findings))

    def demote(self, index: int, trust: str, problem: str) -> None:
        """A bundle superseded by a newer one of the same organisation: drop its findings."""
        self.db.execute("UPDATE bundles SET trust = ?, problems = ? WHERE id = ?",
                        (trust, problem, index))
        self.db.execute("DELETE FROM findings WHERE bundle = ?", (index,))

    def add_organisations(self, accepted: Iterable[tuple[int, BundleReport]]) -> None:
        """The national table, one row per accepted organisation."""
        rows = []
        for index, report in accepted:
            values = org_values(report)
            rows.append((values[0], index, *values[1:3], *values[4:]))
        marks = ", ".join("?" * 23)
        self.db.executemany(f"INSERT INTO organisations VALUES ({marks})", rows)  # noqa: S608

    def compare(self, previous: Path) -> Comparison:
        """Per organisation: failures fixed and new since the review in folder ``previous``."""
        file = previous / DB_NAME
        if not file.is_file():
            raise InputError(f"{previous}: no {DB_NAME}; --previous takes the folder of an "
                             "earlier 'auditor review -o DIR'")
        self.db.commit()
        try:
            self.db.execute("ATTACH DATABASE ? AS prev", (f"file:{file}?mode=ro",))
        except sqlite3.Error as exc:
            raise InputError(f"{file}: cannot open the previous review ({exc})") from None
        try:
            return self._compare()
        except sqlite3.Error as exc:
            raise InputError(f"{file}: not a review database ({exc})") from None
        finally:
            self.db.execute("DETACH DATABASE prev")

    def _compare(self) -> Comparison:
        before = {code: (score, verdict, name) for code, score, verdict, name in self.db.execute(
            "SELECT code, score, verdict, name FROM prev.organisations")}
        now = {code for (code,) in self.db.execute("SELECT code FROM main.organisations")}
        fixed: dict[str, list[Item]] = {}
        new: dict[str, list[Item]] = {}
        keys = "organisation, subject_kind, subject_id, control"
        query = (f"SELECT {keys} FROM {{a}}.findings WHERE status = 'fail' AND organisation IN "  # noqa: S608
                 f"(SELECT code FROM {{b}}.organisations) EXCEPT SELECT {keys} FROM "
                 f"{{b}}.findings WHERE status = 'fail' ORDER BY 1, 2, 3, 4")
        for target, a, b in ((fixed, "prev", "main"), (new, "main", "prev")):
            # Only fixed schema names are formatted into the query, nothing from a bundle.
            for org, kind, subject, control in self.db.execute(query.format(a=a, b=b)):
                target.setdefault(org, []).append((kind, subject, control))
        changes = {}
        for code in now & set(before):
            score, verdict, _ = before[code]
            f, n = fixed.get(code, []), new.get(code, [])
            changes[code] = Change(score, verdict, len(f), len(n), tuple(f[:MAX_LISTED]),
                                   tuple(n[:MAX_LISTED]))
        gone = tuple(sorted((code, str(before[code][2] or "")) for code in set(before) - now))
        return Comparison(changes, gone)

    def close(self) -> Path:
        """Index, commit and move the database into place."""
        self.db.executescript(INDEXES)
        self.db.commit()
        self.db.close()
        os.replace(self.temp, self.final)
        return self.final

    def abort(self) -> None:
        """Drop the unfinished database."""
        self.db.close()
        self.temp.unlink(missing_ok=True)


def _cell(value: object) -> str:
    """A review figure as CSV text (csv_row then guards it against spreadsheet formulas)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}"
    return str(value)


def write_csv(path: Path, reports: Iterable[BundleReport]) -> None:
    """One row per bundle: accepted ones with their figures, the others with why not."""
    lines = [csv_row(CSV_COLUMNS)]
    for report in reports:
        if report.trust in ACCEPTED and report.summary is not None:
            values: list[object] = list(org_values(report))
        else:
            s = report.summary
            values = [s.code if s else "", s.name if s else "", s.level if s else "",
                      str(report.trust)] + [None] * (len(CSV_COLUMNS) - 7)
        values += [report.fingerprint, str(report.path), " | ".join(report.problems)]
        lines.append(csv_row(_cell(v) for v in values))
    atomic_write_text(path, "".join(line + "\n" for line in lines))
