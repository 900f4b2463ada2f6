"""Tamper evidence for a bundle: a manifest of file hashes, signed with an ed25519 key."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditor.bundle import atomic_write_bytes, sha256_file
from auditor.errors import InputError
from auditor.jsonfile import parse_json

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MANIFEST_FORMAT = "auditor.manifest/1"
SIGNATURE_FORMAT = "auditor.signature/1"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_FILES = 200_000
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_KEY_BYTES = 64 * 1024
MAX_RESULTS_BYTES = 64 * 1024 * 1024


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


def load_private_key(path: Path, passphrase_env: str | None = None) -> Ed25519PrivateKey:
    """An ed25519 private key from an OpenSSH or PEM/PKCS8 file (passphrase from an env var)."""
    data = _read_capped(path, MAX_KEY_BYTES, "private key")
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
                "--passphrase-env" if password is None else "the key is not encrypted; drop "
                "--passphrase-env")
        raise InputError(f"{path}: {hint}") from None
    except ValueError:
        raise InputError(f"{path}: not a readable OpenSSH or PEM private key, or the passphrase "
                         "is wrong") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path}: not an ed25519 key; make one with 'ssh-keygen -t ed25519'")
    return key


def parse_public_key(data: bytes, shown: str) -> Ed25519PublicKey:
    """An ed25519 public key from an OpenSSH line (``ssh-ed25519 AAAA… comment``) or PEM."""
    try:
        text = data.strip()
        if text.startswith(b"ssh-"):
            key: Any = serialization.load_ssh_public_key(b" ".join(text.split()[:2]))
        else:
            key = serialization.load_pem_public_key(text)
    except (ValueError, TypeError, IndexError):
        raise InputError(f"{shown}: not a readable OpenSSH (.pub) or PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{shown}: not an ed25519 public key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An ed25519 public key from a file (OpenSSH .pub line or PEM)."""
    return parse_public_key(_read_capped(path, MAX_KEY_BYTES, "public key"), str(path))


def openssh_public(key: Ed25519PublicKey) -> str:
    """The key as an OpenSSH public key line without comment."""
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode("ascii")


def fingerprint(key: Ed25519PublicKey) -> str:
    """``SHA256:…`` fingerprint, the same text ``ssh-keygen -lf KEY.pub`` prints."""
    blob = base64.b64decode(openssh_public(key).split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


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
            if rel in (MANIFEST, SIGNATURE):
                continue
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
    """Organisation code and spec id/version from results.json, when it is there and sane."""
    path = root / "results.json"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RESULTS_BYTES:
            return {}
        data = parse_json(path.read_bytes(), "results.json")
    except (OSError, InputError):
        return {}
    identity: dict[str, Any] = {}
    if not isinstance(data, dict):
        return identity
    org = data.get("organisation")
    if isinstance(org, dict) and isinstance(org.get("code"), str):
        identity["organisation"] = {"code": org["code"][:64]}
    spec = data.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("id"), str):
        identity["spec"] = {"id": spec["id"][:200], "version": str(spec.get("version"))[:64]}
    return identity


@dataclass(frozen=True)
class Signed:
    """What ``sign_bundle`` wrote."""

    manifest: Path
    signature: Path
    files: int
    fingerprint: str


def sign_bundle(root: Path, key: Ed25519PrivateKey) -> Signed:
    """Write ROOT/manifest.json (hashes of every file) and ROOT/manifest.sig (its signature)."""
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
    public = key.public_key()
    signature = {"format": SIGNATURE_FORMAT, "algorithm": "ed25519",
                 "public_key": openssh_public(public), "fingerprint": fingerprint(public),
                 "signed_file": MANIFEST,
                 "signature": base64.b64encode(key.sign(body)).decode("ascii")}
    atomic_write_bytes(root / MANIFEST, body)
    atomic_write_bytes(root / SIGNATURE, canonical(signature))
    return Signed(root / MANIFEST, root / SIGNATURE, len(entries), fingerprint(public))


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


def _check_signature(root: Path, body: bytes,
                     trusted: Sequence[Ed25519PublicKey] | None) -> tuple[str | None,
                                                                          list[BundleProblem]]:
    path = root / SIGNATURE
    if not path.exists() and not path.is_symlink():
        return None, [BundleProblem(ProblemKind.UNSIGNED, SIGNATURE,
                                    "no signature; sign with 'auditor bundle sign DIR --key KEY'")]
    try:
        data = parse_json(_read_capped(path, MAX_KEY_BYTES, "signature"), SIGNATURE)
        public = parse_public_key(str(data["public_key"]).encode("ascii"), SIGNATURE)
        signature = base64.b64decode(str(data["signature"]), validate=True)
    except (InputError, ValueError, KeyError, TypeError, RecursionError, UnicodeError):
        return None, [BundleProblem(ProblemKind.BAD_SIGNATURE, SIGNATURE,
                                    "unreadable signature file")]
    print_ = fingerprint(public)
    try:
        public.verify(signature, body)
    except InvalidSignature:
        return print_, [BundleProblem(ProblemKind.BAD_SIGNATURE, MANIFEST,
                                      "the signature does not match manifest.json (the manifest "
                                      "was altered or signed by another key)")]
    if trusted is not None:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        known = {k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                 for k in trusted}
        if raw not in known:
            return print_, [BundleProblem(ProblemKind.UNTRUSTED_KEY, SIGNATURE,
                                          f"signed by key {print_}, which is not a trusted key")]
    return print_, []


def verify_bundle(root: Path, trusted: Sequence[Ed25519PublicKey] | None = None) -> Verification:
    """Check every file against the manifest and the manifest against its signature.

    ``trusted``: when given, the signing key must be one of these. InputError only when
    ``root`` is not a folder; everything wrong inside the bundle is a problem in the result.
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
    print_, problems = _check_signature(root, body, trusted)
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
                        manifest if isinstance(manifest, dict) else {}, len(entries))
