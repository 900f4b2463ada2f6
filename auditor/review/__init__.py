"""The central office's national review: verify many bundles, then one HTML site, CSV and SQLite."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.bundle.allowed_signers import AllowedSigner
from auditor.bundle.folder import atomic_write_bytes
from auditor.errors import InputError
from auditor.messages import LANGUAGES
from auditor.review.inert import inert_copy
from auditor.review.load import (
    ACCEPTED,
    IDENTICAL,
    NEWER,
    BundleReport,
    Trust,
    load_trusted_keys,
    read_bundle,
)
from auditor.review.site import render_site, slug
from auditor.review.store import (
    CSV_NAME,
    DB_NAME,
    Comparison,
    FindingsStore,
    write_csv,
    writing,
)

if TYPE_CHECKING:
    from auditor.history.append import RoundOutcome, RoundWriter

MAX_REPORT_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class ReviewOutcome:
    """What the review wrote and decided."""

    index: Path
    csv: Path
    database: Path
    bundles: tuple[BundleReport, ...]
    """Every bundle in the order given, without its finding rows."""
    history: RoundOutcome | None = None
    """What was appended to the history store, when one was given."""

    @property
    def accepted(self) -> int:
        """Bundles merged into the national view."""
        return sum(1 for b in self.bundles if b.trust in ACCEPTED)

    @property
    def rejected(self) -> list[BundleReport]:
        """Bundles flagged and left out (tampered, unsigned, malformed, untrusted, duplicate)."""
        return [b for b in self.bundles if b.trust not in ACCEPTED]


def _copy_report(report: BundleReport, target: Path, name: str = "report.html") -> bool:
    """Copy a bundle's report ``name`` (regular file, size-capped) beside its org page, inert.

    Scripts, frames, forms, outside fetches and navigation are switched off (see inert.py).
    A report that cannot be read is left out (False); one that cannot be written stops the
    review (FileSystemError naming it): a full disk must not pass for a bundle without a report.
    """
    source = report.path / name
    try:
        info = source.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_REPORT_BYTES:
            return False
        with source.open("rb") as handle:
            body = handle.read(MAX_REPORT_BYTES + 1)
    except OSError:
        return False
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, inert_copy(body))
    return True


def _copy_reports(report: BundleReport, folder: Path) -> BundleReport:
    """Copy each language's report under its own name (their links to each other then work)."""
    copied = tuple((name, lang) for name, lang in report.report_files
                   if _copy_report(report, folder / name, name))
    if copied and copied[0][0] != "report.html":
        copied = ()  # the other language alone: the org page links report.html
    return dataclasses.replace(report, has_report=bool(copied), report_files=copied)


def _same_bundle(one: BundleReport, two: BundleReport) -> bool:
    """True when two bundles are byte-identical: the same manifest or the same results.json."""
    return bool((one.manifest_sha256 and one.manifest_sha256 == two.manifest_sha256)
                or (one.results_sha256 and one.results_sha256 == two.results_sha256))


def _demote_duplicates(reports: list[BundleReport], store: FindingsStore) -> None:
    """Keep one accepted bundle per organisation, the newest; flag the others as duplicates.

    A copy of the same bundle (same manifest or results.json digest) is a duplicate of the
    first one given, and says so: it is not "a newer bundle".
    """
    newest: dict[str, int] = {}
    for index, report in enumerate(reports):
        if report.trust not in ACCEPTED or report.summary is None:
            continue
        code = report.summary.code
        best = newest.get(code)
        if best is None:
            newest[code] = index
            continue
        if _same_bundle(reports[best], report):
            older, newer, reason = index, best, IDENTICAL
            problem = f"the same bundle as {reports[best].path} (identical content)"
        else:
            stamps = {i: s.generated_at if (s := reports[i].summary) else ""
                      for i in (best, index)}
            older, newer = sorted((best, index), key=lambda i: (stamps[i], i))
            reason = NEWER
            problem = f"a newer bundle of organisation {code} is {reports[newer].path}"
        newest[code] = newer
        reports[older] = dataclasses.replace(reports[older], trust=Trust.DUPLICATE,
                                             problems=(problem,), duplicate=reason)
        store.demote(older, str(Trust.DUPLICATE), problem)


def _history_writer(history: str | None) -> RoundWriter | None:
    """Open the history round first: a bad or newer store stops the review before any reading."""
    if history is None:
        return None
    from auditor.history.append import RoundWriter

    return RoundWriter(history)


def _finish_history(writer: RoundWriter | None, history: str | None,
                    reports: list[BundleReport], lang: str
                    ) -> tuple[RoundOutcome | None, dict[str, Any] | None]:
    """Commit the round (final trust after duplicates), then read the charts back."""
    if writer is None or history is None:
        return None, None
    from auditor.history.charts import history_view

    appended = writer.finish({i: str(r.trust) for i, r in enumerate(reports)})
    return appended, history_view(history, appended.where, lang)


