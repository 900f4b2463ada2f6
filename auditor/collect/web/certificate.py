"""Certificate facts from DER bytes with cryptography's x509, and our own hostname match."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from auditor.collect.web.untrusted import clean

MAX_SANS = 100
"""Subject alternative names kept at most."""


def _cn(name: x509.Name) -> str | None:
    try:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return None
    return clean(values[0].value) if values else None


def _name(name: x509.Name) -> str:
    try:
        return clean(name.rfc4514_string(), 500)
    except ValueError:
        return "(unreadable name)"


def _key(cert: x509.Certificate) -> dict[str, Any]:
    try:
        key = cert.public_key()
    except (ValueError, TypeError):
        return {"key_type": "unknown", "key_size": None}
    if isinstance(key, rsa.RSAPublicKey):
        return {"key_type": "RSA", "key_size": key.key_size}
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"key_type": "EC", "key_size": key.curve.key_size, "key_curve": key.curve.name}
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {"key_type": "Ed25519", "key_size": 256}
    if isinstance(key, ed448.Ed448PublicKey):
        return {"key_type": "Ed448", "key_size": 456}
    if isinstance(key, dsa.DSAPublicKey):
        return {"key_type": "DSA", "key_size": key.key_size}
    return {"key_type": type(key).__name__, "key_size": None}


def _sans(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return [], []
    dns = [clean(n, 255) for n in ext.get_values_for_type(x509.DNSName)][:MAX_SANS]
    ips = [str(n) for n in ext.get_values_for_type(x509.IPAddress)][:MAX_SANS]
    return dns, ips


def _dns_match(pattern: str, host: str) -> bool:
    """RFC 6125 matching: case-insensitive, a wildcard only as the whole leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if "*" not in pattern:
        return pattern == host
    p_labels, h_labels = pattern.split("."), host.split(".")
    if p_labels[0] != "*" or "*" in ".".join(p_labels[1:]) or len(p_labels) < 3:
        return False
    return len(h_labels) == len(p_labels) and h_labels[1:] == p_labels[1:] and bool(h_labels[0])


def hostname_match(host: str, dns: list[str], ips: list[str]) -> bool:
    """Does the certificate name ``host``? IP hosts match IP SANs only; names match DNS SANs."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return any(_dns_match(name, host) for name in dns)
    return any(ipaddress.ip_address(ip) == address for ip in ips)


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    except Exception:  # unsupported key types cannot prove self-signing
        return False
    return True


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def brief(der: bytes) -> dict[str, Any]:
    """Subject, issuer and validity of one chain certificate."""
    try:
        cert = x509.load_der_x509_certificate(der)
        return {"subject": _name(cert.subject), "issuer": _name(cert.issuer),
                "not_after": _iso(cert.not_valid_after_utc)}
    except ValueError:
        return {"subject": "(unreadable certificate)"}


def certificate_facts(der: bytes, host: str, now: datetime | None = None) -> dict[str, Any]:
    """Facts about the server certificate; raise ValueError when it cannot be read."""
    cert = x509.load_der_x509_certificate(der)
    now = now or datetime.now(UTC)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    dns, ips = _sans(cert)
    try:
        hash_name = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    except Exception:  # unknown algorithms are reported as unknown
        hash_name = None
    try:
        signature = cert.signature_algorithm_oid._name  # the readable OID name
    except AttributeError:
        signature = cert.signature_algorithm_oid.dotted_string
    return {
        "present": True,
        "subject": _name(cert.subject),
        "subject_cn": _cn(cert.subject),
        "san_dns": dns,
        "san_ip": ips,
        "issuer": _name(cert.issuer),
        "issuer_cn": _cn(cert.issuer),
        "self_signed": _self_signed(cert),
        "serial": format(cert.serial_number, "x")[:64],
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "not_before": _iso(not_before),
        "not_after": _iso(not_after),
        "days_left": (not_after - now).days,
        "expired": now > not_after,
        "not_yet_valid": now < not_before,
        "hostname": clean(host, 255),
        "hostname_match": hostname_match(host, dns, ips),
        **_key(cert),
        "signature_algorithm": clean(signature, 80),
        "signature_hash": hash_name,
    }
