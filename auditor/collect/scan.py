"""Collect facts: run the probe on every host of an inventory and write the bundle's facts."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor import __version__
from auditor.bundle.folder import (
    Bundle,
    atomic_write_json,
    atomic_write_text,
    make_folder,
    read_json,
    utc_now,
)
from auditor.collect.collectors import COLLECTORS, Collector
from auditor.collect.facility import load_answers
from auditor.collect.probe import build_probe, parse_output, probe_digest
from auditor.collect.transports import TRANSPORTS, ProbeRun, ScanOptions, Transport
from auditor.collect.web import ServiceResult, WebOptions
from auditor.errors import InputError
from auditor.inventory.hypervisors import PLATFORMS
from auditor.inventory.load import Host, Inventory
from auditor.model import HostStatus

FACTS_FORMAT = "auditor.facts/1"


@dataclass(frozen=True)
class HostResult:
    """How one host's scan ended (its facts are in the file)."""

    host: str
    status: HostStatus
    reason: str | None
    duration_s: float
    skipped: bool = False
    """True when --resume kept an earlier good facts file."""


@dataclass(frozen=True)
class ScanSummary:
    """The outcome of a whole scan."""

    results: tuple[HostResult, ...] = ()
    interrupted: bool = False
    services: tuple[ServiceResult, ...] = ()
    """Web services probed (when the inventory lists any)."""

    @property
    def failed(self) -> tuple[HostResult, ...]:
        """Hosts that could not be scanned."""
        return tuple(r for r in self.results if r.status is not HostStatus.OK)

    @property
    def failed_services(self) -> tuple[ServiceResult, ...]:
        """Web services that did not answer (never counted as compliant)."""
        return tuple(r for r in self.services if r.status != "ok")


@dataclass
class Progress:
    """Counters a progress display reads; updated under a lock by the scan."""

    total: int
    done: int = 0
    failed: int = 0
    running: dict[str, float] = field(default_factory=dict)
    """Host id -> monotonic start time of hosts being scanned now."""


ProgressCallback = Callable[[Progress, HostResult | None], None]


def facts_document(host: Host, run: ProbeRun, script: bytes,
                   collectors: Mapping[str, Collector], started_at: str) -> dict[str, Any]:
    """The DIR/facts/HOST.json document for one probe run."""
    doc: dict[str, Any] = {
        "format": FACTS_FORMAT,
        "host": host.id,
        "site": host.site,
        "transport": host.transport,
        "address": host.address,
        "status": str(run.status),
        "reason": run.reason,
        "started_at": started_at,
        "duration_s": round(run.duration_s, 3),
        "auditor_version": __version__,
        "probe": {
            "id": probe_digest(script),
            "output_sha256": hashlib.sha256(run.output).hexdigest(),
            "output_bytes": len(run.output),
            "truncated": run.truncated,
            "exit_code": run.exit_code,
        },
        "facts": {},
        "unknown": {},
    }
    if run.status is HostStatus.OK:
        parsed = parse_output(run.output, collectors, run.truncated)
        doc["facts"] = parsed.facts
        doc["unknown"] = parsed.unknown
    else:
        doc["unknown"] = dict.fromkeys(collectors, f"host not scanned: {run.status}")
    return doc


def good_facts(path: Path) -> bool:
    """True when ``path`` holds a complete facts file of a host scanned successfully.

    A file written by an earlier auditor that counted a dropped connection as scanned
    (status ok, exit code -1: no exit status came) is not good: --resume scans it again.
    """
    try:
        data = read_json(path)
    except InputError:
        return False
    if not isinstance(data, dict) or data.get("format") != FACTS_FORMAT \
            or data.get("status") != HostStatus.OK:
        return False
    probe = data.get("probe")
    return not (isinstance(probe, dict) and probe.get("exit_code") == -1)


def copy_inputs(inventory: Inventory, bundle: Bundle) -> None:
    """Write the inventory (it holds no secrets) and each site's answers into the bundle."""
    header = (f"# Inventory as scanned by auditor {__version__} on {utc_now()}.\n"
              f"# Source: {inventory.path.name}\n")
    # libyaml's emitter when PyYAML has it: 3x faster on a 2,000-VM inventory (0.6 s vs 1.8 s)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    atomic_write_text(bundle.inventory, header + yaml.dump(
        inventory.raw, Dumper=dumper, sort_keys=False, allow_unicode=True))
    for site in inventory.sites:
        if site.facility is None:
            continue
        answers = load_answers(site.facility, site.id)
        atomic_write_text(bundle.facility(site.id), yaml.safe_dump(
            answers.to_data(), sort_keys=False, allow_unicode=True))


def scan_host(host: Host, transport: Transport, inventory: Inventory, options: ScanOptions,
              script: bytes, collectors: Mapping[str, Collector], bundle: Bundle) -> HostResult:
    """Scan one host and write its facts file; never raises for a host's failure."""
    started_at = utc_now()
    try:
        run = transport.run_probe(host, script, inventory, options)
    except Exception as exc:
        run = ProbeRun(HostStatus.ERROR, f"internal error in transport: {type(exc).__name__}")
    atomic_write_json(bundle.facts(host.id),
                      facts_document(host, run, script, collectors, started_at))
    return HostResult(host.id, run.status, run.reason, run.duration_s)


