"""ProxyCommand: the user's own command from the ssh config, its stdin and stdout as the socket."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile

from auditor.collect.transports.ssh_socket import Heard, TunedSocket, escaped

STDERR_TAIL = 300
"""How much of the command's last error output a failure message quotes."""


class ProxySocket(TunedSocket):
    """One end of a socket pair; a ProxyCommand holds the other as its stdin and stdout.

    The command runs as OpenSSH runs it (``exec`` under the user's shell), in its own process
    group, which is ended by its id when the connection closes.
    """

    def __init__(self, command: str, hidden_env: tuple[str, ...] = ()) -> None:
        parent, child = socket.socketpair()
        self._sock = parent
        self._quickack = None
        self.heard = Heard()
        self._last = ""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the socket
        shell = os.environ.get("SHELL") or "/bin/sh"
        env = {k: v for k, v in os.environ.items() if k not in hidden_env}
        try:
            self.process = subprocess.Popen(
                [shell, "-c", f"exec {command}"], stdin=child.fileno(), stdout=child.fileno(),
                stderr=self._stderr, env=env, start_new_session=True, close_fds=True)
        except OSError:
            parent.close()
            self._stderr.close()
            raise
        finally:
            child.close()

    def _said(self) -> str:
        """The last line the command wrote to its error output (kept once the file closes)."""
        if not self._stderr.closed:
            with contextlib.suppress(OSError, ValueError):
                size = self._stderr.seek(0, os.SEEK_END)
                self._stderr.seek(max(0, size - STDERR_TAIL))
                tail = self._stderr.read(STDERR_TAIL).strip().splitlines()
                self._last = escaped(tail[-1], 200) if tail else ""
        return self._last

    def failure(self) -> str | None:
        """Why the command ended early ("exited with code N: what it said"), else None."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(1)
        code = self.process.poll()
        if code is None:
            return None
        said = self._said()
        return f"the ProxyCommand exited with code {code}" + (f": it said '{said}'" if said
                                                              else "")

    def close(self) -> None:
        """Close the socket, then end the command's process group (by its id) if it lingers."""
        super().close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(0.5)  # a command sees the closed socket and ends by itself
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(2)
        self._said()
        self._stderr.close()
