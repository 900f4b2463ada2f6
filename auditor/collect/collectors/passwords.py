"""Collector for the password policy: login.defs ageing, pwquality, lockout modules in PAM."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import (
    MAX_ITEMS,
    Block,
    blocks,
    first,
    integer,
    key_values_of,
)
from auditor.collect.collectors.interface import Collector, ParseError

SCRIPT = """\
echo "@logindefs"
grep -E -e '^[[:space:]]*(PASS_MAX_DAYS|PASS_MIN_DAYS|PASS_MIN_LEN|PASS_WARN_AGE)[[:space:]]' \\
  -e '^[[:space:]]*(ENCRYPT_METHOD|LOGIN_RETRIES)[[:space:]]' /etc/login.defs 2>/dev/null
echo "@conf"
grep -H -m 50 -E '^[[:space:]]*[a-z_]+[[:space:]]*=' /etc/security/pwquality.conf \\
  /etc/security/pwquality.conf.d/*.conf /etc/security/faillock.conf 2>/dev/null
if [ -d /etc/pam.d ]; then
  echo "@pam"
  grep -H -m 30 -E 'pam_(pwquality|cracklib|faillock|tally2?|pwhistory|unix|passwdqc)\\.so' \\
    /etc/pam.d/* 2>/dev/null
else
  echo "@nopam"
fi"""

_TAGS = frozenset({"logindefs", "conf", "pam", "nopam"})
_PAM = re.compile(r"^(/etc/pam\.d/[A-Za-z0-9_.-]{1,64}):\s*(-?\w+)\s+(?:\[[^\]]{0,200}\]|\S+)\s+"
                  r"(?:\S*/)?pam_(\w+)\.so(.*)$")
_INT_SETTINGS = ("minlen", "minclass", "dcredit", "ucredit", "lcredit", "ocredit", "maxrepeat",
                 "retry", "difok", "deny", "unlock_time", "remember")


def _args(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for word in text.split():
        key, found, value = word.partition("=")
        if found and key in _INT_SETTINGS and (number := integer(value, -1000, 10**7)) is not None:
            out[key] = number
    return out


def _login_defs(logindefs: Block, facts: dict[str, Any], unknown: dict[str, str]) -> None:
    """Ageing, length, retries and the hash method set in /etc/login.defs."""
    defs = key_values_of([" ".join(r.split()[:2]).replace(" ", "=", 1) for r in logindefs.body],
                         "=")
    for key in ("PASS_MAX_DAYS", "PASS_MIN_DAYS", "PASS_MIN_LEN", "PASS_WARN_AGE",
                "LOGIN_RETRIES"):
        if (value := integer(defs.get(key, ""), -1, 10**6)) is not None:
            facts[key.lower()] = value
    if (method := defs.get("ENCRYPT_METHOD", "")) and method.isalnum():
        facts["encrypt_method"] = method.upper()[:20]
    if not logindefs.body:
        reason = "/etc/login.defs is missing or sets no password ageing"
        unknown["pass_max_days"] = reason


def _conf_files(conf: Block | None) -> tuple[dict[str, int], dict[str, int]]:
    """Settings of pwquality.conf (and its .d) and of faillock.conf, in that order."""
    pwquality: dict[str, int] = {}
    faillock: dict[str, int] = {}
    for row in conf.body if conf else ():
        path, _, setting = row.partition(":")
        option, _, text = setting.partition("=")
        target = faillock if path.endswith("faillock.conf") else pwquality
        target.update(_args(f"{option.strip()}={text.strip()}"))
    return pwquality, faillock


def _pam_lines(pam: Block, facts: dict[str, Any], faillock: dict[str, int]
               ) -> tuple[dict[str, set[str]], list[int]]:
    """The PAM modules in use (module -> files) and every minlen a quality module is given.

    A faillock/tally ``deny`` fills ``faillock`` where its conf file did not set one; the
    largest pwhistory/unix ``remember`` goes to ``facts``.
    """
    modules: dict[str, set[str]] = {}
    pam_minlen: list[int] = []
    for row in pam.body:
        if not (m := _PAM.match(row)):
            continue
        path, _, module, rest = m.groups()
        modules.setdefault(module, set()).add(path.rsplit("/", 1)[-1])
        settings = _args(rest)
        if module in ("pwquality", "cracklib") and "minlen" in settings:
            pam_minlen.append(settings["minlen"])
        if module in ("faillock", "tally", "tally2") and "deny" in settings:
            faillock.setdefault("deny", settings["deny"])
        if module in ("pwhistory", "unix") and "remember" in settings:
            facts["remember"] = max(facts.get("remember", 0), settings["remember"])
    return modules, pam_minlen


def _pam_facts(modules: dict[str, set[str]]) -> dict[str, Any]:
    """The modules in use, and whether a quality and a lockout module are among them."""
    return {
        "pam_modules": {k: sorted(v)[:MAX_ITEMS] for k, v in sorted(modules.items())},
        "quality_module": bool(modules.keys() & {"pwquality", "cracklib", "passwdqc"}),
        "lockout_module": bool(modules.keys() & {"faillock", "tally", "tally2"}),
    }


def parse(text: str) -> dict[str, Any]:
    """Ageing and length from login.defs; pwquality settings; which PAM modules are in use."""
    found = blocks(text, _TAGS)
    logindefs = first(found, "logindefs")
    if logindefs is None:
        raise ParseError("no login.defs block")
    facts: dict[str, Any] = {}
    unknown: dict[str, str] = {}
    _login_defs(logindefs, facts, unknown)
    pwquality, faillock = _conf_files(first(found, "conf"))
    if first(found, "nopam") is not None:
        unknown["pam_modules"] = "no /etc/pam.d (PAM not in use or not readable)"
    pam = first(found, "pam")
    if pam is not None:
        modules, pam_minlen = _pam_lines(pam, facts, faillock)
        facts.update(_pam_facts(modules))
        if pam_minlen:  # a module argument overrides pwquality.conf; the weakest line counts
            pwquality["minlen"] = min(pam_minlen)
    facts["pwquality"] = pwquality
    if "minlen" in pwquality:
        facts["min_length"] = pwquality["minlen"]
    elif "pass_min_len" in facts:
        facts["min_length"] = facts["pass_min_len"]
    if faillock:
        facts["lockout"] = faillock
    if unknown:
        facts["unknown"] = unknown
    return facts


COLLECTOR = Collector("password_policy", "password ageing, quality and lockout", SCRIPT, parse,
                      ("password_policy.pass_max_days", "password_policy.pass_min_days",
                       "password_policy.pass_min_len", "password_policy.pass_warn_age",
                       "password_policy.login_retries", "password_policy.encrypt_method",
                       "password_policy.pwquality", "password_policy.pam_modules",
                       "password_policy.quality_module", "password_policy.lockout_module",
                       "password_policy.remember", "password_policy.min_length",
                       "password_policy.lockout", "password_policy.unknown"))
