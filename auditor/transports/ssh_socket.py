"""SSH connection plumbing: tuned TCP sockets, bounded name lookup, and a per-host deadline."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from typing import Any

import paramiko

from auditor.model import HostStatus


class HostFailure(Exception):
    """Ends one host's scan with a status and a one-line reason (never holding a secret)."""

    def __init__(self, status: HostStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class TunedSocket:
    """A TCP socket for paramiko with TCP_NODELAY set, and TCP_QUICKACK before each read.

    paramiko sets neither; without them small handshake packets wait on Nagle's algorithm
    and delayed ACKs (about 40 ms each, several times per connection).
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._quickack = getattr(socket, "TCP_QUICKACK", None)

    @property
    def _closed(self) -> bool:
        return bool(getattr(self._sock, "_closed", False))

    def recv(self, size: int) -> bytes:
        """Ask the kernel to acknowledge at once (the flag does not stick), then read."""
        if self._quickack is not None:
            try:
                self._sock.setsockopt(socket.IPPROTO_TCP, self._quickack, 1)
            except OSError:
                self._quickack = None
        return self._sock.recv(size)

    def send(self, data: bytes) -> int:
        """Send what the socket takes."""
        return self._sock.send(data)

    def sendall(self, data: bytes) -> None:
        """Send everything."""
        self._sock.sendall(data)

    def settimeout(self, value: float | None) -> None:
        """Socket timeout for paramiko's reader thread."""
        self._sock.settimeout(value)

    def fileno(self) -> int:
        """The descriptor."""
        return self._sock.fileno()

    def getpeername(self) -> Any:
        """The remote address."""
        return self._sock.getpeername()

    def shutdown(self) -> None:
        """End both directions now, so paramiko's reader thread wakes and exits at once."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Shut down, so a reader blocked in recv wakes at once, then close."""
        self.shutdown()
        self._sock.close()


class Attempt:
    """The connections of one host's scan and the watchdog that enforces its deadline."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[TunedSocket] = []
        self._transports: list[paramiko.Transport] = []
        # The watchdog is the backstop: each stage's own timeout (bounded by what is left)
        # normally fires first and says which stage hung.
        self._timer = threading.Timer(budget + min(1.0, budget / 10), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Seconds left; a failure when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired:
            raise HostFailure(HostStatus.TIMEOUT, f"no result within {self.budget:g} s")
        return left

    def track(self, item: TunedSocket | paramiko.Transport) -> None:
        """Close this when the attempt ends or expires."""
        with self._lock:
            if isinstance(item, TunedSocket):
                self._sockets.append(item)
            else:
                self._transports.append(item)
            if self.expired:
                self._close_all()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._close_all()

    def _close_all(self, graceful: bool = False) -> None:
        """Close tunnels before what carries them; on expiry, cut the TCP socket first."""
        if not graceful:
            for sock in self._sockets:
                sock.shutdown()
        for transport in reversed(self._transports):
            with contextlib.suppress(Exception):  # a tunnel closes after its carrier died
                transport.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets.clear()
        self._transports.clear()

    def finish(self) -> None:
        """Stop the watchdog and close every connection."""
        self._timer.cancel()
        with self._lock:
            self._close_all(graceful=not self.expired)


class LookupTimeout(TimeoutError):
    """The name resolver did not answer in time."""


def resolve(name: str, port: int, timeout: float) -> tuple[str, int]:
    """The address to connect to, a name looked up within ``timeout``.

    The lookup runs in a helper thread: a slow resolver costs one timeout, not a stall.
    """
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return name, port
    found: list[tuple[str, int] | BaseException] = []

    def lookup() -> None:
        try:
            info = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
            found.append((str(info[0][4][0]), port))
        except (OSError, IndexError) as exc:
            found.append(exc)

    worker = threading.Thread(target=lookup, daemon=True, name="auditor-dns")
    worker.start()
    worker.join(timeout)
    if not found:
        raise LookupTimeout(f"no answer from the name resolver for '{name}' within "
                            f"{timeout:.3g} s")
    result = found[0]
    if isinstance(result, socket.gaierror):
        raise result
    if isinstance(result, BaseException):
        raise socket.gaierror(str(result))
    return result
