"""Append one review round to a history store, in one transaction, idempotent per bundle digest."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from auditor import __version__
from auditor.history.extract import bounded
from auditor.history.provinces import province_of
from auditor.history.schema import ACCEPTED_TRUST, TABLES
from auditor.history.store import Store, connect, prepare
from auditor.review.load import SEVERITIES, BundleReport

SPOOLED = ("bundles", "sites", "hosts", "findings", "plan", "round_bundles")
"""Tables filled by bulk copy from a spool file; the organisations tables row by row."""


@dataclass(frozen=True)
class RoundOutcome:
    """What an append did."""

    where: str
    round: int | None
    """The new round's number, or None when the round brought no new bundle (nothing kept)."""
    bundles: int
    accepted: int
    new_bundles: int
    """Accepted bundles the store did not hold yet (by digest)."""


def now() -> str:
    """The current UTC time as the history writes it."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, float):
        return repr(value)
    return str(int(value))


def _line(row: Iterable[Any]) -> str:
    """One CSV line: None unquoted and empty (NULL), text always quoted ("" is empty text)."""
    return ",".join(_value(v) for v in row) + "\n"


class RoundWriter:
    """One round being appended: open, add each bundle as it is read, then finish or abort."""

    def __init__(self, target: str, started_at: str | None = None) -> None:
        """Open the store, create or migrate its schema, and start the round's transaction."""
        self.started_at = started_at or now()
        self.store: Store = connect(target)
        try:
            prepare(self.store, write=True)
            self.store.begin_exclusive()
            self.round = int(self.store.query("SELECT coalesce(max(id), 0) FROM rounds")[0][0]) + 1
            self.next_bundle = int(self.store.query(
                "SELECT coalesce(max(id), 0) FROM bundles")[0][0]) + 1
            self.known: dict[str, int] = {
                digest: int(id_) for digest, id_ in self.store.query(
                    "SELECT digest, id FROM bundles")}
        except BaseException:
            self._close()
            raise
        self.spool = tempfile.TemporaryDirectory(prefix="auditor-history-")
        self.files: dict[str, IO[str]] = {
            table: (Path(self.spool.name) / f"{table}.csv").open("w", encoding="utf-8",
                                                                   newline="")
            for table in SPOOLED}
        self.findings = csv.writer(self.files["findings"], quoting=csv.QUOTE_ALL,
                                   lineterminator="\n")
        self.entries: list[tuple[int, int | None, str | None, BundleReport]] = []
        self.new_bundles = 0

    def _bundle_id(self, digest: str) -> tuple[int, bool]:
        """The id of the bundle with this digest, and whether it is new to the store."""
        if digest in self.known:
            return self.known[digest], False
        self.known[digest] = self.next_bundle
        self.next_bundle += 1
        return self.known[digest], True

    def add(self, position: int, report: BundleReport) -> None:
        """Spool one bundle as read by the review (findings included) for this round."""
        extras, summary = report.extras, report.summary
        digest = extras.digest if extras else None
        bundle_id = None
        if str(report.trust) in ACCEPTED_TRUST and summary is not None and extras is not None:
            bundle_id, new = self._bundle_id(extras.digest)
            if new:
                self.new_bundles += 1
                s = summary
                self.files["bundles"].write(_line((
                    bundle_id, extras.digest, s.code, s.name, s.level, s.generated_at,
                    extras.signed_at, report.fingerprint, s.spec, bounded(s.score, "score"),
                    s.verdict, s.urgency,
                    s.hosts, s.hosts_scanned, s.eol_hosts, s.sites,
                    *(s.failed_by_severity.get(v, 0) for v in SEVERITIES),
                    s.current_annual_idr, s.after_migration_annual_idr, s.savings_idr,
                    self.round)))
                write = self.files["sites"].write
                for site_id, site_name, score, verdict in s.site_rows:
                    write(_line((bundle_id, site_id, site_name, bounded(score, "score"),
                                 verdict)))
                write = self.files["hosts"].write
                for host in extras.hosts:
                    write(_line((bundle_id, *host)))
                write = self.files["plan"].write
                for plan in extras.plan:
                    write(_line((bundle_id, *plan)))
                self.findings.writerows((bundle_id, *row[1:]) for row in report.findings)
        self.entries.append((position, bundle_id, digest, report))

    def finish(self, final_trust: Mapping[int, str] | None = None) -> RoundOutcome:
        """Copy the spool, record the round and its organisations, commit; or drop a no-op round.

        ``final_trust``: trust by position after the review's last decisions (duplicates).
        """
        try:
            outcome = self._finish(final_trust or {})
        except BaseException:
            self.abort()
            raise
        self._close()
        return outcome

    def _finish(self, final_trust: Mapping[int, str]) -> RoundOutcome:
        accepted = []
        for position, bundle_id, digest, report in self.entries:
            trust = final_trust.get(position, str(report.trust))
            code = report.summary.code if report.summary else None
            self.files["round_bundles"].write(_line((
                self.round, position, bundle_id, digest, code, str(report.path), trust,
                report.fingerprint, "\n".join(report.problems))))
            if trust in ACCEPTED_TRUST and bundle_id is not None and report.summary:
                accepted.append(report)
        outcome = RoundOutcome(self.store.where, self.round, len(self.entries), len(accepted),
                               self.new_bundles)
        if not self.new_bundles:
            self.abort()
            return RoundOutcome(outcome.where, None, outcome.bundles, outcome.accepted, 0)
        for handle in self.files.values():
            handle.close()
        for table in SPOOLED:
            self.store.copy_csv(table, TABLES[table], Path(self.spool.name) / f"{table}.csv")
        self._organisations(accepted)
        self.store.execute("INSERT INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (self.round, self.started_at, now(), __version__, outcome.bundles,
                            outcome.accepted, outcome.new_bundles))
        self.store.commit()
        self.store.tidy(SPOOLED)
        return outcome

    def _organisations(self, accepted: list[BundleReport]) -> None:
        """Keep one organisation per code, with every name it was known by and when."""
        latest: dict[str, tuple[str, str, str]] = {}
        for report in accepted:
            s = report.summary
            assert s is not None, "accepted reports have a summary"
            if s.code not in latest or s.generated_at >= latest[s.code][2]:
                latest[s.code] = (s.name, s.level, s.generated_at)
        known = {code for (code,) in self.store.query("SELECT code FROM organisations")}
        names = {(c, n) for c, n in self.store.query("SELECT code, name FROM organisation_names")}
        r = self.round
        for code, (name, level, _) in sorted(latest.items()):
            if code in known:
                self.store.execute("UPDATE organisations SET name = ?, level = ?, last_round = ? "
                                   "WHERE code = ?", (name, level, r, code))
            else:
                self.store.execute("INSERT INTO organisations VALUES (?, ?, ?, ?, ?, ?)",
                                   (code, province_of(code), name, level, r, r))
            if (code, name) in names:
                self.store.execute("UPDATE organisation_names SET last_round = ? "
                                   "WHERE code = ? AND name = ?", (r, code, name))
            else:
                self.store.execute("INSERT INTO organisation_names VALUES (?, ?, ?, ?)",
                                   (code, name, r, r))

    def abort(self) -> None:
        """Drop the round: nothing of it stays in the store."""
        if getattr(self, "closed", False):
            return
        try:
            self.store.rollback()
        finally:
            self._close()

    def _close(self) -> None:
        if getattr(self, "closed", False):
            return
        self.closed = True
        for handle in getattr(self, "files", {}).values():
            handle.close()
        spool = getattr(self, "spool", None)
        if spool is not None:
            spool.cleanup()
        self.store.close()


def append_round(target: str, reports: Iterable[BundleReport],
                 started_at: str | None = None) -> RoundOutcome:
    """Append the bundles of one round, as the review read them, to the store ``target``."""
    writer = RoundWriter(target, started_at)
    try:
        for position, report in enumerate(reports):
            writer.add(position, report)
    except BaseException:
        writer.abort()
        raise
    return writer.finish()
