"""Which results.json each report was made from (DIR/reports.json), and which reports are stale."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.bundle.folder import atomic_write_bytes, sha256_file
from auditor.bundle.results import Results
from auditor.errors import InputError
from auditor.messages import LANGUAGES
from auditor.report import CSV_SEPARATORS, FORMATS

INDEX_NAME = "reports.json"
INDEX_FORMAT = "auditor.reports/1"
MAX_INDEX_BYTES = 1024 * 1024
"""An index of a few reports is a few kilobytes; a bigger one is not ours and is ignored."""


@dataclass(frozen=True)
class Source:
    """The results a report was made from: the file's digest and what it says of itself."""

    results_sha256: str
    spec_id: str = ""
    spec_version: str = ""
    generated_at: str = ""

    @property
    def spec(self) -> str:
        """The spec as people name it: ``id version``."""
        return f"{self.spec_id} {self.spec_version}".strip()

    def as_data(self) -> dict[str, Any]:
        """The JSON object recorded in the index."""
        return {"results_sha256": self.results_sha256, "generated_at": self.generated_at,
                "spec": {"id": self.spec_id, "version": self.spec_version}}


def source_of(results: Mapping[str, Any], digest: str) -> Source:
    """The Source of a parsed results.json whose bytes have sha256 ``digest``."""
    spec = results.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    return Source(digest, _text(spec.get("id")), _text(spec.get("version")),
                  _text(results.get("generated_at")))


@dataclass(frozen=True)
class Entry:
    """One report file of the index."""

    file: str
    format: str
    lang: str
    source: Source


@dataclass(frozen=True)
class Index:
    """DIR/reports.json: the reports written into DIR, each with the results it shows."""

    primary: str = "id"
    """The language of report.html and report.md."""
    csv_separator: str = ","
    entries: tuple[Entry, ...] = ()

    def as_bytes(self) -> bytes:
        """The file's bytes (sorted keys, UTF-8, final newline)."""
        data = {"format": INDEX_FORMAT, "primary_lang": self.primary,
                "csv_separator": self.csv_separator,
                "files": {e.file: {"format": e.format, "lang": e.lang, **e.source.as_data()}
                          for e in sorted(self.entries, key=lambda e: e.file)}}
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class Stale:
    """A report that no longer shows the results beside it."""

    file: str
    made: Source
    now: Source

    @property
    def spec_changed(self) -> bool:
        """True when the results were judged against another specification."""
        return self.made.spec != self.now.spec

    def labels(self) -> tuple[str, str]:
        """How the two specs are named: the versions alone when the spec id is the same."""
        same = self.made.spec_id == self.now.spec_id
        return ((self.made.spec_version if same else self.made.spec) or "?",
                (self.now.spec_version if same else self.now.spec) or "?")

    def reason(self) -> str:
        """Why, without the file name: ``made for spec 2026.1, results are for 2027.1``."""
        if self.spec_changed:
            made, now = self.labels()
            return f"made for spec {made}, results are for {now}"
        return (f"made from earlier results (generated {self.made.generated_at or '?'}), "
                f"results.json is of {self.now.generated_at or '?'}")

    def __str__(self) -> str:
        return f"{self.file} was {self.reason()}"


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _report_files() -> dict[str, tuple[str, str | None]]:
    """Every file name a report can have -> (format, language or None for the primary)."""
    names: dict[str, tuple[str, str | None]] = {}
    for fmt in FORMATS.values():
        if fmt.name == "json":
            continue
        names[fmt.filename] = (fmt.name, None)
        for lang in LANGUAGES:
            if fmt.bilingual:
                names[fmt.filename_for(lang, "")] = (fmt.name, lang)
    return names


REPORT_FILES = _report_files()


