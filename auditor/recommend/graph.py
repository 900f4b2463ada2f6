"""Dependencies between hosts (established connections, applications, services) and waves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from auditor.inventory.load import Inventory
from auditor.messages import LANGUAGES, has, message
from auditor.recommend.common import CRITICALITY_RANK, MOVING, Strategy, dig
from auditor.recommend.values import HostPlan

MAX_CONNECTIONS_READ = 5000
"""Connections read per host at most (facts are untrusted)."""
MAX_UNMAPPED = 100


def _port(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        return None
    return value


def _loopback(address: str) -> bool:
    return address.startswith("127.") or address in ("::1", "localhost")


def _listening(facts: Mapping[str, Any]) -> set[int]:
    ports = dig(facts, "listening", "tcp_ports")
    if not isinstance(ports, list):
        return set()
    return {p for p in ports[:MAX_CONNECTIONS_READ] if _port(p)}


def _connection_rows(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Established connections (``established`` or ``connections`` list) and peer summaries."""
    rows: list[dict[str, Any]] = []
    for key in ("established", "connections"):
        value = dig(facts, "connections", key)
        if isinstance(value, list):
            rows += [c for c in value[:MAX_CONNECTIONS_READ] if isinstance(c, dict)]
    peers = dig(facts, "connections", "peers")
    if isinstance(peers, list):
        for peer in peers[:MAX_CONNECTIONS_READ]:
            if isinstance(peer, dict) and peer.get("direction") in ("inbound", "outbound"):
                port_key = "local_port" if peer["direction"] == "inbound" else "remote_port"
                rows.append({"remote_address": peer.get("address"), port_key: peer.get("port"),
                             "direction": peer["direction"], "process": peer.get("process")})
    return rows


class _Edges:
    """Edges between inventory hosts, each ``(from, to, port)`` once, in the order found."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str, int | None], dict[str, Any]] = {}

    def add(self, src: str, dst: str, port: int | None, source: str,
            process: Any = None) -> None:
        """One edge, unless it loops back to its host or is already known."""
        if src != dst and (src, dst, port) not in self.found:
            self.found[(src, dst, port)] = {"from": src, "to": dst, "port": port,
                                            "source": source}
            if isinstance(process, str) and process:
                self.found[(src, dst, port)]["process"] = process[:64]


def _direction(row: Mapping[str, Any], local_port: int | None, remote_port: int | None,
               host_facts: Mapping[str, Any], other_facts: Mapping[str, Any]) -> str:
    """``inbound`` or ``outbound``: as the row says, else from who listens, else the lower port."""
    direction = row.get("direction")
    if direction in ("inbound", "outbound"):
        return str(direction)
    if remote_port is not None and remote_port in _listening(other_facts):
        return "outbound"
    if local_port is not None and local_port in _listening(host_facts):
        return "inbound"
    return "outbound" if (remote_port or 65536) < (local_port or 65536) else "inbound"


def _connection_edges(host_id: str, facts: Mapping[str, Mapping[str, Any]],
                      by_address: Mapping[str, list[str]], edges: _Edges,
                      unmapped: list[dict[str, Any]]) -> None:
    """The edges of one host's established connections; peers not in the inventory to unmapped."""
    host_facts = facts.get(host_id, {})
    for row in _connection_rows(host_facts):
        remote = row.get("remote_address")
        if not isinstance(remote, str) or _loopback(remote):
            continue
        owners = by_address.get(remote.lower()[:253], [])
        local_port, remote_port = _port(row.get("local_port")), _port(row.get("remote_port"))
        other = facts.get(owners[0], {}) if len(owners) == 1 else {}
        direction = _direction(row, local_port, remote_port, host_facts, other)
        port = remote_port if direction == "outbound" else local_port
        if len(owners) != 1:
            if len(unmapped) < MAX_UNMAPPED:
                unmapped.append({"host": host_id, "address": remote[:253], "port": port,
                                 "direction": direction,
                                 "why": "address of several inventory hosts" if owners
                                 else "address not in the inventory"})
            continue
        if direction == "outbound":
            edges.add(host_id, owners[0], port, "connections", row.get("process"))
        else:
            edges.add(owners[0], host_id, port, "connections")


