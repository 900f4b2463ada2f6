"""Benchmark hypervisor discovery: govmomi's vcsim with 2,000 VMs, imported then scanned.

Each step runs `auditor` in a child process (so its peak memory is its own) against one
simulated vCenter on loopback. Targets (issue 15): under 30 s and 200 MB for the endpoint,
one PropertyCollector round trip per page of objects. Prints a table: per step the wall
time, our CPU (the process and the children it waited for), the simulator's CPU in that
step, and the peak memory; the rest of the wall time is waiting for a CPU on a shared
machine (the load average is printed) or for the disk.

Two simulators are measured: the simulator as Debian ships it (``per-sample``), which keeps
only the 20-second real-time interval, ignores QueryPerf's ``format='csv'`` and sends an XML
element and a timestamp per sample; and the same with ``-perf-csv -rollups``
(tests/vcsim/main.go; ``csv``), which keeps a vCenter's default historical intervals (so the
scan asks the 2-hour one: 360 samples over 30 days) and answers in the CSV shape a vCenter
sends.
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

from vcsim import Vcsim, build, vcsim, vcsim_missing  # noqa: E402

ENV = {"VC_PASSWORD": "secret"}
ORG = ["--org-code", "32.73", "--org-name", "Bench", "--org-level", "kota"]
Row = tuple[str, float, float, float, float]
"""(step, wall s, our CPU s, simulator CPU s, peak MB)."""


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(name: str, args: list[str], sim: Vcsim) -> Row:
    """One step: ``python -m auditor ARGS`` in a child process, measured."""
    env = dict(os.environ, PYTHONPATH=str(REPO), **ENV)
    sim_before, start = cpu_of(sim.proc.pid), time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"auditor {' '.join(args[:2])} failed ({proc.returncode}): {stderr}")
    return (name, seconds, usage.ru_utime + usage.ru_stime, cpu_of(sim.proc.pid) - sim_before,
            usage.ru_maxrss / 1024)


def run(binary: Path, per_pool: int, shape: str, with_check: bool) -> tuple[list[Row], str]:
    """Import, scan (and check) against one simulator; the rows and a line about the scan."""
    extra = ("-perf-csv", "-rollups") if shape == "csv" else ()
    with tempfile.TemporaryDirectory() as tmp, \
            vcsim(binary, "-plain", "-vm", str(per_pool), *extra) as sim:
        inv, bundle = Path(tmp) / "inv.yaml", Path(tmp) / "bundle"
        rows = [timed(f"import ({shape})", [
            "inventory", "import", "--from", "vsphere", sim.url, "-o", str(inv), "--user",
            "auditor", "--password-env", "VC_PASSWORD", *ORG, "-q"], sim)]
        rows.append(timed(f"scan ({shape})", ["scan", str(inv), "-o", str(bundle), "--quiet"],
                          sim))
        if with_check:
            rows.append(timed("check", ["check", str(bundle)], sim))
        facts = sorted((bundle / "facts").glob("*.json"))
        docs = [json.loads(f.read_text())["facts"] for f in facts]
    vms = [d for d in docs if "vm" in d]
    use = vms[0]["vm"]["utilisation"] if vms else {}
    line = (f"{shape}: {len(vms)} VMs, {len(docs) - len(vms)} ESXi hosts; API round trips "
            f"for the whole endpoint: {docs[0].get('hypervisor_api', {}).get('round_trips')}; "
            f"utilisation: {use.get('samples')} samples of {use.get('period_s')} s per VM")
    return rows, line


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
    load = os.getloadavg()[0]
    rows: list[Row] = []
    lines = []
    for shape, with_check in (("per-sample", True), ("csv", False)):
        found, line = run(binary, per_pool, shape, with_check)
        rows += found
        lines.append(line)
    print("\n".join(lines))
    print(f"load average at start: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'step':<24} {'seconds':>8} {'CPU s':>8} {'vcsim CPU s':>12} {'peak MB':>8}")
    for name, seconds, cpu, sim_cpu, peak in rows:
        print(f"{name:<24} {seconds:>8.1f} {cpu:>8.1f} {sim_cpu:>12.1f} {peak:>8.0f}")
    for shape in ("per-sample", "csv"):
        pair = [r for r in rows if r[0] in (f"import ({shape})", f"scan ({shape})")]
        print(f"import + scan ({shape}): {sum(r[1] for r in pair):.1f} s wall, "
              f"{sum(r[2] for r in pair):.1f} s our CPU, {sum(r[3] for r in pair):.1f} s "
              f"vcsim CPU (target < 30 s), peak {max(r[4] for r in pair):.0f} MB "
              "(target < 200 MB)")


if __name__ == "__main__":
    main()
