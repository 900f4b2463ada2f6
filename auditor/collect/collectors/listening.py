"""Collector for listening TCP and UDP sockets and the processes behind them."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.interface import Collector, ParseError, lines

SCRIPT = """\
if command -v ss >/dev/null 2>&1; then
  echo "@tool ss"; ss -tulnp 2>/dev/null || ss -tuln
else
  echo "@tool proc"
  for f in tcp tcp6 udp udp6; do echo "@file $f"; cat /proc/net/$f 2>/dev/null; done
fi"""

MAX_SOCKETS = 2000
LOOPBACK = ("127.", "::1", "localhost")
_PROCESS = re.compile(r'\(\("([^"]{1,64})"')


def _split_address(text: str) -> tuple[str, int]:
    address, _, port = text.rpartition(":")
    if not port.isdigit() or not address:
        raise ValueError(text)
    address = address.strip("[]").split("%")[0]
    if address.startswith("::ffff:"):
        address = address[7:]
    return address or "*", int(port)


def _hex_address(text: str) -> tuple[str, int]:
    raw, _, port = text.partition(":")
    if len(raw) == 8:
        octets = bytes.fromhex(raw)[::-1]
        address = ".".join(str(b) for b in octets)
    else:
        words = [bytes.fromhex(raw[i:i + 8])[::-1].hex() for i in range(0, 32, 8)]
        joined = "".join(words)
        address = ":".join(joined[i:i + 4] for i in range(0, 32, 4))
        address = {"0000:0000:0000:0000:0000:0000:0000:0000": "::",
                   "0000:0000:0000:0000:0000:0000:0000:0001": "::1"}.get(address, address)
    return address, int(port, 16)


def _parse_ss(rows: list[str]) -> list[dict[str, Any]]:
    sockets = []
    for row in rows:
        parts = row.split()
        if len(parts) < 5 or parts[0] not in ("tcp", "udp"):
            continue
        if parts[0] == "tcp" and parts[1] != "LISTEN":
            continue
        if parts[0] == "udp" and parts[1] not in ("UNCONN", "LISTEN"):
            continue
        try:
            address, port = _split_address(parts[4])
        except ValueError:
            continue
        match = _PROCESS.search(row)
        sockets.append({"proto": parts[0], "address": address, "port": port,
                        "process": match.group(1) if match else None})
    return sockets


def _parse_proc(text: str) -> list[dict[str, Any]]:
    sockets = []
    proto = ""
    for row in lines(text):
        if row.startswith("@file "):
            proto = row[6:].strip().rstrip("6")
            continue
        parts = row.split()
        if len(parts) < 4 or parts[0] == "sl":
            continue
        state = parts[3]
        if (proto == "tcp" and state != "0A") or (proto == "udp" and state != "07"):
            continue
        try:
            address, port = _hex_address(parts[1])
        except ValueError:
            continue
        sockets.append({"proto": proto, "address": address, "port": port, "process": None})
    return sockets


def parse(text: str) -> dict[str, Any]:
    """Listening sockets from ss, or from /proc/net when ss is missing."""
    rows = lines(text)
    if not rows or not rows[0].startswith("@tool "):
        raise ParseError("no tool marker")
    tool = rows[0][6:].strip()
    if tool == "ss":
        sockets = _parse_ss(rows[1:])
    elif tool == "proc":
        sockets = _parse_proc("\n".join(rows[1:]))
    else:
        raise ParseError(f"unknown tool {tool[:20]!r}")
    unique = {(s["proto"], s["address"], s["port"]): s for s in sockets}
    sockets = sorted(unique.values(), key=lambda s: (s["proto"], s["port"], s["address"]))
    sockets = sockets[:MAX_SOCKETS]
    public = [s for s in sockets if not s["address"].startswith(LOOPBACK)]
    return {
        "tool": tool,
        "sockets": sockets,
        "tcp_ports": sorted({s["port"] for s in sockets if s["proto"] == "tcp"}),
        "public_tcp_ports": sorted({s["port"] for s in public if s["proto"] == "tcp"}),
        "count": len(sockets),
    }


COLLECTOR = Collector("listening", "listening TCP/UDP sockets", SCRIPT, parse,
                      ("listening.tool", "listening.sockets", "listening.tcp_ports",
                       "listening.public_tcp_ports", "listening.count"))
