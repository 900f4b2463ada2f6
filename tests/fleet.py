"""A fleet of real sshd hosts on loopback, each in its own mount namespace with its own files."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
USER = "auditor"
USER_UID = 4242
INNER_NAME = "inner-db.fleet.test"
"""A name only the bastion's namespace resolves: the inner host is reachable only through it."""

OS_RELEASES: dict[str, str] = {
    "debian-12": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                 'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n'
                 'ID=debian\n',
    "ubuntu-20.04": 'NAME="Ubuntu"\nVERSION="20.04.6 LTS (Focal Fossa)"\nID=ubuntu\n'
                    'ID_LIKE=debian\nPRETTY_NAME="Ubuntu 20.04.6 LTS"\nVERSION_ID="20.04"\n'
                    'VERSION_CODENAME=focal\n',
    "ubuntu-22.04": 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
                    'VERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\n'
                    'ID=ubuntu\nID_LIKE=debian\n',
    "centos-7": 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\n'
                'VERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
    "rocky-9": 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\n'
               'ID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n'
               'PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n',
}

HOSTILE_OS_RELEASE = (
    b'<html><script>alert("x")</script></html>\n'
    b"ID={{ 7*7 }}<img src=x onerror=alert(1)>\n"
    b"NAME=${jndi:ldap://127.0.0.1/a} {% raw %} ]]> <!--\n"
    b"VERSION_ID=" + b"9" * 10_000 + b"\n"
    b"PRETTY_NAME=\xff\xfe\xc3\x28 invalid \xed\xa0\x80 utf-8 \x00 nul\n"
    + b"A" * 10_000 + b"\n"
)


def sshd_available() -> str | None:
    """Why the fleet cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (mount namespaces and sshd)"
    if not Path(SSHD).is_file():
        return "needs openssh-server (/usr/sbin/sshd)"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs unshare and mount (util-linux)"
    usage = subprocess.run(["unshare", "--help"], capture_output=True, text=True).stdout
    if "--kill-child" not in usage or "--mount-proc" not in usage:
        return "needs unshare with --kill-child and --mount-proc (util-linux 2.32 or later)"
    if shutil.which("ssh-keygen") is None:
        return "needs ssh-keygen"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path, passphrase: str = "") -> str:
    """Make an ed25519 key pair; return the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "",
                    "-f", str(path)], check=True)
    return Path(f"{path}.pub").read_text().strip()


def _shadow_hash(password: str) -> str:
    """A SHA-512 crypt hash for /etc/shadow (openssl if present, else Python's crypt)."""
    if shutil.which("openssl"):
        return subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password,
                              capture_output=True, text=True, check=True).stdout.strip()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # Python 3.11/3.12 only; CI images have openssl anyway

        return str(crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512)))


