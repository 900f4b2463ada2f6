"""Province of a pemda from its Kemendagri region code (the first two digits)."""

from __future__ import annotations

import re

SOURCE = "Kemendagri region codes (Kepmendagri 100.1.1-6117/2022 and the 2022 Papua provinces)"

PROVINCES: dict[str, str] = {
    "11": "Aceh", "12": "Sumatera Utara", "13": "Sumatera Barat", "14": "Riau", "15": "Jambi",
    "16": "Sumatera Selatan", "17": "Bengkulu", "18": "Lampung",
    "19": "Kepulauan Bangka Belitung", "21": "Kepulauan Riau", "31": "DKI Jakarta",
    "32": "Jawa Barat", "33": "Jawa Tengah", "34": "DI Yogyakarta", "35": "Jawa Timur",
    "36": "Banten", "51": "Bali", "52": "Nusa Tenggara Barat", "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat", "62": "Kalimantan Tengah", "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur", "65": "Kalimantan Utara", "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah", "73": "Sulawesi Selatan", "74": "Sulawesi Tenggara",
    "75": "Gorontalo", "76": "Sulawesi Barat", "81": "Maluku", "82": "Maluku Utara",
    "91": "Papua", "92": "Papua Barat", "93": "Papua Selatan", "94": "Papua Tengah",
    "95": "Papua Pegunungan", "96": "Papua Barat Daya",
}
"""The 38 provinces by their two-digit code (source: SOURCE)."""

_PREFIX = re.compile(r"\s*(\d{2})")


def province_of(code: str) -> str:
    """The two-digit province code of an organisation code such as "32.73", or "" if none."""
    match = _PREFIX.match(code)
    return match.group(1) if match else ""


def province_name(province: str) -> str:
    """The province's name, or its code when the table does not know it."""
    return PROVINCES.get(province, province or "?")


def resolve_province(value: str) -> str:
    """A --province argument (code "32" or name "Jawa Barat", any case) as a two-digit code."""
    wanted = value.strip()
    if wanted in PROVINCES or re.fullmatch(r"\d{2}", wanted):
        return wanted
    for code, name in PROVINCES.items():
        if name.casefold() == wanted.casefold():
            return code
    return ""
