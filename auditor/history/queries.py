"""The questions the central office asks of its history: trends, PDN capacity, stale pemda."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor.errors import InputError
from auditor.history.provinces import province_name, resolve_province
from auditor.history.schema import ACCEPTED_TRUST
from auditor.history.store import Store, connect, prepare

ACCEPTED_SQL = "rb.trust IN ('" + "', '".join(ACCEPTED_TRUST) + "')"
MERGED = ("FROM round_bundles rb JOIN bundles b ON b.id = rb.bundle "
          "JOIN organisations o ON o.code = b.organisation WHERE " + ACCEPTED_SQL)
"""The accepted bundles of every round with their organisation."""


@dataclass(frozen=True)
class Table:
    """A query's answer: named columns and rows of plain values (str, int, float, None)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    note: str = ""
    """One line shown under the table output (never in CSV or JSON rows)."""


def _former_names(store: Store) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for code, name in store.query("SELECT n.code, n.name FROM organisation_names n JOIN "
                                  "organisations o ON o.code = n.code WHERE n.name <> o.name "
                                  "ORDER BY n.code, n.first_round, n.name"):
        names.setdefault(code, []).append(name)
    return names


def _province_filter(province: str | None) -> str | None:
    if province is None:
        return None
    code = resolve_province(province)
    if not code:
        raise InputError(f"--province {province!r}: not a province code (two digits, e.g. 32) "
                         f"or name (e.g. Jawa Barat)")
    return code


def trends(store: Store, province: str | None = None, control: str | None = None) -> Table:
    """Score and verdict per organisation per round, with the change since its previous round.

    With ``control``: how many of that control's findings failed, of how many, per round.
    """
    code = _province_filter(province)
    params: list[object] = []
    join = ""
    extra = ""
    if control:
        join = (" LEFT JOIN (SELECT bundle, sum(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) "
                "AS failing, count(*) AS checked FROM findings WHERE control = ? "
                "GROUP BY bundle) f ON f.bundle = b.id")
        extra = ", f.failing, f.checked"
        params.append(control)
    where = ""
    if code:
        where = " AND o.province = ?"
        params.append(code)
    sql = ("SELECT rb.round, r.finished_at, o.code, o.name, o.province, b.score, "  # noqa: S608
           "b.verdict, "
           f"b.generated_at{extra} FROM round_bundles rb JOIN rounds r ON r.id = rb.round "
           "JOIN bundles b ON b.id = rb.bundle JOIN organisations o ON o.code = b.organisation"
           f"{join} WHERE {ACCEPTED_SQL}{where} ORDER BY o.code, rb.round, rb.position")
    former = _former_names(store)
    rows = []
    previous: dict[str, float | None] = {}
    seen: set[tuple[str, int]] = set()
    for row in store.query(sql, params):
        round_, finished, org, name, prov, score, verdict, generated = row[:8]
        if (org, round_) in seen:
            continue  # a duplicate of the same organisation in one round: the first kept
        seen.add((org, round_))
        before = previous.get(org)
        change = None if score is None or before is None else round(score - before, 2)
        previous[org] = score
        values: tuple[Any, ...] = (round_, finished[:10], org, name, "; ".join(former.get(org, [])),
                                   prov, province_name(prov), score, change, verdict, generated)
        if control:
            values += (control, int(row[8] or 0), int(row[9] or 0))
        rows.append(values)
    columns: tuple[str, ...] = ("round", "round_date", "code", "name", "former_names", "province",
               "province_name", "score", "score_change", "verdict", "bundle_generated_at")
    if control:
        columns += ("control", "control_failing", "control_checked")
    return Table(columns, rows)


def latest_round(store: Store) -> int | None:
    """The newest round's number, or None for a store without rounds."""
    found = store.query("SELECT max(id) FROM rounds")
    return int(found[0][0]) if found and found[0][0] is not None else None


def capacity(store: Store, round_: int | None = None) -> Table:
    """PDN demand of one round's plans (default the latest) by province, offering and wave."""
    chosen = round_ if round_ is not None else latest_round(store)
    if chosen is None:
        return Table(CAPACITY_COLUMNS, [], "no round in the history yet")
    if not store.query("SELECT id FROM rounds WHERE id = ?", (chosen,)):
        raise InputError(f"--round {chosen}: no such round in {store.where}")
    sql = ("SELECT o.province, p.offering, p.wave, count(*), sum(p.vcpu), sum(p.memory_gb), "
           "sum(p.disk_gb), sum(p.bandwidth_mbps), count(p.bandwidth_mbps) "
           f"{MERGED.replace('WHERE', 'JOIN plan p ON p.bundle = b.id WHERE')} "
           "AND rb.round = ? AND p.offering IS NOT NULL "
           "GROUP BY o.province, p.offering, p.wave ORDER BY o.province, p.offering, p.wave")
    rows = []
    for prov, offering, wave, hosts, vcpu, memory, disk, mbps, with_mbps in store.query(
            sql, (chosen,)):
        rows.append((chosen, prov, province_name(prov), offering, wave, int(hosts),
                     _num(vcpu), _num(memory), None if disk is None else round(disk / 1000, 3),
                     _num(mbps) if with_mbps else None, int(hosts) - int(with_mbps)))
    return Table(CAPACITY_COLUMNS, rows,
                 f"round {chosen}: hosts with a target offering in the accepted plans; storage "
                 "in TB (1000 GB); bandwidth only where a plan states it (else empty); "
                 "plans give waves, not dates")


CAPACITY_COLUMNS = ("round", "province", "province_name", "offering", "wave", "hosts", "vcpu",
                    "memory_gb", "storage_tb", "bandwidth_mbps", "hosts_without_bandwidth")


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def _age_days(stamp: str, today: datetime) -> int | None:
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (today - when).days


def stale(store: Store, days: int = 365, today: datetime | None = None) -> Table:
    """Organisations whose newest accepted bundle is older than ``days`` (oldest first)."""
    if days < 0:
        raise InputError("--days must be 0 or more")
    today = today or datetime.now(UTC)
    former = _former_names(store)
    rows = []
    for org, name, prov, generated, last_round in store.query(
            f"SELECT o.code, o.name, o.province, max(b.generated_at), max(rb.round) {MERGED} "
            "GROUP BY o.code, o.name, o.province ORDER BY o.code"):
        age = _age_days(generated or "", today)
        if age is None or age > days:
            rows.append((org, name, "; ".join(former.get(org, [])), prov, province_name(prov),
                         generated, age, int(last_round)))
    rows.sort(key=lambda r: (-(r[6] if r[6] is not None else 10**9), r[0]))
    return Table(("code", "name", "former_names", "province", "province_name",
                  "last_bundle_generated_at", "age_days", "last_round"), rows,
                 f"organisations whose newest accepted bundle is older than {days} days "
                 "(an unreadable date counts as stale)")



def ask(target: str, question: Callable[..., Table], **options: Any) -> Table:
    """Open the store read-only, check its version, answer one question, close."""
    store = connect(target, read_only=True)
    try:
        prepare(store, write=False)
        return question(store, **options)
    finally:
        store.close()
