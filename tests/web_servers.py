"""Real HTTP(S) servers on 127.0.0.1 for the web probe tests, with certificates made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Pki:
    """PEM files of one certificate and its key."""

    cert: Path
    key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pemda Uji")])


def _write(folder: Path, stem: str, cert: x509.Certificate, key: Any) -> Pki:
    cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Pki(cert_path, key_path)


class LocalCa:
    """A throwaway CA that issues server certificates."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name("Auditor Test CA")
        self.cert = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(NOW - dt.timedelta(days=30))
                     .not_valid_after(NOW + dt.timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .add_extension(x509.KeyUsage(True, False, False, False, False, True, True,
                                                  False, False), True)
                     .sign(self.key, hashes.SHA256()))
        self.pem = _write(folder, "ca", self.cert, self.key).cert

    def issue(self, stem: str, *, dns: tuple[str, ...] = ("localhost",),
              ips: tuple[str, ...] = ("127.0.0.1",), days: int = 365, expired: bool = False,
              key: Any = None, self_signed: bool = False) -> Pki:
        """A server certificate (by this CA unless ``self_signed``)."""
        key = key or ec.generate_private_key(ec.SECP256R1())
        subject = _name(dns[0] if dns else "server")
        start = NOW - dt.timedelta(days=400 if expired else 1)
        end = NOW - dt.timedelta(days=2) if expired else NOW + dt.timedelta(days=days)
        sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = (x509.CertificateBuilder().subject_name(subject)
                   .issuer_name(subject if self_signed else self.name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.SubjectAlternativeName(sans), False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), True))
        cert = builder.sign(key if self_signed else self.key, hashes.SHA256())
        return _write(self.folder, stem, cert, key)


def rsa_key(bits: int) -> Any:
    """An RSA key of ``bits`` bits."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@dataclass(frozen=True)
class Page:
    """A canned response."""

    status: int = 200
    body: bytes = b"<html><head><title>Portal</title></head><body>ok</body></html>"
    headers: tuple[tuple[str, str], ...] = ()
    crawler_body: bytes | None = None
    """What search-engine crawlers get instead (cloaked spam)."""


class _Canned(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, Page]] = {}
    server_version = "TestServer"
    sys_version = ""

    def do_GET(self) -> None:
        page = self.pages.get(self.path, Page(404, b"not found"))
        body = page.body
        if page.crawler_body is not None and "Googlebot" in self.headers.get("User-Agent", ""):
            body = page.crawler_body
        self.send_response(page.status)
        for name, value in page.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(10)
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                request.close()
                return
        with suppress(OSError):
            super().finish_request(request, client_address)


def server_context(pki: Pki, *, legacy: bool = False) -> ssl.SSLContext:
    """A server TLS context; ``legacy`` also accepts TLS 1.0/1.1 and weak keys."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if legacy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(pki.cert, pki.key)
    return context


@contextmanager
def serve(pages: dict[str, Page] | None = None, *, tls: ssl.SSLContext | None = None,
          directory: Path | None = None) -> Iterator[int]:
    """Serve canned pages (or a folder) on 127.0.0.1; yield the port."""
    if directory is not None:
        folder = str(directory)

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=folder, **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                return
        handler: type[BaseHTTPRequestHandler] = Handler
    else:
        handler = type("Handler", (_Canned,), {"pages": dict(pages or {})})
    server = _Server(("127.0.0.1", 0), handler)
    server.tls = tls
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections (kernel backlog) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextmanager
def _tcp_server(talk: Callable[[socket.socket, threading.Event], None]) -> Iterator[int]:
    """Accept connections on 127.0.0.1 and hand each to ``talk`` in a thread; yield the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        try:
            talk(conn, stop)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(10)
        sock.close()


@contextmanager
def raw_server(head: bytes, *, endless: bool) -> Iterator[int]:
    """Answer every connection with ``head`` then, if ``endless``, a body that never ends."""
    def talk(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(10)
        conn.recv(65536)
        conn.sendall(head)
        chunk = b"<p>slot gacor " + b"A" * 65000 + b"</p>\n"
        sent = 0
        while endless and not stop.is_set() and sent < 2 * 1024**3:
            conn.sendall(chunk)
            sent += len(chunk)

    with _tcp_server(talk) as port:
        yield port


@contextmanager
def drip_server() -> Iterator[int]:
    """Answer with a status line, then one header byte every 0.2 s, never ending the headers."""
    def talk(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.wait(0.2):
            conn.sendall(b"a")

    with _tcp_server(talk) as port:
        yield port
