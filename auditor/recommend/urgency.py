"""Urgency per site from its verdict and findings: closure risk and backup/DR gaps first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.recommend.catalogue import Rules
from auditor.recommend.common import Urgency, text

LEVELS = tuple(Urgency)
GAP_STATUSES = ("fail", "unknown", "error")

KEEP_OWN_BACKUPS = text(
    "Setelah pindah, pemda tetap menyimpan salinan cadangan sendiri di lokasi terpisah dan menguji "
    "pemulihannya: pada serangan ransomware PDNS 2 (Juni 2024) hanya sekitar 2% data tersalin ke "
    "Batam, dan sekitar 44 penyewa pulih dari cadangan mereka sendiri.",
    "After moving, the pemda keeps its own backup copy in a separate place and tests restoring "
    "it: in the PDNS 2 ransomware attack (June 2024) only about 2% of data had been copied to "
    "Batam, and about 44 tenants recovered from their own backups.")


VERDICT_NAMES = {
    "compliant": text("patuh", "compliant"),
    "incomplete": text("bukti belum cukup untuk menilai", "not enough evidence to judge"),
    "remediate": text("perbaiki", "remediate"),
    "migrate": text("migrasi", "migrate"),
}
"""Each verdict's name in both languages, for the reasons below."""


def site_urgency(site: Mapping[str, Any], hosts: Sequence[Mapping[str, Any]],
                 rules: Rules) -> dict[str, Any]:
    """Urgency (low, medium, high, critical) of one site, with reasons in both languages.

    ``critical``: a closure risk (the check stage's ``closure_controls``) or a failing backup
    or disaster-recovery control, whatever the verdict; ``high``: backup/DR controls not
    evidenced, or other critical controls failing.
    """
    own = list(site.get("findings", []))
    everything = own + [f for h in hosts for f in h.get("findings", [])]
    closure = sorted(site.get("closure_controls") or ())
    backup_dr = sorted({f["control"] for f in everything if f["status"] in GAP_STATUSES
                        and f["control"].startswith(rules.backup_dr_controls)})
    backup_failing = sorted({f["control"] for f in everything if f["status"] == "fail"
                             and f["control"].startswith(rules.backup_dr_controls)})
    critical_site = sorted({f["control"] for f in own if f["severity"] == "critical"
                            and f["status"] == "fail"} - set(closure) - set(backup_dr))
    critical_hosts = sorted({f["control"] for h in hosts for f in h.get("findings", [])
                             if f["severity"] == "critical" and f["status"] == "fail"})
    verdict = site["verdict"]
    reasons: list[dict[str, str]] = []
    level = 0
    if closure:
        level = 3
        reasons.append(text(
            f"Risiko penutupan: kendali fasilitas gagal ({', '.join(closure)}); fasilitas "
            "yang tidak memenuhi spesifikasi dapat diperintahkan ditutup setelah audit.",
            f"Closure risk: facility controls fail ({', '.join(closure)}); a facility "
            "that does not meet the specification can be ordered closed after an audit."))
    if backup_failing:
        level = 3
        reasons.append(text(
            f"Celah cadangan/pemulihan bencana ({', '.join(backup_failing)} gagal): mendesak "
            "berapa pun biayanya dan apa pun putusannya, karena pindah ke PDN tidak "
            "memperbaikinya (pelajaran PDNS 2024).",
            f"Backup/DR gap ({', '.join(backup_failing)} failing): urgent whatever the cost "
            "and the verdict say, since moving to the PDN does not fix it (the PDNS 2024 "
            "lesson)."))
    unproven = [c for c in backup_dr if c not in backup_failing]
    if unproven:
        level = max(level, 2)
        reasons.append(text(
            f"Cadangan/pemulihan bencana belum terbukti ({', '.join(unproven)}): lengkapi "
            "buktinya segera (pelajaran PDNS 2024).",
            f"Backup/DR not evidenced ({', '.join(unproven)}): provide the evidence soon (the "
            "PDNS 2024 lesson)."))
    if critical_site:
        level = max(level, 2)
        reasons.append(text(
            f"Kendali kritis lokasi gagal: {', '.join(critical_site)}.",
            f"Critical site controls fail: {', '.join(critical_site)}."))
    if critical_hosts:
        level = max(level, 2 if verdict == "migrate" else 1)
        reasons.append(text(
            f"Kendali host kritis gagal: {', '.join(critical_hosts)}.",
            f"Critical host controls fail: {', '.join(critical_hosts)}."))
    if verdict != "compliant" and level < 1:
        level = 1
    name = VERDICT_NAMES.get(verdict, text(verdict, verdict))
    if not reasons:
        reasons.append(text(f"Putusan lokasi: {name['id']}; tidak ada celah kritis.",
                            f"Site verdict: {name['en']}; no critical gap."))
    elif verdict != "compliant":
        reasons.append(text(f"Putusan lokasi: {name['id']}.", f"Site verdict: {name['en']}."))
    return {"site": site["id"], "verdict": verdict, "urgency": LEVELS[level],
            "closure_risk": bool(closure), "backup_dr_gap": bool(backup_dr),
            "closure_controls": closure, "backup_dr_controls": backup_dr,
            "reasons": reasons, "keep_own_backups": True}


def worst(levels: Sequence[str]) -> str:
    """The most urgent of several levels (low when there are none)."""
    return str(max((Urgency(v) for v in levels), key=LEVELS.index, default=Urgency.LOW))
