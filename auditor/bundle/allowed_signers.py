"""OpenSSH's allowed_signers file: which key may sign for which organisation, and when."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from auditor.bundle.sshsig import NAMESPACE
from auditor.bundle.yamlfile import read_user_text
from auditor.errors import InputError, Problem

MAX_FILE_BYTES = 4 * 1024 * 1024
KEY_TYPE_PREFIXES = ("ssh-", "ecdsa-", "sk-")


@dataclass(frozen=True)
class AllowedSigner:
    """One line of an allowed_signers file."""

    principals: tuple[str, ...]
    """Patterns (``*``, ``?``, ``!`` to exclude) matched against the organisation code."""
    key: bytes
    """The public key, SSH wire format."""
    namespaces: tuple[str, ...] | None = None
    """Namespace patterns the key may sign in; None is any."""
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    source: str = ""
    """``FILE:LINE`` the entry comes from, for messages."""


def _pattern(pattern: str) -> re.Pattern[str]:
    """OpenSSH's wildcards: ``*`` any run, ``?`` one character; nothing else is special."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                              for c in pattern), re.S)


def _patterns_match(patterns: tuple[str, ...], value: str) -> bool:
    """OpenSSH pattern-list semantics: some pattern matches and no negated one does."""
    matched = False
    for pattern in patterns:
        if pattern.startswith("!"):
            if _pattern(pattern[1:]).fullmatch(value):
                return False
        elif _pattern(pattern).fullmatch(value):
            matched = True
    return matched


def _tokens(line: str) -> list[str]:
    """Split on white space outside double quotes (options may quote commas and spaces)."""
    tokens, current, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
            current += char
        elif char.isspace() and not quoted:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if quoted:
        raise ValueError("unclosed double quote")
    if current:
        tokens.append(current)
    return tokens


def _time(value: str) -> datetime:
    """``YYYYMMDD[HHMM[SS]][Z]``: UTC with a final Z, else local time (as OpenSSH reads it)."""
    utc = value.endswith(("Z", "z"))
    digits = value[:-1] if utc else value
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    if not digits.isdigit() or len(digits) not in formats:
        raise ValueError(f"'{value}' is not a time like 20270101 or 202701011200Z")
    parsed = datetime.strptime(digits, formats[len(digits)])
    return parsed.replace(tzinfo=UTC) if utc else parsed.astimezone()


def _options(text: str) -> dict[str, str | None]:
    options: dict[str, str | None] = {}
    for item in _split_options(text):
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if sep and not (len(value) >= 2 and value[0] == value[-1] == '"'):
            raise ValueError(f"option {name}: put the value in double quotes")
        options[name] = value[1:-1] if sep else None
    return options


def _split_options(text: str) -> list[str]:
    items, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [i for i in items if i]


def _entry(line: str, source: str) -> AllowedSigner:
    tokens = _tokens(line)
    if len(tokens) < 3:
        raise ValueError("expected: PRINCIPALS [OPTIONS] KEYTYPE BASE64-KEY [COMMENT]")
    principals = tuple(p for p in tokens[0].split(",") if p)
    options: dict[str, str | None] = {}
    rest = tokens[1:]
    if not rest[0].startswith(KEY_TYPE_PREFIXES):
        options = _options(rest[0])
        rest = rest[1:]
    if len(rest) < 2 or not rest[0].startswith(KEY_TYPE_PREFIXES):
        raise ValueError("no public key (KEYTYPE BASE64-KEY) after the principals and options")
    unknown = set(options) - {"namespaces", "valid-after", "valid-before", "cert-authority"}
    if unknown:
        raise ValueError(f"unknown option {', '.join(sorted(unknown))}")
    if "cert-authority" in options:
        raise ValueError("cert-authority (certificate) entries are not supported: list the "
                         "signing keys themselves")
    try:
        key = base64.b64decode(rest[1], validate=True)
    except ValueError:
        raise ValueError("the public key is not valid base64") from None
    if key[4:4 + int.from_bytes(key[:4], "big")] != rest[0].encode():
        raise ValueError(f"the key data is not a {rest[0]} key")
    namespaces = options.get("namespaces")
    return AllowedSigner(
        principals=principals, key=key,
        namespaces=tuple(namespaces.split(",")) if namespaces is not None else None,
        valid_after=_time(options["valid-after"] or "") if "valid-after" in options else None,
        valid_before=_time(options["valid-before"] or "") if "valid-before" in options
        else None,
        source=source)


def parse_allowed_signers(text: str, shown: str) -> tuple[AllowedSigner, ...]:
    """Every entry of an allowed_signers text; InputError lists each bad line."""
    entries: list[AllowedSigner] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entries.append(_entry(line, f"{shown}:{number}"))
        except ValueError as exc:
            problems.append(Problem(shown, number, "", str(exc)))
    if problems:
        raise InputError(f"{shown}: unusable allowed_signers entries", problems)
    if not entries:
        raise InputError(f"{shown}: no allowed signers (lines like: 32.73 "
                         'namespaces="auditor-bundle" ssh-ed25519 AAAA… comment)')
    return tuple(entries)


def load_allowed_signers(path: Path) -> tuple[AllowedSigner, ...]:
    """Read an allowed_signers file (``ssh-keygen -Y verify -f`` reads the same file)."""
    shown = str(path)
    return parse_allowed_signers(read_user_text(path, shown, "an allowed_signers file",
                                                MAX_FILE_BYTES), shown)


def check_signer(signers: tuple[AllowedSigner, ...], principal: str, key: bytes,
                 when: datetime | None = None, namespace: str = NAMESPACE) -> str | None:
    """None when some entry lets ``key`` sign for ``principal`` at ``when``; else why not.

    ``when`` defaults to now, as ``ssh-keygen -Y verify`` checks: a date the signer wrote
    (the manifest's) could be backdated by whoever holds a revoked key.
    """
    when = when or datetime.now(UTC)
    for_principal = [s for s in signers if _patterns_match(s.principals, principal)]
    if not for_principal:
        return f"no allowed signer listed for organisation {principal}"
    with_key = [s for s in for_principal if s.key == key]
    if not with_key:
        return f"the signing key is not an allowed signer of organisation {principal}"
    reasons = []
    for signer in with_key:
        if signer.namespaces is not None and not _patterns_match(signer.namespaces, namespace):
            reasons.append(f"{signer.source}: the key may not sign '{namespace}'")
        elif signer.valid_after is not None and when < signer.valid_after:
            reasons.append(f"{signer.source}: checked on {when:%Y-%m-%d}, before the key's "
                           f"valid-after {signer.valid_after:%Y-%m-%d}")
        elif signer.valid_before is not None and when > signer.valid_before:
            reasons.append(f"{signer.source}: checked on {when:%Y-%m-%d}, after the key's "
                           f"valid-before {signer.valid_before:%Y-%m-%d} (expired or revoked)")
        else:
            return None
    return "; ".join(reasons)
