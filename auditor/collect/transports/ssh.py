"""The SSH transport: one connection per host, key checked before login, one exec, capped output."""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import paramiko

from auditor.collect.transports.interface import ProbeRun, ScanOptions
from auditor.collect.transports.ssh_exec import run_script
from auditor.collect.transports.ssh_keys import ClientKeys, KeyCheck, KnownHosts, fingerprint
from auditor.collect.transports.ssh_log import LOG, known_hosts_entry
from auditor.collect.transports.ssh_login import authenticate
from auditor.collect.transports.ssh_proxy import ProxySocket
from auditor.collect.transports.ssh_route import Hop, RouteError, SSHConfigs, resolve_route
from auditor.collect.transports.ssh_socket import (
    Attempt,
    HostFailure,
    LookupTimeout,
    TunedSocket,
    TunnelSocket,
    resolve,
)
from auditor.inventory.load import Host, Inventory
from auditor.model import HostStatus

# paramiko logs a traceback for every failed connection; a scan reports failures itself
# (--verbose shows paramiko's log, redacted: auditor.collect.transports.ssh_log).
logging.getLogger("paramiko").addHandler(logging.NullHandler())
_UNREACHABLE_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH,
                       errno.EHOSTDOWN, errno.ENETDOWN, errno.EADDRNOTAVAIL}


def _sanitize(text: str, secrets: tuple[str, ...]) -> str:
    line = " ".join(text.split())[:300]
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    return line



def _prefer_key_types(transport: paramiko.Transport, preferred: list[str]) -> None:
    """Ask first for the host key types known_hosts holds, so a known key is the one offered."""
    if not preferred:
        return
    security = transport.get_security_options()
    offered = list(security.key_types)
    wanted = [t for t in offered if t in preferred or
              (t.startswith("rsa-sha2-") and "ssh-rsa" in preferred)]
    security.key_types = wanted + [t for t in offered if t not in wanted]


@dataclass(frozen=True)
class _Handshake:
    """One hop's SSH handshake: where to, over which socket, within which attempt."""

    where: str
    sock: TunedSocket | TunnelSocket
    transport: paramiko.Transport
    attempt: Attempt

    def not_ssh(self) -> HostFailure | None:
        """The failure to report when the host answered, but not in SSH."""
        sock, transport = self.sock, self.transport
        ended = sock.failure() if isinstance(sock, ProxySocket) else None
        if ended and not transport.remote_version:
            return HostFailure(HostStatus.UNREACHABLE, f"{self.where}: {ended}")
        said = None if transport.remote_version else sock.heard.not_ssh()
        return HostFailure(HostStatus.ERROR, f"{self.where} is not an SSH server: {said}") \
            if said else None

    def refused(self, exc: paramiko.SSHException) -> HostFailure:
        """Why paramiko gave up on the handshake, in the words a user can act on."""
        failure = self.not_ssh()
        if failure is not None:
            return failure
        heard = self.sock.heard
        if heard.closed and not heard.first and not self.attempt.expired:
            return HostFailure(HostStatus.ERROR, f"{self.where} accepted the connection and "
                               "closed it without a word (not an SSH server, or sshd "
                               "turned the client away: MaxStartups, TCP wrappers?)")
        if self.attempt.expired or "banner" in str(exc).lower():
            return HostFailure(HostStatus.TIMEOUT, "the host accepted the connection but "
                               f"did not speak SSH within {self.transport.banner_timeout:.3g} s")
        return HostFailure(HostStatus.ERROR,
                           f"SSH handshake failed: {_sanitize(str(exc), ())}")


def _handshake(shake: _Handshake, left: float) -> paramiko.PKey:
    """Run the SSH handshake within ``left`` seconds; the host key the server offered."""
    try:
        shake.transport.start_client(timeout=left)
    except paramiko.SSHException as exc:
        raise shake.refused(exc) from None
    except (EOFError, OSError):
        if shake.attempt.expired:
            raise
        raise shake.not_ssh() or HostFailure(
            HostStatus.ERROR, "the host closed the connection during the SSH handshake") from None
    try:  # start_client returns quietly when its own timeout ends first
        return shake.transport.get_remote_server_key()
    except paramiko.SSHException:
        raise shake.not_ssh() or HostFailure(
            HostStatus.TIMEOUT, "the host accepted the connection but did not complete the "
            f"SSH handshake within {left:.3g} s") from None


