"""Tamper evidence for a bundle: a manifest of file hashes with an OpenSSH (SSHSIG) signature."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditor.bundle import sshsig
from auditor.bundle.folder import LOCK_NAME, atomic_write_bytes, sha256_file
from auditor.bundle.jsonfile import parse_json
from auditor.bundle.results import Results
from auditor.errors import InputError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MANIFEST_FORMAT = "auditor.manifest/1"
LEGACY_SIGNATURE_FORMAT = "auditor.signature/1"
"""The JSON signature envelope of auditor before 0.3: still verified, with a note."""
LEGACY_NOTE = ("signed in the old auditor.signature/1 format: it still verifies, but sign the "
               "bundle again to get an OpenSSH signature that ssh-keygen -Y verify can check")
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_FILES = 200_000
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_KEY_BYTES = 64 * 1024


class ProblemKind(StrEnum):
    """What is wrong with a bundle."""

    ALTERED = "altered"
    MISSING = "missing"
    EXTRA = "extra"
    UNSAFE_PATH = "unsafe_path"
    BAD_MANIFEST = "bad_manifest"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    UNTRUSTED_KEY = "untrusted_key"


@dataclass(frozen=True)
class BundleProblem:
    """One reason a bundle fails verification."""

    kind: ProblemKind
    path: str
    """The file concerned (relative to the bundle), or empty for the whole bundle."""
    detail: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.kind}: {where}{self.detail}"


@dataclass(frozen=True)
class Verification:
    """The outcome of verifying one bundle."""

    root: Path
    problems: tuple[BundleProblem, ...]
    fingerprint: str | None = None
    """SHA256 fingerprint of the key that signed the manifest (as ssh-keygen -l shows it)."""
    manifest: dict[str, Any] = field(default_factory=dict)
    files: int = 0
    public_key: bytes | None = None
    """The signing key, SSH wire format, when the signature could be read."""
    notes: tuple[str, ...] = ()
    """Remarks that are not problems (an old signature format)."""

    @property
    def organisation(self) -> str | None:
        """The organisation code the signed manifest names."""
        org = self.manifest.get("organisation")
        code = org.get("code") if isinstance(org, dict) else None
        return code if isinstance(code, str) else None

    @property
    def ok(self) -> bool:
        """True when the bundle is complete, unaltered and validly signed."""
        return not self.problems

    @property
    def signed(self) -> bool:
        """True when a signature file exists."""
        return not any(p.kind is ProblemKind.UNSIGNED for p in self.problems)


def _read_capped(path: Path, limit: int, what: str) -> bytes:
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: {what} is not a regular file")
        if info.st_size > limit:
            raise InputError(f"{path}: {what} is larger than {limit // 1024} KiB")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror})") from None


Signer = Callable[[bytes], bytes]
"""Makes the armored SSHSIG signature of a manifest's bytes."""


def load_signer(path: Path, passphrase_env: str | None = None) -> Signer:
    """How to sign with the key file at ``path``.

    An ed25519 private key (OpenSSH or PEM, passphrase from an environment variable) signs
    here. A public key line (its private half in ssh-agent or on a hardware token) or an
    unencrypted private key of another type signs through ``ssh-keygen -Y sign``.
    """
    data = _read_capped(path, MAX_KEY_BYTES, "key")
    if data.lstrip().startswith((b"ssh-", b"ecdsa-", b"sk-")):
        return _keygen_signer(path)
    password = None
    if passphrase_env:
        if passphrase_env not in os.environ:
            raise InputError(f"environment variable {passphrase_env} (the key passphrase) is not "
                             "set")
        password = os.environ[passphrase_env].encode("utf-8")
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key: Any = serialization.load_ssh_private_key(data, password)
        else:
            key = serialization.load_pem_private_key(data, password)
    except TypeError:
        hint = ("the key is encrypted: name the variable holding its passphrase with "
                "--passphrase-env (or add it to ssh-agent and give its .pub file as --key)"
                if password is None else "the key is not encrypted; drop --passphrase-env")
        raise InputError(f"{path}: {hint}") from None
    except UnsupportedAlgorithm:
        return _keygen_signer(path)
    except ValueError:
        if password is not None:
            raise InputError(f"{path}: wrong passphrase (in {passphrase_env}), or not a "
                             "readable OpenSSH or PEM private key") from None
        raise InputError(f"{path}: not a readable OpenSSH or PEM private key") from None
    if isinstance(key, Ed25519PrivateKey):
        private: Ed25519PrivateKey = key
        return lambda body: sshsig.sign_ed25519(private, body)
    if password is not None:
        raise InputError(f"{path}: only an ed25519 key is read with --passphrase-env; for "
                         "another key type add it to ssh-agent and give its .pub file as --key")
    return _keygen_signer(path)


