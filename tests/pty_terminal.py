"""A real pseudo-terminal driving a real process (stdlib pty), for interactive CLI tests."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import time


class Terminal:
    """Runs ``argv`` with a pty as its controlling terminal; reads its screen, types keys."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: becomes the process on the terminal
            try:
                os.chdir(cwd)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd
        self.seen = ""
        """Everything the process wrote so far (CRLF turned into LF)."""
        self._unread = ""
        self.status: int | None = None

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        text = data.decode("utf-8", "replace").replace("\r\n", "\n")
        self.seen += text
        self._unread += text
        return True

    def expect(self, pattern: str, timeout: float = 60) -> str:
        """Wait until ``pattern`` (a regex) appears in unread output; return output up to it."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            match = regex.search(self._unread)
            if match:
                before = self._unread[:match.end()]
                self._unread = self._unread[match.end():]
                return before
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"never saw {pattern!r}; the screen so far:\n{self.seen}")

    def type(self, line: str) -> None:
        """Type a line and press Enter."""
        os.write(self.fd, line.encode() + b"\r")

    def ctrl_c(self) -> None:
        """Press Ctrl-C (the terminal sends SIGINT to the process)."""
        os.write(self.fd, b"\x03")

    def wait(self, timeout: float = 60) -> int:
        """Wait for the process to end (reading what it still prints); its exit code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0):
                    if not select.select([self.fd], [], [], 0)[0]:
                        break
                os.close(self.fd)
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
        self.kill()
        raise AssertionError(f"process did not end; the screen:\n{self.seen}")

    def kill(self) -> None:
        """Stop the process if it still runs (by its own pid)."""
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.status = -9
