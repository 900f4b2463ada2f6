"""vSphere utilisation: PerformanceManager QueryPerf for CPU and memory use, in batches.

The longest interval vCenter keeps is asked for (the 2-hour roll-up over a month when it is
configured, else the longest listed; an ESXi alone keeps only the 20-second real-time one).
A user without rights to performance data gets every utilisation fact unknown, with why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.collect.hypervisors.endpoint import EndpointFailure
from auditor.collect.hypervisors.records import HostRecord, Utilisation, VmRecord
from auditor.collect.hypervisors.stats import summarise
from auditor.collect.hypervisors.vsphere_perfxml import query_perf

BATCH = 250
"""Entities per QueryPerf call."""
MAX_SAMPLES = 400
COUNTERS = ("cpu.usage.average", "mem.usage.average")
NO_RIGHTS = ("the account may not read performance data ({detail}); give its role the "
             "read-only privileges on the vCenter root and the Performance privileges, "
             "then scan again")


class PerfQuery:
    """Utilisation of many VMs and hosts, a batch of entities per round trip."""

    def __init__(self, session: Any, guarded: Callable[[Any, Any], Any]) -> None:
        self.session = session
        self.guarded = guarded
        self.unknown: str | None = None

    def _single(self, obj: Any, vim_type: Any, props: list[str]) -> dict[str, Any]:
        from pyVmomi import vmodl

        q = vmodl.query.PropertyCollector
        spec = q.FilterSpec(objectSet=[q.ObjectSpec(obj=obj, skip=False)],
                            propSet=[q.PropertySpec(type=vim_type, pathSet=props)])
        pc = self.session.content.propertyCollector
        result = self.guarded(self.session.endpoint,
                              lambda: pc.RetrievePropertiesEx([spec], q.RetrieveOptions()))
        self.session.calls += 1
        objects = result.objects if result else []
        return {p.name: p.val for p in objects[0].propSet} if objects else {}

    def _interval(self, intervals: Sequence[Any]) -> tuple[int, int]:
        """(sampling period in s, samples) over the longest period the API keeps."""
        periods = {int(i.samplingPeriod): int(i.length) for i in intervals or []
                   if getattr(i, "enabled", True)}
        if 7200 in periods:
            return 7200, min(MAX_SAMPLES, periods[7200] // 7200)
        if periods:
            period = max(periods, key=lambda k: periods[k])
            return period, min(MAX_SAMPLES, periods[period] // period)
        return 20, 180

    def run(self, vm_refs: Sequence[str],
            host_refs: Sequence[str]) -> tuple[dict[str, Utilisation], dict[str, Utilisation]]:
        """Utilisation of powered-on VMs and of hosts by MoRef id; unknown ones carry why."""
        from pyVmomi import vim

        manager = self.session.content.perfManager
        try:
            info = self._single(manager, vim.PerformanceManager,
                                ["perfCounter", "historicalInterval"])
        except EndpointFailure as exc:
            self.unknown = NO_RIGHTS.format(detail=str(exc)[:120])
            return {}, {}
        ids = {f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}": c.key
               for c in info.get("perfCounter") or []}
        wanted = [ids.get(name) for name in COUNTERS]
        if None in wanted:
            self.unknown = "the API offers no cpu.usage.average / mem.usage.average counters"
            return {}, {}
        period, samples = self._interval(info.get("historicalInterval") or [])
        start = datetime.now(UTC) - timedelta(seconds=period * samples)
        out: dict[str, Utilisation] = {}
        entities = [vim.VirtualMachine(r, self.session.si._stub) for r in vm_refs] + \
                   [vim.HostSystem(r, self.session.si._stub) for r in host_refs]
        metric_ids = [vim.PerformanceManager.MetricId(counterId=k, instance="") for k in wanted]
        for first in range(0, len(entities), BATCH):
            # CSV format: one string per series instead of an XML element (and a timestamp)
            # per sample, where the server honours it; the answer is read as a stream either
            # way (vsphere_perfxml), never turned into pyVmomi objects sample by sample.
            specs = [vim.PerformanceManager.QuerySpec(
                entity=e, metricId=metric_ids, intervalId=period, maxSample=samples,
                startTime=start if period != 20 else None, format="csv")
                for e in entities[first:first + BATCH]]
            try:
                answer = self.guarded(self.session.endpoint, lambda s=specs: query_perf(
                    self.session.si._stub, manager, s))
            except EndpointFailure as exc:
                self.unknown = NO_RIGHTS.format(detail=str(exc)[:120]) \
                    if "privilege" in str(exc) or "refused" in str(exc) else str(exc)[:300]
                return {}, {}
            self.session.calls += 1
            for found in answer:
                out[found.entity] = summarise(found.series.get(wanted[0], []),
                                              found.series.get(wanted[1], []),
                                              found.interval or period)
        vms = {r: out[r] for r in vm_refs if r in out}
        hosts = {r: out[r] for r in host_refs if r in out}
        return vms, hosts

    def _use(self, ref: str, found: dict[str, Utilisation], off: bool = False) -> Utilisation:
        if ref in found:
            return found[ref]
        if self.unknown:
            return Utilisation(unknown=self.unknown)
        return Utilisation(unknown="powered off: no current use" if off
                           else "the API returned no samples for this machine")

    def attach_vm(self, vm: VmRecord, found: dict[str, Utilisation]) -> VmRecord:
        """The VM with its utilisation (or the reason there is none)."""
        return dataclasses.replace(vm, utilisation=self._use(vm.ref, found,
                                                             vm.power_state != "on"))

    def attach_host(self, host: HostRecord, found: dict[str, Utilisation]) -> HostRecord:
        """The host with its utilisation (or the reason there is none)."""
        return dataclasses.replace(host, utilisation=self._use(host.ref, found))

    def powered_off_since(self, vms: list[VmRecord]) -> list[VmRecord]:
        """Powered-off VMs with the time of their last power-off event the vCenter keeps."""
        from pyVmomi import vim

        off = {v.ref for v in vms if v.power_state == "off"}
        if not off:
            return vms
        manager = self.session.content.eventManager
        spec = vim.event.EventFilterSpec(eventTypeId=["VmPoweredOffEvent"])
        try:
            events = self.guarded(self.session.endpoint, lambda: manager.QueryEvents(spec))
            self.session.calls += 1
        except EndpointFailure:
            return vms
        latest: dict[str, datetime] = {}
        for event in (events or [])[:100000]:
            vm = getattr(getattr(event, "vm", None), "vm", None)
            ref = getattr(vm, "_moId", None)
            if ref in off and event.createdTime and (
                    ref not in latest or event.createdTime > latest[ref]):
                latest[ref] = event.createdTime
        return [dataclasses.replace(v, powered_off_since=latest[v.ref]) if v.ref in latest
                else v for v in vms]
