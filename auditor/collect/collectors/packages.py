"""Collector for the package manager, the number of installed packages and the last change."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import TIMEOUT, blocks, epoch, every, first, integer, name
from auditor.collect.collectors.interface import Collector, ParseError

SCRIPT = TIMEOUT + """
for t in apt-get dnf yum zypper apk; do command -v $t >/dev/null 2>&1 && echo "@frontend $t"; done
if [ -r /var/lib/dpkg/status ]; then
  echo "@manager dpkg"
  echo "@count $(grep -c '^Status: [a-z]* ok installed' /var/lib/dpkg/status)"
  stat -c '@mtime %n %Y' /var/lib/dpkg/status /var/lib/dpkg/info 2>/dev/null
  [ -r /var/log/dpkg.log ] && \\
    echo "@logged $(grep -E '^[0-9-]+ [0-9:]+ (install|upgrade) ' /var/log/dpkg.log | tail -n 1)"
elif command -v rpm >/dev/null 2>&1; then
  echo "@manager rpm"
  $T rpm -qa --qf '%{INSTALLTIME}\\n' 2>/dev/null | \\
    awk '{n++; if ($1 > m) m = $1} END {print "@count " n; print "@newest " m}'
  for f in /var/lib/rpm/rpmdb.sqlite /usr/lib/sysimage/rpm/rpmdb.sqlite /var/lib/rpm/Packages; do
    [ -f $f ] && { stat -c '@mtime %n %Y' $f 2>/dev/null; break; }
  done
elif [ -r /lib/apk/db/installed ]; then
  echo "@manager apk"
  echo "@count $(grep -c '^P:' /lib/apk/db/installed)"
  stat -c '@mtime %n %Y' /lib/apk/db/installed 2>/dev/null
else
  echo "@manager none"
fi"""

_TAGS = frozenset({"frontend", "manager", "count", "mtime", "newest", "logged"})
_LOGGED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (install|upgrade) (\S{1,128})")


def parse(text: str) -> dict[str, Any]:
    """Manager, count, front-ends, and the time of the most recent package change."""
    found = blocks(text, _TAGS)
    manager = first(found, "manager")
    if manager is None or manager.arg not in ("dpkg", "rpm", "apk", "none"):
        raise ParseError("no package manager marker")
    frontends = sorted({b.arg for b in every(found, "frontend")}
                       & {"apt-get", "dnf", "yum", "zypper", "apk"})
    if manager.arg == "none":
        return {"manager": None, "frontends": frontends,
                "unknown": {"count": "no dpkg, rpm or apk database found"}}
    facts: dict[str, Any] = {"manager": manager.arg, "frontends": frontends}
    unknown: dict[str, str] = {}
    count_block = first(found, "count")
    count = integer(count_block.arg, 0, 10**6) if count_block else None
    if count is None or count == 0:
        unknown["count"] = f"the {manager.arg} database could not be read"
    else:
        facts["count"] = count
    times: list[tuple[str, str]] = []
    for block in every(found, "mtime"):
        path, _, seconds = block.arg.rpartition(" ")
        when = epoch(seconds)
        if when and path.startswith("/"):
            times.append((when, f"{path[:100]} modified"))
    newest = first(found, "newest")
    if newest and (when := epoch(newest.arg)):
        times.append((when, "newest rpm INSTALLTIME"))
    if times:
        facts["last_change"], facts["last_change_source"] = max(times)
    else:
        unknown["last_change"] = "no package database time was readable"
    logged = first(found, "logged")
    if logged and (match := _LOGGED.match(logged.arg)) and name(match.group(3)):
        facts["last_logged"] = {"time": match.group(1), "action": match.group(2),
                                "package": match.group(3)}
    if unknown:
        facts["unknown"] = unknown
    return facts


COLLECTOR = Collector("packages", "package manager, package count, last change", SCRIPT, parse,
                      ("packages.manager", "packages.frontends", "packages.count",
                       "packages.last_change", "packages.last_change_source",
                       "packages.last_logged", "packages.unknown"))
