"""OpenSSH's SSHSIG signatures (``ssh-keygen -Y sign``/``verify``): made, read and checked."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

NAMESPACE = "auditor-bundle"
"""The SSHSIG namespace of a bundle manifest: a signature for anything else never counts."""
MAGIC = b"SSHSIG"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
HASHES = {"sha512": hashlib.sha512, "sha256": hashlib.sha256}
MAX_SIGNATURE_TEXT = 64 * 1024
_ECDSA = {"ecdsa-sha2-nistp256": (ec.SECP256R1(), hashes.SHA256()),
          "ecdsa-sha2-nistp384": (ec.SECP384R1(), hashes.SHA384()),
          "ecdsa-sha2-nistp521": (ec.SECP521R1(), hashes.SHA512())}
_RSA = {"rsa-sha2-512": hashes.SHA512(), "rsa-sha2-256": hashes.SHA256()}


class SignatureError(ValueError):
    """A signature that cannot be read, or that does not verify; the message says which."""


def _string(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


class _Reader:
    """SSH wire-format fields read one after the other, never past the end."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def raw(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise SignatureError("truncated SSH signature data")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def uint32(self) -> int:
        return int.from_bytes(self.raw(4), "big")

    def string(self) -> bytes:
        return self.raw(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode("ascii")
        except UnicodeDecodeError:
            raise SignatureError("non-ASCII name in SSH signature data") from None

    def done(self) -> bool:
        return self.at == len(self.data)


@dataclass(frozen=True)
class SshSig:
    """One parsed SSHSIG signature."""

    public_key: bytes
    """The signer's public key, SSH wire format (as in an OpenSSH .pub line, decoded)."""
    namespace: str
    hash_algorithm: str
    signature: bytes
    """The SSH signature blob: algorithm name and signature bytes."""

    @property
    def key_type(self) -> str:
        """The key type: ``ssh-ed25519``, ``ecdsa-sha2-nistp256``, ``ssh-rsa``, ``sk-…``."""
        return _Reader(self.public_key).text()

    @property
    def fingerprint(self) -> str:
        """``SHA256:…``, as ``ssh-keygen -l`` prints it."""
        return key_fingerprint(self.public_key)

    @property
    def public_line(self) -> str:
        """The signer's key as an OpenSSH public key line (no comment)."""
        return f"{self.key_type} {base64.b64encode(self.public_key).decode('ascii')}"


def key_fingerprint(blob: bytes) -> str:
    """``SHA256:…`` fingerprint of a public key in SSH wire format."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _signed_data(namespace: str, hash_algorithm: str, message: bytes) -> bytes:
    digest = HASHES[hash_algorithm](message).digest()
    return (MAGIC + _string(namespace.encode()) + _string(b"") +
            _string(hash_algorithm.encode()) + _string(digest))


def armor(blob: bytes) -> bytes:
    """The PEM-like text ``ssh-keygen -Y sign`` writes (base64 in lines of 70)."""
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END]).encode("ascii") + b"\n"


def sign_ed25519(key: ed25519.Ed25519PrivateKey, message: bytes,
                 namespace: str = NAMESPACE) -> bytes:
    """An armored SSHSIG signature of ``message`` by an ed25519 key (sha512, as ssh-keygen)."""
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    public_blob = _string(b"ssh-ed25519") + _string(public)
    raw = key.sign(_signed_data(namespace, "sha512", message))
    blob = (MAGIC + (1).to_bytes(4, "big") + _string(public_blob) + _string(namespace.encode())
            + _string(b"") + _string(b"sha512") + _string(_string(b"ssh-ed25519") + _string(raw)))
    return armor(blob)


def sign_with_ssh_keygen(key_file: Path, message: bytes, namespace: str = NAMESPACE) -> bytes:
    """Sign with ``ssh-keygen -Y sign``: for a key held by ssh-agent or a hardware token.

    ``key_file`` is the public key (its private half in the agent) or an unencrypted private
    key of any type ssh-keygen knows. SignatureError carries ssh-keygen's own words.
    """
    program = shutil.which("ssh-keygen")
    if program is None:
        raise SignatureError("ssh-keygen is not installed (package openssh-client): it signs "
                             "with keys held by ssh-agent or a hardware token")
    try:
        result = subprocess.run([program, "-q", "-Y", "sign", "-f", str(key_file), "-n",
                                 namespace], input=message, capture_output=True, timeout=120,
                                check=False)
    except subprocess.TimeoutExpired:
        raise SignatureError("ssh-keygen did not finish signing within 120 s (a hardware "
                             "token waiting for a touch?)") from None
    if result.returncode != 0 or BEGIN.encode() not in result.stdout:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SignatureError("ssh-keygen could not sign: " + (said[-1] if said else
                                                               f"exit {result.returncode}"))
    return result.stdout


def parse(text: bytes) -> SshSig:
    """Read an armored SSHSIG signature; SignatureError says what is wrong."""
    if len(text) > MAX_SIGNATURE_TEXT:
        raise SignatureError("signature file larger than 64 KiB")
    try:
        lines = text.decode("ascii").strip().splitlines()
    except UnicodeDecodeError:
        raise SignatureError("not an SSH signature (non-ASCII bytes)") from None
    if len(lines) < 3 or lines[0].strip() != BEGIN or lines[-1].strip() != END:
        raise SignatureError(f"not an SSH signature (no '{BEGIN}' armor)")
    try:
        blob = base64.b64decode("".join(line.strip() for line in lines[1:-1]), validate=True)
    except ValueError:
        raise SignatureError("SSH signature armor holds no valid base64") from None
    reader = _Reader(blob)
    if reader.raw(6) != MAGIC or reader.uint32() != 1:
        raise SignatureError("not an SSHSIG version 1 signature")
    public_key = reader.string()
    namespace = reader.text()
    reader.string()  # reserved
    hash_algorithm = reader.text()
    signature = reader.string()
    if not reader.done():
        raise SignatureError("trailing bytes after the SSH signature")
    if hash_algorithm not in HASHES:
        raise SignatureError(f"unknown hash algorithm '{hash_algorithm[:20]}'")
    return SshSig(public_key, namespace, hash_algorithm, signature)


def verify(sig: SshSig, message: bytes, namespace: str = NAMESPACE) -> None:
    """Raise SignatureError unless ``sig`` signs ``message`` in ``namespace`` with its key.

    ed25519, ECDSA and RSA keys are checked here; hardware-token (sk-) keys through
    ``ssh-keygen -Y check-novalidate``.
    """
    if sig.namespace != namespace:
        raise SignatureError(f"signature made for namespace '{sig.namespace[:40]}', not "
                             f"'{namespace}'")
    data = _signed_data(namespace, sig.hash_algorithm, message)
    key_type = sig.key_type
    if key_type.startswith("sk-"):
        _verify_with_ssh_keygen(sig, message, namespace)
        return
    reader = _Reader(sig.signature)
    algorithm, raw = reader.text(), reader.string()
    try:
        _verify_raw(key_type, algorithm, raw, sig.public_key, data)
    except InvalidSignature:
        raise SignatureError("the signature does not match the signed file") from None
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"unusable {key_type[:40]} key or signature ({exc})") from None


def _verify_raw(key_type: str, algorithm: str, raw: bytes, public_blob: bytes,
                data: bytes) -> None:
    key = serialization.load_ssh_public_key(
        f"{key_type} {base64.b64encode(public_blob).decode()}".encode())
    if key_type == "ssh-ed25519" and algorithm == "ssh-ed25519":
        assert isinstance(key, ed25519.Ed25519PublicKey)
        key.verify(raw, data)
    elif key_type in _ECDSA and algorithm == key_type:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        parts = _Reader(raw)
        r, s = int.from_bytes(parts.string(), "big"), int.from_bytes(parts.string(), "big")
        key.verify(utils.encode_dss_signature(r, s), data, ec.ECDSA(_ECDSA[key_type][1]))
    elif key_type == "ssh-rsa" and algorithm in _RSA:
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(raw, data, padding.PKCS1v15(), _RSA[algorithm])
    else:
        raise SignatureError(f"a {key_type[:40]} key with a {algorithm[:40]} signature is not "
                             "supported")


def _verify_with_ssh_keygen(sig: SshSig, message: bytes, namespace: str) -> None:
    program = shutil.which("ssh-keygen")
    if program is None:
        raise SignatureError("a hardware-token signature needs ssh-keygen to verify (package "
                             "openssh-client)")
    with tempfile.TemporaryDirectory(prefix="auditor-sshsig-") as folder:
        sig_file = Path(folder) / "manifest.sig"
        sig_file.write_bytes(armor(MAGIC + (1).to_bytes(4, "big") + _string(sig.public_key)
                                   + _string(namespace.encode()) + _string(b"")
                                   + _string(sig.hash_algorithm.encode())
                                   + _string(sig.signature)))
        try:
            result = subprocess.run([program, "-Y", "check-novalidate", "-n", namespace, "-s",
                                     str(sig_file)], input=message, capture_output=True,
                                    timeout=120, check=False)
        except subprocess.TimeoutExpired:
            raise SignatureError("ssh-keygen did not answer within 120 s") from None
    if result.returncode != 0:
        raise SignatureError("the signature does not match the signed file")