def _declared_edges(inventory: Inventory, edges: _Edges) -> None:
    """The edges the inventory states: hosts of one application, users of a service."""
    for app in sorted({a for h in inventory.hosts for a in h.applications}):
        members = sorted(h.id for h in inventory.hosts if app in h.applications)
        for member in members[1:]:
            edges.add(members[0], member, None, f"application:{app}")
    for service in inventory.services:
        if service.host is None:
            continue
        try:
            parts = urlsplit(service.url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = None
        for user in inventory.hosts:
            if service.id in user.applications:
                edges.add(user.id, service.host, port, f"service:{service.id}")


def dependencies(inventory: Inventory, facts: Mapping[str, Mapping[str, Any]]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Edges ``{from, to, port, source}`` between inventory hosts, and unmapped peers."""
    by_address: dict[str, list[str]] = {}
    for host in inventory.hosts:
        if host.address:
            by_address.setdefault(host.address.lower(), []).append(host.id)
    edges = _Edges()
    unmapped: list[dict[str, Any]] = []
    for host in inventory.hosts:
        _connection_edges(host.id, facts, by_address, edges, unmapped)
    _declared_edges(inventory, edges)
    return list(edges.found.values()), unmapped


def _components(nodes: Sequence[str], edges: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Connected components, each in breadth-first order from its smallest id."""
    adjacent: dict[str, set[str]] = {n: set() for n in nodes}
    for e in edges:
        if e["from"] in adjacent and e["to"] in adjacent:
            adjacent[e["from"]].add(e["to"])
            adjacent[e["to"]].add(e["from"])
    seen: set[str] = set()
    out: list[list[str]] = []
    for start in sorted(nodes):
        if start in seen:
            continue
        order, queue = [], [start]
        seen.add(start)
        while queue:
            node = queue.pop(0)
            order.append(node)
            for nxt in sorted(adjacent[node] - seen):
                seen.add(nxt)
                queue.append(nxt)
        out.append(order)
    return out


def _link(e: Mapping[str, Any]) -> str:
    return f"{e['from']}→{e['to']}" + (f":{e['port']}" if e["port"] else "")


def plan_waves(plans: Sequence[HostPlan], edges: Sequence[Mapping[str, Any]],
               max_size: int) -> dict[str, Any]:
    """Waves of hosts to move: dependent hosts together, low risk first, at most max_size each."""
    by_id = {p.id: p for p in plans}
    moving = [p.id for p in plans if p.strategy in MOVING]

    def rank(group: Sequence[str]) -> int:
        return max(CRITICALITY_RANK.get(by_id[h].criticality, 1) for h in group)

    def risk(group: Sequence[str]) -> tuple[int, int, int]:
        return (rank(group), sum(by_id[h].strategy == Strategy.REPLATFORM for h in group),
                sum(len(by_id[h].blockers) for h in group))

    groups: list[tuple[list[str], int]] = []   # (hosts, size of the component it came from)
    for comp in sorted(_components(moving, edges),
                       key=lambda c: (*risk(c), len(c), c[0])):
        for i in range(0, len(comp), max_size):
            groups.append((comp[i:i + max_size], len(comp)))
    waves: list[list[list[str]]] = []
    split: list[bool] = []
    sizes: list[int] = []   # hosts in each wave so far
    ranks: list[int] = []   # highest criticality rank in each wave so far
    for group, size in groups:
        was_split = size > max_size
        group_rank = rank(group)
        if waves and not split[-1] and not was_split \
                and sizes[-1] + len(group) <= max_size and ranks[-1] == group_rank:
            waves[-1].append(group)
            sizes[-1] += len(group)
        else:
            waves.append([group])
            split.append(was_split)
            sizes.append(len(group))
            ranks.append(group_rank)
    wave_of = {h: n for n, wave in enumerate(waves) for g in wave for h in g}
    cross = [dict(e) for e in edges if e["from"] in wave_of and e["to"] in wave_of
             and wave_of[e["from"]] != wave_of[e["to"]]]
    external = [dict(e) | {"stays": e["to"] if e["to"] not in wave_of else e["from"],
                           "stays_strategy": by_id[e["to"] if e["to"] not in wave_of
                                                   else e["from"]].strategy}
                for e in edges if (e["from"] in wave_of) != (e["to"] in wave_of)
                and e["from"] in by_id and e["to"] in by_id]
    details = [_detail(n, wave, by_id, cross, external, max_size, risk)
               for n, wave in enumerate(waves)]
    return {"waves": [[h for g in wave for h in g] for wave in waves], "details": details,
            "cross_wave_links": cross, "external_links": external}


def _stays_as(strategy: str | None) -> dict[str, str]:
    """What happens to a host that does not move, as a wave's reason names it."""
    key = f"plan.strategy_{strategy}"
    return message(key if strategy and has(key) else "plan.strategy_none")


def _detail(n: int, wave: list[list[str]], by_id: Mapping[str, HostPlan],
            cross: list[dict[str, Any]], external: list[dict[str, Any]], max_size: int,
            risk: Any) -> dict[str, Any]:
    hosts = [h for g in wave for h in g]
    crit_rank, replatform, blockers = risk(hosts)
    crit = next(k for k, v in CRITICALITY_RANK.items() if v == crit_rank)
    reasons = [message("plan.wave.order", n=n + 1, criticality=message(f"plan.criticality_{crit}"))]
    reasons += [message("plan.wave.together", hosts=", ".join(group)) for group in wave
                if len(group) > 1]
    if replatform:
        reasons.append(message("plan.wave.replatform", n=replatform))
    if blockers:
        reasons.append(message("plan.wave.blockers", n=blockers))
    mine = set(hosts)
    links = [e for e in cross if e["from"] in mine or e["to"] in mine]
    if links:
        reasons.append(message("plan.wave.split", max_size=max_size,
                               links=", ".join(_link(e) for e in links[:20])))
    outside = [e for e in external if e["from"] in mine or e["to"] in mine]
    if outside:
        shown = [(_link(e), e["stays"], _stays_as(e["stays_strategy"])) for e in outside[:20]]
        reasons.append(message("plan.wave.outside", links={
            lang: ", ".join(f"{link} ({stays}: {what[lang]})" for link, stays, what in shown)
            for lang in LANGUAGES}))
    return {"number": n + 1, "hosts": hosts, "criticality": crit,
            "strategies": {s: sum(by_id[h].strategy == s for h in hosts) for s in MOVING},
            "blockers": blockers, "reasons": reasons, "links_to_other_waves": links,
            "links_to_hosts_staying": outside}
