"""SSH login: keys, then the agent, then the password, each offered only if the server allows it."""

from __future__ import annotations

import os
from collections.abc import Callable

import paramiko

from auditor.collect.transports.ssh_keys import ClientKeys, fingerprint
from auditor.collect.transports.ssh_log import LOG
from auditor.collect.transports.ssh_route import Hop
from auditor.collect.transports.ssh_socket import Attempt, HostFailure
from auditor.model import HostStatus


class _Login:
    """One login's offers: what was tried, why some were not, which methods the server allows."""

    def __init__(self, hop: Hop, transport: paramiko.Transport, attempt: Attempt) -> None:
        self.hop = hop
        self.transport = transport
        self.attempt = attempt
        self.tried: list[str] = []
        self.notes: list[str] = []
        self.allowed: list[str] | None = None

    def offer(self, kind: str, call: Callable[[], object]) -> bool:
        """Try one credential of ``kind`` unless the server refuses that kind; True if in."""
        if self.allowed is not None and kind not in self.allowed:
            return False
        self.attempt.remaining()
        try:
            call()
        except paramiko.BadAuthenticationType as exc:
            self.allowed = list(exc.allowed_types)
            return False
        except paramiko.AuthenticationException as exc:
            if "timeout" in str(exc).lower():
                raise HostFailure(HostStatus.TIMEOUT, "no answer to the login within "
                                  f"{self.transport.auth_timeout:.3g} s") from None
            return self.transport.is_authenticated()
        return self.transport.is_authenticated()

    def offer_key(self, key: paramiko.PKey) -> bool:
        """Offer one private key (from a file or the agent) as the hop's user."""
        hop, transport = self.hop, self.transport
        return self.offer("publickey", lambda: transport.auth_publickey(hop.user, key))

    def refused(self) -> HostFailure:
        """The failure naming what was tried, what the server accepts, and what was skipped."""
        what = ", ".join(self.tried) or "nothing"
        extra = f"; server accepts: {', '.join(self.allowed)}" if self.allowed is not None else ""
        note = f"; {'; '.join(self.notes)}" if self.notes else ""
        return HostFailure(HostStatus.AUTH_FAILED,
                           f"login as '{self.hop.user}' refused (tried {what}{extra}){note}")


def _key_files(login: _Login, keys: ClientKeys) -> bool:
    """Offer each of the hop's key files; an unreadable one is a note, not a failure."""
    hop = login.hop
    for path in hop.key_files:
        key = keys.load(path, hop.passphrase_env)
        if isinstance(key, str):
            LOG.debug("%s: key skipped: %s", hop.label, key)
            login.notes.append(key)
            continue
        login.tried.append(f"key {path.name}")
        LOG.debug("%s: offering key %s (%s) as '%s'", hop.label, path, fingerprint(key),
                  hop.user)
        if login.offer_key(key):
            return True
    return False


def _agent(login: _Login) -> bool:
    """Offer each key the ssh-agent holds, if the hop may use the agent."""
    hop = login.hop
    if not hop.agent:
        return False
    agent = paramiko.Agent()
    try:
        agent_keys = agent.get_keys()
        if not agent_keys:
            login.notes.append("the ssh-agent holds no keys (is SSH_AUTH_SOCK set?)")
        for agent_key in agent_keys:
            login.tried.append("agent key")
            LOG.debug("%s: offering agent key %s as '%s'", hop.label,
                      fingerprint(agent_key), hop.user)
            if login.offer_key(agent_key):
                return True
    finally:
        agent.close()
    return False


def _password(login: _Login) -> bool:
    """Offer the password from the hop's environment variable, if it names one that is set."""
    hop = login.hop
    if not hop.password_env:
        return False
    password = os.environ.get(hop.password_env)
    if password is None:
        login.notes.append(f"environment variable {hop.password_env} is not set")
        return False
    login.tried.append(f"password from ${hop.password_env}")
    LOG.debug("%s: trying the password from $%s as '%s'", hop.label, hop.password_env, hop.user)
    transport = login.transport
    return login.offer("password", lambda: transport.auth_password(hop.user, password))


def authenticate(hop: Hop, transport: paramiko.Transport, attempt: Attempt,
                 keys: ClientKeys) -> None:
    """Keys, then the agent, then the password; only after the host key was accepted."""
    login = _Login(hop, transport, attempt)
    if _key_files(login, keys) or _agent(login) or _password(login):
        return
    raise login.refused()
