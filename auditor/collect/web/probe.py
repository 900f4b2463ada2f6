"""Probe one web service (the steps of ``steps.STEPS``, in order) and many, in a pool."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from urllib3.exceptions import InsecureRequestWarning

from auditor import __version__
from auditor.bundle.folder import Bundle, atomic_write_json, read_json
from auditor.collect.web.fetch import new_session
from auditor.collect.web.options import ServiceResult, ServiceStatus, WebOptions
from auditor.collect.web.steps import STEPS, ProbeRun, ProbeStep, Stop, parse_target
from auditor.collect.web.untrusted import clean
from auditor.collect.web.watchdog import Watchdog
from auditor.errors import InputError
from auditor.inventory.load import Inventory, Service

SERVICE_FORMAT = "auditor.service/1"
SECTIONS = ("tls", "certificate", "http", "headers", "exposure", "content")
"""Every section of a service's facts: one not filled in is listed unknown, with the reason."""


def _run_step(run: ProbeRun, step: ProbeStep) -> None:
    """Run one step; a failure of a step that does not end the probe loses only its section."""
    skipped = step.skipped(run.options)
    if skipped is not None:
        run.unknown[step.section] = skipped
        return
    if step.ends_probe:
        step.run(run)
        return
    if time.monotonic() > run.deadline:
        run.unknown[step.section] = "time budget for the service spent"
        return
    try:
        step.run(run)
    except Stop:
        raise
    except Exception as exc:  # one broken section must not lose the others
        run.unknown[step.section] = f"internal error in the web probe: {type(exc).__name__}"


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _service_doc(service: Service) -> dict[str, Any]:
    """The DIR/services/SERVICE.json document before the probe: status ok, no facts yet."""
    return {"format": SERVICE_FORMAT, "service": service.id, "url": service.url,
            "host": service.host, "site": service.site, "status": "ok", "reason": None,
            "checked_at": utc_now(), "duration_s": 0.0, "auditor_version": __version__,
            "facts": {}, "unknown": {}}


def _run_steps(run: ProbeRun, doc: dict[str, Any]) -> None:
    """Run ``STEPS`` in order; a service that does not answer sets the document's status."""
    try:
        run.watchdog.start()
        for step in STEPS:
            _run_step(run, step)
    except Stop as stop:
        doc["status"], doc["reason"] = str(stop.status), clean(stop.reason, 500)
    except Exception as exc:  # a probe bug must not stop the other services
        doc["status"] = str(ServiceStatus.ERROR)
        doc["reason"] = f"internal error in the web probe: {type(exc).__name__}"
    finally:
        run.watchdog.cancel()
        run.session.close()


def probe_service(service: Service, options: WebOptions) -> dict[str, Any]:
    """Probe one service read-only; the DIR/services/SERVICE.json document. Never raises."""
    warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    warnings.filterwarnings("ignore", r"ssl\.TLSVersion\.TLSv1", DeprecationWarning)
    started = time.monotonic()
    doc = _service_doc(service)
    try:
        target = parse_target(service.url)
    except ValueError as exc:
        doc.update(status=str(ServiceStatus.ERROR), reason=f"bad URL: {exc}",
                   unknown=dict.fromkeys(SECTIONS, "service not probed: bad URL"))
        return doc
    watchdog = Watchdog(options.total_timeout + 1.0)
    run = ProbeRun(target, options, started + options.total_timeout, watchdog,
                   new_session(watchdog))
    _run_steps(run, doc)
    for section in SECTIONS:
        if section not in run.facts and section not in run.unknown:
            run.unknown[section] = f"service not probed: {doc['status']}"
    doc["facts"], doc["unknown"] = run.facts, run.unknown
    doc["duration_s"] = round(time.monotonic() - started, 3)
    return doc


def good_service_file(bundle: Bundle, service_id: str) -> bool:
    """True when the bundle holds a complete, successful probe of this service."""
    try:
        data = read_json(bundle.service(service_id))
    except InputError:
        return False
    return isinstance(data, dict) and data.get("format") == SERVICE_FORMAT \
        and data.get("status") == ServiceStatus.OK


def probe_services(inventory: Inventory, bundle: Bundle, options: WebOptions,
                   concurrency: int = 8, *, resume: bool = False,
                   on_result: Callable[[ServiceResult], None] | None = None,
                   stop: threading.Event | None = None) -> list[ServiceResult]:
    """Probe every service of ``inventory`` in a bounded pool; write DIR/services/*.json."""
    options.check()
    bundle.services_dir.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()

    def one(service: Service) -> ServiceResult:
        if resume and good_service_file(bundle, service.id):
            return ServiceResult(service.id, ServiceStatus.OK, None, 0.0, skipped=True)
        if stop.is_set():
            return ServiceResult(service.id, ServiceStatus.ERROR, "scan stopped", 0.0,
                                 skipped=True)
        doc = probe_service(service, options)
        atomic_write_json(bundle.service(service.id), doc)
        result = ServiceResult(service.id, ServiceStatus(doc["status"]), doc["reason"],
                               doc["duration_s"])
        if on_result:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 64)),
                            thread_name_prefix="auditor-web") as pool:
        return list(pool.map(one, inventory.services))
