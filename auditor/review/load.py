"""Read one untrusted bundle for the review: verify it, then extract what the nation table needs."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.bundle.allowed_signers import AllowedSigner, check_signer, parse_allowed_signers
from auditor.bundle.jsonfile import JsonInputError
from auditor.bundle.results import (
    MAX_RESULTS_BYTES,
    Results,
    count,
    mapping,
    mappings,
    number,
)
from auditor.bundle.signing import MAX_MANIFEST_BYTES, parse_public_key, verify_bundle
from auditor.bundle.yamlfile import LocatedDocument, parse_yaml, read_user_text
from auditor.errors import InputError, Problem
from auditor.report.freshness import Stale, compare, present, read_index, source_of

MAX_TRUSTED_BYTES = 4 * 1024 * 1024

if TYPE_CHECKING:
    from auditor.history.extract import BundleExtras

VERDICTS = ("compliant", "incomplete", "remediate", "migrate")
URGENCIES = ("low", "medium", "high", "critical")
SEVERITIES = ("critical", "high", "medium", "low")
EOL_CONTROLS = frozenset({"HOST-OS-SUPPORTED", "VIRT-GUEST-OS-SUPPORTED",
                          "VIRT-HYPERVISOR-SUPPORTED"})
"""A failure of any of these is an end-of-life host (a VM or hypervisor is judged by its own)."""
EOL_BLOCKER = "os_end_of_life"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Trust(StrEnum):
    """How far a bundle can be trusted; only ``verified`` and ``signed`` are merged."""

    VERIFIED = "verified"
    """Valid signature by a trusted key of the organisation."""
    SIGNED = "signed"
    """Valid signature; no list of trusted keys was given to check the key against."""
    UNTRUSTED = "untrusted"
    UNSIGNED = "unsigned"
    TAMPERED = "tampered"
    MALFORMED = "malformed"
    DUPLICATE = "duplicate"
    """Another accepted bundle of the same organisation is newer."""


ACCEPTED = frozenset({Trust.VERIFIED, Trust.SIGNED})
IDENTICAL = "identical"
NEWER = "newer"

FindingRow = tuple[str, str, str, str, str, str, str, str]
"""organisation, subject kind, subject id, site, control, severity, status, evidence."""


def text(value: Any, limit: int = 300) -> str:
    """A value as a short single-line string (untrusted input)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, int | float | bool) else ""
    return _CONTROL.sub(" ", value)[:limit]


@dataclass(frozen=True)
class OrgSummary:
    """One organisation's line in the national table."""

    code: str
    name: str
    level: str
    score: float | None
    verdict: str | None
    urgency: str | None
    hosts: int
    hosts_scanned: int
    eol_hosts: int
    sites: int
    site_verdicts: dict[str, int]
    current_annual_idr: float | None
    after_migration_annual_idr: float | None
    savings_idr: float | None
    failed_by_severity: dict[str, int]
    generated_at: str
    spec: str
    site_rows: tuple[tuple[str, str, float | None, str | None], ...] = ()
    """(id, name, score, verdict) per site."""

    @property
    def sites_to_migrate(self) -> int:
        """Sites whose verdict is migrate."""
        return self.site_verdicts.get("migrate", 0)


@dataclass(frozen=True)
class BundleReport:
    """What the review decided about one bundle."""

    path: Path
    trust: Trust
    problems: tuple[str, ...] = ()
    summary: OrgSummary | None = None
    fingerprint: str | None = None
    findings: tuple[FindingRow, ...] = field(default=(), repr=False)
    has_report: bool = False
    report_files: tuple[tuple[str, str], ...] = ()
    """The reports for people in the bundle as (file name, language), report.html first."""
    stale: tuple[Stale, ...] = ()
    """Reports made from other results than the bundle's results.json."""
    results_sha256: str | None = None
    manifest_sha256: str | None = None
    """Digests that show two bundles are the same bundle (byte-identical)."""
    duplicate: str = ""
    """Why a duplicate is one: ``IDENTICAL`` (a copy) or ``NEWER`` (a newer bundle exists)."""
    extras: BundleExtras | None = field(default=None, repr=False)
    """Identity, hosts and plan rows for the history store (accepted bundles only)."""


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _savings(costs: Mapping[str, Any]) -> tuple[float | None, float | None, float | None]:
    current = number(costs.get("current_annual_idr"))
    after = number(costs.get("after_migration_annual_idr"))
    savings = number(costs.get("annual_savings_idr"))
    if savings is None and current is not None and after is not None:
        savings = current - after
    return current, after, savings


