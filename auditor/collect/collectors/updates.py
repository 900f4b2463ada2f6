"""Collector for pending (security) updates, read without root from the package tools' caches."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import (
    MAX_ITEMS,
    Block,
    blocks,
    epoch,
    first,
    integer,
    name,
)
from auditor.collect.collectors.interface import Collector, ParseError

MAX_ROWS = 2000

SCRIPT = f"""\
T=; command -v timeout >/dev/null 2>&1 && T="timeout 15"
if command -v apt-get >/dev/null 2>&1; then
  echo "@tool apt"
  echo "@lists $(stat -c %Y /var/lib/apt/lists 2>/dev/null)"
  n=/var/lib/update-notifier/updates-available
  c=/var/cache/apt/pkgcache.bin
  stale=$(find /var/lib/apt/lists -maxdepth 0 -newer $n 2>/dev/null)
  if [ -s $n ] && [ -r $n ] && [ -z "$stale" ]; then
    echo "@notifier $(stat -c %Y $n 2>/dev/null)"; head -n 20 $n
  elif [ -f $c ] && [ -z "$(find /var/lib/apt/lists /var/lib/dpkg/status -maxdepth 1 -type f \\
                            -newer $c 2>/dev/null | head -n 1)" ]; then
    echo "@simulate"
    {{ $T apt-get -s -q dist-upgrade 2>/dev/null; echo "@rc $?"; }} | grep -E '^(Inst |@rc )' | \\
      head -n {MAX_ROWS + 1}
  else
    echo "@skip apt's package cache is missing or older than its lists; building it takes seconds"
  fi
elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
  y=yum; command -v dnf >/dev/null 2>&1 && y=dnf
  echo "@tool $y"
  if grep -q -E '^ID="?centos"?$' /etc/os-release 2>/dev/null; then
    echo "@nosecurity"
    {{ $T $y -q -C check-update 2>/dev/null; echo "@rc $?"; }} | head -n {MAX_ROWS + 1}
  else
    echo "@list"
    {{ $T $y -q -C --security check-update 2>/dev/null; echo "@rc $?"; }} | head -n {MAX_ROWS + 1}
  fi
elif command -v zypper >/dev/null 2>&1; then
  echo "@tool zypper"
  {{ $T zypper -q -n --no-refresh list-patches --category security 2>/dev/null; echo "@rc $?"; }} \\
    | head -n {MAX_ROWS + 1}
elif command -v apk >/dev/null 2>&1; then
  echo "@tool apk"; echo "@nosecurity"
  {{ $T apk version -l '<' 2>/dev/null; echo "@rc $?"; }} | head -n {MAX_ROWS + 1}
else
  echo "@tool none"