def _read_safely(path: Path, trusted: tuple[AllowedSigner, ...] | None) -> BundleReport:
    """read_bundle, and a bundle that trips anything unforeseen is malformed, not a crash."""
    try:
        return read_bundle(path, trusted)
    except Exception as exc:  # a hostile bundle must not stop the review
        return BundleReport(path, Trust.MALFORMED,
                            (f"unreadable bundle ({type(exc).__name__})",))


def _read_all(bundles: Sequence[Path], trusted: tuple[AllowedSigner, ...] | None,
              workers: int) -> Iterator[BundleReport]:
    """Each bundle's report, in order; verified in ``workers`` processes when more than one."""
    if workers <= 1 or len(bundles) < 4:
        yield from (_read_safely(path, trusted) for path in bundles)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_read_safely, bundles, [trusted] * len(bundles), chunksize=4)


def _reviewer_inputs(bundles: Sequence[Path], output: Path, lang: str,
                     trusted_keys: Path | None,
                     previous: Path | None) -> tuple[AllowedSigner, ...] | None:
    """Check the reviewer's own inputs (InputError); the trusted keys, when a file is given."""
    if lang not in LANGUAGES:
        raise InputError(f"language must be one of {', '.join(LANGUAGES)}")
    if not bundles:
        raise InputError("no bundle given; name the bundle folders to review")
    if previous is not None and not (previous / DB_NAME).is_file():
        raise InputError(f"{previous}: no {DB_NAME}; --previous takes the folder of an earlier "
                         "'auditor review -o DIR'")
    trusted = load_trusted_keys(trusted_keys) if trusted_keys else None
    resolved = output.resolve()
    for bundle in bundles:
        if resolved == bundle.resolve() or bundle.resolve() in resolved.parents:
            raise InputError(f"{output}: the review folder must not be inside a bundle")
    return trusted


def _read_into(store: FindingsStore, writer: RoundWriter | None, bundles: Sequence[Path],
               trusted: tuple[AllowedSigner, ...] | None, workers: int,
               on_bundle: Callable[[int, int, BundleReport], None] | None
               ) -> list[BundleReport]:
    """Read every bundle into the store (and the history round); their reports, lightened."""
    reports: list[BundleReport] = []
    for index, report in enumerate(_read_all(bundles, trusted, workers)):
        store.add_bundle(index, report)
        if writer is not None:
            writer.add(index, report)
        report = dataclasses.replace(report, findings=(), extras=None)
        reports.append(report)
        if on_bundle:
            on_bundle(index + 1, len(bundles), report)
    return reports


def _copy_accepted_reports(reports: list[BundleReport],
                           accepted: list[tuple[int, BundleReport]], output: Path) -> None:
    """Copy each accepted bundle's reports for people beside its organisation page."""
    for index, report in accepted:
        if report.has_report and report.summary is not None:
            reports[index] = _copy_reports(report, output / "org"
                                           / slug(index, report.summary.code))


def review(bundles: Sequence[Path], output: Path, lang: str = "id",
           trusted_keys: Path | None = None, previous: Path | None = None,
           on_bundle: Callable[[int, int, BundleReport], None] | None = None,
           workers: int | None = None, history: str | None = None) -> ReviewOutcome:
    """Verify every bundle, merge the accepted ones, write DIR/index.html, CSV and SQLite.

    A bad bundle never raises: it is flagged in the result and the site. InputError only
    for unusable inputs of the reviewer (language, keys file, previous review, output), and
    for an output folder that cannot be written (full disk, read-only, no permission): one
    line naming the file and the cause, and no temp file left behind.
    """
    trusted = _reviewer_inputs(bundles, output, lang, trusted_keys, previous)
    with writing(output):
        output.mkdir(parents=True, exist_ok=True)
    store = FindingsStore(output)
    writer: RoundWriter | None = None
    try:
        writer = _history_writer(history)
        reports = _read_into(store, writer, bundles, trusted,
                             workers or min(os.cpu_count() or 1, 8), on_bundle)
        _demote_duplicates(reports, store)
        accepted = [(i, r) for i, r in enumerate(reports) if r.trust in ACCEPTED]
        store.add_organisations(accepted)
        comparison: Comparison | None = store.compare(previous) if previous else None
        _copy_accepted_reports(reports, accepted, output)
        store.finish()  # the largest file first: a full disk mostly stops the review here
        with writing(output / CSV_NAME):
            write_csv(output / CSV_NAME, reports)
        appended, charts = _finish_history(writer, history, reports, lang)
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        index_path = render_site(output, list(enumerate(reports)), lang, now, comparison,
                                 trusted is not None, charts)
        database = store.publish()
    except BaseException:
        store.abort()
        if writer is not None:
            writer.abort()
        raise
    return ReviewOutcome(index_path, output / CSV_NAME, database, tuple(reports), appended)