def _finding_rows(results: Results, code: str) -> tuple[list[FindingRow], set[str]]:
    """Every finding as a row, and the hosts that failed an end-of-life control."""
    rows: list[FindingRow] = []
    eol: set[str] = set()
    for kind, subjects in (("host", results.hosts), ("site", results.sites),
                           ("service", results.services)):
        for subject in subjects:
            subject_id = text(subject.get("id"), 200)
            site = subject_id if kind == "site" else text(subject.get("site"), 200)
            for finding in mappings(subject.get("findings")):
                control = text(finding.get("control"), 100)
                status = text(finding.get("status"), 40)
                rows.append((code, kind, subject_id, site, control,
                             text(finding.get("severity"), 40), status,
                             text(finding.get("evidence"), 2000)))
                if kind == "host" and control in EOL_CONTROLS and status == "fail":
                    eol.add(subject_id)
    return rows, eol


def _planned_eol(recommendation: Mapping[str, Any]) -> set[str]:
    """Hosts the plan holds back because their operating system is end of life."""
    return {text(host.get("id"), 200) for host in mappings(recommendation.get("hosts"))
            if any(b.get("code") == EOL_BLOCKER for b in mappings(host.get("blockers")))}


def _failed_by_severity(summary: Mapping[str, Any], rows: list[FindingRow]) -> dict[str, int]:
    """Failed findings per severity: the summary's, else counted from the rows."""
    failed = mapping(summary.get("failed_by_severity"))
    if not failed:
        counted = dict.fromkeys(SEVERITIES, 0)
        for row in rows:
            if row[6] == "fail" and row[5] in counted:
                counted[row[5]] += 1
        failed = counted
    return {s: count(failed.get(s)) for s in SEVERITIES}


