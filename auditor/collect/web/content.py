"""What the main page shows: title, CMS generator, injected gambling spam keywords."""

from __future__ import annotations

import html
import re
from typing import Any

from auditor.collect.web.untrusted import clean

GAMBLING_KEYWORDS = ("slot gacor", "situs slot", "slot online", "judi online", "judi slot",
                     "togel", "maxwin", "slot88", "sbobet", "rtp slot", "bandar togel",
                     "link alternatif slot")
"""Phrases of the gambling spam injected into Indonesian government sites."""
_KEYWORD_RES = {k: re.compile(r"(?<![a-z0-9])" + re.escape(k).replace(r"\ ", r"[\s\-_]*")
                              + r"(?![a-z0-9])") for k in GAMBLING_KEYWORDS}
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-z-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_VERSION = re.compile(r"\d+(?:\.\d+)+")
MAX_META_TAGS = 200


def gambling_hits(text: str) -> dict[str, int]:
    """Occurrences of each gambling keyword in ``text`` (only those found)."""
    lowered = text.lower()
    hits = {k: len(pattern.findall(lowered)) for k, pattern in _KEYWORD_RES.items()}
    return {k: n for k, n in hits.items() if n}


def _generator(text: str) -> str | None:
    for index, tag in enumerate(_META.finditer(text)):
        if index >= MAX_META_TAGS:
            break
        attrs = {m.group(1).lower(): m.group(2).strip("\"'") for m in _ATTR.finditer(tag.group())}
        if attrs.get("name", "").lower() == "generator" and attrs.get("content"):
            return clean(html.unescape(attrs["content"]), 120)
    return None


def content_facts(text: str, generator_header: str | None = None) -> dict[str, Any]:
    """The content facts of a decoded (already size-capped) page."""
    title_match = _TITLE.search(text)
    title = clean(html.unescape(title_match.group(1)), 200) if title_match else None
    generator = _generator(text) or (clean(generator_header, 120) if generator_header else None)
    version_match = _VERSION.search(generator) if generator else None
    cms = None
    if generator:
        cms = clean((generator[: version_match.start()] if version_match else generator)
                    .strip(" -v,;"), 60) or None
    hits = gambling_hits(text)
    return {
        "title": title,
        "generator": generator,
        "cms": cms,
        "cms_version": version_match.group() if version_match else None,
        "generator_version_exposed": version_match is not None,
        "gambling_keywords": hits,
        "gambling_keyword_count": sum(hits.values()),
    }
