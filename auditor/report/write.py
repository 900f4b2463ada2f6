"""The report stage: render results.json of a bundle into the requested formats."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.folder import Bundle, atomic_write_bytes, make_folder, read_json, sha256_file
from auditor.bundle.results import Results
from auditor.bundle.yamlfile import load_yaml
from auditor.errors import AuditorError, InputError
from auditor.messages import LANGUAGES
from auditor.report import CONTRACT_FORMATS, CSV_SEPARATORS, FORMATS, Alternate, RenderOptions
from auditor.report.freshness import (
    REPORT_FILES,
    Entry,
    Source,
    detect_primary,
    detect_separator,
    legacy_entries,
    present,
    read_index,
    record,
    source_of,
)
from auditor.report.values import as_dict, as_list
from auditor.report.view import BundleExtras, Evidence

DEFAULT_FORMATS = CONTRACT_FORMATS
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def parse_formats(value: str | None) -> list[str]:
    """The formats to write from ``--format``; unknown names raise InputError naming the known.

    None -> the bundle's contract set; ``html,md`` -> exactly these; ``+sarif`` -> the
    contract set and sarif.
    """
    if value is None:
        return list(CONTRACT_FORMATS)
    value = value.strip()
    adding = value.startswith("+")
    names = [n.strip().lower().lstrip("+") for n in value.split(",") if n.strip().lstrip("+")]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise InputError(f"unknown report format {', '.join(unknown) or '(none)'}; choose from "
                         f"{', '.join(FORMATS)} (or +NAME to add one to "
                         f"{','.join(CONTRACT_FORMATS)})")
    return list(dict.fromkeys([*CONTRACT_FORMATS, *names] if adding else names))


def is_signed(folder: Path) -> bool:
    """True when ``folder`` holds a manifest or a signature: rewriting a file breaks them."""
    return any((folder / name).exists() for name in (MANIFEST, SIGNATURE))


def existing_formats(folder: Path) -> list[str]:
    """The formats whose report files are in ``folder`` (what ``check`` renders again)."""
    found = {REPORT_FILES[name][0] for name in present(folder)}
    return [name for name in FORMATS if name in found]


@dataclass(frozen=True)
class Existing:
    """The reports of a bundle before ``check`` judges it again."""

    formats: tuple[str, ...]
    primary: str
    legacy: tuple[Entry, ...]
    """Report files without an index entry, recorded as made from the results before."""


def before_check(bundle: Path, render: bool) -> Existing:
    """What ``check`` must render again afterwards (or, with ``render`` off, mark stale)."""
    formats = existing_formats(bundle) if bundle.is_dir() else []
    if not formats:
        return Existing((), "id", ())
    primary = detect_primary(bundle, read_index(bundle))
    return Existing(tuple(formats), primary, () if render else tuple(legacy_entries(bundle)))


def after_check(bundle: Path, existing: Existing, render: bool) -> list[Path]:
    """Render the bundle's reports again (same formats and language), or leave them stale.

    Left alone, each keeps an index entry naming the results it was made from, so that
    ``report``, ``bundle verify`` and ``review`` call it stale.
    """
    if existing.legacy:
        record(bundle, existing.legacy, existing.primary,
               detect_separator(bundle, read_index(bundle)))
    if not render or not existing.formats:
        return []
    return write_reports(bundle, existing.formats, existing.primary, into_signed=True)


def load_results(out_dir: Path) -> Results:
    """The bundle's results.json, checked; InputError tells how to make it when missing."""
    bundle = Bundle(out_dir)
    if not bundle.results.is_file():
        raise InputError(f"{bundle.results} not found; run 'auditor check {out_dir}' first")
    return Results.load(bundle.results)


def _digest(value: Any) -> str | None:
    return value if isinstance(value, str) and _SHA256.match(value) else None


def collect_extras(out_dir: Path) -> BundleExtras:
    """Evidence fingerprints from the bundle: questionnaire files and host probe outputs.

    A file that cannot be read or does not have the expected shape is left out: the report
    shows what the bundle proves, and results.json stays the source of every verdict.
    """
    bundle = Bundle(out_dir)
    found: list[Evidence] = []
    if bundle.facility_dir.is_dir():
        for path in sorted(bundle.facility_dir.glob("*.yaml")):
            try:
                data = as_dict(load_yaml(path).data)
            except AuditorError:
                continue
            site = str(data.get("site") or path.stem)
            for control, answer in sorted(as_dict(data.get("answers")).items()):
                for item in as_list(as_dict(answer).get("evidence")):
                    item = as_dict(item)
                    digest = _digest(item.get("sha256"))
                    size = item.get("bytes")
                    if digest:
                        found.append(Evidence(site, str(control), str(item.get("path") or ""),
                                              digest, size if isinstance(size, int) else None))
    if bundle.facts_dir.is_dir():
        for path in sorted(bundle.facts_dir.glob("*.json")):
            try:
                probe = as_dict(as_dict(read_json(path)).get("probe"))
            except AuditorError:
                continue
            digest = _digest(probe.get("output_sha256"))
            size = probe.get("output_bytes")
            if digest:
                found.append(Evidence(path.stem, "", f"facts/{path.name}", digest,
                                      size if isinstance(size, int) else None))
    return BundleExtras(tuple(found))


