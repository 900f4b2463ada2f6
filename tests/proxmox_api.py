"""A loopback HTTPS server answering like the Proxmox VE API, for the Proxmox tests.

These are RECORDED SHAPES, not a live Proxmox VE: each answer is built as the PVE API
documentation (pve.proxmox.com/pve-docs/api-viewer) shows it, ``{"data": ...}`` with the
fields the viewer lists for version, cluster/status, cluster/resources,
nodes/NODE/version, nodes/NODE/rrddata, nodes/NODE/qemu/VMID/config, .../snapshot and
.../rrddata. Only GET is served; any other method gets 501, a wrong token 401.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

TOKEN = "auditor@pve!audit=8a3c2f5e-0000-4c1d-9e2b-5a7d3c1e9f00"
NOW = int(time.time())
DAY = 86400

RESOURCES: list[dict[str, Any]] = [
    {"id": "node/pve1", "type": "node", "node": "pve1", "status": "online", "maxcpu": 32,
     "maxmem": 137438953472, "mem": 51539607552, "cpu": 0.12, "uptime": 3 * DAY,
     "level": "", "maxdisk": 100861726720, "disk": 8589934592},
    {"id": "qemu/100", "type": "qemu", "vmid": 100, "name": "simda-db", "node": "pve1",
     "status": "running", "maxcpu": 4, "maxmem": 8589934592, "mem": 6442450944,
     "maxdisk": 107374182400, "disk": 0, "cpu": 0.21, "uptime": 2 * DAY, "template": 0},
    {"id": "qemu/101", "type": "qemu", "vmid": 101, "name": "arsip-lama", "node": "pve1",
     "status": "stopped", "maxcpu": 2, "maxmem": 4294967296, "mem": 0,
     "maxdisk": 34359738368, "disk": 0, "cpu": 0, "uptime": 0, "template": 0},
    {"id": "qemu/9000", "type": "qemu", "vmid": 9000, "name": "tpl-debian12", "node": "pve1",
     "status": "stopped", "template": 1, "maxcpu": 1, "maxmem": 1073741824},
    {"id": "storage/pve1/local-lvm", "type": "storage", "storage": "local-lvm", "node": "pve1",
     "plugintype": "lvmthin", "status": "available", "maxdisk": 1000000000000,
     "disk": 950000000000, "shared": 0, "content": "rootdir,images"},
]
CONFIGS: dict[int, dict[str, Any]] = {
    100: {"name": "simda-db", "ostype": "win8", "sockets": 1, "cores": 4, "memory": "8192",
          "agent": "1", "scsi0": "local-lvm:vm-100-disk-0,iothread=1,size=100G",
          "ide2": "none,media=cdrom",
          "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
          "smbios1": "uuid=6f1b3e2a-1d4c-4e5f-9a8b-7c6d5e4f3a21", "digest": "0" * 40},
    101: {"name": "arsip-lama", "ostype": "l26", "sockets": 1, "cores": 2, "memory": 4096,
          "scsi0": "local-lvm:vm-101-disk-0,size=32G",
          "net0": "virtio=BC:24:11:00:00:02,bridge=vmbr1",
          "digest": "1" * 40},
}
SNAPSHOTS: dict[int, list[dict[str, Any]]] = {
    100: [{"name": "sebelum-update", "snaptime": NOW - 200 * DAY, "description": "",
           "vmstate": 0},
          {"name": "current", "digest": "0" * 40, "running": 1, "parent": "sebelum-update",
           "description": "You are here!"}],
    101: [{"name": "current", "digest": "1" * 40, "running": 0, "description": "You are here!"}],
}


def _rrd(base: float) -> list[dict[str, Any]]:
    """A month of 30-minute averages, as rrddata?timeframe=month&cf=AVERAGE answers."""
    rows = []
    for i in range(48 * 30):
        load = base * (1.8 if i % 48 in range(18, 34) else 0.6)
        rows.append({"time": NOW - (48 * 30 - i) * 1800, "cpu": round(load, 4), "maxcpu": 4,
                     "mem": 8589934592 * min(0.95, load * 2.5), "maxmem": 8589934592,
                     "memused": 137438953472 * 0.4, "netin": 1000.0, "netout": 900.0})
    return rows


def answer(path: str) -> Any:
    """The data for a GET path (after /api2/json/), or None for 404."""
    parts = path.strip("/").split("/")
    if parts == ["version"]:
        return {"version": "7.4-17", "release": "7.4", "repoid": "513c62be"}
    if parts == ["cluster", "status"]:
        return [{"type": "cluster", "id": "cluster", "name": "pemda-cluster", "nodes": 1,
                 "quorate": 1, "version": 3},
                {"type": "node", "id": "node/pve1", "name": "pve1", "online": 1, "local": 1,
                 "nodeid": 1, "ip": "192.0.2.10"}]
    if parts == ["cluster", "resources"]:
        return RESOURCES
    if len(parts) == 3 and parts[0] == "nodes" and parts[2] == "version":
        return {"version": "7.4-17", "release": "7.4", "repoid": "513c62be"}
    if len(parts) == 3 and parts[0] == "nodes" and parts[2] == "rrddata":
        return _rrd(0.1)
    if len(parts) == 5 and parts[:1] == ["nodes"] and parts[2] == "qemu":
        vmid = int(parts[3]) if parts[3].isdigit() else -1
        if parts[4] == "config":
            return CONFIGS.get(vmid)
        if parts[4] == "snapshot":
            return SNAPSHOTS.get(vmid)
        if parts[4] == "rrddata":
            return _rrd(0.15)
    return None


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if self.headers.get("Authorization") != f"PVEAPIToken={TOKEN}":
            self._send(401, {"data": None})
            return
        if not path.startswith("/api2/json/"):
            self._send(404, {"data": None})
            return
        data = answer(path[len("/api2/json/"):])
        self._send(200 if data is not None else 404, {"data": data})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def proxmox_api(tls: ssl.SSLContext) -> Iterator[int]:
    """Serve the recorded shapes over HTTPS on 127.0.0.1; yield the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
