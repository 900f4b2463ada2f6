"""The questionnaire's prompts and messages, in Bahasa Indonesia and English."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "header": {"id": "Kuesioner fasilitas untuk lokasi {site} ({n} pertanyaan). Ketik ? untuk "
                     "penjelasan, - untuk melewati. Jawaban disimpan setelah setiap pertanyaan.",
               "en": "Facility questionnaire for site {site} ({n} questions). Type ? for an "
                     "explanation, - to skip. Answers are saved after every question."},
    "resume": {"id": "{done} jawaban sebelumnya dimuat dari {file}; melanjutkan dengan yang belum "
                     "dijawab (gunakan --all untuk meninjau semuanya).",
               "en": "{done} earlier answers loaded from {file}; continuing with the unanswered "
                     "ones (use --all to revisit every answer)."},
    "name": {"id": "Nama penjawab", "en": "Your name"},
    "role": {"id": "Jabatan", "en": "Your role"},
    "yes_no": {"id": "ya/tidak", "en": "yes/no"},
    "date": {"id": "tanggal YYYY-MM-DD", "en": "date YYYY-MM-DD"},
    "choose": {"id": "nomor pilihan", "en": "choice number"},
    "evidence": {"id": "Berkas bukti ({what}); path dipisah koma, kosong bila tidak ada",
                 "en": "Evidence files ({what}); paths separated by commas, empty for none"},
    "note": {"id": "Catatan (opsional)", "en": "Note (optional)"},
    "bad_yes_no": {"id": "Jawab ya atau tidak (y/t).", "en": "Answer yes or no (y/n)."},
    "bad_number": {"id": "Masukkan angka, misalnya 15 atau 2,5.",
                   "en": "Enter a number, for example 15 or 2.5."},
    "bad_choice": {"id": "Pilih nomor 1 sampai {n}.", "en": "Choose a number from 1 to {n}."},
    "bad_date": {"id": "Masukkan tanggal sebagai YYYY-MM-DD, tidak di masa depan.",
                 "en": "Enter a date as YYYY-MM-DD, not in the future."},
    "no_file": {"id": "Berkas tidak ditemukan: {path}", "en": "File not found: {path}"},
    "big_file": {"id": "Berkas lebih besar dari 512 MiB: {path}",
                 "en": "File larger than 512 MiB: {path}"},
    "too_many": {"id": "Paling banyak 50 berkas bukti.", "en": "At most 50 evidence files."},
    "skipped": {"id": "dilewati", "en": "skipped"},
    "saved": {"id": "tersimpan", "en": "saved"},
    "description": {"id": "Penjelasan", "en": "Description"},
    "rationale": {"id": "Alasan", "en": "Rationale"},
    "evidence_expected": {"id": "Bukti yang diharapkan", "en": "Evidence expected"},
    "interrupted": {"id": "Dihentikan: {kept} jawaban tersimpan di {file}; jalankan perintah yang "
                           "sama lagi untuk melanjutkan.",
                    "en": "interrupted: {kept} answers kept in {file}; run the same command again "
                          "to continue"},
    "done": {"id": "Selesai: {answered} dari {n} pertanyaan dijawab; jawaban di {file}",
             "en": "Done: {answered} of {n} questions answered; answers in {file}"},
}
