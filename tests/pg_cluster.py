"""A throwaway PostgreSQL cluster from Debian's packages: initdb, one server on loopback, stop."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fleet import free_port

USER = "nobody"
"""initdb refuses root: as root the cluster runs as this account."""


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def _as_owner() -> dict[str, object]:
    return {"user": USER, "group": "nogroup"} if os.geteuid() == 0 else {}


@contextmanager
def pg_cluster() -> Iterator[str]:
    """A running server and the URL of its empty database ``history``; removed at the end."""
    binary = pg_bin()
    if binary is None:
        raise RuntimeError("PostgreSQL server not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="auditor-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, USER)
        shutil.chown(sock, USER)
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    subprocess.run([str(binary / "initdb"), "-D", str(data), "-U", "auditor", "-A", "trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, env=env,
                   cwd=root, timeout=120, **_as_owner())  # type: ignore[call-overload]
    port = free_port()
    log = (root / "server.log").open("wb")
    server = subprocess.Popen(
        [str(binary / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sock),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=40",
         "-c", "shared_buffers=128MB"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
        **_as_owner())  # type: ignore[call-overload]
    try:
        for _ in range(300):
            ready = subprocess.run([str(binary / "pg_isready"), "-h", "127.0.0.1", "-p",
                                    str(port)], capture_output=True, timeout=10, check=False)
            if ready.returncode == 0:
                break
            if server.poll() is not None:
                raise RuntimeError((root / "server.log").read_text(errors="replace"))
            time.sleep(0.1)
        else:
            raise RuntimeError("PostgreSQL did not start within 30 s")
        subprocess.run([str(binary / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                        "auditor", "history"], check=True, capture_output=True, timeout=60)
        yield f"postgresql://auditor@127.0.0.1:{port}/history"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def createdb(url: str, name: str) -> str:
    """A new empty database beside the one in ``url``; returns its URL."""
    binary = pg_bin()
    assert binary is not None
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    subprocess.run([str(binary / "createdb"), "-h", host, "-p", port, "-U", "auditor", name],
                   check=True, capture_output=True, timeout=60)
    return url.rsplit("/", 1)[0] + "/" + name
