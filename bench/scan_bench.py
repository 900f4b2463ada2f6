"""Scan benchmark on a real loopback sshd fleet: paramiko floor, raw probe, auditor, Ansible.

Run as root from the repository root:  python bench/scan_bench.py [--sizes 20,50] [--repeats 3]

Every contender runs as its own process (interpreter start included), timed from outside;
client CPU and peak RSS come from wait4() of that process (its own children included).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

ANSIBLE_VENV = Path(tempfile.gettempdir()) / "auditor-bench-ansible"
DISTROS = ("debian-12", "ubuntu-20.04", "ubuntu-22.04", "centos-7", "rocky-9")


# ---- worker: raw paramiko, run in a child process --------------------------------------

def worker(mode: str, hosts_file: Path, concurrency: int) -> None:
    """(a) floor: connect + auth + exec `true`; (b) the tool's probe, output discarded."""
    import paramiko

    from auditor.collect.collectors import COLLECTORS
    from auditor.collect.probe import build_probe

    spec = json.loads(hosts_file.read_text())
    key = paramiko.PKey.from_path(spec["key"])
    script = build_probe(COLLECTORS)

    def one(port: int) -> int:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=10)
            transport.auth_publickey(spec["user"], key)
            channel = transport.open_session()
            if mode == "floor":
                channel.exec_command("true")
            else:
                channel.exec_command("/bin/sh -s 2>/dev/null")
                channel.sendall(script)
                channel.shutdown_write()
            size = 0
            while data := channel.recv(262144):
                size += len(data)
            channel.recv_exit_status()
            return size
        finally:
            sock.shutdown(socket.SHUT_RDWR)
            transport.close()

    with ThreadPoolExecutor(concurrency) as pool:
        sizes = list(pool.map(one, spec["ports"]))
    if mode == "probe" and min(sizes) < 1000:
        raise SystemExit(f"probe output too small: {sizes}")


# ---- parent ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One measured process."""

    wall: float
    cpu: float
    rss_mb: float


def measure(argv: list[str], env: dict[str, str], ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Run ``argv``, timed from outside; rusage from wait4 (children it waited for included)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{argv[:4]} exited {proc.returncode}: {err.decode()[-1500:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def ensure_ansible() -> tuple[Path | None, str]:
    """ansible in its own venv under /tmp, installed with pip when missing."""
    binary = ANSIBLE_VENV / "bin" / "ansible"
    if binary.exists():
        return binary, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(ANSIBLE_VENV)], check=True,
                       capture_output=True, timeout=300)
        subprocess.run([str(ANSIBLE_VENV / "bin" / "pip"), "install", "-q", "ansible-core"],
                       check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return None, f"ansible-core could not be installed: {exc} {detail.decode()[-300:]}"
    return (binary, "") if binary.exists() else (None, "no ansible binary after install")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,50")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-ansible", action="store_true")
    parser.add_argument("--worker", choices=("floor", "probe", "startup"))
    parser.add_argument("--hosts")
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    if args.worker == "startup":  # what (a) and (b) import before their first connection
        import paramiko  # noqa: F401

        from auditor.collect.collectors import COLLECTORS
        from auditor.collect.probe import build_probe
        build_probe(COLLECTORS)
        return
    if args.worker:
        worker(args.worker, Path(args.hosts), args.concurrency)
        return

    from fleet import Fleet, sshd_available

    reason = sshd_available()
    if reason:
        raise SystemExit(f"cannot run the benchmark: {reason}")
    sizes = [int(s) for s in args.sizes.split(",")]
    ansible, ansible_why = (None, "skipped (--no-ansible)") if args.no_ansible \
        else ensure_ansible()
    work = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    work.chmod(0o755)
    fleet = Fleet(work / "fleet")
    try:
        print(f"starting {max(sizes)} sshd hosts ...", file=sys.stderr)
        for i in range(max(sizes)):
            fleet.start(f"h{i:03d}", distro=DISTROS[i % len(DISTROS)], log_level="ERROR")
        results = run_all(fleet, work, sizes, args.repeats, ansible)
    finally:
        fleet.stop()
    print_table(results, sizes, ansible_why)
    shutil.rmtree(work, ignore_errors=True)


def run_all(fleet: object, work: Path, sizes: list[int], repeats: int,
            ansible: Path | None) -> dict[tuple[str, int, int], list[Run]]:
    from fleet import Fleet

    assert isinstance(fleet, Fleet)
    known = work / "known_hosts"
    known.write_text("".join(h.known_hosts_line() for h in fleet.hosts))
    home = work / "home-client"
    home.mkdir()
    # As in an installed package, modules start from their bytecode caches: written once
    # here, even where PYTHONDONTWRITEBYTECODE is set (else every run compiles auditor).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT), HOME=str(home))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "auditor")],
                   check=True, env=env)
    plans: list[tuple[str, int, int, list[str], dict[str, str]]] = []
    me = [sys.executable, str(Path(__file__).resolve())]
    for size in sizes:
        hosts = fleet.hosts[:size]
        spec = work / f"hosts-{size}.json"
        spec.write_text(json.dumps({"key": str(fleet.client_key), "user": "auditor",
                                    "ports": [h.port for h in hosts]}))
        inventory = work / f"inventory-{size}.yaml"
        inventory.write_text(json.dumps({
            "version": 1, "organisation": {"code": "32.73", "name": "Bench", "level": "kota"},
            "defaults": {"user": "auditor", "key_file": str(fleet.client_key)},
            "sites": [{"id": "s", "name": "s", "kind": "server_room"}],
            "hosts": [{"id": h.name, "site": "s", "address": h.address, "port": h.port}
                      for h in hosts]}))
        ini = work / f"ansible-{size}.ini"
        ini.write_text("[fleet]\n" + "".join(
            f"{h.name} ansible_host=127.0.0.1 ansible_port={h.port}\n" for h in hosts) +
            f"[fleet:vars]\nansible_user=auditor\nansible_ssh_private_key_file="
            f"{fleet.client_key}\nansible_python_interpreter=/usr/bin/python3\n"
            f"ansible_ssh_common_args='-o UserKnownHostsFile={known} "
            "-o StrictHostKeyChecking=yes'\n")
        for conc in sorted({size, 1} if size == min(sizes) else {size}):
            plans.append(("b", size, conc, [*me, "--worker", "probe", "--hosts", str(spec),
                                            "--concurrency", str(conc)], env))
            plans.append(("c", size, conc, [sys.executable, "-m", "auditor", "scan",
                                            str(inventory), "-o", str(work / "bundle"),
                                            "--known-hosts", str(known), "--concurrency",
                                            str(conc), "-q"], env))
            if conc == 1:
                continue
            plans.append(("a", size, conc, [*me, "--worker", "floor", "--hosts", str(spec),
                                            "--concurrency", str(conc)], env))
            if ansible is not None:
                ans_env = {**env, "ANSIBLE_HOST_KEY_CHECKING": "True",
                           "ANSIBLE_LOCAL_TEMP": str(work / "ansible-tmp"),
                           "ANSIBLE_SSH_CONTROL_PATH_DIR": str(work / "cp")}
                plans.append(("d", size, conc, [str(ansible), "all", "-i", str(ini), "-m",
                                                "setup", "-f", str(conc)], ans_env))
    me = [sys.executable, str(Path(__file__).resolve())]
    startups = {"b": [*me, "--worker", "startup"],
                # what `auditor scan` imports before its first connection
                "c": [sys.executable, "-c", "import auditor.cli.main, auditor.collect.progress, "
                                            "auditor.collect.scan, "
                                            "auditor.collect.transports"]}
    results: dict[tuple[str, int, int], list[Run]] = {}
    for repeat in range(repeats):
        for kind, argv in startups.items():
            results.setdefault((kind, 0, 0), []).append(measure(argv, env))
        for kind, size, conc, argv, run_env in plans:
            shutil.rmtree(work / "bundle", ignore_errors=True)
            print(f"  round {repeat + 1}: ({kind}) {size} hosts, concurrency {conc}",
                  file=sys.stderr)
            results.setdefault((kind, size, conc), []).append(measure(argv, run_env))
    return results