def read_index(folder: Path) -> Index | None:
    """DIR/reports.json, read defensively (a bundle is untrusted); None when absent or odd."""
    path = folder / INDEX_NAME
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_INDEX_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        return None
    files = data.get("files")
    entries = []
    for name, raw in (files.items() if isinstance(files, dict) else ()):
        if name not in REPORT_FILES or not isinstance(raw, dict):
            continue
        spec = raw.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        entries.append(Entry(name, REPORT_FILES[name][0], _text(raw.get("lang"), 8),
                             Source(_text(raw.get("results_sha256"), 64),
                                    _text(spec.get("id")), _text(spec.get("version")),
                                    _text(raw.get("generated_at")))))
    primary = data.get("primary_lang")
    separator = data.get("csv_separator")
    return Index(primary if primary in LANGUAGES else "id",
                 separator if separator in CSV_SEPARATORS else ",", tuple(entries))


def write_index(folder: Path, index: Index) -> Path:
    """Write DIR/reports.json whole; returns its path."""
    path = folder / INDEX_NAME
    atomic_write_bytes(path, index.as_bytes())
    return path


def record(folder: Path, written: Iterable[Entry], primary: str, csv_separator: str) -> Path:
    """Add or replace the entries of the files just written; keep those of other files there."""
    old = read_index(folder)
    fresh = {e.file: e for e in written}
    kept = [e for e in (old.entries if old else ()) if e.file not in fresh
            and (folder / e.file).is_file()]
    if old and "csv" not in {e.format for e in fresh.values()}:
        csv_separator = old.csv_separator
    return write_index(folder, Index(primary, csv_separator, (*kept, *fresh.values())))


def present(folder: Path) -> list[str]:
    """The report files in DIR (regular files, not symlinks), in a fixed order."""
    return [name for name in REPORT_FILES
            if (folder / name).is_file() and not (folder / name).is_symlink()]


def compare(index: Index | None, now: Source, files: Iterable[str]) -> list[Stale]:
    """The ``files`` whose index entry names other results than ``now``.

    A file without an entry (a bundle from before the index) is not judged.
    """
    entries = {e.file: e for e in (index.entries if index else ())}
    stale = []
    for name in files:
        entry = entries.get(name)
        if entry is not None and entry.source.results_sha256 != now.results_sha256:
            stale.append(Stale(name, entry.source, now))
    return stale


def current_source(results_path: Path) -> Source | None:
    """The Source of a results.json on disk, or None when it is missing, unreadable or invalid."""
    try:
        results, digest = Results.load_digest(results_path)
    except InputError:
        return None
    return source_of(results.data, digest)


def stale_reports(folder: Path, results_path: Path | None = None) -> list[Stale]:
    """The reports in ``folder`` made from other results than ``results_path`` (its own)."""
    index = read_index(folder)
    if index is None or not index.entries:
        return []
    results_path = results_path or folder / "results.json"
    try:
        digest, _ = sha256_file(results_path)
    except OSError:
        return []
    files = present(folder)
    if all(e.source.results_sha256 == digest for e in index.entries if e.file in files):
        return []
    now = current_source(results_path) or Source(digest)
    return compare(index, replace(now, results_sha256=digest), files)


def legacy_entries(folder: Path) -> list[Entry]:
    """Entries for report files without one, made from the results.json there now.

    ``check --no-report`` records these before it judges again, so the reports of a bundle
    written before the index still show as stale afterwards.
    """
    index = read_index(folder)
    known = {e.file for e in (index.entries if index else ())}
    missing = [name for name in present(folder) if name not in known]
    if not missing:
        return []
    source = current_source(folder / "results.json")
    if source is None:
        return []
    primary = detect_primary(folder, index)
    return [Entry(name, REPORT_FILES[name][0], REPORT_FILES[name][1] or primary, source)
            for name in missing]


def detect_primary(folder: Path, index: Index | None = None) -> str:
    """The language of report.html/report.md: from the index, else from the other files."""
    if index is not None and index.entries:
        return index.primary
    for lang in LANGUAGES:
        if any(REPORT_FILES[n][1] == lang for n in present(folder)):
            return next(other for other in LANGUAGES if other != lang)
    return "id"


def detect_separator(folder: Path, index: Index | None = None) -> str:
    """The separator findings.csv was written with (index, else its header line)."""
    if index is not None and any(e.format == "csv" for e in index.entries):
        return index.csv_separator
    try:
        with (folder / FORMATS["csv"].filename).open("rb") as handle:
            head = handle.read(200)
    except OSError:
        return ","
    return ";" if b"subject_kind;" in head else ","

