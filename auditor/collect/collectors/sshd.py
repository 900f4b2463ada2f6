"""Collector for the SSH server's settings: effective (sshd -T) when allowed, else its files."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Any

from auditor.collect.collectors.interface import Collector, ParseError

# sshd -T must read the host keys, so it only works as root: asked of any other user, it
# costs a failed start of sshd (~12 ms) for nothing.
SCRIPT = """\
if [ ! -e /etc/ssh/sshd_config ] && ! command -v sshd >/dev/null 2>&1; then
  echo "@@ absent"
elif [ "$(id -u 2>/dev/null)" = 0 ] && out=$(sshd -T 2>/dev/null) && [ -n "$out" ]; then
  echo "@@ effective"; printf '%s\\n' "$out"
else
  echo "@@ file /etc/ssh/sshd_config"; cat /etc/ssh/sshd_config 2>/dev/null || echo "@@ unreadable"
  for f in /etc/ssh/sshd_config.d/*.conf; do
    [ -f "$f" ] && { echo "@@ file $f"; cat "$f" 2>/dev/null || echo "@@ unreadable"; }
  done
fi
v=$(ssh -V 2>&1) && echo "@@ version $v"
true"""

DEFAULTS = {
    "permitrootlogin": "prohibit-password",
    "passwordauthentication": "yes",
    "pubkeyauthentication": "yes",
    "kbdinteractiveauthentication": "yes",
    "permitemptypasswords": "no",
    "maxauthtries": "6",
    "x11forwarding": "no",
    "port": "22",
    "protocol": "2",
}
"""OpenSSH's compiled-in defaults for the settings the spec looks at (OpenSSH >= 7.0)."""

_MULTI = {"port", "listenaddress", "hostkey", "include", "acceptenv", "subsystem"}
MAX_SETTINGS = 500


def _config_lines(files: dict[str, list[str]], name: str, depth: int = 0) -> list[str]:
    """Lines of one config file with Include expanded in place, as sshd reads them."""
    out: list[str] = []
    for raw in files.get(name, []):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.replace("=", " ", 1).partition(" ")
        if key.lower() == "include" and depth < 5:
            for pattern in value.split():
                full = pattern if pattern.startswith("/") else posixpath.join("/etc/ssh", pattern)
                for match in sorted(f for f in files if fnmatch.fnmatch(f, full)):
                    out.extend(_config_lines(files, match, depth + 1))
            continue
        out.append(line)
    return out


def _settings(config: list[str]) -> dict[str, str]:
    """First value wins, as in sshd; settings under a Match block are conditional: skipped."""
    settings: dict[str, str] = {}
    for line in config:
        key, _, value = line.replace("=", " ", 1).partition(" ")
        key = key.lower()[:64]
        if key == "match":
            break
        value = value.strip()[:1024]
        if key in _MULTI and key in settings:
            settings[key] += " " + value
        elif key not in settings and len(settings) < MAX_SETTINGS:
            settings[key] = value
    return settings


def _version(row: str) -> tuple[str, str] | None:
    """``@@ version OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL ...`` as (9.2p1, the text before ,)."""
    banner = row[len("@@ version "):].split(",", 1)[0].strip()[:100]
    match = re.match(r"OpenSSH_(\d+\.\d+(?:p\d+)?)", banner)
    return (match.group(1), banner) if match and banner.isprintable() else None


def parse(text: str) -> dict[str, Any]:
    """Effective settings with lower-case keys; from files, OpenSSH's defaults fill the gaps."""
    rows = text.splitlines()
    version = next((_version(r) for r in rows if r.startswith("@@ version ")), None)
    rows = [r for r in rows if not r.startswith("@@ version ")]
    if not rows or not rows[0].startswith("@@ "):
        raise ParseError("no sshd marker")
    mode = rows[0][3:].split(" ", 1)[0]
    if mode == "absent":
        return {"installed": False, "source": None, "settings": {}}
    if mode == "effective":
        settings = _settings(rows[1:])
        defaulted: list[str] = []
    elif mode == "file":
        files: dict[str, list[str]] = {}
        current: list[str] | None = None
        main = rows[0][8:].strip()
        for row in rows:
            if row.startswith("@@ file "):
                current = files.setdefault(row[8:].strip(), [])
            elif row == "@@ unreadable":
                raise ParseError("sshd_config is not readable by the audit account")
            elif current is not None:
                current.append(row)
        settings = _settings(_config_lines(files, main))
        defaulted = sorted(k for k in DEFAULTS if k not in settings)
        settings = {k: v for k, v in DEFAULTS.items() if k in defaulted} | settings
    else:
        raise ParseError(f"unknown sshd mode {mode[:20]!r}")
    for key in ("permitrootlogin", "passwordauthentication", "pubkeyauthentication",
                "permitemptypasswords", "x11forwarding", "kbdinteractiveauthentication"):
        if key in settings:
            settings[key] = settings[key].lower()
    max_tries = settings.get("maxauthtries", "")
    return {
        "installed": True,
        "source": "effective" if mode == "effective" else "config",
        "defaults_assumed": defaulted,
        "settings": settings,
        "permitrootlogin": settings.get("permitrootlogin"),
        "passwordauthentication": settings.get("passwordauthentication"),
        "maxauthtries": int(max_tries) if max_tries.isdigit() else None,
        "ciphers": settings["ciphers"].split(",") if "ciphers" in settings else None,
        "version": version[0] if version else None,
        "version_text": version[1] if version else None,
    }


COLLECTOR = Collector("sshd", "SSH server settings", SCRIPT, parse,
                      ("sshd.installed", "sshd.source", "sshd.settings", "sshd.permitrootlogin",
                       "sshd.passwordauthentication", "sshd.maxauthtries", "sshd.ciphers",
                       "sshd.defaults_assumed", "sshd.version", "sshd.version_text"))