class _HostPool:
    """Hosts scanned over their transport in a bounded pool, with progress and a stop switch."""

    def __init__(self, inventory: Inventory, bundle: Bundle, options: ScanOptions,
                 collectors: Mapping[str, Collector], concurrency: int, stop: threading.Event,
                 on_progress: ProgressCallback | None, results: list[HostResult]) -> None:
        """Ready to scan; ``results`` already holds the hosts a resume skips."""
        self.inventory, self.bundle, self.options = inventory, bundle, options
        self.collectors, self.script = collectors, build_probe(collectors)
        self.width, self.stop, self.on_progress = max(1, concurrency), stop, on_progress
        self.results = results
        self.progress = Progress(total=len(inventory.hosts), done=len(results))
        self.lock = threading.Lock()
        self.transports: dict[str, Transport] = {}

    def one(self, host: Host) -> HostResult:
        """Scan one host (in a pool thread); an unknown transport is an error, not a stop."""
        if host.transport not in TRANSPORTS:
            run = ProbeRun(HostStatus.ERROR, f"transport '{host.transport}' is not available")
            atomic_write_json(self.bundle.facts(host.id), facts_document(
                host, run, self.script, self.collectors, utc_now()))
            return HostResult(host.id, run.status, run.reason, 0.0)
        with self.lock:
            transport = self.transports.setdefault(host.transport, TRANSPORTS[host.transport]())
            self.progress.running[host.id] = time.monotonic()
        return scan_host(host, transport, self.inventory, self.options, self.script,
                         self.collectors, self.bundle)

    def run(self, todo: list[Host]) -> bool:
        """Scan ``todo`` and keep each result; True when stopped before every host was done."""
        interrupted = False
        pending: set[Future[HostResult]] = set()
        queue = iter(todo)
        with ThreadPoolExecutor(max_workers=self.width, thread_name_prefix="auditor-scan") as pool:
            try:
                while True:
                    pending |= self._start(pool, queue, len(pending))
                    if not pending:
                        break
                    finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    self._record(finished)
            except BaseException as exc:  # Ctrl-C, or a fault such as a full disk: start no more
                self.stop.set()
                interrupted = isinstance(exc, KeyboardInterrupt)
                for future in pending:
                    future.cancel()
                raise
            finally:
                interrupted = interrupted or (self.stop.is_set()
                                              and len(self.results) < len(self.inventory.hosts))
        return interrupted

    def _start(self, pool: ThreadPoolExecutor, queue: Iterator[Host],
               running: int) -> set[Future[HostResult]]:
        started: set[Future[HostResult]] = set()
        while running + len(started) < self.width and not self.stop.is_set():
            host = next(queue, None)
            if host is None:
                break
            started.add(pool.submit(self.one, host))
        return started

    def _record(self, finished: set[Future[HostResult]]) -> None:
        for future in finished:
            result = future.result()
            with self.lock:
                self.results.append(result)
                self.progress.done += 1
                self.progress.failed += result.status is not HostStatus.OK
                self.progress.running.pop(result.host, None)
            if self.on_progress:
                self.on_progress(self.progress, result)
        if not finished and self.on_progress:
            self.on_progress(self.progress, None)


def _resumed_and_todo(inventory: Inventory, bundle: Bundle,
                      resume: bool) -> tuple[list[HostResult], list[Host]]:
    """Hosts a resume skips (their facts file is good), and hosts the pool scans (not API)."""
    skipped: list[HostResult] = []
    todo: list[Host] = []
    for host in inventory.hosts:
        if resume and good_facts(bundle.facts(host.id)):
            skipped.append(HostResult(host.id, HostStatus.OK, None, 0.0, skipped=True))
        elif host.transport not in PLATFORMS:
            todo.append(host)
    return skipped, todo


def scan(inventory: Inventory, out_dir: Path, options: ScanOptions, *, concurrency: int = 32,
         resume: bool = False, on_progress: ProgressCallback | None = None,
         collectors: Mapping[str, Collector] = COLLECTORS,
         stop: threading.Event | None = None, web: WebOptions | None = None,
         on_service: Callable[[ServiceResult], None] | None = None) -> ScanSummary:
    """Scan every host of ``inventory`` into the bundle at ``out_dir``.

    Hosts run in a bounded pool. Each facts file is written whole when its host ends, so an
    interrupted scan keeps what it finished; ``resume`` skips hosts with a good facts file.
    Setting ``stop`` lets running hosts finish and starts no new ones. Hosts described by a
    hypervisor API come next, then the web services of the inventory, with ``web`` options
    (defaults when None).
    """
    bundle = Bundle(out_dir)
    make_folder(bundle.facts_dir)
    copy_inputs(inventory, bundle)
    stop = stop or threading.Event()
    results, todo = _resumed_and_todo(inventory, bundle, resume)
    pool = _HostPool(inventory, bundle, options, collectors, concurrency, stop, on_progress,
                     results)
    interrupted = pool.run(todo)
    if inventory.raw.get("hypervisors") and not stop.is_set():
        from auditor.collect.hypervisors.collect import collect  # pyVmomi: loaded only when needed

        done = frozenset(r.host for r in results if r.skipped)
        results.extend(HostResult(*r) for r in collect(inventory, bundle, stop=stop, skip=done))
    order = {h.id: i for i, h in enumerate(inventory.hosts)}
    results.sort(key=lambda r: order[r.host])
    services: list[ServiceResult] = []
    if inventory.services and not stop.is_set():
        from auditor.collect.web.probe import probe_services  # requests: loaded only when needed

        services = probe_services(inventory, bundle, web or WebOptions(), concurrency,
                                  resume=resume, on_result=on_service, stop=stop)
    interrupted = interrupted or (stop.is_set() and any(
        s.skipped and s.status != "ok" for s in services))
    return ScanSummary(tuple(results), interrupted, tuple(services))
