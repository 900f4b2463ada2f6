"""The inventory: a pemda's sites, hosts and services, loaded and checked before any scan."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.bundle.schemas import load_checked
from auditor.bundle.yamlfile import LocatedDocument, format_path
from auditor.errors import InputError, Problem


def make_id(name: str) -> str:
    """A valid inventory id from any name: lower-cased, other characters become '-'."""
    text = re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower())
    text = re.sub(r"-{2,}", "-", text).lstrip("._-")[:64].rstrip("-")
    return text


@dataclass(frozen=True)
class Organisation:
    """The pemda the inventory belongs to."""

    code: str
    """Kemendagri region code, e.g. ``32.73``."""
    name: str
    level: str
    """``provinsi``, ``kabupaten`` or ``kota``."""


@dataclass(frozen=True)
class Site:
    """A server room or data centre."""

    id: str
    name: str
    kind: str
    """``server_room`` or ``data_center``."""
    facility: Path | None = None
    """Questionnaire answers file, resolved against the inventory folder."""
    costs: dict[str, float] = field(default_factory=dict)
    """Cost inputs as the inventory gives them (see the schema)."""
    address: str | None = None
    target_stratum: int | None = None
    """SNI 8799 stratum (1-4) the facility is judged against; None: the spec's default."""


@dataclass(frozen=True)
class Host:
    """One machine to scan, with how to reach it (never a secret itself)."""

    id: str
    site: str
    transport: str = "ssh"
    """``ssh`` or ``local``."""
    address: str | None = None
    port: int = 22
    user: str | None = None
    key_file: Path | None = None
    password_env: str | None = None
    """Name of the environment variable that holds the password (never the password)."""
    passphrase_env: str | None = None
    agent: bool = False
    jump: str | None = None
    timeout: float | None = None
    role: str | None = None
    criticality: str = "medium"
    applications: tuple[str, ...] = ()
    data_classification: str | None = None


@dataclass(frozen=True)
class Service:
    """A web service probed over HTTP(S)."""

    id: str
    url: str
    host: str | None = None
    site: str | None = None
    criticality: str = "medium"


@dataclass(frozen=True)
class Inventory:
    """A validated inventory."""

    path: Path
    organisation: Organisation
    sites: tuple[Site, ...]
    hosts: tuple[Host, ...]
    services: tuple[Service, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    """The document as loaded (it holds no secrets: the schema forbids them)."""

    def site(self, site_id: str) -> Site:
        """The site with this id."""
        return next(s for s in self.sites if s.id == site_id)

    def host(self, host_id: str) -> Host:
        """The host with this id."""
        return next(h for h in self.hosts if h.id == host_id)


_CONNECTION_KEYS = ("transport", "user", "port", "key_file", "password_env", "passphrase_env",
                    "agent", "timeout")


_Add = Callable[[tuple[str | int, ...], str], None]
"""Report one problem: ``add(json_path, message)``."""


def _unique_ids(data: dict[str, Any], kind: str, add: _Add) -> set[str]:
    """The ids under ``kind`` (sites, hosts, services); each repeated one is a problem."""
    seen: dict[str, int] = {}
    for index, item in enumerate(data.get(kind) or []):
        item_id = item["id"]
        if item_id in seen:
            add((kind, index, "id"), f"duplicate id '{item_id}' (first used by "
                                     f"{kind}[{seen[item_id]}])")
        else:
            seen[item_id] = index
    return set(seen)


def _facility_files(data: dict[str, Any], base: Path, add: _Add) -> None:
    """Each site's questionnaire answers file must exist."""
    for index, site in enumerate(data.get("sites") or []):
        if "facility" in site and not (base / site["facility"]).is_file():
            add(("sites", index, "facility"),
                f"file '{site['facility']}' not found (paths are relative to the inventory's "
                "folder)")


def _host_place(index: int, host: dict[str, Any], transport: str, site_ids: set[str],
                add: _Add) -> None:
    """A host's site must be defined; an ssh host needs an address, a local one has none."""
    if host["site"] not in site_ids:
        add(("hosts", index, "site"), f"site '{host['site']}' is not defined under sites "
                                      f"(known: {', '.join(sorted(site_ids)) or 'none'})")
    if transport == "ssh" and "address" not in host:
        add(("hosts", index), "an ssh host needs 'address' (or set transport: local)")
    if transport == "local" and ("address" in host or "jump" in host):
        add(("hosts", index, "transport"),
            "a local host is the machine the tool runs on: remove 'address' and 'jump'")


def _jump(index: int, host: dict[str, Any], by_id: dict[str, dict[str, Any]],
          defaults: dict[str, Any], add: _Add) -> None:
    """A host's jump host must be defined, not itself, not in a loop, and reachable by ssh."""
    jump = host.get("jump")
    if jump is None:
        return
    if jump not in by_id:
        add(("hosts", index, "jump"), f"jump host '{jump}' is not defined under hosts")
        return
    if jump == host["id"]:
        add(("hosts", index, "jump"), "a host cannot jump through itself")
        return
    chain = [host["id"]]
    current: str | None = jump
    while current is not None and current in by_id and current not in chain:
        chain.append(current)
        current = by_id[current].get("jump")
    if current in chain:
        add(("hosts", index, "jump"),
            "jump hosts form a loop: " + " -> ".join([*chain, str(current)]))
    elif by_id[jump].get("transport", defaults.get("transport")) == "local":
        add(("hosts", index, "jump"), f"jump host '{jump}' is a local host")


def _key_file(index: int, host: dict[str, Any], merged: dict[str, Any], base: Path,
              add: _Add) -> None:
    """The key file an ssh host logs in with (its own or the defaults') must exist."""
    origin = ("hosts", index, "key_file") if "key_file" in host else ("defaults", "key_file")
    key_file = merged.get("key_file")
    if key_file is not None and not (base / key_file).expanduser().is_file():
        add(origin, f"key file '{key_file}' not found (paths are relative to the "
                    "inventory's folder)")


def _service_references(data: dict[str, Any], host_ids: set[str], site_ids: set[str],
                        add: _Add) -> None:
    """A service's host and site must be defined."""
    for index, service in enumerate(data.get("services") or []):
        if "host" in service and service["host"] not in host_ids:
            add(("services", index, "host"), f"host '{service['host']}' is not defined")
        if "site" in service and service["site"] not in site_ids:
            add(("services", index, "site"), f"site '{service['site']}' is not defined")


def _semantic_problems(doc: LocatedDocument, base: Path, files: bool) -> list[Problem]:
    """Cross-reference checks the schema cannot express.

    ``files``: also check that the files the scan reads (answers, key files) exist; a
    bundle's copy of the inventory is checked without them (the scan already read them).
    """
    data: dict[str, Any] = doc.data
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(doc.file, doc.line_of(path), format_path(path), message))

    site_ids = _unique_ids(data, "sites", add)
    host_ids = _unique_ids(data, "hosts", add)
    _unique_ids(data, "services", add)
    hosts = data.get("hosts") or []
    by_id = {h["id"]: h for h in hosts}
    defaults = data.get("defaults") or {}
    if files:
        _facility_files(data, base, add)
    for index, host in enumerate(hosts):
        merged = {k: defaults[k] for k in _CONNECTION_KEYS if k in defaults} | host
        transport = merged.get("transport", "ssh")
        _host_place(index, host, transport, site_ids, add)
        _jump(index, host, by_id, defaults, add)
        if files and transport == "ssh":
            _key_file(index, host, merged, base, add)
    if data.get("hypervisors") or any(h.get("transport", defaults.get("transport")) in
                                      ("vsphere", "proxmox") for h in hosts):
        from auditor.inventory.hypervisors import check_inventory

        check_inventory(data, base, files, add)
    _service_references(data, host_ids, site_ids, add)
    return problems


