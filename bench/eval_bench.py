"""Benchmark the check stage: 10,000 hosts x every control, facts files to results.json.

Prints a table: the floor (reading and parsing every facts file, nothing else) beside
`auditor check` (in a child process, so its peak memory is its own), with the ratio; with
--baseline, also `auditor check` of another checkout (say the code before a change), the
runs of both interleaved so a shared machine's load weighs on both alike.
Usage: python bench/eval_bench.py [--hosts N] [--runs R] [--baseline CHECKOUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.collect.collectors import COLLECTORS  # noqa: E402
from auditor.collect.probe import build_probe, parse_output  # noqa: E402
from auditor.spec.load import load_spec  # noqa: E402

SITES = 50


def make_bundle(root: Path, hosts: int) -> None:
    """A bundle of ``hosts`` facts files derived from this machine's real probe output."""
    output = subprocess.run(["/bin/sh", "-s"], input=build_probe(COLLECTORS),
                            capture_output=True, check=True).stdout
    parsed = parse_output(output, COLLECTORS)
    (root / "facts").mkdir(parents=True)
    lines = ["version: 1", "organisation: {code: '32.73', name: Bench, level: kota}", "sites:"]
    lines += [f"  - {{id: site-{s}, name: Site {s}, kind: server_room}}" for s in range(SITES)]
    lines.append("hosts:")
    for i in range(hosts):
        host_id = f"host-{i:05d}"
        lines.append(f"  - {{id: {host_id}, site: site-{i % SITES}, address: 10.{i // 65536}."
                     f"{(i // 256) % 256}.{i % 256}}}")
        facts = json.loads(json.dumps(parsed.facts))
        facts["sshd"]["passwordauthentication"] = "no" if i % 3 else "yes"
        facts["memory"]["used_pct"] = float(i % 100)
        status = "ok" if i % 50 else "timeout"
        doc = {"format": "auditor.facts/1", "host": host_id, "site": f"site-{i % SITES}",
               "transport": "ssh", "address": "10.0.0.1", "status": status,
               "reason": None if status == "ok" else "timed out",
               "started_at": "2026-11-27T00:00:00Z", "duration_s": 0.1,
               "probe": {"id": "x", "output_sha256": "0" * 64, "output_bytes": len(output),
                         "truncated": False, "exit_code": 0},
               "facts": facts if status == "ok" else {}, "unknown": parsed.unknown}
        (root / "facts" / f"{host_id}.json").write_text(json.dumps(doc))
    (root / "inventory.yaml").write_text("\n".join(lines) + "\n")


def floor(root: Path) -> float:
    """Read and parse every facts file: the least any evaluator must do."""
    started = time.perf_counter()
    for path in sorted((root / "facts").iterdir()):
        json.loads(path.read_bytes())
    return time.perf_counter() - started


def ours(root: Path, checkout: Path = REPO) -> tuple[float, int, float]:
    """`auditor check` of ``checkout`` in a child process: wall time, peak RSS in KiB and
    CPU seconds (its worker processes included).

    Peak and CPU come from /usr/bin/time when present (the peak is the largest process's:
    RUSAGE_CHILDREN keeps the largest child ever waited for).
    """
    env = dict(os.environ, PYTHONPATH=str(checkout))
    command = [sys.executable, "-m", "auditor", "check", str(root), "-q"]
    timer = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        if timer.is_file():
            command = [str(timer), "-f", "%M %U %S", "-o", report.name, *command]
        started = time.perf_counter()
        result = subprocess.run(command, env=env, cwd=checkout, capture_output=True, text=True,
                                check=False)
        elapsed = time.perf_counter() - started
        timed = report.read().split() if timer.is_file() else []
    if result.returncode not in (1, 3):
        raise SystemExit(f"auditor check failed ({result.returncode}): {result.stderr}")
    if len(timed) >= 3:
        return elapsed, int(timed[-3]), float(timed[-2]) + float(timed[-1])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, usage.ru_maxrss, float("nan")


def row(what: str, runs: list[tuple[float, int, float]], evaluated: int, base: float) -> str:
    """One table row: median wall time, largest peak, median CPU, controls a second, ratio."""
    wall = statistics.median(r[0] for r in runs)
    peak_mib = max(r[1] for r in runs) / 1024
    cpu = statistics.median(r[2] for r in runs)
    return (f"| {what} | {wall:.2f} | {peak_mib:.0f} | {cpu:.1f} | {evaluated / wall:,.0f} | "
            f"{wall / base:.1f}x |")


def main() -> None:
    """Build the bundle, time the floor and the check (and the baseline's), print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path,
                        help="another checkout of auditor to time beside this one")
    args = parser.parse_args()
    controls = [c for c in load_spec().controls if c.applies_to == "host"]
    runs: list[tuple[float, int, float]] = []
    baseline: list[tuple[float, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="auditor-eval-bench-") as tmp:
        root = Path(tmp) / "bundle"
        make_bundle(root, args.hosts)
        floors = [floor(root) for _ in range(args.runs)]
        for _ in range(args.runs):
            if args.baseline:
                baseline.append(ours(root, args.baseline.resolve()))
            runs.append(ours(root))
        results = json.loads((root / "results.json").read_text())
        assert len(results["hosts"]) == args.hosts
        shutil.rmtree(root)
    base = statistics.median(floors)
    evaluated = args.hosts * len(controls)
    print(f"check stage: {args.hosts} hosts x {len(controls)} host controls "
          f"(median of {args.runs}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end)")
    print()
    print("| what | wall s | peak MiB | CPU s | controls/s | ratio to floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| floor: read + parse every facts file | {base:.2f} | – | – | – | 1.0x |")
    if baseline:
        print(row(f"`auditor check` of {args.baseline}", baseline, evaluated, base))
    print(row("`auditor check` (results.json written)", runs, evaluated, base))
    wall = statistics.median(r[0] for r in runs)
    peak_mib = max(r[1] for r in runs) / 1024
    print()
    print(f"target: under 10 s and under 1024 MiB -> "
          f"{'met' if wall < 10 and peak_mib < 1024 else 'NOT met'}")


if __name__ == "__main__":
    main()
