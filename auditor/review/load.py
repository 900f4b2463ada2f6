"""Read one untrusted bundle for the review: verify it, then extract what the nation table needs."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.bundle.allowed_signers import AllowedSigner, check_signer, parse_allowed_signers
from auditor.bundle.jsonfile import JsonInputError, parse_json
from auditor.bundle.signing import (
    MAX_MANIFEST_BYTES,
    MAX_RESULTS_BYTES,
    parse_public_key,
    verify_bundle,
)
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


def number(value: Any) -> float | None:
    """A finite number, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def count(value: Any) -> int:
    """A non-negative whole number, else 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return min(value, 10**9)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


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


def _savings(costs: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    current = number(costs.get("current_annual_idr"))
    after = number(costs.get("after_migration_annual_idr"))
    savings = number(costs.get("annual_savings_idr"))
    if savings is None and current is not None and after is not None:
        savings = current - after
    return current, after, savings


def summarise(results: dict[str, Any]) -> tuple[OrgSummary, list[FindingRow]]:
    """The table line and the finding rows of one results.json (names per DESIGN.md)."""
    org = results.get("organisation")
    if not isinstance(org, dict) or not text(org.get("code"), 64).strip():
        raise ValueError("results.json has no organisation code")
    code = text(org.get("code"), 64).strip()
    summary = _dict(results.get("summary"))
    rec = _dict(results.get("recommendation"))
    costs = _dict(rec.get("costs"))
    spec = _dict(results.get("spec"))
    rows: list[FindingRow] = []
    eol: set[str] = set()
    hosts = list(_dicts(results.get("hosts")))
    sites = list(_dicts(results.get("sites")))
    for kind, subjects in (("host", hosts), ("site", sites),
                           ("service", list(_dicts(results.get("services"))))):
        for subject in subjects:
            subject_id = text(subject.get("id"), 200)
            site = subject_id if kind == "site" else text(subject.get("site"), 200)
            for finding in _dicts(subject.get("findings")):
                control = text(finding.get("control"), 100)
                status = text(finding.get("status"), 40)
                rows.append((code, kind, subject_id, site, control,
                             text(finding.get("severity"), 40), status,
                             text(finding.get("evidence"), 2000)))
                if kind == "host" and control in EOL_CONTROLS and status == "fail":
                    eol.add(subject_id)
    for host in _dicts(rec.get("hosts")):
        if any(b.get("code") == EOL_BLOCKER for b in _dicts(host.get("blockers"))):
            eol.add(text(host.get("id"), 200))
    verdicts = dict.fromkeys(VERDICTS, 0)
    for site_entry in sites:
        verdict = _choice(site_entry.get("verdict"), VERDICTS)
        if verdict:
            verdicts[verdict] += 1
    failed = _dict(summary.get("failed_by_severity"))
    if not failed:
        failed = dict.fromkeys(SEVERITIES, 0)
        for row in rows:
            if row[6] == "fail" and row[5] in failed:
                failed[row[5]] += 1
    current, after, savings = _savings(costs)
    return OrgSummary(
        code=code, name=text(org.get("name")), level=text(org.get("level"), 40),
        score=number(summary.get("score")),
        verdict=_choice(rec.get("verdict"), VERDICTS) or _choice(summary.get("verdict"), VERDICTS),
        urgency=_choice(rec.get("urgency"), URGENCIES),
        hosts=count(summary.get("hosts")) or len(hosts),
        hosts_scanned=count(summary.get("hosts_scanned")) or sum(
            1 for h in hosts if h.get("status") == "ok"),
        eol_hosts=len(eol), sites=len(sites), site_verdicts=verdicts,
        current_annual_idr=current, after_migration_annual_idr=after, savings_idr=savings,
        failed_by_severity={s: count(failed.get(s)) for s in SEVERITIES},
        generated_at=text(results.get("generated_at"), 40),
        spec=f"{text(spec.get('id'), 100)} {text(spec.get('version'), 40)}".strip(),
        site_rows=tuple((text(s.get("id"), 200), text(s.get("name")), number(s.get("score")),
                         _choice(s.get("verdict"), VERDICTS)) for s in sites[:1000]),
    ), rows


def read_results(path: Path) -> dict[str, Any]:
    """results.json of an untrusted bundle: a regular file, size-capped, a JSON object."""
    return read_results_digest(path)[0]


def read_results_digest(path: Path) -> tuple[dict[str, Any], str]:
    """``read_results`` and the sha256 of the file's bytes."""
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("results.json is not a regular file")
    if info.st_size > MAX_RESULTS_BYTES:
        raise ValueError(f"results.json is larger than {MAX_RESULTS_BYTES // (1024 * 1024)} MiB")
    body = path.read_bytes()
    try:
        data = parse_json(body, "results.json")
    except JsonInputError as exc:
        raise ValueError(f"results.json is {exc.what}") from None
    if not isinstance(data, dict):
        raise ValueError("results.json is not a JSON object")
    return data, hashlib.sha256(body).hexdigest()


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


def _stale(path: Path, results: dict[str, Any], digest: str) -> tuple[Stale, ...]:
    return tuple(compare(read_index(path), source_of(results, digest), present(path)))[:20]


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

    history = extras(results, verification.manifest, digest)
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
