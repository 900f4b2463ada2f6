"""Collector for running services (systemd units) and process names."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.interface import Collector, ParseError, lines

SCRIPT = """\
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  echo "@manager systemd"
  systemctl list-units --type=service --state=running --no-legend --plain --no-pager 2>/dev/null
else
  echo "@manager none"
fi
echo "@processes"
ps -e -o pid= -o ppid= -o comm= 2>/dev/null | head -n 5000"""

MAX_ITEMS = 2000


def parse(text: str) -> dict[str, Any]:
    """Running systemd units (without .service) and the distinct process names."""
    rows = lines(text)
    if not rows or not rows[0].startswith("@manager "):
        raise ParseError("no service manager marker")
    manager = rows[0][9:].strip()[:32]
    units: list[str] = []
    processes: list[str] = []
    target = units
    for row in rows[1:]:
        if row == "@processes":
            target = processes
            continue
        word = row.split()[0][:128] if row.split() else ""
        if target is units:
            if word.endswith(".service"):
                units.append(word[: -len(".service")])
        else:
            fields = row.split(None, 2)
            # Kernel threads are kthreadd (pid 2) and its children: not services.
            if len(fields) == 3 and "2" not in fields[:2]:
                processes.append(fields[2][:128])
    return {
        "manager": manager,
        "running": sorted(set(units))[:MAX_ITEMS] if manager == "systemd" else None,
        "processes": sorted(set(processes))[:MAX_ITEMS],
    }


COLLECTOR = Collector("services", "running services and processes", SCRIPT, parse,
                      ("services.manager", "services.running", "services.processes"))
