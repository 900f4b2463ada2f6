"""The review tables: SQLite of all findings, the CSV, and the comparison with a previous one."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from auditor.bundle.folder import atomic_write_text
from auditor.errors import FileSystemError, InputError
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
  eol_hosts INTEGER, sites INTEGER, sites_compliant INTEGER, sites_incomplete INTEGER,
  sites_remediate INTEGER,
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
               "hosts_scanned", "eol_hosts", "sites", "sites_compliant", "sites_incomplete",
               "sites_remediate", "sites_migrate", "current_annual_idr",
               "after_migration_annual_idr", "savings_idr", "fail_critical", "fail_high",
               "fail_medium", "fail_low", "generated_at", "spec", "fingerprint", "bundle",
               "problems")

FILE_SYSTEM_FAULTS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG,
    errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ENOENT, errno.ELOOP, errno.EMLINK})
"""Errors of the folder or the disk, not of auditor: said plainly, never as a crash."""
SQLITE_FAULTS = {"SQLITE_FULL": os.strerror(errno.ENOSPC),
                 "SQLITE_READONLY": "the database file or its folder is read-only",
                 "SQLITE_CANTOPEN": "the database file cannot be created",
                 "SQLITE_PERM": os.strerror(errno.EACCES),
                 "SQLITE_IOERR": os.strerror(errno.EIO)}

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


def _fault(exc: OSError | sqlite3.Error) -> str | None:
    """Why a write failed, in a few words, when the folder or the disk is to blame."""
    if isinstance(exc, OSError):
        return os.strerror(exc.errno) if exc.errno in FILE_SYSTEM_FAULTS else None
    name = getattr(exc, "sqlite_errorname", "")
    return next((why for prefix, why in SQLITE_FAULTS.items() if name.startswith(prefix)), None)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a file-system fault while writing ``path`` into a one-line error naming it (exit 5).

    Anything else (a bug) goes on as it is.
    """
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        why = _fault(exc)
        if why is None:
            raise
        raise FileSystemError(f"cannot write {path}: {why[:1].lower() + why[1:]}") from None


class FindingsStore:
    """An SQLite file built beside its final name and renamed into place when complete.

    A full disk or a read-only folder raises FileSystemError naming DIR/review.sqlite, and
    ``abort`` then leaves no temp file behind.
    """

    def __init__(self, output: Path) -> None:
        """Start a new database for the review written into ``output``."""
        self.final = output / DB_NAME
        self.temp = output / f".{DB_NAME}.{os.getpid()}.tmp"
        self.db: sqlite3.Connection | None = None
        try:
            with writing(self.final):
                # created here so that a read-only folder says so (sqlite would only say
                # "unable to open"); an empty file is an empty database
                os.close(os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
                self.db = sqlite3.connect(self.temp)
                self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                                      + SCHEMA)
        except BaseException:
            self.abort()
            raise

    @property
    def _db(self) -> sqlite3.Connection:
        assert self.db is not None, "the store is open until finish or abort"
        return self.db

    def add_bundle(self, index: int, report: BundleReport) -> None:
        """Record a bundle and, when accepted, its findings."""
        with writing(self.final):
            self._add_bundle(index, report)

    def _add_bundle(self, index: int, report: BundleReport) -> None:
        code = report.summary.code if report.summary else None
        self._db.execute("INSERT INTO bundles VALUES (?, ?, ?, ?, ?, ?)",
                        (index, str(report.path), str(report.trust), code, report.fingerprint,
                         "\n".join(report.problems)))
        if report.trust in ACCEPTED:
            self._db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                ((index, *row) for row in report.findings))

    def demote(self, index: int, trust: str, problem: str) -> None:
        """A bundle superseded by a newer one of the same organisation: drop its findings."""
        with writing(self.final):
            self._db.execute("UPDATE bundles SET trust = ?, problems = ? WHERE id = ?",
                             (trust, problem, index))
            self._db.execute("DELETE FROM findings WHERE bundle = ?", (index,))

    def add_organisations(self, accepted: Iterable[tuple[int, BundleReport]]) -> None:
        """The national table, one row per accepted organisation."""
        rows = []
        for index, report in accepted:
            values = org_values(report)
            rows.append((values[0], index, *values[1:3], *values[4:]))
        marks = ", ".join("?" * (20 + len(VERDICTS)))
        with writing(self.final):
            self._db.executemany(f"INSERT INTO organisations VALUES ({marks})",  # noqa: S608
                                 rows)

    def compare(self, previous: Path) -> Comparison:
        """Per organisation: failures fixed and new since the review in folder ``previous``."""
        file = previous / DB_NAME
        if not file.is_file():
            raise InputError(f"{previous}: no {DB_NAME}; --previous takes the folder of an "
                             "earlier 'auditor review -o DIR'")
        with writing(self.final):
            self._db.commit()
        try:
            self._db.execute("ATTACH DATABASE ? AS prev", (f"file:{file}?mode=ro",))
        except sqlite3.Error as exc:
            raise InputError(f"{file}: cannot open the previous review ({exc})") from None
        try:
            return self._compare()
        except sqlite3.Error as exc:
            raise InputError(f"{file}: not a review database ({exc})") from None
        finally:
            self._db.execute("DETACH DATABASE prev")

    def _compare(self) -> Comparison:
        before = {code: (score, verdict, name) for code, score, verdict, name in self._db.execute(
            "SELECT code, score, verdict, name FROM prev.organisations")}
        now = {code for (code,) in self._db.execute("SELECT code FROM main.organisations")}
        fixed: dict[str, list[Item]] = {}
        new: dict[str, list[Item]] = {}
        keys = "organisation, subject_kind, subject_id, control"
        query = (f"SELECT {keys} FROM {{a}}.findings WHERE status = 'fail' AND organisation IN "  # noqa: S608
                 f"(SELECT code FROM {{b}}.organisations) EXCEPT SELECT {keys} FROM "
                 f"{{b}}.findings WHERE status = 'fail' ORDER BY 1, 2, 3, 4")
        for target, a, b in ((fixed, "prev", "main"), (new, "main", "prev")):
            # Only fixed schema names are formatted into the query, nothing from a bundle.
            for org, kind, subject, control in self._db.execute(query.format(a=a, b=b)):
                target.setdefault(org, []).append((kind, subject, control))
        changes = {}
        for code in now & set(before):
            score, verdict, _ = before[code]
            f, n = fixed.get(code, []), new.get(code, [])
            changes[code] = Change(score, verdict, len(f), len(n), tuple(f[:MAX_LISTED]),
                                   tuple(n[:MAX_LISTED]))
        gone = tuple(sorted((code, str(before[code][2] or "")) for code in set(before) - now))
        return Comparison(changes, gone)

    def finish(self) -> None:
        """Index, commit and close the database, still under its temp name."""
        with writing(self.final):
            self._db.executescript(INDEXES)
            self._db.commit()
            self._db.close()
        self.db = None

    def publish(self) -> Path:
        """Move the finished database into place; the last step of a review."""
        assert self.db is None, "finish first"
        with writing(self.final):
            os.replace(self.temp, self.final)
        return self.final

    def close(self) -> Path:
        """Finish and publish in one go."""
        self.finish()
        return self.publish()

    def abort(self) -> None:
        """Drop the unfinished database (also after a failed finish or publish)."""
        if self.db is not None:
            with suppress(sqlite3.Error):  # closing a database on a full disk may fail too
                self.db.close()
            self.db = None
        if os.path.lexists(self.temp):
            with suppress(OSError):  # the fault being reported may stop this too
                self.temp.unlink()


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
