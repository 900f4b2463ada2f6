"""Proxmox VE discovery over its REST API with an API token (a PVEAuditor user), read-only.

cluster/resources gives every node, VM and storage in one call; each VM then needs its
config, snapshot list and RRD data (the API has no bulk form of those). Only GET is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from auditor.collect.hypervisors.endpoint import Endpoint, EndpointFailure, secret, tls_failure
from auditor.collect.hypervisors.records import (
    DatastoreRecord,
    Discovery,
    HostRecord,
    Snapshot,
    Utilisation,
    VmRecord,
)
from auditor.collect.hypervisors.stats import summarise
from auditor.model import HostStatus

MAX_BYTES = 32 * 1024 * 1024
"""An answer larger than this is refused (untrusted data)."""
GB = 1024 ** 3
_SIZE = re.compile(r"size=(\d+(?:\.\d+)?)([KMGT]?)", re.I)
_DISK_KEY = re.compile(r"^(scsi|sata|ide|virtio|efidisk|tpmstate)\d+$")
_UNITS = {"": 1 / GB, "K": 1 / 1024 ** 2, "M": 1 / 1024, "G": 1.0, "T": 1024.0}


def _text(value: Any, limit: int = 200) -> str | None:
    if value is None:
        return None
    text = "".join(c for c in str(value) if c.isprintable())[:limit]
    return text or None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


class _Client:
    """GETs against one Proxmox VE API, each answer's ``data`` checked."""

    def __init__(self, endpoint: Endpoint, environ: Mapping[str, str] | None) -> None:
        self.endpoint = endpoint
        token = secret(endpoint.token_env, f"hypervisor {endpoint.id}", environ)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"PVEAPIToken={token}"
        # Given with each request: a Session's own verify loses to REQUESTS_CA_BUNDLE.
        self.verify: str | bool = (str(endpoint.ca_file) if endpoint.ca_file
                                   else not endpoint.insecure_tls)
        self.base = endpoint.url.rstrip("/") + "/api2/json/"
        self.calls = 0

    def get(self, path: str, **params: str) -> Any:
        """The ``data`` of GET path; EndpointFailure saying what to do otherwise."""
        shown = self.endpoint.shown
        try:
            with self.session.get(self.base + path, params=params, stream=True,
                                  verify=self.verify, timeout=self.endpoint.timeout,
                                  allow_redirects=False) as r:
                self.calls += 1
                body = r.raw.read(MAX_BYTES + 1, decode_content=True)
                status = r.status_code
        except requests.exceptions.SSLError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return self._raise(tls_failure(self.endpoint, exc))
            return self._raise(EndpointFailure(HostStatus.ERROR, f"{shown}: TLS failed"))
        except (requests.exceptions.Timeout, TimeoutError):
            return self._raise(EndpointFailure(
                HostStatus.TIMEOUT, f"{shown}: no answer within {self.endpoint.timeout:g} s"))
        except requests.exceptions.ConnectionError as exc:
            reason = "connection refused (is the URL right?)" if "refused" in str(exc) \
                else "cannot connect"
            return self._raise(EndpointFailure(HostStatus.UNREACHABLE, f"{shown}: {reason}"))
        if status == 401:
            return self._raise(EndpointFailure(HostStatus.AUTH_FAILED, (
                f"{shown}: the API token was refused: check ${self.endpoint.token_env} "
                "(USER@REALM!TOKENID=SECRET)")))
        if status == 403:
            return self._raise(EndpointFailure(HostStatus.AUTH_FAILED, (
                f"{shown}: permission denied on {path}: give the token's user the PVEAuditor "
                "role on / (and uncheck privilege separation, or give the token it too)")))
        if len(body) > MAX_BYTES or status != 200:
            return self._raise(EndpointFailure(HostStatus.ERROR, (
                f"{shown}: not a Proxmox VE API: GET {path} answered HTTP {status}")))
        try:
            data = json.loads(body)["data"]
        except (ValueError, TypeError, KeyError):
            return self._raise(EndpointFailure(HostStatus.ERROR, (
                f"{shown}: not a Proxmox VE API: GET {path} did not answer its JSON")))
        return data

    @staticmethod
    def _raise(failure: EndpointFailure) -> Any:
        raise failure


def _disks(config: Mapping[str, Any]) -> tuple[float, ...]:
    sizes = []
    for key, value in config.items():
        if not _DISK_KEY.match(str(key)) or "media=cdrom" in str(value):
            continue
        match = _SIZE.search(str(value))
        if match:
            sizes.append(round(float(match.group(1)) * _UNITS[match.group(2).upper()], 1))
    return tuple(sizes[:256])


def _networks(config: Mapping[str, Any]) -> tuple[int, tuple[str, ...]]:
    nets = [str(v) for k, v in config.items() if re.match(r"^net\d+$", str(k))]
    bridges = [m.group(1) for n in nets if (m := re.search(r"bridge=([\w.-]+)", n))]
    return len(nets), tuple(dict.fromkeys(bridges))


def _rrd(rows: Any, mem_key: str = "mem") -> Utilisation:
    cpu, mem = [], []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        c, m, mm = _number(row.get("cpu")), _number(row.get(mem_key)), _number(row.get("maxmem"))
        if c is not None:
            cpu.append(100 * c)
        if m is not None and mm:
            mem.append(100 * m / mm)
    return summarise(cpu, mem, 1800)


