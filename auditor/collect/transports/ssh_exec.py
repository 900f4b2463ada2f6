"""The one exec of a scan: the probe on the shell's stdin, its output read up to the cap.

A probe that ends without an exit status did not finish: the connection dropped (host
rebooted, network cut) or the shell was killed on the host. Either way the output is partial
and the host is not scanned.
"""

from __future__ import annotations

import paramiko

from auditor.collect.transports.ssh_socket import Attempt, HostFailure
from auditor.model import HostStatus

REMOTE_COMMAND = "/bin/sh -s 2>/dev/null"
"""The one command run on every host; the probe text comes on its stdin."""

READ_CHUNK = 256 * 1024

NO_EXIT_STATUS = -1
"""paramiko's exit status of a channel that closed without one (a real one is unsigned)."""


def run_script(transport: paramiko.Transport, script: bytes, attempt: Attempt,
               max_output: int) -> tuple[bytes, bool, int | None]:
    """Output, whether it was cut at ``max_output``, and the exit status of one probe run.

    Raises HostFailure when the run did not finish: timeout, or no exit status.
    """
    channel = transport.open_session(timeout=attempt.remaining())
    channel.settimeout(attempt.remaining())
    channel.exec_command(REMOTE_COMMAND)
    channel.sendall(script)
    channel.shutdown_write()
    chunks: list[bytes] = []
    size = 0
    truncated = False
    while True:
        channel.settimeout(attempt.remaining())
        try:
            data = channel.recv(READ_CHUNK)
        except TimeoutError:
            raise HostFailure(HostStatus.TIMEOUT, "the probe did not finish within "
                                                  f"{attempt.budget:g} s") from None
        if not data:
            break
        if size + len(data) > max_output:
            chunks.append(data[:max_output - size])
            truncated = True
            break
        chunks.append(data)
        size += len(data)
    if truncated:  # cut on purpose: the facts say so, the status does not matter
        channel.close()
        return b"".join(chunks), True, None
    # The exit status follows the end of the output; waiting is bounded by the host's budget
    # (the watchdog closes the connection, which ends the wait).
    while not channel.status_event.wait(max(0.05, min(1.0, attempt.remaining()))):
        if attempt.expired:
            break
    if attempt.expired:  # the watchdog closed the connection: the output is partial
        raise HostFailure(HostStatus.TIMEOUT, "the probe did not finish within "
                                              f"{attempt.budget:g} s")
    code = channel.recv_exit_status()
    if code == NO_EXIT_STATUS:
        raise _unfinished(transport, channel, size)
    channel.close()
    return b"".join(chunks), False, code


def _unfinished(transport: paramiko.Transport, channel: paramiko.Channel,
                size: int) -> HostFailure:
    """Why the probe's channel closed without an exit status, as a failure."""
    got = f"after {size} bytes of output" if size else "before any output"
    # A dropped connection leaves the transport's reader an exception (end of file, reset);
    # a shell killed on the host closes only its channel (sshd sends exit-signal, which
    # paramiko does not keep).
    dropped = transport.get_exception() is not None or not transport.is_active() \
        or not channel.eof_received
    if dropped:
        return HostFailure(HostStatus.ERROR, f"the connection dropped {got}, before the probe "
                           "finished (no exit status: host rebooted or network cut?); "
                           "rerun with --resume to scan it again")
    return HostFailure(HostStatus.ERROR, f"the probe ended {got} without an exit status "
                       "(killed on the host?); rerun with --resume to scan it again")
