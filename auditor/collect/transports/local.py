"""The local transport: run the probe on the machine the tool runs on, no SSH."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time

from auditor.collect.transports.interface import ProbeRun, ScanOptions
from auditor.inventory.load import Host, Inventory
from auditor.model import HostStatus


class LocalTransport:
    """Runs the probe with /bin/sh on this machine."""

    def run_probe(self, host: Host, script: bytes, inventory: Inventory,
                  options: ScanOptions) -> ProbeRun:
        """Run the probe in a child shell, output to a temp file so it can be capped."""
        started = time.monotonic()
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "LC_ALL": "C", "HOME": os.environ.get("HOME", "/")}
        with tempfile.TemporaryFile() as out:
            limit = host.timeout or options.timeout
            try:
                proc = subprocess.Popen(["/bin/sh", "-s"], stdin=subprocess.PIPE, stdout=out,
                                        stderr=subprocess.DEVNULL, env=env,
                                        start_new_session=True)
            except OSError as exc:
                return ProbeRun(HostStatus.ERROR, f"cannot run /bin/sh: {exc.strerror}",
                                duration_s=time.monotonic() - started)
            try:
                proc.communicate(script, timeout=limit)
            except subprocess.TimeoutExpired:
                # The probe's children share its session: end them all, not just the shell.
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return ProbeRun(HostStatus.TIMEOUT, f"the probe did not finish within {limit:g} s",
                                duration_s=time.monotonic() - started)
            size = out.tell()
            out.seek(0)
            data = out.read(options.max_output)
        if proc.returncode < 0:  # no exit status: the output is partial
            return ProbeRun(HostStatus.ERROR, f"the probe was killed by "
                            f"{_signal_name(-proc.returncode)} after {size} bytes of output; "
                            "rerun with --resume to scan it again",
                            duration_s=time.monotonic() - started)
        return ProbeRun(HostStatus.OK, None, data, truncated=size > options.max_output,
                        exit_code=proc.returncode, duration_s=time.monotonic() - started)


def _signal_name(number: int) -> str:
    """SIGKILL for 9; "signal 99" for a number Python does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
