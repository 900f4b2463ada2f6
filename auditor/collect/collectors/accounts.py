"""Collector for local accounts: UID 0, login shells, admin groups; password state when readable."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.common import MAX_ITEMS, blocks, first, integer, name
from auditor.collect.collectors.interface import Collector, ParseError

MAX_ACCOUNTS = 5000

SCRIPT = f"""\
echo "@passwd"; head -n {MAX_ACCOUNTS} /etc/passwd
echo "@uidmin"; grep -E '^[[:space:]]*UID_MIN[[:space:]]' /etc/login.defs 2>/dev/null
echo "@groups"; grep -E '^(sudo|wheel|admin|root):' /etc/group 2>/dev/null
if [ -r /etc/shadow ]; then
  echo "@shadow"
  awk -F: 'NR <= {MAX_ACCOUNTS} {{s = "hash"; if ($2 == "") s = "empty";
    else if ($2 ~ /^[!*]/) s = "locked"; print $1 ":" s}}' /etc/shadow 2>/dev/null
else
  echo "@noshadow"
fi"""

_TAGS = frozenset({"passwd", "uidmin", "groups", "shadow", "noshadow"})
NO_LOGIN = ("nologin", "false", "sync", "shutdown", "halt", "true")


def parse(text: str) -> dict[str, Any]:
    """Counts and names from /etc/passwd; never a password hash (the snippet prints none)."""
    found = blocks(text, _TAGS)
    passwd = first(found, "passwd")
    if passwd is None:
        raise ParseError("no /etc/passwd block")
    uid_min_block = first(found, "uidmin")
    words = uid_min_block.body[0].split() if uid_min_block and uid_min_block.body else []
    uid_min = (integer(words[1], 1, 65535) if len(words) == 2 else None) or 1000
    accounts: dict[str, tuple[int, str]] = {}
    for row in passwd.body:
        fields = row.split(":")
        if len(fields) != 7 or not (user := name(fields[0])):
            continue
        uid = integer(fields[2], 0, 2**32)
        if uid is not None and user not in accounts:
            accounts[user] = (uid, fields[6].strip())
    if not accounts:
        raise ParseError("/etc/passwd lists no account")
    login = sorted(u for u, (_, shell) in accounts.items()
                   if shell and shell.rsplit("/", 1)[-1] not in NO_LOGIN)
    facts: dict[str, Any] = {
        "count": len(accounts),
        "uid0": sorted(u for u, (uid, _) in accounts.items() if uid == 0)[:MAX_ITEMS],
        "login": login[:MAX_ITEMS],
        "login_count": len(login),
        "human_count": sum(1 for uid, _ in accounts.values() if uid_min <= uid < 60000),
        "uid_min": uid_min,
    }
    admins: set[str] = set()
    groups = first(found, "groups")
    for row in groups.body if groups else ():
        fields = row.split(":")
        if len(fields) == 4 and fields[0] in ("sudo", "wheel", "admin"):
            admins.update(m for m in fields[3].split(",") if name(m))
    facts["admin_group_members"] = sorted(admins)[:MAX_ITEMS]
    shadow = first(found, "shadow")
    if shadow is not None:
        states = dict(r.rsplit(":", 1) for r in shadow.body if r.count(":") == 1)
        facts["empty_password"] = sorted(u for u, s in states.items()
                                         if s == "empty" and name(u))[:MAX_ITEMS]
        facts["unlocked_uid0"] = sorted(u for u in facts["uid0"] if states.get(u) == "hash")
    else:
        reason = "/etc/shadow is readable only by root"
        facts["unknown"] = {"empty_password": reason, "unlocked_uid0": reason}
    return facts


COLLECTOR = Collector("accounts", "local accounts, UID 0, login shells", SCRIPT, parse,
                      ("accounts.count", "accounts.uid0", "accounts.login",
                       "accounts.login_count", "accounts.human_count", "accounts.uid_min",
                       "accounts.admin_group_members", "accounts.empty_password",
                       "accounts.unlocked_uid0", "accounts.unknown"))
