"""The part of a host's facts the recommendation reads, kept from judging to planning."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEPT_FACTS: dict[str, tuple[str, ...] | None] = {
    "os": ("id", "id_like", "pretty_name"),
    "lifecycle": ("security_updates", "supported"),
    "cpu": ("count", "usage_pct_p95", "usage_pct_avg"),
    "memory": ("total_mb", "used_mb", "used_pct", "used_pct_avg"),
    "disks": ("used_mb", "total_mb"),
    "uptime": ("load_1", "load_5", "load_15"),
    "listening": ("tcp_ports",),
    "connections": ("established", "connections", "peers"),
    "servers": None,
    "virtual": ("kind",),
    "vm": ("power_state", "powered_off_days", "utilisation", "hypervisor"),
    "hypervisor": ("utilisation", "name"),
}
"""The facts the recommendation reads (None: the whole section); a judged host keeps only
these, so 10,000 hosts' facts need not stay in memory until the plan is made."""


def kept_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The part of one host's facts that KEPT_FACTS names."""
    kept: dict[str, Any] = {}
    for section, keys in KEPT_FACTS.items():
        value = facts.get(section)
        if not isinstance(value, Mapping):
            continue
        kept[section] = dict(value) if keys is None else {k: value[k] for k in keys
                                                            if k in value}
    return kept
