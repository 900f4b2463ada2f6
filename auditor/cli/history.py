"""Click commands of `auditor history`: trends, capacity and stale over a history store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                      default="table", show_default=True, help="Output format.")


def _answer(store: str, fmt: str, question: Callable[..., Any], **options: Any) -> None:
    from auditor.history.output import FORMATS
    from auditor.history.queries import ask

    click.echo(FORMATS[fmt](ask(store, question, **options)), nl=False)


@click.group("history")
def history_group() -> None:
    """Questions over the rounds kept by `auditor review ... --history STORE`."""


@history_group.command("trends")
@click.argument("store")
@click.option("--province", help="Only this province: code (32) or name (Jawa Barat).")
@click.option("--control", help="Also count this control's failures per round "
              "(e.g. FAC-FIRE-SUPPRESSION).")
@FORMAT
def trends_command(store: str, province: str | None, control: str | None, fmt: str) -> None:
    """Score and verdict per organisation per round, and the change since its last round.

    An organisation is kept by its code: a renamed one stays one, its former names listed.
    STORE: a DuckDB file path or a postgresql:// URL.
    """
    from auditor.history.queries import trends

    _answer(store, fmt, trends, province=province, control=control)


@history_group.command("capacity")
@click.argument("store")
@click.option("--round", "round_", type=click.IntRange(min=1),
              help="Round to read [default: the latest].")
@FORMAT
def capacity_command(store: str, round_: int | None, fmt: str) -> None:
    """PDN demand of the recommended migrations by province, offering and wave.

    vCPU, memory (GB), storage (TB) and bandwidth (Mbps, only where a plan states it).
    STORE: a DuckDB file path or a postgresql:// URL.
    """
    from auditor.history.queries import capacity

    _answer(store, fmt, capacity, round_=round_)


@history_group.command("stale")
@click.argument("store")
@click.option("--days", type=click.IntRange(min=0), default=365, show_default=True,
              help="Age in days beyond which a last accepted bundle is stale.")
@FORMAT
def stale_command(store: str, days: int, fmt: str) -> None:
    """Organisations whose newest accepted bundle is older than --days.

    STORE: a DuckDB file path or a postgresql:// URL.
    """
    from auditor.history.queries import stale

    _answer(store, fmt, stale, days=days)