def _site_verdicts(sites: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    verdicts = dict.fromkeys(VERDICTS, 0)
    for site in sites:
        verdict = _choice(site.get("verdict"), VERDICTS)
        if verdict:
            verdicts[verdict] += 1
    return verdicts


def summarise(results: Results | Mapping[str, Any]) -> tuple[OrgSummary, list[FindingRow]]:
    """The table line and the finding rows of one results.json (names per DESIGN.md)."""
    doc = results if isinstance(results, Results) else Results(results)
    org = doc.organisation
    code = text(org.get("code"), 64).strip()
    if not code:
        raise ValueError("results.json has no organisation code")
    summary, rec, spec = doc.summary, doc.recommendation, doc.spec
    rows, eol = _finding_rows(doc, code)
    eol |= _planned_eol(rec)
    hosts, sites = doc.hosts, doc.sites
    current, after, savings = _savings(doc.costs)
    return OrgSummary(
        code=code, name=text(org.get("name")), level=text(org.get("level"), 40),
        score=number(summary.get("score")),
        verdict=_choice(rec.get("verdict"), VERDICTS) or _choice(summary.get("verdict"), VERDICTS),
        urgency=_choice(rec.get("urgency"), URGENCIES),
        hosts=count(summary.get("hosts")) or len(hosts),
        hosts_scanned=count(summary.get("hosts_scanned")) or sum(
            1 for h in hosts if h.get("status") == "ok"),
        eol_hosts=len(eol), sites=len(sites), site_verdicts=_site_verdicts(sites),
        current_annual_idr=current, after_migration_annual_idr=after, savings_idr=savings,
        failed_by_severity=_failed_by_severity(summary, rows),
        generated_at=text(doc.data.get("generated_at"), 40),
        spec=f"{text(spec.get('id'), 100)} {text(spec.get('version'), 40)}".strip(),
        site_rows=tuple((text(s.get("id"), 200), text(s.get("name")), number(s.get("score")),
                         _choice(s.get("verdict"), VERDICTS)) for s in sites[:1000]),
    ), rows


def read_results(path: Path) -> Results:
    """results.json of an untrusted bundle, checked (see ``Results.load``); ValueError if bad."""
    return read_results_digest(path)[0]


def read_results_digest(path: Path) -> tuple[Results, str]:
    """``read_results`` and the sha256 of the file's bytes.

    A symlink or other odd entry is refused before reading (the bundle's own file only);
    the reason reads after "results.json is", as the review shows it.
    """
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("results.json is not a regular file")
    if info.st_size > MAX_RESULTS_BYTES:
        raise ValueError(f"results.json is larger than {MAX_RESULTS_BYTES // (1024 * 1024)} MiB")
    body = path.read_bytes()
    try:
        results = Results.parse(body, "results.json")
    except JsonInputError as exc:
        raise ValueError(f"results.json is {exc.what}") from None
    return results, hashlib.sha256(body).hexdigest()


def report_files(path: Path) -> tuple[tuple[str, str], ...]:
    """The bundle's HTML reports as (file, language): report.html, then the other language.

    report.html is in the language the other file is not (report.en.html beside it: id);
    alone, its language is unknown (``""``). Symlinks and other odd entries are left out.
    """
    found = []
    for lang in ("en", "id"):
        other = path / f"report.{lang}.html"
        if other.is_file() and not other.is_symlink():
            found.append((other.name, lang))
    main = path / "report.html"
    if not (main.is_file() and not main.is_symlink()):
        return ()
    primary = "id" if found and found[0][1] == "en" else "en" if found else ""
    return (("report.html", primary), *found[:1])


def _stale(path: Path, results: Results, digest: str) -> tuple[Stale, ...]:
    return tuple(compare(read_index(path), source_of(results.data, digest), present(path)))[:20]


def _manifest_digest(path: Path) -> str | None:
    try:
        info = (path / "manifest.json").lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MANIFEST_BYTES:
            return None
        return hashlib.sha256((path / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        return None


def load_trusted_keys(path: Path) -> tuple[AllowedSigner, ...]:
    """Who may sign for which organisation: an OpenSSH allowed_signers file.

    Each line names organisation codes as principals, with optional ``valid-after`` /
    ``valid-before`` dates and ``namespaces="auditor-bundle"``, as ``ssh-keygen -Y verify``
    reads it. The older YAML/JSON mapping of code to public keys (auditor before 0.3) is
    still read, as entries with no dates.
    """
    text_ = read_user_text(path, str(path), "a trusted keys file", MAX_TRUSTED_BYTES)
    try:
        return parse_allowed_signers(text_, str(path))
    except InputError as refused:
        try:
            legacy = parse_yaml(text_, str(path))
        except InputError:
            raise refused from None
        if not isinstance(legacy.data, dict):
            raise refused from None
        return _legacy_trusted_keys(legacy)


def _legacy_trusted_keys(doc: LocatedDocument) -> tuple[AllowedSigner, ...]:
    """The YAML/JSON mapping ``{"32.73": ["ssh-ed25519 AAAA… diskominfo"]}``."""
    entries: list[AllowedSigner] = []
    problems = []
    for code, value in doc.data.items():
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            where = (str(code), index) if isinstance(value, list) else (str(code),)
            try:
                if not isinstance(item, str):
                    raise InputError("expected a public key line")
                key = parse_public_key(item.encode(), doc.file)
            except (InputError, UnicodeError):
                problems.append(Problem(doc.file, doc.line_of(where), str(code),
                                        "not a public key (OpenSSH line or ed25519 PEM)"))
                continue
            entries.append(AllowedSigner((str(code),), key,
                                         source=f"{doc.file}:{doc.line_of(where) or 0}"))
    if problems:
        raise InputError(f"{doc.file}: unusable trusted keys", problems)
    return tuple(entries)


def _trust(kinds: set[str], signed: bool) -> Trust:
    if not signed:
        return Trust.UNSIGNED
    return Trust.TAMPERED if kinds else Trust.SIGNED


def read_bundle(path: Path, trusted: tuple[AllowedSigner, ...] | None) -> BundleReport:
    """Verify one bundle, then extract its summary; never raises for a bad bundle.

    ``trusted``: the allowed signers (organisation code as principal), or None to accept
    any valid signature (reported as ``signed``, not ``verified``).
    """
    try:
        verification = verify_bundle(path)
    except (InputError, OSError) as exc:
        return BundleReport(path, Trust.MALFORMED, (text(str(exc), 300),))
    problems = [str(p) for p in verification.problems]
    trust = _trust({str(p.kind) for p in verification.problems}, verification.signed)
    try:
        results, digest = read_results_digest(path / "results.json")
        summary, rows = summarise(results)
        stale = _stale(path, results, digest)
    except FileNotFoundError:
        return BundleReport(path, Trust.MALFORMED, ("no results.json (run 'auditor check')",
                                                    *problems[:20]))
    except (OSError, ValueError) as exc:
        return BundleReport(path, Trust.MALFORMED, (text(str(exc), 300), *problems[:20]))
    from auditor.history.extract import extras

    history = extras(results.data, verification.manifest, digest)
    del results
    if trust is Trust.SIGNED and trusted is not None and verification.public_key is not None:
        refused = check_signer(trusted, summary.code, verification.public_key)
        if refused is None:
            trust = Trust.VERIFIED
        else:
            trust = Trust.UNTRUSTED
            problems.append(f"signed by key {verification.fingerprint}: {refused}")
    organisation = verification.manifest.get("organisation")
    manifest_code = organisation.get("code") if isinstance(organisation, dict) else None
    if trust in ACCEPTED and manifest_code not in (None, summary.code):
        trust = Trust.TAMPERED
        problems.append("the manifest names another organisation than results.json")
    reports = report_files(path)
    return BundleReport(path, trust, tuple(text(p, 500) for p in problems[:50]), summary,
                        verification.fingerprint,
                        tuple(rows) if trust in ACCEPTED else (), bool(reports), reports,
                        stale, digest, _manifest_digest(path),
                        extras=history if trust in ACCEPTED else dataclasses.replace(
                            history, hosts=(), plan=()))