def _keygen_signer(path: Path) -> Signer:
    def sign(body: bytes) -> bytes:
        try:
            return sshsig.sign_with_ssh_keygen(path, body)
        except sshsig.SignatureError as exc:
            raise InputError(f"{path}: {exc}") from None
    return sign


def parse_public_key(data: bytes, shown: str) -> bytes:
    """A public key in SSH wire format, from an OpenSSH line or an ed25519 PEM key."""
    text = data.strip()
    try:
        if text.startswith((b"ssh-", b"ecdsa-", b"sk-")):
            key_type, encoded = text.split()[:2]
            blob = base64.b64decode(encoded, validate=True)
            if blob[4:4 + int.from_bytes(blob[:4], "big")] != key_type:
                raise ValueError("key type mismatch")
            return blob
        key = serialization.load_pem_public_key(text)
    except (ValueError, TypeError, IndexError, UnsupportedAlgorithm):
        raise InputError(f"{shown}: not a readable OpenSSH (.pub) or PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{shown}: a PEM public key must be ed25519; give an OpenSSH .pub "
                         "line for other key types")
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def load_public_key(path: Path) -> bytes:
    """A public key (SSH wire format) from a file: an OpenSSH .pub line or ed25519 PEM."""
    return parse_public_key(_read_capped(path, MAX_KEY_BYTES, "public key"), str(path))


def fingerprint(blob: bytes) -> str:
    """``SHA256:…`` fingerprint, the same text ``ssh-keygen -lf KEY.pub`` prints."""
    return sshsig.key_fingerprint(blob)


