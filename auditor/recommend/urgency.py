"""Urgency per site from its verdict and findings: closure risk and backup/DR gaps first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.recommend.catalogue import Rules
from auditor.recommend.common import Urgency, text

LEVELS = tuple(Urgency)
GAP_STATUSES = ("fail", "unknown", "error")
VERDICT_ID = {"compliant": "patuh", "remediate": "perbaiki", "migrate": "migrasi",
              "incomplete": "bukti belum cukup"}
"""Site verdicts as the Indonesian report names them."""

KEEP_OWN_BACKUPS = text(
    "Setelah pindah, pemda tetap menyimpan salinan cadangan sendiri di lokasi terpisah dan menguji "
    "pemulihannya: pada serangan ransomware PDNS 2 (Juni 2024) hanya sekitar 2% data tersalin ke "
    "Batam, dan sekitar 44 penyewa pulih dari cadangan mereka sendiri.",
    "After moving, the pemda keeps its own backup copy in a separate place and tests restoring "
    "it: in the PDNS 2 ransomware attack (June 2024) only about 2% of data had been copied to "
    "Batam, and about 44 tenants recovered from their own backups.")


def site_urgency(site: Mapping[str, Any], hosts: Sequence[Mapping[str, Any]],
                 rules: Rules) -> dict[str, Any]:
    """Urgency (low, medium, high, critical) of one site, with reasons in both languages."""
    own = list(site.get("findings", []))
    everything = own + [f for h in hosts for f in h.get("findings", [])]
    closure = sorted({f["control"] for f in own if f.get("domain") == "facility"
                      and f["severity"] == "critical" and f["status"] == "fail"})
    backup_dr = sorted({f["control"] for f in everything if f["status"] in GAP_STATUSES
                        and f["control"].startswith(rules.backup_dr_controls)})
    critical_hosts = sorted({f["control"] for h in hosts for f in h.get("findings", [])
                             if f["severity"] == "critical" and f["status"] == "fail"})
    verdict = site["verdict"]
    reasons: list[dict[str, str]] = []
    level = 0
    if closure:
        level = 3
        reasons.append(text(
            f"Risiko penutupan: kendali fasilitas kritis gagal ({', '.join(closure)}); fasilitas "
            "yang tidak memenuhi spesifikasi dapat diperintahkan ditutup setelah audit.",
            f"Closure risk: critical facility controls fail ({', '.join(closure)}); a facility "
            "that does not meet the specification can be ordered closed after an audit."))
    if backup_dr:
        level = max(level, 2)
        reasons.append(text(
            f"Celah cadangan/pemulihan bencana ({', '.join(backup_dr)} gagal atau tidak "
            "diketahui): mendesak berapa pun biayanya (pelajaran PDNS 2024).",
            f"Backup/DR gap ({', '.join(backup_dr)} failing or unknown): urgent whatever the cost "
            "says (the PDNS 2024 lesson)."))
    if critical_hosts:
        level = max(level, 2 if verdict == "migrate" else 1)
        reasons.append(text(
            f"Kendali host kritis gagal: {', '.join(critical_hosts)}.",
            f"Critical host controls fail: {', '.join(critical_hosts)}."))
    if verdict != "compliant" and level < 1:
        level = 1
    if not reasons:
        reasons.append(text(f"Putusan lokasi: {VERDICT_ID.get(verdict, verdict)}; tidak ada "
                            "celah kritis.",
                            f"Site verdict: {verdict}; no critical gap."))
    elif verdict != "compliant":
        reasons.append(text(f"Putusan lokasi: {VERDICT_ID.get(verdict, verdict)}.",
                            f"Site verdict: {verdict}."))
    return {"site": site["id"], "verdict": verdict, "urgency": LEVELS[level],
            "closure_risk": bool(closure), "backup_dr_gap": bool(backup_dr),
            "closure_controls": closure, "backup_dr_controls": backup_dr,
            "reasons": reasons, "keep_own_backups": True}


def worst(levels: Sequence[str]) -> str:
    """The most urgent of several levels (low when there are none)."""
    return str(max((Urgency(v) for v in levels), key=LEVELS.index, default=Urgency.LOW))
