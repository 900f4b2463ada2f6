"""Benchmark the history store: 546 pemda x 200 hosts x ~21 findings a round, 5 rounds.

Synthetic bundles (as `auditor review` holds them after reading: summary, finding rows, hosts,
plan) go through the same append function as a review (auditor.history.append.append_round),
one round at a time, into DuckDB and into PostgreSQL (a throwaway cluster from Debian's
packages, or --pg-url). Then each history command answers over the 5 rounds. Each engine runs
in its own child process, so its peak memory (ru_maxrss) is its own; the PostgreSQL server's
memory is not counted in the client's.
Usage: python bench/history_bench.py [--orgs N] [--hosts H] [--rounds R] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from auditor.history.append import append_round  # noqa: E402
from auditor.history.extract import BundleExtras  # noqa: E402
from auditor.history.output import FORMATS  # noqa: E402
from auditor.history.provinces import PROVINCES  # noqa: E402
from auditor.history.queries import ask, capacity, stale, trends  # noqa: E402
from auditor.review.load import SEVERITIES, BundleReport, OrgSummary, Trust  # noqa: E402

CONTROLS = [f"HOST-BENCH-{i:02d}" for i in range(21)]
SEVERITY_OF = {c: SEVERITIES[i % 4] for i, c in enumerate(CONTROLS)}
STATUSES = ("pass", "pass", "fail", "unknown", "pass", "fail", "not_applicable")
OFFERINGS = (("pdn-iaas-vm", "pdn.medium"), ("pdn-iaas-vm", "pdn.large"),
             ("pdn-paas-db", "db.small"), ("pdn-storage", "obj.1tb"))


def code_of(number: int) -> str:
    """A Kemendagri-like code spread over the 38 provinces."""
    provinces = list(PROVINCES)
    return f"{provinces[number % len(provinces)]}.{number // len(provinces) + 1:02d}"


def synthetic(number: int, round_: int, hosts: int) -> BundleReport:
    """One pemda's bundle of one round as the review holds it after reading it."""
    code = code_of(number)
    name = f"Pemerintah Daerah Bench {number}" + (" (baru)" if round_ >= 3 and
                                                  number % 50 == 0 else "")
    sites = ("ruang-server-a", "ruang-server-b")
    findings = []
    host_rows = []
    plan = []
    for h in range(hosts):
        host, site = f"srv-{h:03d}", sites[h % 2]
        for c, control in enumerate(CONTROLS):
            status = STATUSES[(number + h + c + round_) % len(STATUSES)]
            findings.append((code, "host", host, site, control, SEVERITY_OF[control], status,
                             f"fact.{c} = {status}"))
        host_rows.append((host, site, "ok", float(40 + (h * 7 + round_) % 60)))
        offering, flavour = OFFERINGS[(number + h) % len(OFFERINGS)]
        plan.append((host, site, "rehost", offering, flavour, float(2 << (h % 4)),
                     float(4 << (h % 4)), float(100 * (1 + h % 10)), None, 1 + h % 5))
    score = float(30 + (number * 7 + round_ * 5) % 65)
    verdict = "compliant" if score >= 85 else "remediate" if score >= 60 else "migrate"
    summary = OrgSummary(
        code=code, name=name, level="kota", score=score, verdict=verdict, urgency="high",
        hosts=hosts, hosts_scanned=hosts, eol_hosts=hosts // 10, sites=2,
        site_verdicts={"compliant": 0, "remediate": 1, "migrate": 1},
        current_annual_idr=5e8, after_migration_annual_idr=1e8, savings_idr=4e8,
        failed_by_severity=dict.fromkeys(SEVERITIES, hosts),
        generated_at=f"2026-{round_ * 2:02d}-{1 + number % 28:02d}T08:00:00Z",
        spec="spbe-dc-pemda 2026.1",
        site_rows=tuple((s, s.upper(), score, verdict) for s in sites))
    digest = "sha256:" + hashlib.sha256(f"{code}/{round_}".encode()).hexdigest()
    return BundleReport(Path(f"/bench/round-{round_}/{code}"), Trust.SIGNED, (), summary,
                        "SHA256:bench", tuple(findings), False,
                        BundleExtras(digest, "2026-01-01T00:00:00Z", tuple(host_rows),
                                     tuple(plan)))


class Timed:
    """An iterator of synthetic bundles that keeps how long making them took."""

    def __init__(self, orgs: int, round_: int, hosts: int) -> None:
        self.made = 0.0
        self.rows = 0
        self.args = (orgs, round_, hosts)

    def __iter__(self) -> Iterator[BundleReport]:
        orgs, round_, hosts = self.args
        for number in range(orgs):
            started = time.perf_counter()
            report = synthetic(number, round_, hosts)
            self.made += time.perf_counter() - started
            self.rows += len(report.findings)
            yield report


