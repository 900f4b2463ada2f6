"""TLS facts with the ssl module: accepted protocol versions, negotiated cipher, certificates."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.collect.web.watchdog import Watchdog

MAX_CHAIN = 8
"""Certificates kept at most from the chain a server sends."""

VERSIONS: tuple[tuple[str, str, ssl.TLSVersion, bool], ...] = (
    ("tls1_0", "TLSv1", ssl.TLSVersion.TLSv1, ssl.HAS_TLSv1),
    ("tls1_1", "TLSv1.1", ssl.TLSVersion.TLSv1_1, ssl.HAS_TLSv1_1),
    ("tls1_2", "TLSv1.2", ssl.TLSVersion.TLSv1_2, ssl.HAS_TLSv1_2),
    ("tls1_3", "TLSv1.3", ssl.TLSVersion.TLSv1_3, ssl.HAS_TLSv1_3),
)
"""Fact key, the name ssl reports, the version, and whether this Python's OpenSSL has it."""
LEGACY = ("tls1_0", "tls1_1")
_LOCAL_LIMITS = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE",
                 "NO_SUITABLE_SIGNATURE_ALGORITHM")
LOW_SECURITY_CIPHERS = "DEFAULT:@SECLEVEL=0"
"""Lets the local OpenSSL offer what its default security level refuses (to test, not trust)."""


class HandshakeError(Exception):
    """No TLS session; ``kind``: refused (by TLS), unreachable, timeout, local (cannot offer)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class Handshake:
    """What one successful handshake showed."""

    version: str | None
    cipher: str | None
    bits: int | None
    leaf: bytes | None
    """The server certificate, DER."""
    chain: tuple[bytes, ...] = field(default=())
    """The certificates the server sent, DER, leaf first (when this Python can list them)."""


def _probe_context(version: ssl.TLSVersion | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(LOW_SECURITY_CIPHERS)
    if version is not None:
        context.minimum_version = version
        context.maximum_version = version
    else:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    return context


def _chain(sock: ssl.SSLSocket) -> tuple[bytes, ...]:
    inner: Any = getattr(sock, "_sslobj", None)
    getter = getattr(inner, "get_unverified_chain", None)
    if getter is None:
        return ()
    try:
        certs = getter() or []
        return tuple(c.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
                     for c in certs[:MAX_CHAIN])
    except (ssl.SSLError, ValueError, TypeError, AttributeError):
        return ()


def handshake(host: str, port: int, context: ssl.SSLContext, timeout: float,
              watchdog: Watchdog) -> Handshake:
    """One TLS handshake; HandshakeError says why there is no session."""
    if watchdog.expired:
        raise HandshakeError("timeout", "time budget for the service spent")
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
        watchdog.track(raw)
    except TimeoutError:
        raise HandshakeError("timeout", "no TCP answer within the timeout") from None
    except OSError as exc:
        raise HandshakeError("unreachable", f"cannot connect: {exc.strerror or exc}") from None
    try:
        with context.wrap_socket(raw, server_hostname=host) as sock:
            cipher = sock.cipher()
            return Handshake(version=sock.version(), cipher=cipher[0] if cipher else None,
                             bits=cipher[2] if cipher else None,
                             leaf=sock.getpeercert(binary_form=True), chain=_chain(sock))
    except ssl.SSLCertVerificationError:
        raise
    except ssl.SSLError as exc:
        if watchdog.expired:
            raise HandshakeError("timeout", "time budget for the service spent") from None
        reason = exc.reason or str(exc)
        if reason in _LOCAL_LIMITS:
            raise HandshakeError("local", f"the local OpenSSL cannot offer it ({reason})") from None
        raise HandshakeError("refused", f"handshake refused ({str(reason)[:120]})") from None
    except TimeoutError:
        raise HandshakeError("timeout", "no TLS answer within the timeout") from None
    except OSError as exc:
        if watchdog.expired:
            raise HandshakeError("timeout", "time budget for the service spent") from None
        raise HandshakeError("refused", f"connection closed during handshake ({exc})") from None
    finally:
        raw.close()


def best_handshake(host: str, port: int, timeout: float, watchdog: Watchdog) -> Handshake:
    """The handshake a client offering every version gets (raise HandshakeError)."""
    return handshake(host, port, _probe_context(None), timeout, watchdog)


def accepted_versions(host: str, port: int, timeout: float,
                      watchdog: Watchdog) -> dict[str, Any]:
    """Try each TLS version alone; the tls facts about versions."""
    versions: dict[str, bool | None] = {}
    untested: dict[str, str] = {}
    for key, _name, version, available in VERSIONS:
        if not available:
            versions[key] = None
            untested[key] = "the local OpenSSL was built without it"
            continue
        try:
            context = _probe_context(version)
        except (ValueError, ssl.SSLError) as exc:
            versions[key] = None
            untested[key] = f"the local OpenSSL cannot offer it ({exc})"
            continue
        try:
            handshake(host, port, context, timeout, watchdog)
            versions[key] = True
        except HandshakeError as exc:
            if exc.kind == "refused":
                versions[key] = False
            else:
                versions[key] = None
                untested[key] = exc.reason
    names = {key: name for key, name, _v, _a in VERSIONS}
    legacy = [versions[k] for k in LEGACY]
    if any(v is True for v in legacy):
        legacy_accepted: bool | None = True
    elif all(v is False for v in legacy):
        legacy_accepted = False
    else:
        legacy_accepted = None
    return {
        "versions": versions,
        "accepted": [names[k] for k, v in versions.items() if v is True],
        "untested": untested,
        "legacy_versions_accepted": legacy_accepted,
        "modern_version_accepted": bool(versions.get("tls1_2") or versions.get("tls1_3")),
    }


def verify_chain(host: str, port: int, timeout: float, ca_file: Path | None,
                 watchdog: Watchdog) -> tuple[bool, str | None]:
    """Whether the chain verifies against the trust store (hostname not checked here)."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        handshake(host, port, context, timeout, watchdog)
    except ssl.SSLCertVerificationError as exc:
        return False, str(exc.verify_message or exc.reason or "verification failed")[:200]
    return True, None
