"""Benchmark schema validation: a 10,000-host inventory judged by jsonschema-rs, jsonschema
and the quick checker it replaced, and the inventory load that starts `auditor check`.

Prints a table (best of R runs, in this process; the validators are compiled once before
timing, as a command compiles them once). The old quick checker is read from git history
(commit OLD_COMMIT); without git that row is left out.
Usage: python bench/schema_bench.py [--hosts N] [--runs R]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.bundle import schemas  # noqa: E402
from auditor.bundle.yamlfile import load_yaml  # noqa: E402
from auditor.inventory.load import load_bundle_inventory  # noqa: E402

OLD_COMMIT = "f6d2319"
"""The last commit with auditor/bundle/quickschema.py."""
SITES = 50


def make_inventory(path: Path, hosts: int) -> None:
    """An inventory of ``hosts`` SSH hosts over SITES server rooms, every optional key used."""
    lines = ["version: 1", "organisation: {code: '32.73', name: Bench, level: kota}",
             "defaults: {user: auditor, port: 22, key_file: keys/auditor}", "sites:"]
    lines += [f"  - {{id: site-{s}, name: Site {s}, kind: server_room, "
              f"costs: {{power_kw: 6.5, maintenance_idr: 120000000, staff_fte: 2}}}}"
              for s in range(SITES)]
    lines.append("hosts:")
    for i in range(hosts):
        lines.append(f"  - {{id: host-{i:05d}, site: site-{i % SITES}, "
                     f"address: 10.{i // 65536}.{(i // 256) % 256}.{i % 256}, port: 22, "
                     f"user: auditor, key_file: keys/auditor, role: web, "
                     f"criticality: {('low', 'medium', 'high')[i % 3]}, "
                     f"applications: [app-{i % 40}]}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def old_quickschema() -> types.ModuleType | None:
    """The removed quick checker, from git history; None without git or that commit."""
    shown = subprocess.run(["git", "-C", str(REPO), "show",
                            f"{OLD_COMMIT}:auditor/bundle/quickschema.py"],
                           capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        return None
    module = types.ModuleType("quickschema_old")
    exec(compile(shown.stdout, "quickschema_old.py", "exec"), module.__dict__)
    return module


def best(runs: int, work: Callable[[], Any]) -> float:
    """The shortest of ``runs`` timings of ``work()``, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="auditor-schema-bench-") as tmp:
        path = Path(tmp) / "inventory.yaml"
        make_inventory(path, args.hosts)
        data = load_yaml(path).data
        fast = schemas.fast_validator("inventory")
        full = schemas.validator("inventory")
        assert fast.is_valid(data) and not any(full.iter_errors(data))
        rows = [("jsonschema-rs (`is_valid`)", best(args.runs, lambda: fast.is_valid(data))),
                ("jsonschema (`iter_errors`)",
                 best(max(1, args.runs // 2), lambda: list(full.iter_errors(data))))]
        old = old_quickschema()
        if old is not None:
            quick = old.compile_schema(schemas.inline_local_refs(schemas.load_schema("inventory")))
            assert quick is not None and quick(data)
            rows.append((f"old quickschema ({OLD_COMMIT})", best(args.runs, lambda: quick(data))))
        parsed = best(args.runs, lambda: load_yaml(path))
        loaded = best(args.runs, lambda: load_bundle_inventory(path))
    print(f"schema validation: an inventory of {args.hosts} hosts "
          f"(best of {args.runs}, {os.cpu_count()} CPUs)")
    print()
    print("| what | ms |")
    print("| --- | ---: |")
    for name, seconds in rows:
        print(f"| validate with {name} | {seconds * 1000:.1f} |")
    print(f"| read + parse the YAML (no validation) | {parsed * 1000:.0f} |")
    print(f"| `load_bundle_inventory` as `auditor check` starts (parse + validate + build) | "
          f"{loaded * 1000:.0f} |")


if __name__ == "__main__":
    main()
