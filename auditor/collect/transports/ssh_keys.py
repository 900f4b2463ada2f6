"""SSH host keys and client keys for one scan: known_hosts read once, new keys pinned safely."""

from __future__ import annotations

import base64
import fcntl
import os
import threading
from enum import StrEnum
from pathlib import Path
from typing import Any

import paramiko
from cryptography.exceptions import UnsupportedAlgorithm


class KeyCheck(StrEnum):
    """How a host's key compares with the known_hosts file."""

    KNOWN = "known"
    UNKNOWN = "unknown"
    CHANGED = "changed"
    REVOKED = "revoked"


def known_hosts_name(hostname: str, port: int) -> str:
    """The name OpenSSH files a host under: ``host`` on port 22, else ``[host]:port``."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """The key's SHA256 fingerprint as OpenSSH prints it."""
    return str(key.fingerprint)


class KnownHosts:
    """One known_hosts file, parsed once; lookups and pins are safe between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._keys: paramiko.HostKeys | None = None
        self._revoked: set[bytes] = set()

    def _load(self) -> paramiko.HostKeys:
        """Parse the file on first use (called under the lock)."""
        if self._keys is not None:
            return self._keys
        keys = paramiko.HostKeys()
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = ""
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            revoked = False
            if line.startswith("@"):
                marker, _, line = line.partition(" ")
                if marker != "@revoked":
                    continue  # @cert-authority: certificates are not used here
                revoked = True
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line.strip(), number)
            except Exception:  # noqa: S112 - a bad line is skipped, as OpenSSH does
                continue
            if entry is None:
                continue
            if revoked:
                self._revoked.add(entry.key.asbytes())
                continue
            for name in entry.hostnames:
                keys.add(name, entry.key.get_name(), entry.key)
        self._keys = keys
        return keys

    def known_types(self, name: str) -> list[str]:
        """Key types on file for ``name`` (to prefer them in the key exchange)."""
        with self._lock:
            found = self._load().lookup(name)
            return list(found.keys()) if found is not None else []

    def check(self, name: str, key: paramiko.PKey) -> KeyCheck:
        """Compare ``key`` offered by the host called ``name`` with the file."""
        with self._lock:
            if key.asbytes() in self._revoked:
                return KeyCheck.REVOKED
            found = self._load().lookup(name)
            if found is None or len(found) == 0:
                return KeyCheck.UNKNOWN
            return KeyCheck.KNOWN if any(
                k.asbytes() == key.asbytes() for k in found.values()) else KeyCheck.CHANGED

    def pin(self, name: str, key: paramiko.PKey) -> None:
        """Append ``name``'s key to the file in one write, locked between threads and processes."""
        line = f"{name} {key.get_name()} {key.get_base64()}\n".encode()
        with self._lock:
            keys = self._load()
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            keys.add(name, key.get_name(), key)


class ClientKeys:
    """Private keys loaded once per scan, by file and passphrase variable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[tuple[Path, str | None], paramiko.PKey | str] = {}

    def load(self, path: Path, passphrase_env: str | None) -> paramiko.PKey | str:
        """The key, or a one-line reason it cannot be used (never holding the passphrase)."""
        with self._lock:
            cached = self._loaded.get((path, passphrase_env))
            if cached is not None:
                return cached
            result = _read_key(path, passphrase_env)
            self._loaded[(path, passphrase_env)] = result
            return result


MAX_KEY_BYTES = 1024 * 1024
"""A private key file is a few kilobytes; more than this is not one."""

_OPENSSH_BEGIN = b"-----BEGIN OPENSSH PRIVATE KEY-----"
_OPENSSH_END = b"-----END OPENSSH PRIVATE KEY-----"


def key_encrypted(data: bytes) -> bool:
    """True when a private key file's text says it is protected by a passphrase.

    OpenSSH's own format names its cipher ("none" when not encrypted); PEM files mark
    encryption in a header (PKCS#1) or in their label (PKCS#8).
    """
    if b"Proc-Type: 4,ENCRYPTED" in data or b"BEGIN ENCRYPTED PRIVATE KEY" in data:
        return True
    start, end = data.find(_OPENSSH_BEGIN), data.find(_OPENSSH_END)
    if start < 0 or end < start:
        return False
    try:
        blob = base64.b64decode(b"".join(data[start + len(_OPENSSH_BEGIN):end].split()))
    except ValueError:
        return False
    magic = b"openssh-key-v1\0"
    if not blob.startswith(magic) or len(blob) < len(magic) + 4:
        return False
    size = int.from_bytes(blob[len(magic):len(magic) + 4], "big")
    cipher = blob[len(magic) + 4:len(magic) + 4 + size]
    return cipher != b"none"


def _read_key(path: Path, passphrase_env: str | None) -> paramiko.PKey | str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_BYTES)
    except FileNotFoundError:
        return f"key file {path} not found"
    except PermissionError:
        return f"key file {path} is not readable"
    except OSError as exc:
        return f"key file {path} could not be read ({exc.strerror or type(exc).__name__})"
    # As OpenSSH does, a passphrase is asked only of a key that has one.
    secret: Any = None  # paramiko wants bytes here, whatever its type stubs say
    if key_encrypted(data):
        if not passphrase_env:
            return (f"key file {path.name} is encrypted: set passphrase_env (on the host or "
                    "in defaults) to the name of the environment variable holding its "
                    "passphrase")
        passphrase = os.environ.get(passphrase_env)
        if passphrase is None:
            return (f"environment variable {passphrase_env} (passphrase of {path.name}) "
                    "is not set")
        if not passphrase:
            return f"environment variable {passphrase_env} (passphrase of {path.name}) is empty"
        secret = passphrase.encode()
    try:
        return paramiko.PKey.from_path(path, secret)
    except (paramiko.SSHException, ValueError, TypeError, OSError,
            UnsupportedAlgorithm) as exc:
        if secret is not None and isinstance(exc, ValueError):
            return f"key file {path.name}: wrong passphrase (in ${passphrase_env})"
        return f"key file {path.name} could not be read ({type(exc).__name__})"
