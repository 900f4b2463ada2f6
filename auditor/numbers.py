"""Numbers and rupiah written the way each report language writes them: 49,6 and Rp 1.500 in id."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

_ID_SEPARATORS = str.maketrans(",.", ".,")


@dataclass(frozen=True)
class Money:
    """An amount in rupiah, as a message value (auditor.messages): Rp 1.500 / IDR 1,500."""

    value: float


@dataclass(frozen=True)
class Num:
    """A number with its own count of decimals, as a message value (auditor.messages)."""

    value: float
    decimals: int


# A plan writes the same few numbers (sizes, prices) for every host of a large fleet.
@lru_cache(maxsize=4096)
def number(value: float, lang: str, decimals: int = 4) -> str:
    """``value`` with at most ``decimals`` decimals (trailing zeros dropped) and grouped thousands.

    Indonesian groups with a dot and separates decimals with a comma (1.234,5); English the
    other way round (1,234.5).
    """
    text = f"{value:,.{max(decimals, 0)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang == "id":
        text = text.translate(_ID_SEPARATORS)
    return text


def fixed(value: float, lang: str, decimals: int = 1) -> str:
    """``value`` with exactly ``decimals`` decimals (75.0 / 75,0) and grouped thousands."""
    text = f"{value:,.{decimals}f}"
    return text.translate(_ID_SEPARATORS) if lang == "id" else text


def rupiah(value: float, lang: str) -> str:
    """Rupiah: ``Rp 153.738.000`` in id, ``IDR 153,738,000`` in en; sen only if any (1.699,53)."""
    whole = float(value).is_integer()
    return f"{'Rp' if lang == 'id' else 'IDR'} {number(value, lang, 0 if whole else 2)}"
