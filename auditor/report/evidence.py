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

PHRASES_ID: tuple[tuple[str, str], ...] = (
    ("no timedatectl, chronyc or ntpq answer", "timedatectl, chronyc dan ntpq tidak menjawab"),
    (" and no time daemon is running", " dan tidak ada layanan waktu yang berjalan"),
    ("; and no firewall service (firewalld, ufw, nftables, iptables) is known to be active",
     "; dan tidak ada layanan firewall (firewalld, ufw, nftables, iptables) yang diketahui aktif"),
    (" is readable only by root, so other users' crontabs were not seen",
     " hanya terbaca oleh root, sehingga crontab pengguna lain tidak terlihat"),
    ("no remote target in the readable configuration, but ",
     "tidak ada tujuan pengiriman di konfigurasi yang terbaca, tetapi "),
    (" cannot be read", " tidak dapat dibaca"),
    ("/etc/login.defs is missing or sets no password ageing",
     "/etc/login.defs tidak ada atau tidak mengatur umur kata sandi"),
    ("/etc/shadow is readable only by root", "/etc/shadow hanya terbaca oleh root"),
    ("apt's package cache is missing or older than its lists; building it takes seconds",
     "cache paket apt tidak ada atau lebih tua dari daftarnya; membangunnya butuh beberapa detik"),
    ("apt-get's simulation ", "simulasi apt-get "),
    ("apt printed nothing", "apt tidak mencetak apa pun"),
    ("CentOS repositories publish no security errata (updateinfo), so security updates cannot "
     "be told apart", "repositori CentOS tidak menerbitkan errata keamanan (updateinfo), sehingga "
     "pembaruan keamanan tidak dapat dibedakan"),
    ("timed out", "waktu habis"), ("could not run", "tidak dapat dijalankan"),
    ("was cut", "terpotong"), ("not found", "tidak ditemukan"),
)
"""Fragments of collectors' reasons, replaced inside a reason (after ``path: ``)."""

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
        (r"failed \(exit (\d+)\)", r"gagal (kode keluar \1)"),
        (r"failed or was cut \(exit (\d+)\)", r"gagal atau terpotong (kode keluar \1)"),
        (r"the (\S+) database could not be read$", r"basis data \1 tidak dapat dibaca"),
        (r" = true$", " = ya"), (r" = false$", " = tidak"),
        (r"^(\S+): output not understood: ", r"\1: keluaran tidak dipahami: "),
        (r"^(\S+): section output larger than (\d+) characters$",
         r"\1: keluaran bagian lebih dari \2 karakter"),
    ))
_EVIDENCE_FILES = re.compile(r" \(evidence: ([^()]*)\)$")
_SECONDS = r"([\d.]+) s"
_REASONS_ID: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in (
        (r"^connection refused$", "koneksi ditolak"),
        (rf"^no result within {_SECONDS}$", r"tidak ada hasil dalam \1 detik"),
        (r"^the jump host could not connect to (\S+) ", r"host perantara tidak dapat tersambung "
                                                         r"ke \1 "),
        (r"^cannot resolve the name ('[^']*')$", r"nama \1 tidak dapat diterjemahkan ke alamat"),
        (rf"^no TCP answer from (\S+) within {_SECONDS}$",
         r"tidak ada jawaban TCP dari \1 dalam \2 detik"),
        (r"^cannot connect to (\S+): ", r"tidak dapat tersambung ke \1: "),
        (rf"^the host accepted the connection but did not speak SSH within {_SECONDS}$",
         r"host menerima koneksi tetapi tidak menjawab dengan SSH dalam \1 detik"),
        (rf"^the host accepted the connection but did not complete the SSH handshake within "
         rf"{_SECONDS}$", r"host menerima koneksi tetapi tidak menyelesaikan jabat tangan SSH "
                          r"dalam \1 detik"),
        (r"^the host closed the connection during the SSH handshake$",
         "host menutup koneksi saat jabat tangan SSH"),
        (r"^host key CHANGED for (\S+): it offered (.*), which differs from (\S+); refused "
         r"before login$", r"kunci host \1 BERUBAH: yang ditawarkan \2 berbeda dari \3; ditolak "
                           r"sebelum login"),
        (r"^host key (.*) of (\S+) is marked @revoked in (\S+)$",
         r"kunci host \1 milik \2 ditandai @revoked di \3"),
        (r"^host key not known for (\S+) \((.*)\) in (\S+); rerun with "
         r"--accept-new-host-keys to trust on first use$",
         r"kunci host \1 (\2) tidak dikenal di \3; jalankan ulang dengan "
         r"--accept-new-host-keys untuk memercayainya pada pemakaian pertama"),
        (rf"^no answer to the login within {_SECONDS}$",
         r"tidak ada jawaban atas login dalam \1 detik"),
        (r"^login as ('[^']*') refused \(tried ", r"login sebagai \1 ditolak (dicoba: "),
        (r"; server accepts: ", "; server menerima: "),
        (rf"^the probe did not finish within {_SECONDS}$",
         r"pemeriksaan tidak selesai dalam \1 detik"),
        (r"^cannot run /bin/sh: ", "tidak dapat menjalankan /bin/sh: "),
        (r"^internal error in transport: ", "galat internal pada transport: "),
        (r"^transport ('[^']*') is not available$", r"transport \1 tidak tersedia"),
        (r"^no (\w+) file in the bundle \(not scanned\)$",
         r"tidak ada berkas \1 di bundel (tidak dipindai)"),
    ))
STATUS_ID = {"unreachable": "tidak terjangkau", "auth_failed": "autentikasi gagal",
             "hostkey_mismatch": "kunci host tidak cocok", "timeout": "waktu habis",
             "error": "galat", "ok": "berhasil dipindai"}
"""Scan statuses in Indonesian, inside evidence lines."""


def reason_text(reason: str, lang: str) -> str:
    """Why a host or service was not scanned, in ``lang`` (the transport's words when unknown)."""
    if lang != "id":
        return reason
    for pattern, replacement in _REASONS_ID:
        reason = pattern.sub(replacement, reason, count=1)
    return reason


_NUMBER = re.compile(r"(?<![\w.])(\d+)\.(\d+)(?![\w.])")


def _part(text: str) -> str:
    path, sep, reason = text.partition(": ")
    if sep and " " not in path and reason in REASONS_ID:
        return f"{path}: {REASONS_ID[reason]}"
    for pattern, replacement in _PATTERNS_ID:
        text = pattern.sub(replacement, text, count=1)
    if text.startswith("jawaban = "):
        text = _NUMBER.sub(r"\1,\2", text, count=1)
    return text


def evidence_text(evidence: str, lang: str) -> str:
    """``evidence`` as the report shows it in ``lang`` (English is kept as written)."""
    if lang != "id" or not evidence:
        return evidence
    for prefix, shown in (("not scanned: ", "tidak dipindai: "),
                          ("host not scanned: ", "host tidak dipindai: ")):
        if evidence.startswith(prefix):
            status, _, why = evidence[len(prefix):].partition(": ")
            return shown + STATUS_ID.get(status, status) + (
                f": {reason_text(why, lang)}" if why else "")
    files = _EVIDENCE_FILES.search(evidence)
    body = evidence[:files.start()] if files else evidence
    for english, indonesian in PHRASES_ID:
        body = body.replace(english, indonesian)
    text = "; ".join(_part(part) for part in body.split("; "))
    return text + (f" (bukti: {files.group(1)})" if files else "")
