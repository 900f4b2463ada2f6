"""What an inventory importer is: a source reader that returns inventory data and its notes."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

SITE_KINDS = ("server_room", "data_center")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SECRET_VARS = frozenset({
    "ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_become_pass",
    "ansible_become_password", "ansible_sudo_pass", "ansible_su_pass",
    "ansible_ssh_private_key_passphrase",
})
"""Ansible variables that hold secrets: they are reported, never written."""


@dataclass(frozen=True)
class Skipped:
    """Something in the source that was not imported."""

    item: str
    """What was skipped, e.g. ``host db-03`` or ``host web-01: ansible_password``."""
    reason: str
    """Why, and what the user can do about it."""

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass(frozen=True)
class OrganisationOptions:
    """The pemda the imported inventory belongs to (sources do not say it)."""

    code: str
    """Kemendagri region code, e.g. ``32.73``."""
    name: str
    level: str
    """``provinsi``, ``kabupaten`` or ``kota``."""


@dataclass(frozen=True)
class NetBoxOptions:
    """How to reach NetBox and what to take from it."""

    token_env: str = "NETBOX_TOKEN"  # noqa: S105 - a variable name
    """Name of the environment variable holding the API token (the token is never written)."""
    ca_bundle: str | None = None
    """PEM file of CA certificates to verify NetBox's TLS certificate with."""
    insecure: bool = False
    """Turn TLS verification off (explicit opt-in only)."""
    timeout: float = 30.0
    """Seconds allowed to connect, and to wait for each response."""
    sites: tuple[str, ...] = ()
    """Only these NetBox site slugs (empty: all)."""
    tags: tuple[str, ...] = ()
    """Only objects carrying one of these tag slugs (empty: all)."""
    statuses: tuple[str, ...] = ("active",)
    """Statuses imported; other objects are reported as skipped."""
    devices: bool = True
    """Import dcim devices."""
    virtual_machines: bool = True
    """Import virtualization virtual machines."""
    page_size: int = 200
    """Objects asked for per page."""
    max_pages: int = 10000
    """Upper bound on pages followed per endpoint."""


@dataclass(frozen=True)
class HypervisorOptions:
    """How to reach a vSphere or Proxmox VE API (secrets only by environment variable)."""

    user: str | None = None
    """vSphere login, e.g. ``audit@vsphere.local``."""
    password_env: str | None = None
    """vSphere: environment variable holding the password."""
    token_env: str | None = None
    """Proxmox: environment variable holding ``USER@REALM!TOKENID=SECRET``."""
    ca_file: str | None = None
    """PEM file of the CA that signed the endpoint's certificate."""
    insecure_tls: bool = False
    """Do not verify the certificate (explicit opt-in)."""
    timeout: float = 30.0


@dataclass(frozen=True)
class ImportOptions:
    """Choices the user makes for one import."""

    organisation: OrganisationOptions | None = None
    """Required when the output file does not exist yet; else the file's own is kept."""
    default_site: str | None = None
    """Site id for hosts no group/column maps to a site; default: the organisation's name."""
    default_site_name: str | None = None
    """Name of the default site when the import creates it; default: its id."""
    default_site_kind: str = "server_room"
    """Kind of sites the import creates."""
    site_kinds: tuple[tuple[str, str], ...] = ()
    """Per-site kind overrides: (site id, kind)."""
    site_map: tuple[tuple[str, str], ...] = ()
    """Ansible: (group name, site id) pairs; a host in that group goes to that site."""
    site_from_group: str | None = None
    """Ansible: a regular expression; a group whose whole name matches names a site (its
    first capture group, or the whole name when there is none)."""
    netbox: NetBoxOptions = field(default_factory=NetBoxOptions)
    hypervisor: HypervisorOptions = field(default_factory=HypervisorOptions)
    """vSphere and Proxmox VE imports."""
    environ: Mapping[str, str] | None = field(default=None, compare=False, hash=False)
    """Environment to read the NetBox token from (default: the process environment)."""

    def env(self) -> Mapping[str, str]:
        """The environment variables the import may read."""
        return self.environ if self.environ is not None else os.environ

    def kind_of(self, site_id: str) -> str:
        """The kind a newly created site gets."""
        return dict(self.site_kinds).get(site_id, self.default_site_kind)


@dataclass(frozen=True)
class ImportResult:
    """What an importer read: inventory data (sites, hosts, never secrets) and its notes."""

    data: dict[str, Any]
    """``{"sites": [...], "hosts": [...]}`` in the inventory format (organisation is added
    by run_import)."""
    skipped: tuple[Skipped, ...] = ()
    """Hosts and fields not imported, each with the reason."""
    warnings: tuple[str, ...] = ()
    """Things imported but worth a look (guesses, conflicts resolved)."""


class Importer(Protocol):
    """Reads one kind of source into inventory data."""

    name: str
    """The ``--from`` value."""
    description: str
    """One line for ``--help``."""

    def read(self, source: str, options: ImportOptions) -> ImportResult:
        """Read ``source`` (a path or URL); raise InputError when it cannot be read at all."""
        ...


def default_site_id(options: ImportOptions) -> str:
    """The id of the site unmapped hosts go to."""
    return options.default_site or "site"


def _no_secret(options: ImportOptions) -> str | None:
    return None


@dataclass(frozen=True)
class ImportFrom:
    """One ``--from`` choice: its importer, and the secret its source is reached with."""

    importer: Importer
    """Reads the source."""
    secret_env: Callable[[ImportOptions], str | None] = _no_secret
    """The environment variable holding the source's secret (token, password), if any:
    its value must never reach the written inventory."""

    @property
    def name(self) -> str:
        """The ``--from`` value."""
        return self.importer.name

    @property
    def description(self) -> str:
        """One line for ``--help``."""
        return self.importer.description
