"""Collector for established TCP connections: who this host talks to, for dependency waves."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import (
    Unreadable,
    blocks,
    every,
    first,
    hex_address,
    is_loopback,
    split_address,
)
from auditor.collect.collectors.interface import Collector, ParseError

MAX_ROWS = 2000
"""Rows of ss (or of each /proc/net file) the snippet prints at most."""
MAX_CONNECTIONS = 300
"""Connections listed one by one; the count and the peer summary cover the rest."""
MAX_PEERS = 300

SCRIPT = f"""\
if command -v ss >/dev/null 2>&1; then
  echo "@tool ss"; ss -tanp state established state listening 2>/dev/null | head -n {MAX_ROWS + 1}
else
  echo "@tool proc"
  for f in tcp tcp6; do echo "@file $f"; head -n {MAX_ROWS + 1} /proc/net/$f 2>/dev/null; done
fi"""

_TAGS = frozenset({"tool", "file"})
_PROCESS = re.compile(r'users:\(\("([^"]{1,64})"')


def _from_ss(rows: tuple[str, ...]) -> tuple[set[int], list[dict[str, Any]], int]:
    """Listening ports, established connections and the number of rows read."""
    listening: set[int] = set()
    established: list[dict[str, Any]] = []
    for row in rows:
        parts = row.split()
        if len(parts) < 5 or parts[0] not in ("LISTEN", "ESTAB"):
            continue
        try:
            local, local_port = split_address(parts[3])
            if parts[0] == "LISTEN":
                listening.add(local_port)
                continue
            remote, remote_port = split_address(parts[4])
        except ValueError:
            continue
        match = _PROCESS.search(row)
        established.append({"local_address": local, "local_port": local_port,
                            "remote_address": remote, "remote_port": remote_port,
                            "process": match.group(1) if match else None})
    return listening, established, len(rows)


def _from_proc(files: list[tuple[str, ...]]) -> tuple[set[int], list[dict[str, Any]], int]:
    listening: set[int] = set()
    established: list[dict[str, Any]] = []
    longest = 0
    for rows in files:
        longest = max(longest, len(rows))
        for row in rows:
            parts = row.split()
            if len(parts) < 4 or parts[3] not in ("01", "0A"):
                continue
            try:
                local, local_port = hex_address(parts[1])
                if parts[3] == "0A":
                    listening.add(local_port)
                    continue
                remote, remote_port = hex_address(parts[2])
            except ValueError:
                continue
            established.append({"local_address": local, "local_port": local_port,
                                "remote_address": remote, "remote_port": remote_port,
                                "process": None})
    return listening, established, longest


def parse(text: str) -> dict[str, Any]:
    """Established connections with their direction, and the distinct peers per service port."""
    found = blocks(text, _TAGS)
    tool = first(found, "tool")
    if tool is None or tool.arg not in ("ss", "proc"):
        raise ParseError("no tool marker")
    if tool.arg == "ss":
        if not tool.body or not tool.body[0].startswith("State"):
            raise ParseError("ss printed no header")
        listening, established, rows = _from_ss(tool.body[1:])
    else:
        bodies = [b.body[1:] for b in every(found, "file") if b.body]
        if not bodies:
            raise Unreadable("/proc/net/tcp is not readable")
        listening, established, rows = _from_proc(bodies)
    loopback = 0
    connections: list[dict[str, Any]] = []
    peers: dict[tuple[str, str, int, str | None], int] = {}
    for conn in established:
        if is_loopback(conn["remote_address"]) and is_loopback(conn["local_address"]):
            loopback += 1
            continue
        inbound = conn["local_port"] in listening
        conn["direction"] = "inbound" if inbound else "outbound"
        connections.append(conn)
        port = conn["local_port"] if inbound else conn["remote_port"]
        key = (conn["direction"], conn["remote_address"], port, conn["process"])
        peers[key] = peers.get(key, 0) + 1
    connections.sort(key=lambda c: (c["direction"], c["remote_address"], c["remote_port"]))
    peer_list = [{"direction": d, "address": a, "port": p, "process": proc, "connections": n}
                 for (d, a, p, proc), n in sorted(peers.items(), key=lambda kv: (
                     kv[0][0], kv[0][1], kv[0][2], kv[0][3] or ""))]
    return {
        "tool": tool.arg,
        "count": len(connections),
        "loopback_count": loopback,
        "truncated": rows >= MAX_ROWS or len(connections) > MAX_CONNECTIONS
        or len(peer_list) > MAX_PEERS,
        "connections": connections[:MAX_CONNECTIONS],
        "peers": peer_list[:MAX_PEERS],
        "inbound_ports": sorted({c["local_port"] for c in connections
                                 if c["direction"] == "inbound"})[:MAX_PEERS],
        "outbound_ports": sorted({c["remote_port"] for c in connections
                                  if c["direction"] == "outbound"})[:MAX_PEERS],
    }


COLLECTOR = Collector("connections", "established TCP connections and peers", SCRIPT, parse,
                      ("connections.tool", "connections.count", "connections.loopback_count",
                       "connections.truncated", "connections.connections", "connections.peers",
                       "connections.inbound_ports", "connections.outbound_ports"))
