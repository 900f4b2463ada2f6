"""Where a history lives: a small Store interface, DuckDB and PostgreSQL, keyed by URL scheme."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from auditor import __version__
from auditor.errors import AuditorError, ExitCode, InputError
from auditor.history.schema import (
    MIGRATIONS,
    ROW_INDEXES,
    SCHEMA_VERSION,
    VERSION_DDL,
    VERSION_TABLE,
)

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
DUCKDB_MEMORY = "1GB"
"""DuckDB's memory limit: beyond it DuckDB spills to disk, so an append stays under 2 GiB."""


class StoreFault(AuditorError):
    """The store refused or failed while working (server gone, disk full): not the user's input."""

    exit_code = ExitCode.FILE_SYSTEM


class Store(Protocol):
    """One open connection to a history store; SQL uses ``?`` placeholders on every engine."""

    engine: str
    where: str
    """The store as shown to a user: a path, or a URL without its password."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one statement."""

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""

    def copy_csv(self, table: str, columns: Sequence[str], path: Path) -> None:
        """Bulk-load a CSV spool (unquoted empty field = NULL, "" = empty text) into table."""

    def table_names(self) -> set[str]:
        """The tables of the store's current schema."""

    def begin_exclusive(self) -> None:
        """Start a transaction that no other writer of this store runs beside."""

    def commit(self) -> None:
        """Commit the open transaction."""

    def rollback(self) -> None:
        """Drop the open transaction."""

    def tidy(self, tables: Sequence[str]) -> None:
        """After a commit: refresh the planner's statistics of the tables just appended to."""

    def close(self) -> None:
        """Close the connection."""