def _vm(client: _Client, res: Mapping[str, Any], nodes: Mapping[str, HostRecord],
        perf: bool) -> VmRecord:
    node, vmid = str(res.get("node")), int(res.get("vmid") or 0)
    path = f"nodes/{node}/qemu/{vmid}"
    config = client.get(f"{path}/config")
    config = config if isinstance(config, dict) else {}
    snaps = client.get(f"{path}/snapshot")
    snapshots = tuple(
        Snapshot(_text(s.get("name")) or "?",
                 datetime.fromtimestamp(float(s["snaptime"]), UTC) if _number(s.get("snaptime"))
                 else None)
        for s in (snaps if isinstance(snaps, list) else [])[:1000]
        if isinstance(s, dict) and s.get("name") != "current")
    running = res.get("status") == "running"
    use = Utilisation(unknown="powered off: no current use")
    if perf and running:
        use = _rrd(client.get(f"{path}/rrddata", timeframe="month", cf="AVERAGE"))
    sockets = int(_number(config.get("sockets")) or 1)
    cores = int(_number(config.get("cores")) or 0)
    vcpu = int(_number(config.get("vcpus")) or 0) or (sockets * cores) or \
        int(_number(res.get("maxcpu")) or 0) or None
    memory = _number(config.get("memory")) or ((_number(res.get("maxmem")) or 0) / 1024 ** 2)
    nics, networks = _networks(config)
    uptime = _number(res.get("uptime"))
    host = nodes.get(node)
    used = _number(res.get("disk"))
    return VmRecord(
        ref=f"qemu/{vmid}", name=_text(res.get("name") or config.get("name")) or f"vm-{vmid}",
        uuid=_text(re.sub(r".*uuid=([0-9a-f-]+).*", r"\1", str(config.get("smbios1", "")))
                   if "uuid=" in str(config.get("smbios1", "")) else None, 64),
        hypervisor=node, cluster=host.cluster if host else None,
        power_state="on" if running else ("off" if res.get("status") == "stopped" else "unknown"),
        boot_time=datetime.fromtimestamp(datetime.now(UTC).timestamp() - uptime, UTC)
        if running and uptime else None,
        guest_id=_text(config.get("ostype"), 32), guest_os_config=_text(config.get("ostype"), 32),
        tools_status="ok" if str(config.get("agent", "0")).split(",")[0] in ("1", "enabled=1")
        else "not_installed",
        vcpu=vcpu, memory_mb=int(memory) if memory else None, disks_gb=_disks(config),
        disk_used_gb=round(used / GB, 1) if used else None, nics=nics, networks=networks,
        snapshots=snapshots, template=bool(res.get("template")), utilisation=use)


def discover(endpoint: Endpoint, environ: Mapping[str, str] | None = None,
             perf: bool = True) -> Discovery:
    """Read every node, QEMU VM and storage of a Proxmox VE cluster; raise EndpointFailure."""
    client = _Client(endpoint, environ)
    try:
        version = client.get("version")
        if not isinstance(version, dict) or "version" not in version:
            raise EndpointFailure(HostStatus.ERROR, f"{endpoint.shown}: not a Proxmox VE API "
                                                    "(its version answer has no version)")
        resources = client.get("cluster/resources")
        resources = [r for r in resources if isinstance(r, dict)][:100000] \
            if isinstance(resources, list) else []
        status = client.get("cluster/status")
        cluster = next((_text(s.get("name")) for s in status if isinstance(s, dict)
                        and s.get("type") == "cluster"), None) if isinstance(status, list) else None
        stores = [DatastoreRecord(
            f"{r.get('node')}/{r.get('storage')}", _text(r.get("plugintype"), 32),
            round((_number(r.get("maxdisk")) or 0) / GB, 1) or None,
            round(((_number(r.get("maxdisk")) or 0) - (_number(r.get("disk")) or 0)) / GB, 1)
            if _number(r.get("maxdisk")) else None)
            for r in resources if r.get("type") == "storage"]
        nodes: dict[str, HostRecord] = {}
        for r in (r for r in resources if r.get("type") == "node"):
            name = _text(r.get("node")) or "?"
            node_version = client.get(f"nodes/{name}/version") \
                if r.get("status") == "online" else {}
            use = _rrd(client.get(f"nodes/{name}/rrddata", timeframe="month", cf="AVERAGE"),
                       "memused") if perf and r.get("status") == "online" else Utilisation(
                unknown="node offline")
            nodes[name] = HostRecord(
                ref=f"node/{name}", name=name, cluster=cluster, product="Proxmox VE",
                version=_text((node_version or {}).get("version"), 32),
                build=_text((node_version or {}).get("repoid"), 32),
                cpu_count=int(_number(r.get("maxcpu")) or 0) or None,
                memory_mb=int((_number(r.get("maxmem")) or 0) / 1024 ** 2) or None,
                power_state="on" if r.get("status") == "online" else "unknown",
                datastores=tuple(s.name for s in stores if s.name.startswith(f"{name}/")),
                utilisation=use)
        vms = [_vm(client, r, nodes, perf) for r in resources
               if r.get("type") == "qemu" and not r.get("template")]
        about = f"Proxmox VE {_text(version.get('version'), 32)}"
        return Discovery("proxmox", endpoint.shown, about, tuple(vms), tuple(nodes.values()),
                         tuple(stores), endpoint.tls_note(), client.calls)
    finally:
        client.session.close()
