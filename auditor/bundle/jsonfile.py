"""Read JSON from a bundle, a user or a network answer: size-capped, UTF-8, bounded nesting."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from pathlib import Path
from typing import Any

from auditor.bundle.yamlfile import read_user_bytes
from auditor.errors import InputError

MAX_JSON_BYTES = 64 * 1024 * 1024
"""Largest JSON file read whole (results.json of a big pemda is a few MiB)."""
MAX_JSON_DEPTH = 100
"""Deepest nesting of arrays and objects accepted; the tool's own files stay under 15."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


def nesting_depth(raw: bytes) -> int:
    """Deepest nesting of brackets in JSON text, strings left out; linear and not recursive."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _line_too_deep(raw: bytes, max_depth: int) -> int | None:
    """1-based line of the bracket that goes deeper than ``max_depth``."""
    depth = 0
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token[0] != ord('"'):
            depth += _STEP[token[0]]
            if depth > max_depth:
                return raw.count(b"\n", 0, match.start()) + 1
    return None


class JsonInputError(InputError):
    """JSON text that cannot be used; ``what`` says why and reads after "is"."""

    def __init__(self, shown: str, line: int | None, what: str) -> None:
        super().__init__(f"{shown}{'' if line is None else f':{line}'}: {what}")
        self.what = what


def _too_deep(raw: bytes, shown: str, max_depth: int) -> JsonInputError:
    return JsonInputError(shown, _line_too_deep(raw, max_depth), f"nested too deeply (more "
                          f"than {max_depth} levels of arrays and objects; damaged or hostile)")


def parse_json(raw: bytes | str, shown: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON text named ``shown`` in messages; JsonInputError on bad bytes, syntax, depth."""
    if isinstance(raw, str):
        text, data = raw, raw.encode("utf-8", "surrogatepass")
    else:
        data = raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError(shown, None, f"not UTF-8 text (byte {exc.start})") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise _too_deep(data, shown, max_depth) from None
    except json.JSONDecodeError as exc:
        raise JsonInputError(shown, exc.lineno, f"not readable JSON ({exc.msg}, column "
                             f"{exc.colno})") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise JsonInputError(shown, None, f"not readable JSON ({exc})") from None
    if nesting_depth(data) > max_depth:
        raise _too_deep(data, shown, max_depth)
    if _SURROGATE.search(data) and not _encodable(value):
        raise JsonInputError(shown, None, "not text: it holds an unpaired UTF-16 surrogate "
                             "escape (like \\ud800), which no file can store as UTF-8")
    return value


def _encodable(value: Any) -> bool:
    """True when every string of ``value`` is valid Unicode (no lone surrogate)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_json_file(path: Path, shown: str | None = None, max_bytes: int = MAX_JSON_BYTES,
                   max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Read and parse one JSON file; InputError names the file on any problem."""
    name = shown or str(path)
    return parse_json(read_user_bytes(path, name, "a JSON file", max_bytes), name, max_depth)
