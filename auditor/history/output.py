"""A history Table as an aligned text table, CSV (spreadsheet-safe) or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from auditor.history.queries import Table

MAX_CELL = 60
"""Characters of one cell in the text table (CSV and JSON keep everything)."""


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    out = " ".join(str(value).split())
    return out if len(out) <= MAX_CELL else out[:MAX_CELL - 1] + "…"


def as_table(table: Table) -> str:
    """Columns aligned with spaces, numbers right-aligned; the note last."""
    cells = [[_text(v) for v in row] for row in table.rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(table.columns)]
    numeric = [all(isinstance(r[i], int | float) or r[i] is None for r in table.rows)
               for i in range(len(table.columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w)
                         for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    out = [line(list(table.columns)), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    if not table.rows:
        out.append("(no rows)")
    if table.note:
        out.append(f"\n{table.note}")
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    out = str(value)
    return "'" + out if out[:1] in ("=", "+", "-", "@", "\t", "\r") else out


def as_csv(table: Table) -> str:
    """A header line, then one line per row; empty cell for no value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([_cell(v) for v in row] for row in table.rows)
    return buffer.getvalue()


def as_json(table: Table) -> str:
    """A JSON list of objects, one per row, keyed by column; null for no value."""
    return json.dumps([dict(zip(table.columns, row, strict=True)) for row in table.rows],
                      ensure_ascii=False, indent=1) + "\n"


FORMATS: dict[str, Callable[[Table], str]] = {"table": as_table, "csv": as_csv, "json": as_json}
"""Every --format of the history commands and its renderer."""
