"""What --verbose shows of SSH: the transport's decisions per host and paramiko's log, redacted."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import paramiko

from auditor.inventory.load import Inventory

LOG = logging.getLogger("auditor.ssh")

MAX_KNOWN_HOSTS_BYTES = 16 * 1024 * 1024
"""A known_hosts file read beyond this for --verbose is not searched further."""

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?"
                  r"(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.DOTALL)
_BLOB = re.compile(r"[A-Za-z0-9+/]{60,}={0,2}")
_TRACEBACK = ("Traceback", " ")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Control characters: a hostile server's banner must not drive the user's terminal."""


class Redact(logging.Filter):
    """Removes secrets from each log line: passwords and passphrases, key material.

    The values of the environment variables an inventory names for passwords and
    passphrases become ``***``; private key blocks and any long base64 run (key blobs,
    signatures) become ``[redacted]``; control characters are shown escaped. paramiko's
    own tracebacks are dropped: the scan reports each failure in one line.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without secrets; False drops a traceback line."""
        try:
            text = record.getMessage()
        except Exception:  # a malformed log call: show nothing of it
            text = str(record.msg)
        if record.name.startswith("paramiko") and record.levelno >= logging.ERROR and \
                text.startswith(_TRACEBACK):
            return False
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _BLOB.sub("[redacted]", _PEM.sub("[redacted]", text))
        text = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)
        record.msg, record.args = text, None
        return True


class _Format(logging.Formatter):
    """``auditor: message``; paramiko's lines prefixed with the hop they come from."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name.startswith("paramiko.transport."):
            return f"{record.name[len('paramiko.transport.'):]}: paramiko: {record.getMessage()}"
        if record.name.startswith("paramiko"):
            return f"paramiko: {record.getMessage()}"
        return record.getMessage()


def inventory_secrets(inventory: Inventory) -> list[str]:
    """Values of every password and passphrase variable the inventory names."""
    names = {n for h in inventory.hosts for n in (h.password_env, h.passphrase_env) if n}
    return [os.environ.get(n, "") for n in sorted(names)]


@contextlib.contextmanager
def scan_logging(inventory: Inventory, *, verbose: bool, quiet: bool) -> Iterator[None]:
    """Send the scan's log to stderr for the block: warnings, or everything with ``verbose``.

    ``quiet`` keeps only errors. Every line goes through :class:`Redact`.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Redact(inventory_secrets(inventory)))
    handler.setFormatter(_Format())
    ours, theirs = logging.getLogger("auditor"), logging.getLogger("paramiko")
    saved = (ours.level, theirs.level)
    ours.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    ours.addHandler(handler)
    if verbose:
        theirs.setLevel(logging.DEBUG)
        theirs.addHandler(handler)
    try:
        yield
    finally:
        ours.removeHandler(handler)
        theirs.removeHandler(handler)
        ours.setLevel(saved[0])
        theirs.setLevel(saved[1])


def known_hosts_entry(path: Path, name: str, key: paramiko.PKey) -> str:
    """Where ``key`` of ``name`` is on file: ``FILE line N`` (hashed names included)."""
    blob = key.get_base64()
    try:
        with path.open("rb") as handle:
            text = handle.read(MAX_KNOWN_HOSTS_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return str(path)
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if len(fields) < 3 or line.startswith(("#", "@")) or blob not in fields[1:3]:
            continue
        for entry in fields[0].split(","):
            if entry == name or (entry.startswith("|1|") and
                                 paramiko.HostKeys.hash_host(name, entry) == entry):
                return f"{path} line {number}"
    return str(path)