LABELS = {"a": "(a) paramiko floor: connect+auth+exec true",
          "b": "(b) raw paramiko + the probe (NODELAY)",
          "c": "(c) auditor scan (CLI, writes bundle)",
          "d": "(d) ansible all -m setup"}


def print_table(results: dict[tuple[str, int, int], list[Run]], sizes: list[int],
                ansible_why: str) -> None:
    print("\n| hosts | pool | contender | wall s | ms/host | client CPU ms/host | "
          "client CPU ms/host after start-up | peak RSS MB | vs (b) |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    def median(kind: str, size: int, conc: int, what: str) -> float:
        return statistics.median(getattr(r, what) for r in results[(kind, size, conc)])

    start = {k: median(k, 0, 0, "wall") for k in ("b", "c")}
    start_cpu = {k: median(k, 0, 0, "cpu") for k in ("b", "c")}
    order = sorted((k for k in results if k[1]), key=lambda k: (k[2] == 1, k[1], k[0]))
    for kind, size, conc in order:
        wall = median(kind, size, conc, "wall")
        cpu = median(kind, size, conc, "cpu")
        rss = median(kind, size, conc, "rss_mb")
        ratio = wall / median("b", size, conc, "wall")
        net = ""
        net_cpu = "–"
        if kind in start_cpu:
            net_cpu = f"{1000 * (cpu - start_cpu[kind]) / size:.1f}"
        if kind in start:
            net_ratio = (wall - start[kind]) / (median("b", size, conc, "wall") - start["b"])
            net = f" ({net_ratio:.2f}x after start-up)"
        print(f"| {size} | {conc} | {LABELS[kind]} | {wall:.2f} | {1000 * wall / size:.0f} | "
              f"{1000 * cpu / size:.1f} | {net_cpu} | {rss:.0f} | {ratio:.2f}x{net} |")
    for size in sizes:
        if ("d", size, size) in results and ("c", size, size) in results:
            ansible = median("d", size, size, "wall") / median("c", size, size, "wall")
            print(f"| {size} | {size} | (d) / (c): auditor scan is {ansible:.1f}x faster than "
                  "Ansible | | | | | | |")
    if ansible_why:
        print(f"| - | - | {LABELS['d']} | n/a | n/a | n/a | n/a | n/a | {ansible_why} |")
    print("\nMedians of the repeats; wall time includes interpreter start-up for every "
          "contender.\nStart-up alone (interpreter + imports, no host): (b) "
          f"{start['b']:.2f} s wall / {start_cpu['b']:.2f} s CPU, (c) {start['c']:.2f} s wall "
          f"/ {start_cpu['c']:.2f} s CPU; 'after start-up' compares wall minus start-up.")


if __name__ == "__main__":
    main()
