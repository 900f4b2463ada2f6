"""A pemda's report.html made inert for the central office: no script, no fetch, no navigation.

A signed bundle's HTML is still the pemda's own, written by whoever controlled its machine.
The copy the review links to gets, in this order:

1. a UTF-8 byte order mark, which fixes the encoding for certain: no later ``<meta charset>``
   and no encoding sniffing can switch to one (ISO-2022-JP, UTF-16) in which the bytes below
   would read differently;
2. our policy, first in the head: ``default-src 'none'`` and ``script-src 'none'`` (no script,
   no fetch: images only as ``data:``), ``frame-src 'none'``, ``form-action 'none'``,
   ``base-uri 'none'``, and DNS prefetching switched off. A page may add policies but never
   loosen this one, since a browser enforces every policy it is given;
3. the page itself with every ``http-equiv`` and ``rel`` attribute renamed ``data-inert-…``
   and every ``iframe``, ``frame``, ``object`` and ``embed`` tag ``x-inert-…``. A policy
   does not stop ``<meta http-equiv="refresh">`` from navigating the reader away, nor
   ``<link rel="preconnect">`` from opening a connection (a beacon that the report was
   read); and Chromium opens a connection for ``<iframe src>`` before ``frame-src`` refuses
   it. Tag and attribute names are never decoded (no character references, only ASCII
   lower-casing), so in UTF-8 each one is these bytes in some letter case, wherever it sits
   (head, body, ``<noscript>``, ``<svg>``, a doctype) and however its value is spelt.
   Renaming every occurrence needs no parsing of hostile HTML; text that mentions one of
   these names (``rel`` only where it stands like an attribute) shows the new name.

What stays possible, and needs the reader's click: following a link the page holds (one may
cover the whole page), opening it in a new window. Styles stay on (``style-src
'unsafe-inline'``), so the page can still look like anything, including like the review.
"""

from __future__ import annotations

import re

BOM = b"\xef\xbb\xbf"
"""UTF-8 byte order mark: decides the encoding before anything in the page can."""
_BOMS = (BOM, b"\xfe\xff", b"\xff\xfe")

NO_SCRIPTS = (b'<meta charset="utf-8">\n'
              b'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
              b"script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              b"frame-src 'none'; form-action 'none'; base-uri 'none'\">\n"
              b'<meta http-equiv="x-dns-prefetch-control" content="off">\n')
"""Put first in every copied report (after a doctype, which runs nothing)."""

ACTIVE = re.compile(rb"(http-equiv)|(?<=[\s/\"'])(rel)(?=[\s=/>])"
                    rb"|(?<=<)(/?)(iframe|frame|object|embed)(?=[\s/>])", re.IGNORECASE)
"""What no Content-Security-Policy in a page can stop: the ``http-equiv`` and ``rel``
attribute names (``rel`` only where it can be a name: after a space, a slash or a quote and
before a space, ``=``, a slash or ``>``, since the word is common in text) and the tags of
embedded documents."""


def _rename(match: re.Match[bytes]) -> bytes:
    attribute, rel, slash, tag = match.groups()
    if tag is not None:
        return slash + b"x-inert-" + tag
    return b"data-inert-" + (attribute or rel)


def neutralise(html: bytes) -> bytes:
    """The page's bytes with ACTIVE names renamed ``data-inert-…`` and tags ``x-inert-…``."""
    return ACTIVE.sub(_rename, html)


def inert_copy(html: bytes) -> bytes:
    """The page as the review serves it: BOM, doctype if any, NO_SCRIPTS, the neutralised rest."""
    for mark in _BOMS:
        html = html.removeprefix(mark)
    body = neutralise(html).lstrip()
    if body[:9].lower() == b"<!doctype" and b">" in body[:200]:
        end = body.index(b">") + 1
        return BOM + body[:end] + b"\n" + NO_SCRIPTS + body[end:]
    return BOM + NO_SCRIPTS + body
