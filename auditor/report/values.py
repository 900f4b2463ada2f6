"""Optional parts of JSON read as their type (else empty), and bilingual text as one language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_dict(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list."""
    return list(value) if isinstance(value, list | tuple) else []


def text_of(value: Any, lang: str) -> str:
    """Text from a plain string, a ``{id, en}`` pair, or a ``{text: {id, en}}`` record."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if "text" in value:
            return text_of(value["text"], lang)
        for key in (lang, "en", "id"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return ""
    return str(value)
