"""CSV importer: one host per row, English or Bahasa Indonesia headers, row-numbered errors."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.yamlfile import read_user_text
from auditor.errors import InputError, Problem
from auditor.inventory.importers.builder import ADDRESS_PATTERN, USER_PATTERN, InventoryBuilder
from auditor.inventory.importers.interface import ID_PATTERN, ImportOptions, ImportResult

MAX_CSV_BYTES = 32 * 1024 * 1024
MAX_ROWS = 100_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "nama_host", "host"),
    "address": ("address", "alamat", "alamat_ip", "ip"),
    "port": ("port",),
    "user": ("user", "pengguna"),
    "key_file": ("key_file", "berkas_kunci"),
    "password_env": ("password_env", "variabel_sandi"),
    "jump": ("jump", "host_perantara"),
    "transport": ("transport",),
    "site": ("site", "lokasi"),
    "site_name": ("site_name", "nama_lokasi"),
    "site_kind": ("site_kind", "jenis_lokasi"),
    "role": ("role", "peran"),
    "criticality": ("criticality", "kekritisan"),
    "applications": ("applications", "aplikasi"),
    "data_classification": ("data_classification", "klasifikasi_data"),
    "notes": ("notes", "catatan"),
}
"""Column -> accepted headers (English first, then Bahasa Indonesia)."""
SECRET_COLUMNS = ("password", "kata_sandi", "sandi", "passphrase", "frasa_sandi")
SITE_KINDS = {"server_room": "server_room", "ruang_server": "server_room",
              "data_center": "data_center", "pusat_data": "data_center"}
CRITICALITY = {"low": "low", "rendah": "low", "medium": "medium", "sedang": "medium",
               "high": "high", "tinggi": "high"}
CLASSIFICATION = {"open": "open", "terbuka": "open", "limited": "limited",
                  "terbatas": "limited", "closed": "closed", "tertutup": "closed"}
TRANSPORTS = {"ssh": "ssh", "local": "local", "lokal": "local"}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def _word(value: str) -> str:
    return re.sub(r"[\s-]+", "_", value.strip().lower())


def _read(path: Path) -> str:
    return read_user_text(path, str(path), "a CSV file", MAX_CSV_BYTES, "utf-8-sig",
                          "in the spreadsheet choose 'CSV UTF-8' when saving")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


class CsvImporter:
    """Reads the host spreadsheet template (inventory/hosts-template*.csv)."""

    name = "csv"
    description = "a CSV host list following inventory/hosts-template.csv (or -id.csv)"

    def read(self, source: str, options: ImportOptions) -> ImportResult:
        """One host per row; every bad cell is reported with its row and column."""
        path = Path(source)
        text = _read(path)
        shown = str(path)
        reader = csv.reader(io.StringIO(text, newline=""),
                            delimiter=_delimiter(text.partition("\n")[0]))
        build = InventoryBuilder(options)
        header = _Header.read(reader, shown, build)
        rows = header.rows(reader, build)
        problems: list[Problem] = []
        titles = header.titles()
        ids = self._ids(shown, rows, titles, problems)
        kind_rows: dict[str, int] = {}
        for line, values in rows:
            host = self._row(build, shown, line, values, titles, ids, problems, path.parent,
                             kind_rows)
            if host is not None:
                build.add_host(host["id"], host["id"], host)
        if problems:
            raise InputError(f"{shown}: {len(problems)} problem(s); nothing was imported",
                             sorted(problems, key=lambda p: p.line or 0))
        return build.result()

    @staticmethod
    def _ids(shown: str, rows: list[tuple[int, dict[str, str]]], titles: dict[str, str],
             problems: list[Problem]) -> set[str]:
        seen: dict[str, int] = {}
        for line, values in rows:
            host_id = values.get("id", "")
            if not host_id:
                problems.append(Problem(shown, line, titles["id"], "empty; every host needs "
                                                                   "an id"))
            elif not ID_PATTERN.fullmatch(host_id):
                problems.append(Problem(shown, line, titles["id"], f"{host_id!r} is not a valid "
                                        "id (lower-case letters, digits, '.', '_', '-')"))
            elif host_id in seen:
                problems.append(Problem(shown, line, titles["id"], f"duplicate id {host_id!r} "
                                        f"(first used on row {seen[host_id]})"))
            else:
                seen[host_id] = line
        return set(seen)

    def _row(self, build: InventoryBuilder, shown: str, line: int, values: dict[str, str],
             titles: dict[str, str], ids: set[str], problems: list[Problem],
             base: Path, kind_rows: dict[str, int]) -> dict[str, Any] | None:
        count = len(problems)
        row = _Row(shown, line, values, titles, problems)
        host: dict[str, Any] = {"id": values.get("id", "")}
        row.connection(host)
        row.login(host, base)
        row.jump(host, ids)
        row.description(host)
        host["site"] = self._site(build, values, titles, shown, line, problems, row.choice,
                                  kind_rows)
        return host if len(problems) == count else None

    @staticmethod
    def _site(build: InventoryBuilder, values: dict[str, str], titles: dict[str, str],
              shown: str, line: int, problems: list[Problem], choice: Any,
              kind_rows: dict[str, int]) -> str:
        kind = choice("site_kind", SITE_KINDS, "site kind")
        site_id = values.get("site", "")
        if not site_id:
            return build.default_site()
        if not ID_PATTERN.fullmatch(site_id):
            problems.append(Problem(shown, line, titles["site"], f"{site_id!r} is not a valid "
                                    "site id (lower-case letters, digits, '.', '_', '-')"))
            return site_id
        first = kind_rows.get(site_id)
        if first is not None and kind is not None and build.sites[site_id]["kind"] != kind:
            problems.append(Problem(shown, line, titles["site_kind"], f"site {site_id!r} is "
                                    f"{build.sites[site_id]['kind']} on row {first}, {kind} "
                                    "here"))
        build.site(site_id, values.get("site_name") or None, kind)
        if kind is not None and first is None:
            build.sites[site_id]["kind"] = kind
            kind_rows[site_id] = line
        if values.get("site_name") and build.sites[site_id]["name"] == site_id:
            build.sites[site_id]["name"] = values["site_name"][:200]
        return site_id


@dataclass(frozen=True)
class _Header:
    """The header row: which column holds what, and which hold secrets (never read)."""

    shown: str
    cells: list[str]
    columns: dict[str, int]
    """Column index of each known field."""
    secret: list[int]
    """Indices of password columns: their cells are reported, never written."""

    @classmethod
    def read(cls, reader: Any, shown: str, build: InventoryBuilder) -> _Header:
        """Read the first row; InputError when it names no columns, a column twice or no id."""
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputError(f"{shown}:1: {exc}") from None
        if not header or not any(h.strip() for h in header):
            raise InputError(f"{shown}:1: the first row must name the columns (see "
                             "inventory/hosts-template.csv)")
        problems: list[Problem] = []
        columns: dict[str, int] = {}
        secret: list[int] = []
        aliases = {alias: column for column, names in COLUMNS.items() for alias in names}
        for index, title in enumerate(header):
            key = _key(title)
            if key in aliases:
                if aliases[key] in columns:
                    problems.append(Problem(shown, 1, title, f"column '{aliases[key]}' is given "
                                                             "twice"))
                columns[aliases[key]] = index
            elif key in SECRET_COLUMNS:
                secret.append(index)
            elif key:
                build.warn(f"{shown}:1: column {title!r} is not known; ignored (known: "
                           f"{', '.join(COLUMNS)})")
        if "id" not in columns:
            problems.append(Problem(shown, 1, "id", "missing the 'id' column (Indonesian: "
                                                    "'nama_host')"))
        if problems:
            raise InputError(f"{shown}: bad header row", problems)
        return cls(shown, header, columns, secret)

    def titles(self) -> dict[str, str]:
        """Each known field's column title as the file writes it."""
        return {c: self.cells[i].strip() for c, i in self.columns.items()}

    def rows(self, reader: Any, build: InventoryBuilder) -> list[tuple[int, dict[str, str]]]:
        """(line, known fields' values) of every row that is not empty or a comment."""
        rows: list[tuple[int, dict[str, str]]] = []
        try:
            for row in reader:
                if len(rows) >= MAX_ROWS:
                    raise InputError(f"{self.shown}: more than {MAX_ROWS} rows")
                if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                    continue
                line = reader.line_num
                for index in self.secret:
                    if index < len(row) and row[index].strip():
                        build.skip(f"{self.shown}:{line}: {self.cells[index]}",
                                   "passwords are never written; put it in an environment "
                                   "variable and name that in the password_env column")
                values = {c: row[i].strip() for c, i in self.columns.items() if i < len(row)}
                rows.append((line, values))
        except csv.Error as exc:
            raise InputError(f"{self.shown}:{reader.line_num}: {exc}") from None
        return rows