def write_reports(bundle: Path, formats: Sequence[str] = CONTRACT_FORMATS,
                  lang: str = "id", *, output: Path | None = None,
                  csv_separator: str | None = None, into_signed: bool = False) -> list[Path]:
    """Render each format of ``bundle`` into ``output`` (default: the bundle); the files written.

    Reports for people (html, md) are written in both languages: ``lang`` as report.html,
    the other as report.en.html (or report.id.html), each linking to the other. The files
    written and the results they show are recorded in OUTPUT/reports.json. A signed bundle
    is refused as output unless ``into_signed`` (its signature would no longer verify).
    ``csv_separator`` None keeps the one findings.csv there was written with (else ``,``).
    """
    if lang not in LANGUAGES:
        raise InputError(f"unknown language '{lang}'; choose from {', '.join(LANGUAGES)}")
    target = bundle if output is None else output
    if csv_separator is None:
        csv_separator = detect_separator(target, read_index(target))
    if csv_separator not in CSV_SEPARATORS:
        raise InputError(f"CSV separator must be one of {' '.join(CSV_SEPARATORS)}")
    same = output is None or _same_folder(bundle, output)
    if not into_signed:
        _refuse_signed(bundle, output, target, same)
    results = load_results(bundle).data
    extras = collect_extras(bundle)
    if not same:
        make_folder(target)
    written: list[Path] = []
    chosen = sorted(dict.fromkeys(formats), key=lambda n: n != "json")  # results.json first
    if "json" in chosen:
        path = target / FORMATS["json"].filename
        atomic_write_bytes(path, FORMATS["json"].render(results, lang, extras))
        written.append(path)
    digest, _ = sha256_file(target / "results.json" if "json" in chosen else
                            Bundle(bundle).results)
    writer = _Writer(target, results, extras, lang, csv_separator, source_of(results, digest))
    entries: list[Entry] = []
    for name in chosen:
        if name != "json":
            entries += writer.write(name)
    if entries:
        record(target, entries, lang, csv_separator)
    return written + [target / entry.file for entry in entries]


def _refuse_signed(bundle: Path, output: Path | None, target: Path, same: bool) -> None:
    """InputError when the reports would be written into a signed bundle."""
    signed = bundle if is_signed(bundle) and (same or _inside(output, bundle)) else (
        target if is_signed(target) else None)
    if signed is not None:
        raise InputError(f"{signed} is signed (manifest.json, manifest.sig): writing reports "
                         "into it would break its signature; write them to a folder outside "
                         "it with -o FOLDER, or sign the bundle again afterwards with "
                         "'auditor bundle sign'")


@dataclass(frozen=True)
class _Writer:
    """Writes the report files of one format (both languages for reports for people)."""

    target: Path
    results: Mapping[str, Any]
    extras: BundleExtras
    lang: str
    csv_separator: str
    source: Source

    def write(self, name: str) -> list[Entry]:
        """Render format ``name``; the index entries of the files written."""
        fmt = FORMATS[name]
        lang = self.lang
        other = next(other for other in LANGUAGES if other != lang)
        entries = []
        for this in (lang, other) if fmt.bilingual else (lang,):
            alternate = (Alternate(fmt.filename_for(other if this == lang else lang, lang),
                                   other if this == lang else lang) if fmt.bilingual else None)
            path = self.target / fmt.filename_for(this, lang)
            options = RenderOptions(self.csv_separator, alternate)
            atomic_write_bytes(path, fmt.render(self.results, this, self.extras, options))
            entries.append(Entry(path.name, name, this, self.source))
        if fmt.bilingual:  # e.g. report.en.html once English is the primary report.html
            superseded = self.target / fmt.filename_for(lang, "")
            if superseded.is_file() and not superseded.is_symlink():
                superseded.unlink()
        return entries


def _inside(path: Path | None, folder: Path) -> bool:
    try:
        return path is not None and folder.resolve() in path.resolve().parents
    except OSError:
        return False


def _same_folder(one: Path, two: Path) -> bool:
    try:
        return one.resolve() == two.resolve()
    except OSError:
        return False