@dataclass
class SshdHost:
    """One running sshd."""

    name: str
    address: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    host_key: str
    """Public host key line: ``ssh-ed25519 AAAA...``."""

    @property
    def log(self) -> Path:
        """sshd's own log (stderr of ``sshd -D -e``)."""
        return self.folder / "sshd.log"

    def log_text(self) -> str:
        """The log so far."""
        return self.log.read_text(errors="replace")

    def known_hosts_line(self, name: str | None = None) -> str:
        """This host's line for a known_hosts file, under ``name`` (default its address)."""
        host = name or self.address
        label = host if self.port == 22 else f"[{host}]:{self.port}"
        return f"{label} {self.host_key}\n"

    def wait_log(self, text: str, seconds: float = 10.0) -> bool:
        """Wait (bounded) until the log contains ``text``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if text in self.log_text():
                return True
            time.sleep(0.05)
        return False


@dataclass
class Fleet:
    """Starts sshd hosts under ``root`` and stops each by its pid."""

    root: Path
    password: str = "fleet-Pa55-w0rd-7c1e"
    hosts: list[SshdHost] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The test user reads its authorized_keys here: every folder above must be traversable.
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self.client_key = self.root / "client_key"
        self.client_pub = keygen(self.client_key)
        self.other_key = self.root / "other_key"
        self.other_pub = keygen(self.other_key)
        self.passphrase = "fleet-passphrase-3b9d"
        self.encrypted_key = self.root / "encrypted_key"
        encrypted_pub = keygen(self.encrypted_key, self.passphrase)
        auth = self.root / "authorized"
        auth.mkdir()
        for user in ("root", USER):
            (auth / user).write_text(f"{self.client_pub}\n{encrypted_pub}\n")
        self.home = self.root / "home"
        self.home.mkdir()
        os.chown(self.home, USER_UID, USER_UID)
        self._user_files()

    def _user_files(self) -> None:
        """passwd, shadow and group with the test user, bind-mounted in each namespace."""
        digest = _shadow_hash(self.password)
        etc = self.root / "etc"
        etc.mkdir()
        passwd = Path("/etc/passwd").read_text()
        (etc / "passwd").write_text(
            passwd.rstrip("\n") + f"\n{USER}:x:{USER_UID}:{USER_UID}:auditor test:"
                                  f"{self.home}:/bin/sh\n")
        group = Path("/etc/group").read_text()
        (etc / "group").write_text(group.rstrip("\n") + f"\n{USER}:x:{USER_UID}:\n")
        shadow = Path("/etc/shadow").read_text()
        (etc / "shadow").write_text(shadow.rstrip("\n") + f"\n{USER}:{digest}:19000:0:99999:7:::\n")
        (etc / "shadow").chmod(0o640)

    def start(self, name: str, *, distro: str = "debian-12", permit_root: str = "no",
              password_auth: bool = False, forwarding: bool = False, log_level: str = "VERBOSE",
              os_release: bytes | None = None, etc_hosts: str | None = None,
              address: str = "127.0.0.1", extra_config: str = "") -> SshdHost:
        """Start one sshd in its own mount and PID namespaces; return once it answers.

        Its own PID namespace (and /proc) gives each host its own process table, as separate
        machines have: the probe's ps, ss -p and /proc walks see this host's processes only,
        not the whole fleet's. ``extra_config`` is appended to its sshd_config (a
        ForceCommand, say).
        """
        folder = self.root / "hosts" / name
        folder.mkdir(parents=True)
        host_key_path = folder / "ssh_host_ed25519_key"
        host_key = keygen(host_key_path)
        port = free_port()
        (folder / "os-release").write_bytes(
            os_release if os_release is not None else OS_RELEASES[distro].encode())
        yes = {True: "yes", False: "no"}
        (folder / "sshd_config").write_text(
            f"Port {port}\nListenAddress {address}\nHostKey {host_key_path}\nPidFile none\n"
            f"AuthorizedKeysFile {self.root}/authorized/%u\nStrictModes no\nUsePAM no\n"
            f"PermitRootLogin {permit_root}\nPasswordAuthentication {yes[password_auth]}\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            f"AllowTcpForwarding {yes[forwarding]}\nX11Forwarding no\nMaxStartups 200\n"
            f"MaxAuthTries 6\nLogLevel {log_level}\n{extra_config}")
        mounts = [("os-release", "/etc/os-release"), ("sshd_config", "/etc/ssh/sshd_config"),
                  (str(self.root / "etc" / "passwd"), "/etc/passwd"),
                  (str(self.root / "etc" / "group"), "/etc/group"),
                  (str(self.root / "etc" / "shadow"), "/etc/shadow")]
        if etc_hosts is not None:
            (folder / "hosts").write_text(etc_hosts)
            mounts.append(("hosts", "/etc/hosts"))
        lines = ["set -e"]
        for source, target in mounts:
            lines.append(f"mount --bind '{folder / source}' '{target}'")
        lines.append(f"exec {SSHD} -D -e -f /etc/ssh/sshd_config")
        (folder / "start.sh").write_text("\n".join(lines) + "\n")
        with open(folder / "sshd.log", "wb") as log:
            process = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                 "--kill-child", "--mount-proc", "/bin/sh", str(folder / "start.sh")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        host = SshdHost(name, address, port, folder, process, host_key)
        self.hosts.append(host)
        self._wait_ready(host)
        return host

    def _wait_ready(self, host: SshdHost) -> None:
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if host.process.poll() is not None:
                raise RuntimeError(f"sshd {host.name} exited: {host.log_text()[-2000:]}")
            with contextlib.suppress(OSError), \
                    socket.create_connection((host.address, host.port), timeout=1) as sock:
                if sock.recv(4) == b"SSH-":
                    return
            time.sleep(0.05)
        raise RuntimeError(f"sshd {host.name} did not answer: {host.log_text()[-2000:]}")

    def host(self, name: str) -> SshdHost:
        """The running host called ``name``."""
        return next(h for h in self.hosts if h.name == name)

    def stop(self) -> None:
        """Stop every host by its pid's process group (unshare and its sshd).

        unshare ignores SIGTERM while it waits for its child; sshd, in the same group, ends on
        it and unshare then reaps it and exits. SIGKILL is the fallback (--kill-child then takes
        the host's PID namespace down).
        """
        for host in self.hosts:
            if host.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(host.process.pid, signal.SIGTERM)
        for host in self.hosts:
            try:
                host.process.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(host.process.pid, signal.SIGKILL)
                host.process.wait(5)
        self.hosts.clear()


class _Listener:
    """A loopback TCP server whose thread hands each connection to ``_handle``."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = int(self.server.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.server.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        self.accepted.append(conn)

    def close(self) -> None:
        """Stop accepting and drop every connection kept."""
        self._stop.set()
        self._thread.join(2)
        for conn in self.accepted:
            conn.close()
        self.server.close()


class Tarpit(_Listener):
    """Accepts TCP connections and never says a word."""


@contextlib.contextmanager
def tarpit() -> Iterator[Tarpit]:
    """A tarpit for the duration of a block."""
    pit = Tarpit()
    try:
        yield pit
    finally:
        pit.close()


class BannerServer(_Listener):
    """Answers each TCP connection with fixed bytes (not SSH) and closes it: an FTP server,
    say, on a port the inventory gives as SSH."""

    def __init__(self, banner: bytes) -> None:
        self.banner = banner
        super().__init__()

    def _handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.sendall(self.banner)


@contextlib.contextmanager
def banner_server(banner: bytes) -> Iterator[BannerServer]:
    """A server that says ``banner`` and hangs up, for the duration of a block."""
    server = BannerServer(banner)
    try:
        yield server
    finally:
        server.close()