class SSHTransport:
    """Runs the probe over SSH; one instance serves a whole scan.

    The known_hosts file, the ssh config and private keys are read once and shared by the
    scan's threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[Path, KnownHosts] = {}
        self._configs = SSHConfigs()
        self._keys = ClientKeys()

    def known_hosts(self, options: ScanOptions) -> KnownHosts:
        """The known_hosts store for ``options`` (default ~/.ssh/known_hosts)."""
        path = Path(options.known_hosts or "~/.ssh/known_hosts").expanduser()
        with self._lock:
            return self._known.setdefault(path, KnownHosts(path))

    def run_probe(self, host: Host, script: bytes, inventory: Inventory,
                  options: ScanOptions) -> ProbeRun:
        """Connect (through jump hosts if any), verify, log in, run ``script``; never raise."""
        started = time.monotonic()
        attempt = Attempt(host.timeout or options.timeout)
        secrets: tuple[str, ...] = ()
        try:
            route = resolve_route(host, inventory, self._configs, options.ssh_config)
            secrets = tuple(os.environ.get(name, "") for h in route
                            for name in (h.password_env, h.passphrase_env) if name)
            transport = self._connect(route, attempt, options)
            output, truncated, code = run_script(transport, script, attempt, options.max_output)
            return ProbeRun(HostStatus.OK, None, output, truncated, code,
                            time.monotonic() - started)
        except HostFailure as failure:
            status, reason = failure.status, failure.reason
        except RouteError as exc:
            status, reason = HostStatus.ERROR, str(exc)
        except Exception as exc:
            if attempt.expired:
                status, reason = HostStatus.TIMEOUT, f"no result within {attempt.budget:g} s"
            else:
                status = HostStatus.ERROR
                reason = f"SSH failed: {type(exc).__name__}: {exc}"
        finally:
            attempt.finish()
        if attempt.expired and status not in (HostStatus.HOSTKEY_MISMATCH, HostStatus.TIMEOUT):
            status, reason = HostStatus.TIMEOUT, f"no result within {attempt.budget:g} s"
        LOG.debug("%s: %s: %s", host.id, status, _sanitize(reason, secrets))
        return ProbeRun(status, _sanitize(reason, secrets),
                        duration_s=time.monotonic() - started)

    def _connect(self, route: tuple[Hop, ...], attempt: Attempt,
                 options: ScanOptions) -> paramiko.Transport:
        """Open each hop in turn, the next one through a channel of the previous."""
        previous: paramiko.Transport | None = None
        for index, hop in enumerate(route):
            prefix = "" if index == len(route) - 1 else f"jump host '{hop.label}': "
            try:
                previous = self._open_hop(hop, previous, attempt, options)
            except HostFailure as failure:
                raise HostFailure(failure.status, prefix + failure.reason) from None
        assert previous is not None
        return previous

    def _socket(self, hop: Hop, via: paramiko.Transport | None,
                attempt: Attempt, options: ScanOptions) -> TunedSocket | TunnelSocket:
        where = f"{hop.hostname} port {hop.port}"
        if via is None and hop.proxy_command:
            try:
                proxy = ProxySocket(hop.proxy_command, tuple(
                    n for n in (hop.password_env, hop.passphrase_env) if n))
            except OSError as exc:
                raise HostFailure(HostStatus.ERROR, "cannot start the ssh config's ProxyCommand"
                                  f" ({exc.strerror or type(exc).__name__})") from None
            attempt.track(proxy)
            return proxy
        if via is not None:
            try:
                return TunnelSocket(via.open_channel("direct-tcpip", (hop.hostname, hop.port),
                                                     ("127.0.0.1", 0),
                                                     timeout=attempt.remaining()))
            except paramiko.ChannelException as exc:
                raise HostFailure(HostStatus.UNREACHABLE,
                                  f"the jump host could not connect to {where} "
                                  f"({exc.text or exc.code})") from None
        timeout = min(options.connect_timeout, attempt.remaining())
        try:
            address = resolve(hop.hostname, hop.port, timeout)
            sock = socket.create_connection(address, timeout=timeout)
        except socket.gaierror:
            raise HostFailure(HostStatus.UNREACHABLE,
                              f"cannot resolve the name '{hop.hostname}'") from None
        except LookupTimeout as exc:
            raise HostFailure(HostStatus.TIMEOUT, str(exc)) from None
        except TimeoutError:
            raise HostFailure(HostStatus.TIMEOUT, f"no TCP answer from {where} within "
                                                  f"{timeout:.3g} s") from None
        except OSError as exc:
            status = (HostStatus.UNREACHABLE if exc.errno in _UNREACHABLE_ERRNOS
                      else HostStatus.ERROR)
            raise HostFailure(status, f"cannot connect to {where}: "
                                      f"{exc.strerror or type(exc).__name__}") from None
        tuned = TunedSocket(sock)
        attempt.track(tuned)
        return tuned

    def _open_hop(self, hop: Hop, via: paramiko.Transport | None, attempt: Attempt,
                  options: ScanOptions) -> paramiko.Transport:
        """Connect to one hop, complete the handshake, check its host key, then log in."""
        sock = self._socket(hop, via, attempt, options)
        transport = paramiko.Transport(cast(Any, sock))
        transport.set_log_channel(f"paramiko.transport.{hop.label}")
        attempt.track(transport)
        left = attempt.remaining()
        transport.banner_timeout = min(options.banner_timeout, left)
        transport.handshake_timeout = min(options.banner_timeout, left)
        transport.auth_timeout = min(options.auth_timeout, left)
        known = self.known_hosts(options)
        _prefer_key_types(transport, known.known_types(hop.key_name))
        server_key = _handshake(_Handshake(f"{hop.hostname} port {hop.port}", sock, transport,
                                           attempt), left)
        self._verify_host_key(hop, server_key, known, options)
        authenticate(hop, transport, attempt, self._keys)
        return transport

    def _verify_host_key(self, hop: Hop, key: paramiko.PKey, known: KnownHosts,
                         options: ScanOptions) -> None:
        """Refuse a changed or revoked key always, an unknown one unless pinning is allowed.

        This runs before any credential is sent.
        """
        verdict = known.check(hop.key_name, key)
        if verdict is KeyCheck.KNOWN:
            if LOG.isEnabledFor(logging.DEBUG):
                LOG.debug("%s: host key %s %s of %s matches %s", hop.label, key.get_name(),
                          fingerprint(key), hop.key_name,
                          known_hosts_entry(known.path, hop.key_name, key))
            return
        shown = f"{key.get_name()} {fingerprint(key)}"
        if verdict is KeyCheck.CHANGED:
            raise HostFailure(HostStatus.HOSTKEY_MISMATCH,
                              f"host key CHANGED for {hop.key_name}: it offered {shown}, "
                              f"which differs from {known.path}; refused before login "
                              "(if the host was reinstalled, verify and update that entry)")
        if verdict is KeyCheck.REVOKED:
            raise HostFailure(HostStatus.HOSTKEY_MISMATCH,
                              f"host key {shown} of {hop.key_name} is marked @revoked in "
                              f"{known.path}")
        if not options.accept_new_host_keys:
            raise HostFailure(HostStatus.HOSTKEY_MISMATCH,
                              f"host key not known for {hop.key_name} ({shown}) in "
                              f"{known.path}; rerun with --accept-new-host-keys to trust on "
                              "first use")
        try:
            known.pin(hop.key_name, key)
        except OSError as exc:
            raise HostFailure(HostStatus.ERROR, f"cannot pin the host key into {known.path}: "
                                                f"{exc.strerror}") from None
