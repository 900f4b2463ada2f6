"""Collector for virtualisation: hypervisor or container, from systemd, DMI, CPU flags, markers."""

from __future__ import annotations

from typing import Any

from auditor.collect.collectors.common import Block, blocks, every, first, name, text
from auditor.collect.collectors.interface import Collector

SCRIPT = """\
dmi=
for f in sys_vendor product_name; do
  [ -r /sys/class/dmi/id/$f ] && read -r v < /sys/class/dmi/id/$f && echo "@dmi $f $v" && dmi=1
done
# systemd-detect-virt costs more than the rest together: asked only when DMI says nothing.
[ -z "$dmi" ] && command -v systemd-detect-virt >/dev/null 2>&1 && \\
  echo "@detect $(systemd-detect-virt 2>/dev/null)"
grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null && echo "@flag hypervisor"
[ -e /.dockerenv ] && echo "@marker docker"
[ -e /run/.containerenv ] && echo "@marker podman"
[ -r /run/systemd/container ] && read -r v < /run/systemd/container && echo "@marker $v"
[ -d /proc/vz ] && [ ! -d /proc/bc ] && echo "@marker openvz"
[ -r /proc/sys/kernel/osrelease ] && read -r v < /proc/sys/kernel/osrelease && \\
  case "$v" in *[Mm]icrosoft*) echo "@marker wsl" ;; esac
echo "@cgroup $(grep -o -m1 -E 'docker|lxc|kubepods|libpod|containerd' /proc/1/cgroup 2>/dev/null)"
true"""

_TAGS = frozenset({"detect", "dmi", "flag", "marker", "cgroup"})
CONTAINERS = {"docker", "podman", "lxc", "lxc-libvirt", "systemd-nspawn", "openvz", "wsl", "rkt",
              "proot", "pouch", "container-other"}
"""What systemd-detect-virt prints for a container (it prints the container when in one)."""

VM_SIGNS = (
    ("qemu", "kvm"), ("kvm", "kvm"), ("standard pc (", "kvm"), ("vmware", "vmware"),
    ("virtualbox", "oracle"), ("innotek", "oracle"), ("xen", "xen"), ("hvm domu", "xen"),
    ("amazon ec2", "amazon"), ("google compute engine", "google"), ("openstack", "kvm"),
    ("bochs", "bochs"), ("rhev", "kvm"), ("ovirt", "kvm"), ("nutanix", "kvm"),
    ("parallels", "parallels"), ("bhyve", "bhyve"), ("cloudstack", "kvm"),
    ("alibaba cloud", "kvm"), ("digitalocean", "kvm"),
)
"""Lower-case text seen in DMI vendor/product of a virtual machine, and the hypervisor."""

CONTAINER_MARKERS = {"docker": "docker", "podman": "podman", "libpod": "podman", "lxc": "lxc",
                     "lxc-libvirt": "lxc", "kubepods": "kubernetes", "containerd": "containerd",
                     "openvz": "openvz", "wsl": "wsl", "systemd-nspawn": "systemd-nspawn"}


def _dmi_vm(vendor: str | None, product: str | None) -> str | None:
    """The hypervisor a DMI vendor/product names, or None."""
    both = f"{vendor or ''} {product or ''}".lower()
    if "microsoft" in both and "virtual machine" in both:
        return "microsoft"
    return next((vm for sign, vm in VM_SIGNS if sign in both), None)


def _detected(detect: Block) -> tuple[str | None, str | None]:
    """The hypervisor and the container systemd-detect-virt named (each None if not)."""
    value = name(detect.arg.split(" ")[0]) if detect.arg else None
    if value in CONTAINERS:
        return None, value
    if value not in (None, "none"):
        return value, None
    return None, None


def _marked_containers(found: list[Block]) -> list[tuple[str, str]]:
    """Each container engine a marker file or PID 1's cgroup names, with the block's tag."""
    marked: list[tuple[str, str]] = []
    for block in every(found, "marker") + every(found, "cgroup"):
        if marker := CONTAINER_MARKERS.get(block.arg.strip().lower()):
            marked.append((marker, block.tag))
    return marked


def _kind(facts: dict[str, Any], detect: Block | None, dmi: dict[str, str | None]) -> None:
    """Set ``kind`` (container, vm, physical), or say under ``unknown`` why it is not known."""
    if facts["container"]:
        facts["kind"] = "container"
    elif facts["vm"]:
        facts["kind"] = "vm"
    elif (detect is not None and detect.arg == "none") or (dmi and not facts["hypervisor_flag"]):
        facts["kind"] = "physical"
    else:
        facts["unknown"] = {"kind": "no systemd-detect-virt, DMI table or CPU flag was readable"}


def parse(text_: str) -> dict[str, Any]:
    """Kind (vm, container, physical), the hypervisor or container engine, and the evidence."""
    found = blocks(text_, _TAGS)
    sources: list[str] = []
    dmi = {b.arg.partition(" ")[0]: text(b.arg.partition(" ")[2], 128) or None
           for b in every(found, "dmi")}
    vendor, product = dmi.get("sys_vendor"), dmi.get("product_name")
    detect = first(found, "detect")
    vm: str | None = None
    container: str | None = None
    if detect is not None:
        sources.append("systemd-detect-virt")
        vm, container = _detected(detect)
    if vm is None and (vendor or product):
        vm = _dmi_vm(vendor, product)
    if dmi:
        sources.append("dmi")
    hypervisor_flag = any(b.arg == "hypervisor" for b in every(found, "flag"))
    if hypervisor_flag:
        sources.append("cpuinfo")
        vm = vm or "unknown"
    marked = _marked_containers(found)
    if marked and container is None:
        container = marked[0][0]
    sources += [tag for _, tag in marked]
    facts: dict[str, Any] = {
        "vm": vm, "container": container, "vendor": vendor, "product": product,
        "hypervisor_flag": hypervisor_flag, "sources": sorted(set(sources)),
    }
    _kind(facts, detect, dmi)
    return facts


COLLECTOR = Collector("virt", "virtualisation: hypervisor or container", SCRIPT, parse,
                      ("virt.kind", "virt.vm", "virt.container", "virt.vendor", "virt.product",
                       "virt.hypervisor_flag", "virt.sources", "virt.unknown"))
