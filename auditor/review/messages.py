"""Every user-facing string of the national review, in Bahasa Indonesia and English."""
# ruff: noqa: E501 - a message catalogue reads best one message per line

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"id": "Tinjauan Nasional Ruang Server Pemda", "en": "National Review of Pemda Server Rooms"},
    "generated": {"id": "Dibuat", "en": "Generated"},
    "bundles_read": {"id": "Bundel dibaca", "en": "Bundles read"},
    "accepted": {"id": "Diterima", "en": "Accepted"},
    "rejected": {"id": "Ditolak", "en": "Rejected"},
    "organisations": {"id": "Organisasi", "en": "Organisations"},
    "organisation": {"id": "Organisasi", "en": "Organisation"},
    "level": {"id": "Tingkat", "en": "Level"},
    "code": {"id": "Kode", "en": "Code"},
    "name": {"id": "Nama", "en": "Name"},
    "score": {"id": "Skor", "en": "Score"},
    "mean_score": {"id": "Skor rata-rata", "en": "Mean score"},
    "verdict": {"id": "Putusan", "en": "Verdict"},
    "site_verdicts": {"id": "Putusan lokasi (patuh/bukti belum cukup/perbaiki/migrasi)", "en": "Site verdicts (compliant/incomplete/remediate/migrate)"},
    "urgency": {"id": "Urgensi", "en": "Urgency"},
    "hosts": {"id": "Host", "en": "Hosts"},
    "eol_hosts": {"id": "Host OS usang", "en": "End-of-life hosts"},
    "sites": {"id": "Lokasi", "en": "Sites"},
    "site": {"id": "Lokasi", "en": "Site"},
    "sites_to_migrate": {"id": "Lokasi dimigrasi", "en": "Sites to migrate"},
    "savings": {"id": "Penghematan/tahun", "en": "Savings/year"},
    "current_cost": {"id": "Biaya tahunan saat ini", "en": "Current annual cost"},
    "after_cost": {"id": "Biaya setelah migrasi", "en": "Cost after migration"},
    "totals": {"id": "Jumlah", "en": "Totals"},
    "charts": {"id": "Grafik", "en": "Charts"},
    "by_verdict": {"id": "Organisasi menurut putusan", "en": "Organisations by verdict"},
    "by_score": {"id": "Sebaran skor", "en": "Score distribution"},
    "by_urgency": {"id": "Organisasi menurut urgensi", "en": "Organisations by urgency"},
    "table": {"id": "Tabel organisasi", "en": "Organisations table"},
    "sort_hint": {"id": "Klik judul kolom untuk mengurutkan.", "en": "Click a column heading to sort."},
    "rejected_bundles": {"id": "Bundel yang ditolak (tidak digabungkan)", "en": "Rejected bundles (not merged)"},
    "bundle": {"id": "Bundel", "en": "Bundle"},
    "trust": {"id": "Kepercayaan", "en": "Trust"},
    "problems": {"id": "Masalah", "en": "Problems"},
    "report": {"id": "Laporan lengkap", "en": "Full report"},
    "report_note": {"id": "halaman milik pemda, disalin tanpa skrip, tanpa muatan dari luar dan "
                           "tanpa pengalihan otomatis; tautan di dalamnya menuju ke tempat yang "
                           "dipilih pemda",
                    "en": "the pemda's own page, copied with scripts, outside content and "
                          "automatic redirects switched off; links in it go where the pemda "
                          "chose"},
    "no_report": {"id": "bundel tidak memuat report.html", "en": "the bundle holds no report.html"},
    "back": {"id": "Kembali ke tinjauan nasional", "en": "Back to the national review"},
    "failed_by_severity": {"id": "Kendali gagal menurut tingkat", "en": "Failed controls by severity"},
    "changes": {"id": "Perubahan sejak tinjauan sebelumnya", "en": "Changes since the previous review"},
    "improved": {"id": "Membaik", "en": "Improved"},
    "regressed": {"id": "Memburuk", "en": "Regressed"},
    "delta": {"id": "Δ skor", "en": "Δ score"},
    "fixed": {"id": "Diperbaiki", "en": "Fixed"},
    "new_failures": {"id": "Gagal baru", "en": "New failures"},
    "previous": {"id": "Sebelumnya", "en": "Previous"},
    "gone": {"id": "Ada di tinjauan sebelumnya, tidak ada sekarang", "en": "In the previous review, missing now"},
    "new_org": {"id": "baru", "en": "new"},
    "none": {"id": "tidak ada", "en": "none"},
    "subject": {"id": "Subjek", "en": "Subject"},
    "control": {"id": "Kendali", "en": "Control"},
    "spec": {"id": "Spesifikasi", "en": "Specification"},
    "fingerprint": {"id": "Sidik kunci", "en": "Key fingerprint"},
    "files": {"id": "Berkas", "en": "Files"},
    "files_note": {"id": "review.csv (tabel ini), review.sqlite (semua temuan, untuk kueri SQL)",
                   "en": "review.csv (this table), review.sqlite (all findings, for SQL queries)"},
    "verdict_compliant": {"id": "patuh", "en": "compliant"},
    "verdict_remediate": {"id": "perbaiki", "en": "remediate"},
    "verdict_migrate": {"id": "migrasi", "en": "migrate"},
    "verdict_incomplete": {"id": "bukti belum cukup", "en": "incomplete"},
    "verdict_none": {"id": "—", "en": "—"},
    "urgency_critical": {"id": "kritis", "en": "critical"},
    "urgency_high": {"id": "tinggi", "en": "high"},
    "urgency_medium": {"id": "sedang", "en": "medium"},
    "urgency_low": {"id": "rendah", "en": "low"},
    "urgency_none": {"id": "—", "en": "—"},
    "severity_critical": {"id": "kritis", "en": "critical"},
    "severity_high": {"id": "tinggi", "en": "high"},
    "severity_medium": {"id": "sedang", "en": "medium"},
    "severity_low": {"id": "rendah", "en": "low"},
    "trust_verified": {"id": "terverifikasi", "en": "verified"},
    "trust_signed": {"id": "bertanda tangan (kunci tidak diperiksa)", "en": "signed (key not checked)"},
    "trust_untrusted": {"id": "kunci tidak dipercaya", "en": "untrusted key"},
    "trust_unsigned": {"id": "tanpa tanda tangan", "en": "unsigned"},
    "trust_tampered": {"id": "diubah", "en": "tampered"},
    "trust_malformed": {"id": "rusak", "en": "malformed"},
    "trust_duplicate": {"id": "duplikat (ada bundel lebih baru)", "en": "duplicate (a newer bundle exists)"},
    "signed_note": {"id": "Tanda tangan sah tetapi kunci tidak diperiksa: berikan --trusted-keys untuk memastikan siapa yang menandatangani.",
                    "en": "Signatures are valid but the keys were not checked: give --trusted-keys to know who signed."},
    # issue 17: the signers banner, reasons of a rejection, reports in two languages, stale reports
    "signers_not_checked": {"id": "Penanda tangan tidak diperiksa.", "en": "Signers not checked."},
    "trust_identical": {"id": "duplikat (salinan identik)", "en": "duplicate (identical copy)"},
    "why_unsigned": {"id": "Bundel tidak ditandatangani: tidak ada bukti bahwa isinya tidak diubah.",
                     "en": "The bundle is not signed: nothing shows that its content was not altered."},
    "why_tampered": {"id": "Isi bundel tidak cocok dengan manifes atau tanda tangannya: ada berkas yang diubah, hilang atau ditambahkan setelah ditandatangani.",
                     "en": "The bundle does not match its manifest or signature: files were altered, removed or added after signing."},
    "why_untrusted": {"id": "Ditandatangani dengan kunci yang tidak terdaftar untuk organisasi ini (atau di luar masa berlakunya).",
                      "en": "Signed with a key that is not listed for this organisation (or outside its validity dates)."},
    "why_malformed": {"id": "Bundel tidak dapat dibaca: results.json tidak ada, rusak atau terlalu besar.",
                      "en": "The bundle cannot be read: results.json is missing, broken or too large."},
    "why_duplicate_newer": {"id": "Ada bundel yang lebih baru dari organisasi yang sama; yang lebih baru yang dipakai.",
                            "en": "A newer bundle of the same organisation exists; the newer one is used."},
    "why_duplicate_identical": {"id": "Salinan persis bundel lain dalam tinjauan ini; hanya satu yang dihitung.",
                                "en": "An exact copy of another bundle in this review; only one is counted."},
    "why_other": {"id": "Bundel ditolak.", "en": "The bundle was rejected."},
    "details": {"id": "Rincian teknis", "en": "Technical details"},
    "lang_id": {"id": "Bahasa Indonesia", "en": "Bahasa Indonesia"},
    "lang_en": {"id": "bahasa Inggris", "en": "English"},
    "stale_reports": {"id": "Laporan usang", "en": "Stale reports"},
    "stale_spec": {"id": "{file} dibuat untuk spesifikasi {made}, sedangkan hasilnya untuk {now}.",
                   "en": "{file} was made for spec {made}, results are for {now}."},
    "stale_results": {"id": "{file} dibuat dari hasil sebelumnya ({made}); results.json bertanggal {now}.",
                      "en": "{file} was made from earlier results ({made}); results.json is of {now}."},
    "stale_spec_many": {"id": "{file} dibuat untuk spesifikasi {made}, sedangkan hasilnya untuk {now}.",
                        "en": "{file} were made for spec {made}, results are for {now}."},
    "stale_results_many": {"id": "{file} dibuat dari hasil sebelumnya ({made}); results.json bertanggal {now}.",
                           "en": "{file} were made from earlier results ({made}); results.json is of {now}."},
}


