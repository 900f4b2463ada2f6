"""What the history keeps of a bundle beyond the review's table: identity, hosts and the plan."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.bundle.results import number
from auditor.bundle.signing import canonical
from auditor.review.load import text

MAX_ROWS = 20_000
"""Hosts and plan rows kept per bundle: an untrusted bundle cannot flood the store."""

HostRow = tuple[str, str, str, float | None]
"""host id, site, scan status, score."""
PlanRow = tuple[str, str, str | None, str | None, str | None, float | None, float | None,
                float | None, float | None, int | None]
"""host, site, strategy, target offering, flavour, vCPU, memory GB, disk GB, Mbps, wave."""


@dataclass(frozen=True)
class BundleExtras:
    """One bundle's history-only part, read with the bundle so nothing is read twice."""

    digest: str
    """sha256 of the canonical manifest; of results.json's bytes for an unsigned bundle."""
    signed_at: str
    """The manifest's created_at ("" when unsigned)."""
    hosts: tuple[HostRow, ...] = ()
    plan: tuple[PlanRow, ...] = ()


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value[:MAX_ROWS] if isinstance(v, dict)] if isinstance(value, list) else []


def _waves(rec: dict[str, Any]) -> dict[str, int]:
    waves: dict[str, int] = {}
    raw = rec.get("waves")
    for number_, wave in enumerate(raw[:1000] if isinstance(raw, list) else [], start=1):
        for host in wave[:MAX_ROWS] if isinstance(wave, list) else []:
            if isinstance(host, str):
                waves.setdefault(text(host, 200), number_)
    return waves


LIMITS = {"vcpu": 100_000.0, "memory_gb": 10_000_000.0, "disk_gb": 1_000_000_000.0,
          "bandwidth_mbps": 100_000_000.0, "score": 100.0}
"""Largest believable value of each figure; beyond it (or below 0) the figure is unknown, so
one hostile bundle cannot overflow a national sum."""


def bounded(value: Any, key: str) -> float | None:
    """A finite number within 0..LIMITS[key], else None."""
    found = number(value)
    return found if found is not None and 0 <= found <= LIMITS[key] else None


def _plan(rec: dict[str, Any]) -> tuple[PlanRow, ...]:
    waves = _waves(rec)
    rows: list[PlanRow] = []
    for host in _dicts(rec.get("hosts")):
        target = host.get("target")
        target = target if isinstance(target, dict) else {}
        host_id = text(host.get("id"), 200)
        offering = text(target.get("offering"), 100) or None
        rows.append((host_id, text(host.get("site"), 200), text(host.get("strategy"), 40) or None,
                     offering, text(target.get("flavour"), 100) or None,
                     bounded(target.get("vcpu"), "vcpu"),
                     bounded(target.get("memory_gb"), "memory_gb"),
                     bounded(target.get("disk_gb"), "disk_gb"),
                     bounded(target.get("bandwidth_mbps"), "bandwidth_mbps"),
                     waves.get(host_id)))
    return tuple(rows)


def extras(results: Mapping[str, Any], manifest: dict[str, Any],
           results_sha256: str) -> BundleExtras:
    """The history part of one results.json, with the bundle's identity."""
    if manifest:
        digest = "sha256:" + hashlib.sha256(canonical(manifest)).hexdigest()
    else:
        digest = "sha256:" + results_sha256
    rec = results.get("recommendation")
    hosts = tuple((text(h.get("id"), 200), text(h.get("site"), 200), text(h.get("status"), 40),
                   bounded(h.get("score"), "score")) for h in _dicts(results.get("hosts")))
    return BundleExtras(digest, text(manifest.get("created_at"), 40), hosts,
                        _plan(rec) if isinstance(rec, dict) else ())
