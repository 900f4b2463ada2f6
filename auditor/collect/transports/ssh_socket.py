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


HEARD_BYTES = 256
"""How much of what a host says first is kept, to tell what it is when it is not SSH."""


class Heard:
    """The first bytes a host sent, and whether it closed: to say what answered, not SSH."""

    def __init__(self) -> None:
        self.first = b""
        self.closed = False

    def note(self, data: bytes) -> None:
        """Record one read (empty: the host closed the connection)."""
        if not data:
            self.closed = True
        elif len(self.first) < HEARD_BYTES:
            self.first += data[:HEARD_BYTES - len(self.first)]

    def not_ssh(self) -> str | None:
        """"it answered '...'" when the host spoke but sent no SSH version line, else None.

        An SSH server may send other lines before its version line (RFC 4253, 4.2).
        """
        if not self.first or any(line.startswith(b"SSH-") for line in self.first.split(b"\n")):
            return None
        return f"it answered '{escaped(self.first)}'"


def escaped(data: bytes, limit: int = 80) -> str:
    """Untrusted bytes as one printable ASCII line: escapes for the rest, cut at ``limit``."""
    named = {0x5C: "\\\\", 0x27: "\\'", 0x0D: "\\r", 0x0A: "\\n", 0x09: "\\t"}
    shown = "".join(named.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}")
                    for b in data[:limit])
    return shown + ("..." if len(data) > limit else "")


class TunnelSocket:
    """A channel through a jump host, as the socket of the next hop, noting what it hears."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self._channel = channel
        self.heard = Heard()

    @property
    def _closed(self) -> bool:
        return bool(self._channel.closed)

    def recv(self, size: int) -> bytes:
        """Read from the tunnel."""
        data = self._channel.recv(size)
        self.heard.note(data)
        return data

    def send(self, data: bytes) -> int:
        """Send what the tunnel takes."""
        return self._channel.send(data)

    def sendall(self, data: bytes) -> None:
        """Send everything."""
        self._channel.sendall(data)

    def settimeout(self, value: float | None) -> None:
        """Timeout for paramiko's reader thread."""
        self._channel.settimeout(value)

    def getpeername(self) -> Any:
        """The address the tunnel leads to."""
        return self._channel.getpeername()

    def close(self) -> None:
        """Close the tunnel."""
        self._channel.close()


class TunedSocket:
    """A TCP socket for paramiko with TCP_NODELAY set, and TCP_QUICKACK before each read.

    paramiko sets neither; without them small handshake packets wait on Nagle's algorithm
    and delayed ACKs (about 40 ms each, several times per connection).
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._quickack = getattr(socket, "TCP_QUICKACK", None)
        self.heard = Heard()

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
        try:
            data = self._sock.recv(size)
        except ConnectionError:  # reset: closed, as far as what the host said goes
            self.heard.note(b"")
            raise
        self.heard.note(data)
        return data

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
