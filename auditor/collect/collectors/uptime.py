"""Collector for the time since boot and the load average (/proc/uptime, /proc/loadavg)."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.common import integer, number
from auditor.collect.collectors.interface import Collector, ParseError, lines

SCRIPT = "cat /proc/uptime /proc/loadavg"


def parse(text: str) -> dict[str, Any]:
    """``UPTIME IDLE`` then ``L1 L5 L15 RUNNING/TOTAL LASTPID``."""
    rows = [r.split() for r in lines(text)]
    if len(rows) != 2 or len(rows[0]) != 2 or len(rows[1]) != 5:
        raise ParseError("expected /proc/uptime and /proc/loadavg, one line each")
    seconds = number(rows[0][0], 0, 1e10)
    loads = [number(v, 0, 1e6) for v in rows[1][:3]]
    running, _, total = rows[1][3].partition("/")
    runnable, processes = integer(running, 0, 10**7), integer(total, 0, 10**7)
    if seconds is None or None in loads or runnable is None or processes is None:
        raise ParseError("uptime or load average is not a number")
    load_1, load_5, load_15 = (float(v or 0) for v in loads)
    return {
        "seconds": int(seconds),
        "days": round(seconds / 86400, 1),
        "load_1": load_1,
        "load_5": load_5,
        "load_15": load_15,
        "runnable": runnable,
        "processes": processes,
    }


COLLECTOR = Collector("uptime", "time since boot and load average", SCRIPT, parse,
                      ("uptime.seconds", "uptime.days", "uptime.load_1", "uptime.load_5",
                       "uptime.load_15", "uptime.runnable", "uptime.processes"))
