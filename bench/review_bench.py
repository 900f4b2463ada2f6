"""Benchmark the national review: 550 signed bundles of 50 hosts each, verified and merged.

The bundles are derived from one real audit of inventory/example.yaml (facts, results,
report), grown to 50 hosts and 3 sites each, and signed with one ed25519 key per
organisation. `auditor review` then runs in a child process, so its peak memory is its own.
Usage: python bench/review_bench.py [--bundles N] [--hosts H] [--keep DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from auditor.bundle.signing import sign_bundle  # noqa: E402

SITES = 3


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) * 1024 for line in status.splitlines()
                          if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_sampled(argv: list[str]) -> tuple[int, float, int]:
    """Run argv; return its exit code, wall time and the peak RSS of its whole process tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(child.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if child.stderr is not None:
        sys.stderr.write(child.stderr.read().decode()[-2000:])
    return child.returncode, wall, peak


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, check=False)


def grow(results: dict[str, Any], number: int, hosts: int) -> dict[str, Any]:
    """One pemda's results: its own code and figures, ``hosts`` hosts over SITES sites."""
    data = copy.deepcopy(results)
    data["organisation"] = {"code": f"{11 + number // 100}.{number % 100:02d}",
                            "name": f"Pemerintah Daerah Bench {number}",
                            "level": ("provinsi", "kabupaten", "kota")[number % 3]}
    score = float(20 + (number * 37) % 80)
    verdict = "compliant" if score >= 85 else "remediate" if score >= 60 else "migrate"
    data["summary"].update(score=score, verdict=verdict, hosts=hosts, hosts_scanned=hosts)
    data["recommendation"].update(verdict=verdict, urgency=("low", "medium", "high")[number % 3])
    template = data["hosts"][0]
    data["hosts"] = []
    for index in range(hosts):
        host = copy.deepcopy(template)
        host["id"] = f"srv-{index:03d}"
        host["site"] = f"site-{index % SITES}"
        for finding in host["findings"]:
            if (index + number) % 4 == 0:
                finding["status"] = "fail"
        data["hosts"].append(host)
    site = data["sites"][0]
    data["sites"] = []
    for index in range(SITES):
        clone = copy.deepcopy(site)
        clone["id"] = f"site-{index}"
        clone["verdict"] = verdict if index else "migrate"
        data["sites"].append(clone)
    costs = data["recommendation"]["costs"]
    costs["current_annual_idr"] = 200_000_000 + number * 1_000_000
    costs["after_migration_annual_idr"] = 80_000_000 + number * 400_000
    costs["annual_savings_idr"] = costs["current_annual_idr"] - costs["after_migration_annual_idr"]
    return data


def make_bundles(root: Path, count: int, hosts: int) -> tuple[list[Path], Path]:
    """``count`` signed bundles under ``root`` and the trusted-keys file for them."""
    example = root / "example"
    done = cli("-m", "auditor", "audit", str(REPO / "inventory" / "example.yaml"), "-o",
               str(example), "--format", "html", "-q")
    if done.returncode not in (0, 1):
        raise SystemExit(f"the example audit failed: {done.stderr.decode()[-2000:]}")
    results = json.loads((example / "results.json").read_text())
    facts = (example / "facts" / "self.json").read_bytes()
    bundles, trusted = [], []
    for number in range(count):
        bundle = root / "bundles" / f"pemda-{number:04d}"
        (bundle / "facts").mkdir(parents=True)
        for name in ("inventory.yaml", "report.html"):
            shutil.copyfile(example / name, bundle / name)
        shutil.copytree(example / "facility", bundle / "facility")
        data = grow(results, number, hosts)
        for host in data["hosts"]:
            (bundle / "facts" / f"{host['id']}.json").write_bytes(facts)
        (bundle / "results.json").write_text(json.dumps(data))
        key = Ed25519PrivateKey.generate()
        sign_bundle(bundle, key)
        line = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                             serialization.PublicFormat.OpenSSH).decode()
        trusted.append(f'"{data["organisation"]["code"]}": "{line}"\n')
        bundles.append(bundle)
    keys = root / "trusted-keys.yaml"
    keys.write_text("".join(trusted))
    return bundles, keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=int, default=550)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="review-bench-", dir="/tmp"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        bundles, keys = make_bundles(root, args.bundles, args.hosts)
        generated = time.perf_counter() - started
        size = sum(f.stat().st_size for b in bundles for f in b.rglob("*") if f.is_file())
        code, wall, tree_peak = run_sampled(
            [sys.executable, "-m", "auditor", "review", *map(str, bundles), "-o",
             str(root / "review"), "--trusted-keys", str(keys), "-q"])
        if code != 0:
            raise SystemExit(f"review failed with exit code {code}")
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        db = sqlite3.connect(root / "review" / "review.sqlite")
        findings = db.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
        orgs = db.execute("SELECT COUNT(*) FROM organisations").fetchone()[0]
        db.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"generated {args.bundles} signed bundles ({size / 2**20:.0f} MiB) in {generated:.0f} s "
          f"on {os.cpu_count()} cores\n")
    print("| bundles | hosts each | hosts | findings merged | bundle data | wall time | "
          "peak memory, all processes | largest process | target |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(f"| {orgs} | {args.hosts} | {orgs * args.hosts:,} | {findings:,} | "
          f"{size / 2**20:.0f} MiB | {wall:.1f} s | {tree_peak / 2**20:.0f} MiB | "
          f"{peak_mib:.0f} MiB | < 60 s, < 2 GiB |")


if __name__ == "__main__":
    main()