QUESTIONS: dict[str, tuple[Any, dict[str, Any]]] = {
    "trends": (trends, {}),
    "trends --province 32": (trends, {"province": "32"}),
    "trends --control HOST-BENCH-03": (trends, {"control": "HOST-BENCH-03"}),
    "capacity": (capacity, {}),
    "stale --days 45": (stale, {"days": 45}),
}


def child(engine: str, url: str, orgs: int, hosts: int, rounds: int) -> dict[str, Any]:
    """Append the rounds and ask every question; returns the timings (seconds)."""
    out: dict[str, Any] = {"engine": engine, "append": [], "rows": 0}
    for round_ in range(1, rounds + 1):
        source = Timed(orgs, round_, hosts)
        started = time.perf_counter()
        outcome = append_round(url, source)
        wall = time.perf_counter() - started
        assert outcome.round == round_ and outcome.new_bundles == orgs, outcome
        out["append"].append(wall - source.made)
        out["made"] = source.made
        out["rows"] = source.rows
    again = time.perf_counter()
    assert append_round(url, Timed(orgs, rounds, hosts)).round is None
    out["reappend"] = time.perf_counter() - again
    for label, (question, options) in QUESTIONS.items():
        started = time.perf_counter()
        table = ask(url, question, **options)
        FORMATS["table"](table)
        out[label] = (time.perf_counter() - started, len(table.rows))
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def cli_seconds(url: str, args: list[str]) -> float:
    """Wall time of one `auditor history ...` process, start-up included."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "auditor", "history", args[0], url, *args[1:]],
                            env=env, capture_output=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return time.perf_counter() - started


def run_engine(engine: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The child run of one engine, then the CLI timings against what it wrote."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", engine, "--url", url, "--orgs", str(args.orgs),
         "--hosts", str(args.hosts), "--rounds", str(args.rounds)],
        env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True,
        check=False, timeout=7200)
    if result.returncode != 0:
        raise SystemExit(f"{engine} bench failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout)
    data["cli_trends"] = cli_seconds(url, ["trends", "--format", "csv"])
    data["cli_control"] = cli_seconds(url, ["trends", "--control", "HOST-BENCH-03"])
    data["cli_capacity"] = cli_seconds(url, ["capacity"])
    return data


def store_size(engine: str, url: str) -> str:
    """The store's size on disk."""
    if engine == "duckdb":
        return f"{Path(url).stat().st_size / 2**20:.0f} MiB"
    import psycopg

    with psycopg.connect(url) as db:
        found = db.execute("SELECT pg_database_size(current_database())").fetchone()
    return f"{(found[0] if found else 0) / 2**20:.0f} MiB"


def report(results: list[dict[str, Any]], sizes: list[str]) -> None:
    """The side-by-side table, in Markdown."""
    head = "| measure | " + " | ".join(r["engine"] for r in results) + " |"
    print(head)
    print("| --- |" + " ---: |" * len(results))

    def line(label: str, values: list[str]) -> None:
        print(f"| {label} | " + " | ".join(values) + " |")

    for i in range(len(results[0]["append"])):
        line(f"append round {i + 1}", [f"{r['append'][i]:.1f} s" for r in results])
    line("re-append round (nothing new)", [f"{r['reappend']:.1f} s" for r in results])
    for label in QUESTIONS:
        line(f"`history {label}` (in process)",
             [f"{r[label][0]:.2f} s ({r[label][1]:,} rows)" for r in results])
    line("`history trends --format csv` (CLI, start-up included)",
         [f"{r['cli_trends']:.2f} s" for r in results])
    line("`history trends --control` (CLI)", [f"{r['cli_control']:.2f} s" for r in results])
    line("`history capacity` (CLI)", [f"{r['cli_capacity']:.2f} s" for r in results])
    line("peak memory of the client process",
         [f"{r['peak_rss'] / 2**20:.0f} MiB" for r in results])
    line("store size after the rounds", sizes)
    print(f"\nfinding rows per round: {results[0]['rows']:,}; making the synthetic rows took "
          f"{results[0]['made']:.1f} s a round, not counted in the append times")


def main() -> None:
    """Parse options; the parent runs one child per engine and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--orgs", type=int, default=546)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg-url", help="An empty PostgreSQL database to use instead of a "
                        "throwaway cluster.")
    parser.add_argument("--engines", default="duckdb,postgresql")
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.orgs, args.hosts, args.rounds)))
        return
    results, sizes = [], []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="history-bench-")))
        for engine in args.engines.split(","):
            if engine == "duckdb":
                url = str(folder / "history.duckdb")
            else:
                from pg_cluster import pg_cluster

                url = args.pg_url or stack.enter_context(pg_cluster())
            print(f"{engine}: {args.rounds} rounds of {args.orgs} x {args.hosts} hosts ...",
                  file=sys.stderr)
            results.append(run_engine(engine, url, args))
            sizes.append(store_size(engine, url))
        report(results, sizes)


if __name__ == "__main__":
    main()