class _Connected:
    """What both stores share: a connection, its name in messages, and its error class."""

    db: Any
    where: str
    _error: type[Exception]

    def close(self) -> None:
        """Close the file or the connection."""
        self.db.close()

    def _run(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except self._error as exc:
            raise StoreFault(f"{self.where}: the history store failed: "
                             f"{_first_line(exc)}") from None


class DuckDBStore(_Connected):
    """A DuckDB file: the embedded default, one writer process at a time."""

    engine = "duckdb"

    def __init__(self, path: Path, read_only: bool) -> None:
        """Open (or, to write, create) the DuckDB file at ``path``."""
        import duckdb

        self.where = str(path)
        if read_only and not path.is_file():
            raise InputError(f"{path}: no such history store; append a round first with "
                             f"'auditor review BUNDLE... -o DIR --history {path}'")
        if not read_only and path.parent and not path.parent.is_dir():
            raise InputError(f"{path}: the folder {path.parent} does not exist")
        self._error = duckdb.Error
        try:
            self.db = duckdb.connect(str(path), read_only=read_only,
                                     config={"memory_limit": DUCKDB_MEMORY,
                                             "preserve_insertion_order": False})
        except duckdb.Error as exc:
            raise InputError(f"{path}: cannot open the history store as a DuckDB file "
                             f"({_first_line(exc)})") from None

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one statement."""
        self._run(lambda: self.db.execute(sql, list(params)))

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""
        rows: list[tuple[Any, ...]] = self._run(
            lambda: self.db.execute(sql, list(params)).fetchall())
        return rows

    def copy_csv(self, table: str, columns: Sequence[str], path: Path) -> None:
        """Bulk-load a CSV spool into ``table`` (fixed names only, never a bundle's text)."""
        literal = str(path).replace("'", "''")
        self.execute(f"COPY {table} ({', '.join(columns)}) FROM '{literal}' (FORMAT csv, "
                     "HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULLSTR '', "
                     "ALLOW_QUOTED_NULLS false)")

    def table_names(self) -> set[str]:
        """The tables of the main schema."""
        return {name for (name,) in self.query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")}

    def begin_exclusive(self) -> None:
        """DuckDB already allows one writing process per file."""
        self.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        """Commit the open transaction."""
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Drop the open transaction."""
        self._run(self.db.rollback)

    def tidy(self, tables: Sequence[str]) -> None:
        """DuckDB keeps its statistics up to date by itself."""



class PostgresStore(_Connected):
    """A PostgreSQL database for a shared office (psycopg 3)."""

    engine = "postgresql"

    def __init__(self, url: str, read_only: bool) -> None:
        """Connect to the database named by a ``postgresql://`` URL."""
        import psycopg

        self.where = redact(url)
        self._error = psycopg.Error
        try:
            self.db = psycopg.connect(url, autocommit=True, connect_timeout=15)
        except psycopg.Error as exc:
            raise InputError(f"{self.where}: cannot connect to the history store "
                             f"({_first_line(exc, url)})") from None
        if read_only:
            self.execute("SET default_transaction_read_only = on")

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one statement."""
        self._run(lambda: self.db.execute(_pg(sql), list(params)))

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""
        rows: list[tuple[Any, ...]] = self._run(
            lambda: self.db.execute(_pg(sql), list(params)).fetchall())
        return rows

    def copy_csv(self, table: str, columns: Sequence[str], path: Path) -> None:
        """Stream a CSV spool into ``table`` with COPY FROM STDIN."""
        def copy() -> None:
            with self.db.cursor() as cursor, cursor.copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as target, \
                    path.open("rb") as source:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
        self._run(copy)

    def table_names(self) -> set[str]:
        """The tables of the current schema."""
        return {name for (name,) in self.query(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")}

    def begin_exclusive(self) -> None:
        """Begin, and hold off any other append to this store until commit or rollback."""
        self.execute("BEGIN")
        self.execute("LOCK TABLE rounds IN EXCLUSIVE MODE")

    def commit(self) -> None:
        """Commit the open transaction."""
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Drop the open transaction (a lost connection has dropped it already)."""
        with contextlib.suppress(self._error):
            self.db.execute("ROLLBACK")

    def tidy(self, tables: Sequence[str]) -> None:
        """ANALYZE the appended tables, so the next query plans with the new rows counted.

        (Autovacuum later marks the new pages all-visible, which lets ``trends --control``
        read the findings index alone.) An optimisation only: the round is committed
        already, so a failure here is ignored.
        """
        with contextlib.suppress(self._error):
            self.db.execute(f"ANALYZE {', '.join(tables)}")



def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


def _first_line(exc: BaseException, secret_in: str = "") -> str:
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    password = urlsplit(secret_in).password if secret_in else None
    return line.replace(password, "***") if password else line


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc[-1]}"))


def _open_duckdb(target: str, read_only: bool) -> Store:
    path = target.split("://", 1)[1] if _SCHEME.match(target) else target
    return DuckDBStore(Path(path), read_only)


STORES: dict[str, Callable[[str, bool], Store]] = {
    "": _open_duckdb,
    "duckdb": _open_duckdb,
    "postgresql": PostgresStore,
    "postgres": PostgresStore,
}
"""How to open a store, by the URL scheme of STORE ("" for a plain path: a DuckDB file)."""


def connect(target: str, read_only: bool = False) -> Store:
    """Open the store named by a path or URL; InputError for an unknown scheme."""
    match = _SCHEME.match(target)
    scheme = match.group(1).lower() if match else ""
    opener = STORES.get(scheme)
    if opener is None:
        raise InputError(f"{redact(target)}: unknown history store; give a DuckDB file path or "
                         "a postgresql:// URL")
    return opener(target, read_only)


def prepare(store: Store, write: bool) -> int:
    """Check the store's schema version; create or migrate it when writing. Returns it."""
    tables = store.table_names()
    if VERSION_TABLE not in tables:
        if tables:
            raise InputError(f"{store.where}: not an auditor history store (it has tables "
                             f"{', '.join(sorted(tables)[:5])} but no {VERSION_TABLE})")
        if not write:
            raise InputError(f"{store.where}: the history store is empty; append a round with "
                             "'auditor review BUNDLE... -o DIR --history STORE'")
        version = 0
    else:
        found = store.query(f"SELECT max(version) FROM {VERSION_TABLE}")  # noqa: S608
        version = int(found[0][0] or 0)
    if version > SCHEMA_VERSION:
        raise InputError(f"{store.where}: this history store was written by a newer auditor "
                         f"(schema version {version}; this auditor {__version__} knows up to "
                         f"{SCHEMA_VERSION}); upgrade auditor to read or append to it")
    if version < SCHEMA_VERSION:
        if not write:
            raise InputError(f"{store.where}: the history store has the older schema version "
                             f"{version}; append a round to it with this auditor to migrate it")
        _migrate(store, version)
    return SCHEMA_VERSION


def _migrate(store: Store, version: int) -> None:
    from datetime import UTC, datetime

    store.execute("BEGIN TRANSACTION" if store.engine == "duckdb" else "BEGIN")
    try:
        if version == 0:
            store.execute(VERSION_DDL)
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                store.execute(statement)
            if step == 1 and store.engine == "postgresql":
                for statement in ROW_INDEXES:
                    store.execute(statement)
            store.execute(f"INSERT INTO {VERSION_TABLE} VALUES (?, ?, ?)",  # noqa: S608
                          (step, __version__, datetime.now(UTC).isoformat(timespec="seconds")))
        store.commit()
    except BaseException:
        store.rollback()
        raise
