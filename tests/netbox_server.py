"""A small NetBox look-alike on 127.0.0.1: list endpoints shaped like NetBox 4's REST API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def _site(pk: int, slug: str, name: str, address: str = "") -> dict[str, Any]:
    return {"id": pk, "url": f"/api/dcim/sites/{pk}/", "display": name, "name": name,
            "slug": slug, "status": {"value": "active", "label": "Active"}, "region": None,
            "facility": "", "time_zone": "Asia/Jakarta", "description": "",
            "physical_address": address, "tags": [], "custom_fields": {}}


def _brief_site(site: dict[str, Any]) -> dict[str, Any]:
    return {k: site[k] for k in ("id", "url", "display", "name", "slug")}


def _ip(pk: int, address: str | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {"id": pk, "url": f"/api/ipam/ip-addresses/{pk}/", "display": address,
            "family": {"value": 4, "label": "IPv4"}, "address": address}


def _tag(slug: str) -> dict[str, Any]:
    return {"id": len(slug), "url": f"/api/extras/tags/{len(slug)}/", "display": slug,
            "name": slug.title(), "slug": slug, "color": "9e9e9e"}


SITES = [_site(1, "balaikota", "Ruang Server Balai Kota", "Jl. Merdeka 1, Kota Contoh"),
         _site(2, "dc-dishub", "Data Center Dishub")]


def _device(pk: int, name: str | None, site: int, status: str, ip: str | None,
            tags: tuple[str, ...] = (), role: str = "server",
            platform: str | None = "Ubuntu 22.04") -> dict[str, Any]:
    return {
        "id": pk, "url": f"/api/dcim/devices/{pk}/", "display": name or f"device {pk}",
        "name": name, "device_type": {"id": 1, "manufacturer": {"id": 1, "name": "Dell",
                                                               "slug": "dell"},
                                      "model": "PowerEdge R740", "slug": "poweredge-r740"},
        "role": {"id": 1, "url": "/api/dcim/device-roles/1/", "display": role.title(),
                 "name": role.title(), "slug": role},
        "platform": None if platform is None else {
            "id": 1, "url": "/api/dcim/platforms/1/", "display": platform, "name": platform,
            "slug": platform.lower().replace(" ", "-").replace(".", "-")},
        "serial": "", "site": _brief_site(SITES[site - 1]), "rack": None,
        "status": {"value": status, "label": status.title()},
        "primary_ip": _ip(pk, ip), "primary_ip4": _ip(pk, ip), "primary_ip6": None,
        "tags": [_tag(t) for t in tags], "custom_fields": {},
    }


def _vm(pk: int, name: str, site: int | None, status: str, ip: str | None,
        tags: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": pk, "url": f"/api/virtualization/virtual-machines/{pk}/", "display": name,
        "name": name, "status": {"value": status, "label": status.title()},
        "site": None if site is None else _brief_site(SITES[site - 1]),
        "cluster": {"id": 1, "url": "/api/virtualization/clusters/1/", "display": "proxmox",
                    "name": "proxmox"},
        "role": None, "platform": {"id": 2, "name": "Debian 12", "slug": "debian-12"},
        "primary_ip": _ip(100 + pk, ip), "primary_ip4": _ip(100 + pk, ip), "primary_ip6": None,
        "vcpus": 2.0, "memory": 4096, "disk": 40, "tags": [_tag(t) for t in tags],
        "custom_fields": {},
    }


DEVICES = [
    _device(1, "web-01", 1, "active", "10.0.0.5/24", ("audit",)),
    _device(2, "DB-01", 1, "active", "10.0.0.6/24", ("audit", "database"), role="database"),
    _device(3, "old-mail", 1, "decommissioning", "10.0.0.7/24"),
    _device(4, "app-dishub", 2, "active", "10.20.0.5/24", ("audit",)),
    _device(5, "switch-core", 2, "active", None, role="switch", platform=None),
    _device(6, "spare-01", 2, "offline", "10.20.0.9/24"),
    _device(7, None, 2, "active", "10.20.0.10/24"),
]
VMS = [
    _vm(1, "simpeg-vm", 1, "active", "10.0.1.11/24", ("audit",)),
    _vm(2, "test-vm", 1, "staged", "10.0.1.12/24"),
    _vm(3, "orphan-vm", None, "active", "10.0.1.13/24"),
]


@dataclass
class Recorder:
    """What the server saw."""

    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path with query, Authorization header)."""


def _filtered(items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = items
    if "site" in query:
        out = [i for i in out if i.get("site") and i["site"]["slug"] in query["site"]]
    if "slug" in query:
        out = [i for i in out if i.get("slug") in query["slug"]]
    if "tag" in query:
        out = [i for i in out if {t["slug"] for t in i.get("tags", [])} & set(query["tag"])]
    return out


def make_handler(recorder: Recorder, next_host: str | None = None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            recorder.requests.append((self.path, self.headers.get("Authorization")))
            if self.headers.get("Authorization") != f"Token {TOKEN}":
                self._send(403, {"detail": "Invalid token"})
                return
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            tables = {"/api/dcim/sites/": SITES, "/api/dcim/devices/": DEVICES,
                      "/api/virtualization/virtual-machines/": VMS}
            if parts.path not in tables:
                self._send(404, {"detail": "Not found."})
                return
            items = _filtered(tables[parts.path], query)
            limit = int(query.get("limit", ["50"])[0])
            offset = int(query.get("offset", ["0"])[0])
            page = items[offset:offset + limit]
            following = None
            if offset + limit < len(items):
                rest = "&".join(f"{k}={v}" for k, vs in query.items() if k not in
                                ("limit", "offset") for v in vs)
                host = next_host or self.headers.get("Host")
                following = (f"http://{host}{parts.path}?{rest}{'&' if rest else ''}"
                             f"limit={limit}&offset={offset + limit}")
            self._send(200, {"count": len(items), "next": following,
                             "previous": None, "results": page})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def netbox(next_host: str | None = None, wrap: Any = None) -> Iterator[tuple[str, Recorder]]:
    """Serve the fake NetBox on 127.0.0.1; yield its base URL and the request recorder."""
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(recorder, next_host))
    scheme = "http"
    if wrap is not None:
        server.socket = wrap(server.socket)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/", recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
