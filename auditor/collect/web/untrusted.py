"""Helpers for text that came from a target: strip control characters, cap lengths."""

from __future__ import annotations

import re

from auditor.collect.web.options import MAX_TEXT

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def clean(value: object, limit: int = MAX_TEXT) -> str:
    """Target text made safe to keep: control and bidi characters become spaces, length capped."""
    text = value if isinstance(value, str) else str(value)
    text = _CONTROL.sub(" ", text[: limit * 4]).strip()
    text = re.sub(r"\s{2,}", " ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decode(body: bytes, charset: str | None = None) -> str:
    """Decode a capped body leniently (UTF-8 when it is, else the declared charset)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 3 and exc.reason == "unexpected end of data":
            return body[: exc.start].decode("utf-8", errors="replace")
    encoding = "utf-8"
    if charset:
        try:
            "".encode(charset)
            encoding = charset
        except (LookupError, ValueError):
            encoding = "utf-8"
    return body.decode(encoding, errors="replace")
