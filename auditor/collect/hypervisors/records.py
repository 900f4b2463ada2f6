"""What discovery finds, the same shape for vSphere and Proxmox: VMs, hosts, datastores, use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Utilisation:
    """CPU and memory use over the period the API keeps, or why it is unknown."""

    cpu_avg_pct: float | None = None
    cpu_p95_pct: float | None = None
    memory_avg_pct: float | None = None
    memory_p95_pct: float | None = None
    samples: int = 0
    period_s: int = 0
    """Seconds between samples."""
    unknown: str | None = None
    """Why there is no measurement (no rights, no samples); None when measured."""


@dataclass(frozen=True)
class Snapshot:
    """One VM snapshot."""

    name: str
    created: datetime | None


@dataclass(frozen=True)
class VmRecord:
    """One virtual machine as the hypervisor API describes it (all untrusted text, capped)."""

    ref: str
    """The API's id: a vSphere MoRef (``vm-42``) or ``qemu/VMID`` on Proxmox."""
    name: str
    uuid: str | None = None
    hypervisor: str | None = None
    """Name of the host it runs on."""
    cluster: str | None = None
    power_state: str = "unknown"
    """``on``, ``off``, ``suspended`` or ``unknown``."""
    boot_time: datetime | None = None
    guest_id: str | None = None
    """The API's guest OS id (vSphere ``windows2019srv_64Guest``, Proxmox ``win10``)."""
    guest_os_config: str | None = None
    """The guest OS the VM is configured as."""
    guest_os_tools: str | None = None
    """The guest OS the guest tools report (None without running tools)."""
    tools_status: str = "unknown"
    """``ok``, ``outdated``, ``not_installed``, ``not_running`` or ``unknown``."""
    ips: tuple[str, ...] = ()
    hostname: str | None = None
    vcpu: int | None = None
    memory_mb: int | None = None
    disks_gb: tuple[float, ...] = ()
    """Size of each virtual disk, where the API lists them (Proxmox)."""
    disk_count: int | None = None
    disk_provisioned_gb: float | None = None
    """All virtual disks together as provisioned (None: the sum of disks_gb)."""
    disk_used_gb: float | None = None
    """Space the disks take on their datastores (thin disks: less than provisioned)."""
    nics: int = 0
    networks: tuple[str, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    template: bool = False
    powered_off_since: datetime | None = None
    utilisation: Utilisation = field(default_factory=Utilisation)

    @property
    def provisioned_gb(self) -> float | None:
        """All virtual disks together, as provisioned."""
        if self.disk_provisioned_gb is not None:
            return self.disk_provisioned_gb
        return round(sum(self.disks_gb), 1) if self.disks_gb else None


@dataclass(frozen=True)
class HostRecord:
    """One hypervisor host (ESXi, Proxmox VE node)."""

    ref: str
    name: str
    cluster: str | None = None
    product: str | None = None
    """e.g. ``VMware ESXi`` or ``Proxmox VE``."""
    version: str | None = None
    build: str | None = None
    vendor: str | None = None
    model: str | None = None
    bios_date: date | None = None
    cpu_count: int | None = None
    memory_mb: int | None = None
    power_state: str = "unknown"
    boot_time: datetime | None = None
    datastores: tuple[str, ...] = ()
    """Names of the datastores it mounts."""
    utilisation: Utilisation = field(default_factory=Utilisation)


@dataclass(frozen=True)
class DatastoreRecord:
    """One datastore or Proxmox storage."""

    name: str
    type: str | None
    capacity_gb: float | None
    free_gb: float | None


@dataclass(frozen=True)
class Discovery:
    """Everything one endpoint gave in one read-only session."""

    platform: str
    """``vsphere`` or ``proxmox``."""
    endpoint: str
    """The endpoint URL as shown (no credentials)."""
    about: str
    """Product and version of the API, e.g. ``VMware vCenter Server 8.0.2``."""
    vms: tuple[VmRecord, ...] = ()
    hosts: tuple[HostRecord, ...] = ()
    datastores: tuple[DatastoreRecord, ...] = ()
    tls: str = ""
    """How the certificate was checked."""
    round_trips: int = 0
    """API calls made (the bench reports it)."""
