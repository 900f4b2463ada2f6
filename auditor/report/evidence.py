"""Evidence lines in the report's language: the evaluator's fixed phrases and collectors' reasons.

The check stage writes evidence in one technical form (``answer = 7 (evidence: f.pdf)``,
``sshd.permitrootlogin: not collected``); results.json keeps it so. The Indonesian report
rewrites the phrases the tool itself produces, and leaves values, paths and anything a
target returned as they are.
"""

from __future__ import annotations

import re

REASONS_ID: dict[str, str] = {
    "not collected": "tidak dikumpulkan",
    "not known": "tidak diketahui",
    "no dpkg, rpm or apk database found": "tidak ada basis data dpkg, rpm atau apk",
    "no package database time was readable": "waktu basis data paket tidak terbaca",
    "no /etc/pam.d (PAM not in use or not readable)":
        "tidak ada /etc/pam.d (PAM tidak dipakai atau tidak terbaca)",
    "no timedatectl, chronyc or ntpq answer": "timedatectl, chronyc dan ntpq tidak menjawab",
    "CentOS repositories publish no security errata":
        "repositori CentOS tidak menerbitkan errata keamanan",
    "only security updates were listed": "hanya pembaruan keamanan yang didaftar",
    "only security patches were listed": "hanya tambalan keamanan yang didaftar",
    "apk does not mark security updates": "apk tidak menandai pembaruan keamanan",
    "no apt, dnf, yum, zypper or apk found": "tidak ada apt, dnf, yum, zypper atau apk",
    "neither nft nor iptables is installed": "nft dan iptables tidak terpasang",
    "no systemd-detect-virt, DMI table or CPU flag was readable":
        "systemd-detect-virt, tabel DMI dan flag CPU tidak terbaca",
    "probe output was cut before this section":
        "keluaran pemeriksaan terpotong sebelum bagian ini",
    "the probe printed no such section": "pemeriksaan tidak mencetak bagian ini",
    "the section did not finish (output cut or command killed)":
        "bagian ini tidak selesai (keluaran terpotong atau perintah dihentikan)",
    "not readable on the host": "tidak terbaca di host",
}
"""Whole reasons (after ``path: ``) the collectors and the evaluator give, in Indonesian."""

_PATTERNS_ID: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), replacement) for pattern, replacement in (
        (r"^not answered$", "belum dijawab"),
        (r"^answer = never$", "jawaban = tidak pernah"),
        (r"^answer = true$", "jawaban = ya"),
        (r"^answer = false$", "jawaban = tidak"),
        (r"^answer = ", "jawaban = "),
        (r"^answered true without the evidence it asks for$",
         "dijawab ya tanpa bukti yang diminta"),
        (r"^answered (.*) without the evidence it asks for$",
         r"dijawab \1 tanpa bukti yang diminta"),
        (r"^(\S+) present$", r"\1 ada"),
        (r"^(\S+) absent$", r"\1 tidak ada"),
        (r"^(\S+): cannot judge: ", r"\1: tidak dapat dinilai: "),
        (r"expected a number, got ", "seharusnya angka, didapat "),
        (r"expected a list, got ", "seharusnya daftar, didapat "),
        (r"expected a date YYYY-MM-DD, got ", "seharusnya tanggal YYYY-MM-DD, didapat "),
        (r"expected a version, got ", "seharusnya versi, didapat "),
        (r"expected yes/no, got ", "seharusnya ya/tidak, didapat "),
        (r"expected text, got ", "seharusnya teks, didapat "),
        (r"^parameter '([^']*)' is not set$", r"parameter '\1' tidak diisi"),
        (r"^unknown operator ", "operator tidak dikenal "),
        (r"^(\S+): output not understood: ", r"\1: keluaran tidak dipahami: "),
        (r"^(\S+): section output larger than (\d+) characters$",
         r"\1: keluaran bagian lebih dari \2 karakter"),
    ))
_EVIDENCE_FILES = re.compile(r" \(evidence: ([^()]*)\)$")


def _part(text: str) -> str:
    path, sep, reason = text.partition(": ")
    if sep and " " not in path and reason in REASONS_ID:
        return f"{path}: {REASONS_ID[reason]}"
    for pattern, replacement in _PATTERNS_ID:
        text = pattern.sub(replacement, text, count=1)
    return text


def evidence_text(evidence: str, lang: str) -> str:
    """``evidence`` as the report shows it in ``lang`` (English is kept as written)."""
    if lang != "id" or not evidence:
        return evidence
    files = _EVIDENCE_FILES.search(evidence)
    body = evidence[:files.start()] if files else evidence
    text = "; ".join(_part(part) for part in body.split("; "))
    return text + (f" (bukti: {files.group(1)})" if files else "")
