"""Collector for the host firewall: rules when readable (root), else services and front-ends."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import TIMEOUT, Block, blocks, first, integer, name
from auditor.collect.collectors.interface import Collector, ParseError

UNITS = ("firewalld", "ufw", "nftables", "iptables", "netfilter-persistent")
MAX_RULE_LINES = 3000

SCRIPT = TIMEOUT + f"""
echo "@uid $(id -u)"
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  echo "@units"; $T systemctl is-active {' '.join(u + '.service' for u in UNITS)} 2>/dev/null
fi
echo "@started"
for s in firewalld ufw nftables iptables ip6tables; do
  [ -e /run/openrc/started/$s ] || [ -e /var/lock/subsys/$s ] && echo $s
done
[ -r /etc/ufw/ufw.conf ] && echo "@ufw $(grep -E '^ENABLED=' /etc/ufw/ufw.conf)"
[ -r /etc/firewalld/firewalld.conf ] && \\
  echo "@firewalld $(grep -E '^DefaultZone=' /etc/firewalld/firewalld.conf)"
if command -v nft >/dev/null 2>&1; then
  echo "@nft"; $T nft list ruleset 2>&1 | head -n {MAX_RULE_LINES}
fi
if command -v iptables >/dev/null 2>&1; then
  echo "@iptables"; $T iptables -S 2>&1 | head -n {MAX_RULE_LINES}
fi"""

_TAGS = frozenset({"uid", "units", "started", "ufw", "firewalld", "nft", "iptables"})
_NFT_SKIP = ("table ", "chain ", "}", "type ", "policy ", "set ", "map ", "elements ", "flags ",
             "comment ", "counter packets", "#")
_NFT_POLICY = re.compile(r"type filter hook input priority [^;]{1,40}; policy (accept|drop);")
_DENIED = ("permission denied", "operation not permitted", "you must be root")


def _nft(body: tuple[str, ...]) -> tuple[int, str | None] | str:
    """Rule count and input policy, or why the ruleset could not be read."""
    joined = " ".join(body[:3]).lower()
    if any(word in joined for word in _DENIED):
        return "nft needs root (CAP_NET_ADMIN) to list the ruleset"
    rules = sum(1 for r in body if r.strip() and not r.strip().startswith(_NFT_SKIP))
    policies = [m.group(1) for r in body if (m := _NFT_POLICY.search(r))]
    policy = "drop" if "drop" in policies else ("accept" if policies else None)
    return rules, policy


def _iptables(body: tuple[str, ...]) -> tuple[int, str | None] | str:
    joined = " ".join(body[:3]).lower()
    if any(word in joined for word in _DENIED):
        return "iptables needs root (CAP_NET_ADMIN) to list the rules"
    if not any(r.startswith("-P ") for r in body):
        return "iptables printed no chain policies"
    rules = sum(1 for r in body if r.startswith("-A "))
    policy = next((r.split()[2].lower() for r in body
                   if r.startswith("-P INPUT ") and len(r.split()) == 3), None)
    return rules, policy if policy in ("accept", "drop") else None


def _services(found: list[Block]) -> dict[str, str]:
    """Each firewall unit's state from systemd, plus what OpenRC or SysV init started."""
    units = first(found, "units")
    services: dict[str, str] = {}
    if units is not None:
        states = [r.strip() for r in units.body]
        if len(states) == len(UNITS) and all(name(s) for s in states):
            services = dict(zip(UNITS, states, strict=True))
    started = first(found, "started")
    for service in started.body if started else ():
        if service in ("firewalld", "ufw", "nftables", "iptables", "ip6tables"):
            services[service] = "active"  # OpenRC or SysV init marks what it started
    return services


def _front_ends(found: list[Block]) -> dict[str, Any]:
    """Whether ufw is enabled and firewalld's default zone, where their config was readable."""
    facts: dict[str, Any] = {}
    ufw, firewalld = first(found, "ufw"), first(found, "firewalld")
    if ufw is not None and ufw.arg.startswith("ENABLED="):
        facts["ufw_enabled"] = ufw.arg[8:].strip("\"' ").lower() == "yes"
    if firewalld is not None and firewalld.arg.startswith("DefaultZone="):
        facts["firewalld_zone"] = name(firewalld.arg[12:]) or None
    return facts


def _rules(found: list[Block]) -> tuple[dict[str, Any], list[str]]:
    """The fuller of the nft and iptables rule sets, and why each unreadable one was not read."""
    facts: dict[str, Any] = {}
    reasons: list[str] = []
    for tag, reader in (("nft", _nft), ("iptables", _iptables)):
        block = first(found, tag)
        if block is None:
            continue
        result = reader(block.body)
        if isinstance(result, str):
            reasons.append(result)
            continue
        if result[0] >= facts.get("rules", 0):  # iptables-nft shows nft's rules again: not a sum
            facts.update(rules_tool=tag, rules=result[0], input_policy=result[1])
    return facts, reasons


def _judge_active(facts: dict[str, Any], unknown: dict[str, str]) -> None:
    """Set ``active`` from the rules, else from an active service; else say why it is unknown."""
    service_active = ("active" in facts["services"].values()
                      or facts.get("ufw_enabled") is True)
    if "rules" in facts:
        facts["active"] = facts["rules"] > 0 or facts.get("input_policy") == "drop"
    elif service_active:
        facts["active"] = True
    else:
        unknown["active"] = (unknown["rules"] + "; and no firewall service (firewalld, ufw, "
                             "nftables, iptables) is known to be active")


def parse(text: str) -> dict[str, Any]:
    """Whether a firewall is active and how we know; rule counts only when readable."""
    found = blocks(text, _TAGS)
    uid_block = first(found, "uid")
    uid = integer(uid_block.arg, 0, 2**32) if uid_block else None
    if uid is None:
        raise ParseError("no uid line")
    facts: dict[str, Any] = {"as_root": uid == 0, "services": _services(found)}
    facts.update(_front_ends(found))
    rules, reasons = _rules(found)
    facts.update(rules)
    unknown: dict[str, str] = {}
    if "rules" not in facts:
        unknown["rules"] = "; ".join(reasons) or "neither nft nor iptables is installed"
    _judge_active(facts, unknown)
    if unknown:
        facts["unknown"] = unknown
    return facts


COLLECTOR = Collector("firewall", "host firewall state", SCRIPT, parse,
                      ("firewall.as_root", "firewall.services",
                       "firewall.ufw_enabled", "firewall.firewalld_zone", "firewall.rules_tool",
                       "firewall.rules", "firewall.input_policy", "firewall.active",
                       "firewall.unknown"))