def canonical(data: dict[str, Any]) -> bytes:
    """The exact bytes written and signed: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def list_files(root: Path) -> tuple[dict[str, Path], list[BundleProblem]]:
    """Every file of the bundle by sorted relative POSIX path (manifest files excluded).

    Symlinks are not followed out of the bundle: one that escapes it, or any symlinked
    folder, is a problem instead of a file.
    """
    files: dict[str, Path] = {}
    problems: list[BundleProblem] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in list(dirs):
            if (base / name).is_symlink():
                rel = (base / name).relative_to(root).as_posix()
                problems.append(BundleProblem(ProblemKind.UNSAFE_PATH, rel,
                                              "symlinked folder (not followed)"))
                dirs.remove(name)
        dirs.sort()
        for name in sorted(names):
            path = base / name
            rel = path.relative_to(root).as_posix()
            if rel in (MANIFEST, SIGNATURE) or (
                    rel == LOCK_NAME and not path.is_symlink() and path.is_file()):
                continue   # a lock is not content; one that is not a plain file is a problem
            if path.is_symlink() and not _inside(root, path):
                problems.append(BundleProblem(ProblemKind.UNSAFE_PATH, rel,
                                              "symlink pointing outside the bundle"))
                continue
            if not path.is_file():
                problems.append(BundleProblem(ProblemKind.UNSAFE_PATH, rel,
                                              "not a regular file"))
                continue
            files[rel] = path
            if len(files) > MAX_FILES:
                raise InputError(f"{root}: more than {MAX_FILES} files; not an audit bundle")
    return dict(sorted(files.items())), problems


def _results_identity(root: Path) -> dict[str, Any]:
    """Organisation code and spec id/version from results.json, when it is there and valid.

    Read by the one reader of results.json (``Results.load``); a bundle without a valid one is
    still signed, without the identity.
    """
    path = root / "results.json"
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        results = Results.load(path, "results.json")
    except InputError:
        return {}
    return {"organisation": {"code": str(results.organisation["code"])[:64]},
            "spec": {"id": str(results.spec["id"])[:200],
                     "version": str(results.spec.get("version"))[:64]}}


@dataclass(frozen=True)
class Signed:
    """What ``sign_bundle`` wrote."""

    manifest: Path
    signature: Path
    files: int
    fingerprint: str


def sign_bundle(root: Path, sign: Signer | Ed25519PrivateKey) -> Signed:
    """Write ROOT/manifest.json (hashes of every file) and ROOT/manifest.sig, its SSHSIG.

    ``ssh-keygen -Y verify -n auditor-bundle -s manifest.sig`` checks the signature without
    auditor. ``sign``: from ``load_signer``, or an ed25519 private key.
    """
    signer: Signer
    if isinstance(sign, Ed25519PrivateKey):
        key = sign

        def signer(body: bytes) -> bytes:
            return sshsig.sign_ed25519(key, body)
    else:
        signer = sign
    if not root.is_dir():
        raise InputError(f"{root}: no such bundle folder")
    files, problems = list_files(root)
    if problems:
        raise InputError(f"{root}: cannot sign a bundle with unsafe entries:\n"
                         + "\n".join(f"  {p}" for p in problems))
    entries = []
    for rel, path in files.items():
        digest, size = sha256_file(path)
        entries.append({"path": rel, "sha256": digest, "bytes": size})
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest: dict[str, Any] = {"format": MANIFEST_FORMAT, "created_at": now,
                                "files": entries, **_results_identity(root)}
    body = canonical(manifest)
    armored = signer(body)
    try:
        made = sshsig.parse(armored)
        sshsig.verify(made, body)  # never write a signature that does not check
    except sshsig.SignatureError as exc:
        raise InputError(f"{root}: the signature made does not verify ({exc})") from None
    atomic_write_bytes(root / MANIFEST, body)
    atomic_write_bytes(root / SIGNATURE, armored)
    return Signed(root / MANIFEST, root / SIGNATURE, len(entries), made.fingerprint)


def safe_relative(path: object) -> str | None:
    """Why a manifest path is unsafe (absolute, '..', odd characters), or None when it is fine."""
    if not isinstance(path, str) or not path or len(path) > 1024:
        return "not a relative path"
    if "\\" in path or "\x00" in path or any(ord(c) < 32 for c in path):
        return "control character or backslash in the path"
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("/"):
        return "absolute path"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "'..', '.' or an empty part in the path"
    if path in (MANIFEST, SIGNATURE):
        return "the manifest cannot list itself"
    return None


def _manifest_entries(manifest: Any) -> tuple[list[dict[str, Any]], list[BundleProblem]]:
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT \
            or not isinstance(manifest.get("files"), list):
        return [], [BundleProblem(ProblemKind.BAD_MANIFEST, MANIFEST,
                                  f"not an {MANIFEST_FORMAT} manifest")]
    entries: list[dict[str, Any]] = []
    problems: list[BundleProblem] = []
    seen: set[str] = set()
    for index, entry in enumerate(manifest["files"][:MAX_FILES]):
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) \
                or not isinstance(entry.get("bytes"), int):
            problems.append(BundleProblem(ProblemKind.BAD_MANIFEST, MANIFEST,
                                          f"files[{index}] lacks path, sha256 or bytes"))
            continue
        path = entry.get("path")
        reason = safe_relative(path)
        if reason:
            problems.append(BundleProblem(ProblemKind.UNSAFE_PATH, repr(path)[:200], reason))
            continue
        if path in seen:
            problems.append(BundleProblem(ProblemKind.BAD_MANIFEST, str(path), "listed twice"))
            continue
        seen.add(str(path))
        entries.append(entry)
    return entries, problems


@dataclass(frozen=True)
class _Checked:
    """What the signature file says: the key, and what is wrong or worth a note."""

    public_key: bytes | None = None
    problems: tuple[BundleProblem, ...] = ()
    notes: tuple[str, ...] = ()


_MISMATCH = ("the signature does not match manifest.json (the manifest was altered or signed by "
             "another key)")


def _bad(detail: str, path: str = SIGNATURE, key: bytes | None = None) -> _Checked:
    return _Checked(key, (BundleProblem(ProblemKind.BAD_SIGNATURE, path, detail),))


def _check_legacy(data: bytes, body: bytes) -> _Checked:
    """The JSON envelope of auditor.signature/1 (ed25519 over the manifest's bytes)."""
    try:
        envelope = parse_json(data, SIGNATURE)
        blob = parse_public_key(str(envelope["public_key"]).encode("ascii"), SIGNATURE)
        signature = base64.b64decode(str(envelope["signature"]), validate=True)
        public = serialization.load_ssh_public_key(b"ssh-ed25519 " + base64.b64encode(blob))
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("not ed25519")
    except (InputError, ValueError, KeyError, TypeError, RecursionError, UnicodeError,
            UnsupportedAlgorithm):
        return _bad("unreadable signature file")
    try:
        public.verify(signature, body)
    except InvalidSignature:
        return _bad(_MISMATCH, MANIFEST, blob)
    return _Checked(blob, notes=(LEGACY_NOTE,))


def _check_signature(root: Path, body: bytes) -> _Checked:
    path = root / SIGNATURE
    if not path.exists() and not path.is_symlink():
        return _Checked(problems=(BundleProblem(
            ProblemKind.UNSIGNED, SIGNATURE,
            "no signature; sign with 'auditor bundle sign DIR --key KEY'"),))
    try:
        data = _read_capped(path, MAX_KEY_BYTES, "signature")
    except InputError:
        return _bad("unreadable signature file")
    if data.lstrip().startswith(b"{"):
        return _check_legacy(data, body)
    try:
        sig = sshsig.parse(data)
    except sshsig.SignatureError as exc:
        return _bad(f"unreadable signature file ({exc})")
    try:
        sshsig.verify(sig, body)
    except sshsig.SignatureError as exc:
        return _bad(_MISMATCH if "does not match" in str(exc) else str(exc), MANIFEST,
                    sig.public_key)
    return _Checked(sig.public_key)


def verify_bundle(root: Path, trusted: Sequence[bytes] | None = None) -> Verification:
    """Check every file against the manifest and the manifest against its signature.

    ``trusted``: when given, the signing key (SSH wire format) must be one of these; an
    allowed_signers file is checked by the caller with ``check_signer``. InputError only
    when ``root`` is not a folder; everything wrong inside the bundle is a problem.
    """
    if not root.is_dir():
        raise InputError(f"{root}: no such bundle folder")
    manifest_path = root / MANIFEST
    try:
        body = _read_capped(manifest_path, MAX_MANIFEST_BYTES, "manifest")
    except InputError as exc:
        if not manifest_path.exists() and not (root / SIGNATURE).exists():
            return Verification(root, (BundleProblem(
                ProblemKind.UNSIGNED, "", "no manifest.json and no manifest.sig: the bundle was "
                "never signed; sign it with 'auditor bundle sign DIR --key KEY'"),))
        return Verification(root, (BundleProblem(ProblemKind.BAD_MANIFEST, MANIFEST,
                                                 str(exc).split(": ", 1)[-1]),))
    checked = _check_signature(root, body)
    problems = list(checked.problems)
    print_ = fingerprint(checked.public_key) if checked.public_key is not None else None
    if trusted is not None and checked.public_key is not None and not problems \
            and checked.public_key not in trusted:
        problems.append(BundleProblem(ProblemKind.UNTRUSTED_KEY, SIGNATURE,
                                      f"signed by key {print_}, which is not a trusted key"))
    try:
        manifest = parse_json(body, MANIFEST)
    except InputError:
        manifest = None
    entries, entry_problems = _manifest_entries(manifest)
    problems += entry_problems
    files, listing_problems = list_files(root)
    problems += listing_problems
    for entry in entries:
        rel = entry["path"]
        path = files.pop(rel, None)
        if path is None:
            if not any(p.path == rel for p in listing_problems):
                problems.append(BundleProblem(ProblemKind.MISSING, rel, "listed in the manifest "
                                              "but not in the bundle"))
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(BundleProblem(ProblemKind.UNSAFE_PATH, rel, "file larger than 1 GiB"))
            continue
        if size != entry["bytes"] or sha256_file(path)[0] != entry["sha256"]:
            problems.append(BundleProblem(ProblemKind.ALTERED, rel, "content differs from the "
                                          "manifest"))
    problems += [BundleProblem(ProblemKind.EXTRA, rel, "not listed in the manifest")
                 for rel in files]
    return Verification(root, tuple(problems), print_,
                        manifest if isinstance(manifest, dict) else {}, len(entries),
                        checked.public_key, checked.notes)
