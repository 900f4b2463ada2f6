"""The history store's tables: one DDL for DuckDB and PostgreSQL, and its numbered migrations."""

from __future__ import annotations

SCHEMA_VERSION = 1
"""The newest schema this tool writes and reads; a store with a higher one is refused."""

VERSION_TABLE = "history_schema"

VERSION_DDL = f"""CREATE TABLE {VERSION_TABLE} (
  version INTEGER NOT NULL, tool_version TEXT NOT NULL, applied_at TEXT NOT NULL)"""

TABLES: dict[str, tuple[str, ...]] = {
    "rounds": ("id", "started_at", "finished_at", "tool_version", "bundles", "accepted",
               "new_bundles"),
    "organisations": ("code", "province", "name", "level", "first_round", "last_round"),
    "organisation_names": ("code", "name", "first_round", "last_round"),
    "bundles": ("id", "digest", "organisation", "name", "level", "generated_at", "signed_at",
                "signer", "spec", "score", "verdict", "urgency", "hosts", "hosts_scanned",
                "eol_hosts", "sites", "fail_critical", "fail_high", "fail_medium", "fail_low",
                "current_annual_idr", "after_migration_annual_idr", "savings_idr",
                "first_round"),
    "round_bundles": ("round", "position", "bundle", "digest", "organisation", "path", "trust",
                      "signer", "problems"),
    "sites": ("bundle", "site", "name", "score", "verdict"),
    "hosts": ("bundle", "host", "site", "status", "score"),
    "findings": ("bundle", "subject_kind", "subject_id", "site", "control", "severity",
                 "status", "evidence"),
    "plan": ("bundle", "host", "site", "strategy", "offering", "flavour", "vcpu", "memory_gb",
             "disk_gb", "bandwidth_mbps", "wave"),
}
"""Column order of every table: the order rows are spooled and copied in."""

_V1 = (
    """CREATE TABLE rounds (
  id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
  tool_version TEXT NOT NULL, bundles INTEGER NOT NULL, accepted INTEGER NOT NULL,
  new_bundles INTEGER NOT NULL)""",
    """CREATE TABLE organisations (
  code TEXT PRIMARY KEY, province TEXT NOT NULL, name TEXT NOT NULL, level TEXT,
  first_round INTEGER NOT NULL, last_round INTEGER NOT NULL)""",
    """CREATE TABLE organisation_names (
  code TEXT NOT NULL, name TEXT NOT NULL, first_round INTEGER NOT NULL,
  last_round INTEGER NOT NULL, PRIMARY KEY (code, name))""",
    """CREATE TABLE bundles (
  id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, organisation TEXT NOT NULL, name TEXT,
  level TEXT, generated_at TEXT, signed_at TEXT, signer TEXT, spec TEXT,
  score DOUBLE PRECISION, verdict TEXT, urgency TEXT, hosts INTEGER, hosts_scanned INTEGER,
  eol_hosts INTEGER, sites INTEGER, fail_critical INTEGER, fail_high INTEGER,
  fail_medium INTEGER, fail_low INTEGER, current_annual_idr DOUBLE PRECISION,
  after_migration_annual_idr DOUBLE PRECISION, savings_idr DOUBLE PRECISION,
  first_round INTEGER NOT NULL)""",
    """CREATE TABLE round_bundles (
  round INTEGER NOT NULL, position INTEGER NOT NULL, bundle INTEGER, digest TEXT,
  organisation TEXT, path TEXT NOT NULL, trust TEXT NOT NULL, signer TEXT, problems TEXT,
  PRIMARY KEY (round, position))""",
    """CREATE TABLE sites (
  bundle INTEGER NOT NULL, site TEXT NOT NULL, name TEXT, score DOUBLE PRECISION,
  verdict TEXT)""",
    """CREATE TABLE hosts (
  bundle INTEGER NOT NULL, host TEXT NOT NULL, site TEXT, status TEXT,
  score DOUBLE PRECISION)""",
    """CREATE TABLE findings (
  bundle INTEGER NOT NULL, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, site TEXT,
  control TEXT NOT NULL, severity TEXT, status TEXT NOT NULL, evidence TEXT)""",
    """CREATE TABLE plan (
  bundle INTEGER NOT NULL, host TEXT NOT NULL, site TEXT, strategy TEXT, offering TEXT,
  flavour TEXT, vcpu DOUBLE PRECISION, memory_gb DOUBLE PRECISION,
  disk_gb DOUBLE PRECISION, bandwidth_mbps DOUBLE PRECISION, wave INTEGER)""",
)

MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1}
"""Statements that take a store from version N-1 to N, run in one transaction each."""

ROW_INDEXES: tuple[str, ...] = (
    "CREATE INDEX findings_control ON findings (control, bundle) INCLUDE (status)",
    "CREATE INDEX plan_bundle ON plan (bundle)",
    "CREATE INDEX hosts_bundle ON hosts (bundle)",
    "CREATE INDEX sites_bundle ON sites (bundle)",
)
"""Row-store indexes for PostgreSQL; DuckDB scans by zone maps and skips them (an index there
slows the bulk append and adds nothing to these queries)."""

ACCEPTED_TRUST = ("verified", "signed")
"""round_bundles.trust of the bundles a round merged (auditor.review.load.ACCEPTED)."""
