"""A per-service time budget that shuts every socket down when it ends (no slow-drip hangs)."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Watchdog:
    """Tracks the sockets of one service probe; shuts them all down when the budget ends.

    A socket timeout bounds each read, not a whole response: a server that sends one byte
    just before every timeout would hold a read for hours. Shutting the socket down from this
    timer ends any read at once.
    """

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = threading.Event()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        """True once the budget has ended."""
        return self._expired.is_set()

    def track(self, sock: socket.socket) -> None:
        """Watch ``sock`` (shut down at once when the budget has already ended)."""
        with self._lock:
            self._sockets = [s for s in self._sockets if s.fileno() != -1]
            self._sockets.append(sock)
        if self.expired:
            _shutdown(sock)

    def expire(self) -> None:
        """End the budget now: every tracked socket is shut down."""
        self._expired.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def start(self) -> None:
        """Start counting."""
        self._timer.start()

    def cancel(self) -> None:
        """Stop counting (the probe ended in time)."""
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def watched_adapter(watchdog: Watchdog) -> HTTPAdapter:
    """A requests adapter whose connections register their sockets with ``watchdog``."""

    class Http(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watchdog.track(sock)
            return sock

    class Https(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watchdog.track(sock)
            return sock

    class HttpPool(HTTPConnectionPool):
        ConnectionCls = Http

    class HttpsPool(HTTPSConnectionPool):
        ConnectionCls = Https

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": HttpPool, "https": HttpsPool}

    return Adapter(max_retries=0)