fi"""

_TAGS = frozenset({"tool", "lists", "notifier", "simulate", "skip", "nosecurity", "list", "rc"})
_INST = re.compile(r"^Inst (\S{1,128}) (?:\[[^\]]{0,128}\] )?\(([^)]{0,512})\)")
_RPM_ROW = re.compile(r"^(\S{1,200})\.(\w{1,20})\s+\S{1,128}\s+\S{1,128}$")
_NOTIFIER_TOTAL = re.compile(r"^(\d{1,6}) (?:updates?|packages?) can be "
                             r"(?:applied|updated|installed)")
_NOTIFIER_SEC = re.compile(r"^(\d{1,6}) (?:of these )?updates? (?:is|are) (?:an? )?"
                           r"(?:standard )?security updates?")
_NOTIFIER_ESM = re.compile(r"^(\d{1,6}) additional security updates? can be applied with ESM")
_RC_MEANING = {124: "timed out", 126: "could not run", 127: "not found"}


def _rc(found: list[Any]) -> int | None:
    block = first(found, "rc")
    return integer(block.arg, 0, 255) if block else None


def _apt_notifier(notifier: Block, facts: dict[str, Any]) -> None:
    """Counts from update-notifier's file (Ubuntu), which apt's hooks keep current."""
    facts["source"] = "update-notifier"
    if when := epoch(notifier.arg):
        facts["source_time"] = when
    for row in notifier.body:
        row = row.strip()
        if m := _NOTIFIER_TOTAL.match(row):
            facts["total"] = int(m.group(1))
        elif m := _NOTIFIER_SEC.match(row):
            facts["security"] = int(m.group(1))
        elif m := _NOTIFIER_ESM.match(row):
            facts["esm_security"] = int(m.group(1))
    if "total" not in facts:
        raise ParseError("update-notifier's file says nothing about updates")
    facts.setdefault("security", 0)


def _apt_simulate(simulate: Block, rc: int | None, facts: dict[str, Any],
                  unknown: dict[str, str]) -> None:
    """Counts from the packages ``apt-get -s dist-upgrade`` would install, if it finished."""
    facts["source"] = "apt-get -s dist-upgrade"
    if rc != 0:
        why = _RC_MEANING.get(rc or 0, f"failed (exit {rc})") if rc is not None else "was cut"
        unknown["security"] = unknown["total"] = f"apt-get's simulation {why}"
        return
    security: list[str] = []
    total = 0
    for row in simulate.body:
        if m := _INST.match(row):
            total += 1
            if "security" in m.group(2).lower() and (pkg := name(m.group(1))):
                security.append(pkg)
    facts.update(total=total, security=len(security),
                 security_packages=sorted(set(security))[:MAX_ITEMS])


def _apt(found: list[Any], facts: dict[str, Any], unknown: dict[str, str]) -> None:
    notifier, simulate = first(found, "notifier"), first(found, "simulate")
    skip = first(found, "skip")
    if notifier is not None:
        _apt_notifier(notifier, facts)
    elif simulate is not None:
        _apt_simulate(simulate, _rc(found), facts, unknown)
    else:
        reason = skip.arg[:200] if skip else "apt printed nothing"
        unknown["security"] = unknown["total"] = reason


def _rpm(tool: str, found: list[Any], facts: dict[str, Any], unknown: dict[str, str]) -> None:
    filtered = first(found, "list")
    block = filtered or first(found, "nosecurity")
    rc = _rc(found)
    facts["source"] = f"{tool} -C check-update" + (" --security" if filtered else "")
    if block is None or rc not in (0, 100):
        why = "was cut" if rc is None else _RC_MEANING.get(rc, f"failed (exit {rc}): without root "
                                                           "it reads only the system cache")
        unknown["total" if filtered is None else "security"] = f"{tool} check-update {why}"
        if filtered is None:
            unknown["security"] = "CentOS repositories publish no security errata"
        return
    packages: list[str] = []
    for row in block.body:
        if row.lower().startswith("obsoleting"):
            break
        if (m := _RPM_ROW.match(row.strip())) and (pkg := name(m.group(1))):
            packages.append(pkg)
    if filtered is not None:
        facts.update(security=len(packages), security_packages=sorted(set(packages))[:MAX_ITEMS])
        unknown["total"] = "only security updates were listed"
    else:
        facts["total"] = len(packages)
        unknown["security"] = ("CentOS repositories publish no security errata (updateinfo), "
                               "so security updates cannot be told apart")


def parse(text: str) -> dict[str, Any]:
    """Counts of pending updates and security updates; each one that cannot be read is unknown."""
    found = blocks(text, _TAGS)
    tool_block = first(found, "tool")
    tool = tool_block.arg if tool_block else ""
    if tool not in ("apt", "dnf", "yum", "zypper", "apk", "none"):
        raise ParseError("no package tool marker")
    facts: dict[str, Any] = {"tool": None if tool == "none" else tool}
    unknown: dict[str, str] = {}
    if tool == "apt":
        lists = first(found, "lists")
        if lists and (when := epoch(lists.arg)):
            facts["metadata_time"] = when
        _apt(found, facts, unknown)
    elif tool in ("dnf", "yum"):
        _rpm(tool, found, facts, unknown)
    elif tool in ("zypper", "apk"):
        rc = _rc(found)
        block = first(found, "nosecurity") or tool_block
        body = block.body if block else ()
        facts["source"] = "zypper list-patches" if tool == "zypper" else "apk version -l <"
        if rc != 0:
            unknown["security"] = unknown["total"] = f"{tool} failed or was cut (exit {rc})"
        elif tool == "zypper":
            rows = [[c.strip() for c in r.split("|")] for r in body]
            facts["security"] = sum(1 for cols in rows if len(cols) >= 6 and "needed" in cols)
            unknown["total"] = "only security patches were listed"
        else:
            facts["total"] = sum(1 for r in body if " < " in r)
            unknown["security"] = "apk does not mark security updates"
    else:
        unknown["security"] = unknown["total"] = "no apt, dnf, yum, zypper or apk found"
    if unknown:
        facts["unknown"] = unknown
    return facts


COLLECTOR = Collector("updates", "pending updates and security updates", SCRIPT, parse,
                      ("updates.tool", "updates.source", "updates.source_time",
                       "updates.metadata_time", "updates.total", "updates.security",
                       "updates.esm_security", "updates.security_packages", "updates.unknown"))