PROBLEM_KINDS_ID = {"altered": "diubah", "missing": "hilang", "extra": "berkas tambahan",
                    "unsafe_path": "path tidak aman", "bad_manifest": "manifest rusak",
                    "unsigned": "tanpa tanda tangan", "bad_signature": "tanda tangan tidak sah",
                    "untrusted_key": "kunci tidak dipercaya"}
"""The kinds of bundle problems (auditor.bundle.signing.ProblemKind) in Indonesian."""
PROBLEM_PHRASES_ID = (
    ("no manifest.json and no manifest.sig: the bundle was never signed; sign it with ",
     "tidak ada manifest.json dan manifest.sig: bundel belum pernah ditandatangani; tandatangani "
     "dengan "),
    ("no signature; sign with ", "tidak ada tanda tangan; tandatangani dengan "),
    ("unreadable signature file", "berkas tanda tangan tidak terbaca"),
    ("the signature does not match manifest.json (the manifest was altered or signed by another "
     "key)", "tanda tangan tidak cocok dengan manifest.json (manifest diubah atau ditandatangani "
     "kunci lain)"),
    ("listed in the manifest but not in the bundle", "tercantum di manifest tetapi tidak ada di "
     "bundel"),
    ("content differs from the manifest", "isi berbeda dari manifest"),
    ("not listed in the manifest", "tidak tercantum di manifest"),
    ("symlinked folder (not followed)", "folder berupa symlink (tidak diikuti)"),
    ("symlink pointing outside the bundle", "symlink yang menunjuk ke luar bundel"),
    ("not a regular file", "bukan berkas biasa"),
    ("file larger than 1 GiB", "berkas lebih dari 1 GiB"),
    ("listed twice", "tercantum dua kali"),
    ("the manifest names another organisation than results.json",
     "manifest menyebut organisasi lain daripada results.json"),
    ("no results.json (run 'auditor check')", "tidak ada results.json (jalankan 'auditor check')"),
    (", which is not a trusted key of organisation ", ", yang bukan kunci tepercaya organisasi "),
    (", which is not a trusted key", ", yang bukan kunci tepercaya"),
    ("signed by key ", "ditandatangani dengan kunci "),
    ("no trusted key listed for organisation ", "tidak ada kunci tepercaya untuk organisasi "),
    ("results.json is not valid at the top", "results.json tidak sah di tingkat teratas"),
    ("results.json is not valid at ", "results.json tidak sah di "),
    ("it does not match specs/schemas/results.schema.json (damaged, edited or not written by "
     "auditor)", "tidak sesuai dengan specs/schemas/results.schema.json (rusak, diubah, atau "
     "tidak ditulis oleh auditor)"),
    ("NaN and Infinity are not numbers JSON allows",
     "NaN dan Infinity bukan angka yang diizinkan JSON"),
    ("results.json is not a results file of this version of auditor",
     "results.json bukan berkas hasil dari versi auditor ini"),
    ("run 'auditor check' again", "jalankan 'auditor check' lagi"),
)
"""Phrases of bundle problems (auditor.bundle.signing, auditor.review.load) in Indonesian."""


def problem_text(problem: str, lang: str) -> str:
    """One problem line of a rejected bundle in ``lang`` (paths and keys kept as they are)."""
    if lang != "id":
        return problem
    kind, sep, rest = problem.partition(": ")
    if sep and kind in PROBLEM_KINDS_ID:
        problem = f"{PROBLEM_KINDS_ID[kind]}: {rest}"
    for english, indonesian in PROBLEM_PHRASES_ID:
        problem = problem.replace(english, indonesian)
    return problem


def translate(key: str, lang: str) -> str:
    """The message ``key`` in ``lang``; a missing key is a bug, so it raises KeyError."""
    return MESSAGES[key][lang]
