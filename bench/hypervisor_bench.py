"""Benchmark hypervisor discovery: govmomi's vcsim with 2,000 VMs, imported then scanned.

Each step runs `auditor` in a child process (so its peak memory is its own) against one
simulated vCenter on loopback. Targets (issue 15): under 30 s and 200 MB for the endpoint,
one PropertyCollector round trip per page of objects. Prints a table.
Usage: python bench/hypervisor_bench.py [--vms N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from vcsim import build, vcsim, vcsim_missing  # noqa: E402

ENV = {"VC_PASSWORD": "secret"}


def timed(args: list[str]) -> tuple[float, float, float]:
    """(seconds, peak MB, CPU seconds) of ``python -m auditor ARGS`` in a child process."""
    env = dict(os.environ, PYTHONPATH=str(REPO), **ENV)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"auditor {' '.join(args[:2])} failed ({proc.returncode}): {stderr}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vms", type=int, default=2000, help="VMs in the simulated vCenter")
    args = parser.parse_args()
    missing = vcsim_missing()
    if missing:
        raise SystemExit(missing)
    binary = build()
    per_pool = max(1, args.vms // 2)  # VPX(): one cluster pool and one standalone host's pool
    with tempfile.TemporaryDirectory() as tmp, \
            vcsim(binary, "-plain", "-vm", str(per_pool)) as sim:
        inv, bundle = Path(tmp) / "inv.yaml", Path(tmp) / "bundle"
        rows = []
        t, mb, cpu = timed(["inventory", "import", "--from", "vsphere", sim.url, "-o", str(inv),
                          "--user", "auditor", "--password-env", "VC_PASSWORD",
                          "--org-code", "32.73", "--org-name", "Bench", "--org-level", "kota",
                          "-q"])
        rows.append(("inventory import --from vsphere", t, mb, cpu))
        t, mb, cpu = timed(["scan", str(inv), "-o", str(bundle), "--quiet"])
        rows.append(("scan (API, with utilisation)", t, mb, cpu))
        t, mb, cpu = timed(["check", str(bundle)])
        rows.append(("check", t, mb, cpu))
        facts = sorted((bundle / "facts").glob("*.json"))
        sample = json.loads(facts[0].read_text())["facts"].get("hypervisor_api", {})
        vms = sum(1 for f in facts if '"kind": "vm"' in f.read_text())
    print(f"vcsim: {vms} VMs, {len(facts) - vms} ESXi hosts; API round trips for the "
          f"whole endpoint in the scan: {sample.get('round_trips')}")
    print(f"{'step':<34} {'seconds':>8} {'CPU s':>8} {'peak MB':>8}")
    for name, seconds, peak, cpu in rows:
        print(f"{name:<34} {seconds:>8.1f} {cpu:>8.1f} {peak:>8.0f}")
    print("(seconds minus CPU s: mostly waiting for the simulator, whose QueryPerf is slow)")
    total = rows[0][1] + rows[1][1]
    print(f"import + scan: {total:.1f} s (target < 30 s), peak "
          f"{max(rows[0][2], rows[1][2]):.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    main()
