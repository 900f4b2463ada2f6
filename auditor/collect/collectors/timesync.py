"""Collector for time synchronisation: daemon, NTP sync state, reference and offset, time zone."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.common import (
    TIMEOUT,
    blocks,
    first,
    integer,
    key_values_of,
    name,
    number,
    processes_named,
)
from auditor.collect.collectors.common import text as clean
from auditor.collect.collectors.interface import Collector, ParseError

DAEMONS = {"chronyd": "chronyd", "ntpd": "ntpd", "systemd-timesyn": "systemd-timesyncd",
           "openntpd": "openntpd", "ntpsec": "ntpd"}

SCRIPT = TIMEOUT + """
procs=$(""" + processes_named(tuple(DAEMONS)) + """)
echo "@daemons"; [ -n "$procs" ] && printf '%s\\n' "$procs"
echo "@localtime $(readlink /etc/localtime 2>/dev/null)"
[ -e /run/systemd/timesync/synchronized ] && echo "@timesyncd-synced"
if [ -d /run/systemd/system ] && command -v timedatectl >/dev/null 2>&1; then
  echo "@timedatectl"; $T timedatectl show 2>/dev/null || $T timedatectl status 2>/dev/null
fi
case "$procs" in *chronyd*)
  command -v chronyc >/dev/null 2>&1 && { echo "@chronyc"; $T chronyc -n tracking 2>/dev/null; } ;;
esac
case "$procs" in *ntpd*)
  command -v ntpq >/dev/null 2>&1 && { echo "@ntpq"; $T ntpq -pn 2>/dev/null | head -n 40; } ;;
esac
true"""

_TAGS = frozenset({"daemons", "localtime", "timesyncd-synced", "timedatectl", "chronyc", "ntpq"})


def _yes(value: str | None) -> bool | None:
    value = (value or "").strip().lower()
    return True if value in ("yes", "active") else False if value in ("no", "inactive") else None


def _sync(facts: dict[str, Any], synced: bool, source: str) -> None:
    """Record the sync state from the first source that gave one (kernel state first)."""
    if "synchronized" not in facts:
        facts["synchronized"], facts["source"] = synced, source


def _timedatectl(body: tuple[str, ...], facts: dict[str, Any]) -> None:
    """``timedatectl show`` (Key=value) or the older ``status`` (Key: value)."""
    show = key_values_of(body, "=")
    status = {k.lower(): v for k, v in key_values_of(body, ":").items()}
    synced = _yes(show.get("NTPSynchronized")) if show else None
    if synced is None:
        synced = _yes(status.get("system clock synchronized") or status.get("ntp synchronized"))
    ntp = _yes(show.get("NTP")) if show else None
    if ntp is None:
        ntp = _yes(status.get("ntp service") or status.get("ntp enabled")
                   or status.get("network time on"))
    zone = show.get("Timezone") or status.get("time zone", "").split(" ")[0]
    if synced is not None:
        _sync(facts, synced, "timedatectl")
    if ntp is not None:
        facts["ntp_enabled"] = ntp
    if zone and name(zone):
        facts["timezone"] = zone


def _chronyc(body: tuple[str, ...], facts: dict[str, Any]) -> None:
    values = {k.lower(): v for k, v in key_values_of(body, ":").items()}
    leap = values.get("leap status", "").lower()
    if not leap:
        return
    _sync(facts, leap == "normal", "chronyc")
    stratum = integer(values.get("stratum", ""), 0, 16)
    if stratum is not None:
        facts["stratum"] = stratum
    ref = values.get("reference id", "")
    if "(" in ref:
        facts["reference"] = clean(ref.split("(", 1)[1].rstrip(")"), 100)
    words = values.get("system time", "").split()
    if words and (offset := number(words[0], 0, 1e6)) is not None:
        facts["offset_ms"] = round(offset * 1000 * (-1 if "slow" in words else 1), 3)


def _ntpq(body: tuple[str, ...], facts: dict[str, Any]) -> None:
    peers = [r for r in body if r[:1] in "*+-#xo. " and len(r.split()) >= 9]
    if not peers:
        return
    chosen = next((r for r in peers if r.startswith(("*", "o"))), None)
    _sync(facts, chosen is not None, "ntpq")
    if chosen:
        cols = chosen[1:].split()
        facts["reference"] = clean(cols[0], 100)
        stratum = integer(cols[2], 0, 16)
        if stratum is not None:
            facts["stratum"] = stratum
        if (offset := number(cols[8].lstrip("-"), 0, 1e9)) is not None:
            facts["offset_ms"] = round(offset * (-1 if cols[8].startswith("-") else 1), 3)


def parse(text: str) -> dict[str, Any]:
    """Synchronised or not (from the most direct source available), and by which daemon."""
    found = blocks(text, _TAGS)
    daemons_block = first(found, "daemons")
    if daemons_block is None:
        raise ParseError("no daemon list")
    daemons = sorted({DAEMONS[p.strip()] for p in daemons_block.body if p.strip() in DAEMONS})
    facts: dict[str, Any] = {"daemons": daemons, "daemon": daemons[0] if daemons else None}
    localtime = first(found, "localtime")
    if localtime and "zoneinfo/" in localtime.arg:
        zone = localtime.arg.split("zoneinfo/", 1)[1]
        if name(zone):
            facts["timezone"] = zone
    for tag, reader in (("timedatectl", _timedatectl), ("chronyc", _chronyc), ("ntpq", _ntpq)):
        block = first(found, tag)
        if block is not None:
            reader(block.body, facts)
    if first(found, "timesyncd-synced"):
        _sync(facts, True, "systemd-timesyncd")
    if "synchronized" not in facts:
        facts["unknown"] = {"synchronized": "no timedatectl, chronyc or ntpq answer" + (
            "" if daemons else " and no time daemon is running")}
    return facts


COLLECTOR = Collector("timesync", "time synchronisation", SCRIPT, parse,
                      ("timesync.daemons", "timesync.daemon", "timesync.synchronized",
                       "timesync.source", "timesync.ntp_enabled", "timesync.timezone",
                       "timesync.stratum", "timesync.reference", "timesync.offset_ms",
                       "timesync.unknown"))