@dataclass(frozen=True)
class _Row:
    """One row's cells read into host fields; each bad cell becomes a located problem."""

    shown: str
    line: int
    values: dict[str, str]
    titles: dict[str, str]
    problems: list[Problem]

    def bad(self, column: str, message: str) -> None:
        """Note a problem in ``column`` of this row."""
        self.problems.append(Problem(self.shown, self.line, self.titles[column], message))

    def choice(self, column: str, table: dict[str, str], what: str) -> str | None:
        """The value of ``column`` as one of ``table``'s (any language); None when empty/bad."""
        value = self.values.get(column, "")
        if not value:
            return None
        if _word(value) not in table:
            self.bad(column, f"{value!r} is not a {what}; use one of: {', '.join(table)}")
            return None
        return table[_word(value)]

    def connection(self, host: dict[str, Any]) -> None:
        """Transport and address: a local host has none, an ssh host needs a valid one."""
        transport = self.choice("transport", TRANSPORTS, "transport") or "ssh"
        address = self.values.get("address", "")
        if transport == "local":
            host["transport"] = "local"
            if address:
                self.bad("address", "a local host has no address; leave it empty")
        elif not address:
            if "address" in self.titles:
                self.bad("address", "empty; an ssh host needs an IP address or DNS name")
            else:
                self.problems.append(Problem(self.shown, self.line, "address",
                                             "no 'address' column (Indonesian: 'alamat'); an "
                                             "ssh host needs one"))
        elif not ADDRESS_PATTERN.fullmatch(address):
            self.bad("address", f"{address!r} is not an IP address or DNS name")
        else:
            host["address"] = address

    def login(self, host: dict[str, Any], base: Path) -> None:
        """Port, user, key file and the name of the password's environment variable."""
        port = self.values.get("port", "")
        if port:
            if port.isdigit() and 1 <= int(port) <= 65535:
                host["port"] = int(port)
            else:
                self.bad("port", f"{port!r} is not a port number (1-65535)")
        user = self.values.get("user", "")
        if user:
            if USER_PATTERN.fullmatch(user):
                host["user"] = user
            else:
                self.bad("user", f"{user!r} is not a valid user name")
        key_file = self.values.get("key_file", "")
        if key_file:
            key_path = Path(key_file).expanduser()
            host["key_file"] = str(key_path if key_path.is_absolute() else base / key_path)
        env = self.values.get("password_env", "")
        if env:
            if ENV_NAME.fullmatch(env):
                host["password_env"] = env
            else:
                # never echoed: it may be a password typed in the wrong column
                self.bad("password_env", f"the value given ({len(env)} characters) is not an "
                                         "environment variable name (write the variable's NAME "
                                         "here, never the password)")

    def jump(self, host: dict[str, Any], ids: set[str]) -> None:
        """The jump host: another id of this file."""
        jump = self.values.get("jump", "")
        if not jump:
            return
        if jump not in ids:
            self.bad("jump", f"jump host {jump!r} is not an id in this file")
        elif jump == host["id"]:
            self.bad("jump", "a host cannot jump through itself")
        else:
            host["jump"] = jump

    def description(self, host: dict[str, Any]) -> None:
        """Role, notes, criticality, data classification and applications."""
        values = self.values
        for column in ("role", "notes"):
            if values.get(column):
                host[column] = values[column][:64 if column == "role" else 2000]
        criticality = self.choice("criticality", CRITICALITY, "criticality")
        if criticality:
            host["criticality"] = criticality
        classification = self.choice("data_classification", CLASSIFICATION,
                                     "data classification")
        if classification:
            host["data_classification"] = classification
        if values.get("applications"):
            apps = [a.strip()[:128] for a in re.split(r"[;,]", values["applications"])]
            host["applications"] = [a for a in apps if a]
