"""Facts come from the targets: whatever they hold, planning neither crashes nor trusts junk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.inventory.load import Host, Inventory, Organisation, Site
from auditor.recommend.catalogue import SiteAssumptions, load_assumptions, load_catalogue
from auditor.recommend.graph import dependencies, plan_waves
from auditor.recommend.hosts import plan_host

CATALOGUE = load_catalogue()
ASSUMPTIONS = SiteAssumptions(load_assumptions(), {})

KEYS = st.sampled_from(["count", "load_15", "load_1", "total_mb", "used_mb", "used_pct", "id",
                        "version_id", "id_like", "tcp_ports", "web", "database", "supported",
                        "connections", "peers", "established", "address", "port", "direction"])
junk = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8)
SECTIONS = ("os", "cpu", "uptime", "memory", "disks", "connections", "listening", "servers",
            "lifecycle")
connection = st.fixed_dictionaries({
    "remote_address": st.sampled_from(["10.0.0.2", "10.0.0.1", "127.0.0.1", "x", ""]) | junk,
    "remote_port": st.integers(-5, 70000) | junk, "local_port": st.integers(-5, 70000) | junk,
    "direction": st.sampled_from(["inbound", "outbound", "sideways"]) | junk})
facts_st = st.dictionaries(st.sampled_from(SECTIONS), junk | st.fixed_dictionaries(
    {"connections": st.lists(connection, max_size=5)}), max_size=len(SECTIONS))


def _inventory() -> Inventory:
    hosts = (Host("a", "s", address="10.0.0.1"), Host("b", "s", address="10.0.0.2"))
    return Inventory(Path("inv.yaml"), Organisation("32", "X", "provinsi"),
                     (Site("s", "S", "server_room"),), hosts, ())


@settings(max_examples=100, deadline=None)
@given(facts_a=facts_st, facts_b=facts_st)
def test_junk_facts_give_a_plan_or_a_stated_reason(facts_a: dict[str, Any],
                                                   facts_b: dict[str, Any]) -> None:
    inventory = _inventory()
    edges, unmapped = dependencies(inventory, {"a": facts_a, "b": facts_b})
    for edge in edges:
        assert {edge["from"], edge["to"]} == {"a", "b"}
        assert edge["port"] is None or 0 < edge["port"] < 65536
    assert all(u["host"] in ("a", "b") and u["why"] for u in unmapped)
    plans = []
    for host, host_facts in zip(inventory.hosts, (facts_a, facts_b), strict=True):
        plan = plan_host(host, {"status": "ok", "findings": []}, host_facts, CATALOGUE,
                         ASSUMPTIONS, set())
        assert plan.strategy in ("rehost", "replatform", "retire", "retain")
        assert plan.reason["en"]
        if plan.strategy in ("rehost", "replatform"):
            assert plan.target is not None and plan.target["offering"]
        sizing = plan.sizing
        if sizing is not None:
            assert 1 <= sizing["confidence"] <= 5
            assert sizing["required"]["vcpu"] >= 1
        plans.append(plan)
    waves = plan_waves(plans, edges, 1)
    moving = sorted(p.id for p in plans if p.strategy in ("rehost", "replatform"))
    assert sorted(h for w in waves["waves"] for h in w) == moving