def _build(doc: LocatedDocument, path: Path) -> Inventory:
    data: dict[str, Any] = doc.data
    base = path.parent
    defaults = data.get("defaults") or {}
    org = Organisation(**data["organisation"])
    sites = tuple(
        Site(id=s["id"], name=s["name"], kind=s["kind"],
             facility=(base / s["facility"]) if "facility" in s else None,
             costs=dict(s.get("costs") or {}), address=s.get("address"),
             target_stratum=s.get("target_stratum"))
        for s in data["sites"])
    hosts = []
    for h in data.get("hosts") or []:
        merged = {k: defaults[k] for k in _CONNECTION_KEYS if k in defaults} | h
        key_file = merged.get("key_file")
        hosts.append(Host(
            id=h["id"], site=h["site"], transport=merged.get("transport", "ssh"),
            address=h.get("address"), port=int(merged.get("port", 22)), user=merged.get("user"),
            key_file=(base / key_file).expanduser() if key_file else None,
            password_env=merged.get("password_env"), passphrase_env=merged.get("passphrase_env"),
            agent=bool(merged.get("agent", False)), jump=h.get("jump"),
            timeout=merged.get("timeout"), role=h.get("role"),
            criticality=h.get("criticality", "medium"),
            applications=tuple(h.get("applications") or ()),
            data_classification=h.get("data_classification")))
    services = tuple(
        Service(id=s["id"], url=s["url"], host=s.get("host"), site=s.get("site"),
                criticality=s.get("criticality", "medium"))
        for s in data.get("services") or [])
    return Inventory(path=path, organisation=org, sites=sites, hosts=tuple(hosts),
                     services=services, raw=data)


def load_inventory(path: Path) -> Inventory:
    """Load and fully check an inventory; raise InputError listing every problem found."""
    return _load(path, files=True)


def load_bundle_inventory(path: Path) -> Inventory:
    """Load a bundle's copy of the inventory, for the stages after the scan.

    The same checks, but none of the files only the scan reads (key files, the answers'
    original paths): a bundle is portable, so the folder it was scanned from may be gone.
    Sites get no ``facility`` path: their answers are the bundle's own ``facility/SITE.yaml``.
    """
    inventory = _load(path, files=False)
    sites = tuple(replace(site, facility=None) for site in inventory.sites)
    return replace(inventory, sites=sites)


def _load(path: Path, *, files: bool) -> Inventory:
    doc = load_checked(path, "inventory", "the inventory",
                       "version, organisation, sites, hosts")
    problems = _semantic_problems(doc, path.parent, files)
    if problems:
        raise InputError(f"{doc.file}: the inventory has inconsistent references", problems)
    return _build(doc, path)
