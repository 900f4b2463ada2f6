"""Guest OS and hypervisor names turned into the ``os`` facts the lifecycle table reads."""

from __future__ import annotations

import re
from typing import Any

_WINDOWS = re.compile(r"windows\s+server\s+(20\d\d)(\s*r2)?", re.I)
_WINDOWS_IDS = {
    # vSphere guestId -> Windows Server release, only where the id names one release.
    "windows7server64guest": "2008r2", "windows8server64guest": "2012",
    "windows2019srv_64guest": "2019", "windows2019srvnext_64guest": "2022",
    "windows2022srvnext_64guest": "2025",
}
_LINUX = (
    (re.compile(r"ubuntu\D{0,20}?(\d\d\.\d\d)", re.I), "ubuntu", "Ubuntu"),
    (re.compile(r"debian\D{0,30}?(\d+)", re.I), "debian", "Debian GNU/Linux"),
    (re.compile(r"red hat enterprise linux\D{0,20}?(\d+)", re.I), "rhel",
     "Red Hat Enterprise Linux"),
    (re.compile(r"centos\D{0,20}?(\d+)", re.I), "centos", "CentOS Linux"),
    (re.compile(r"rocky\D{0,20}?(\d+)", re.I), "rocky", "Rocky Linux"),
    (re.compile(r"alma\D{0,20}?(\d+)", re.I), "almalinux", "AlmaLinux"),
    (re.compile(r"oracle linux\D{0,20}?(\d+)", re.I), "ol", "Oracle Linux Server"),
)
_LINUX_IDS = re.compile(r"^(rhel|centos|debian|ubuntu|rocky|almalinux|oracleLinux|sles)"
                        r"(\d+)?(?:_?64)?guest$", re.I)
_ID_NAMES = {"rhel": "rhel", "centos": "centos", "debian": "debian", "rocky": "rocky",
             "almalinux": "almalinux", "oraclelinux": "ol", "sles": "sles"}
# Proxmox VE ostype values (qm.conf): only the Windows ones name a release.
_PVE_OSTYPE = {"w2k8": "2008r2", "win7": "2008r2", "win8": "2012", "win10": None,
               "win11": None}


def _clean(text: str | None) -> str:
    return "".join(c for c in (text or "") if c.isprintable())[:200]


def _windows(release: str, label: str) -> dict[str, Any]:
    pretty = f"Windows Server {release.replace('r2', ' R2')}"
    return {"id": "windows-server", "id_like": ["windows"], "version_id": release,
            "name": "Windows Server", "pretty_name": _clean(label) or pretty}


def guest_os(*names: str | None, guest_id: str | None = None) -> dict[str, Any] | None:
    """``os`` facts from the first name that tells a release, else from a guest id; or None."""
    for raw in names:
        label = _clean(raw)
        if "or later" in label.lower():
            continue  # vSphere's "Windows Server 2016 or later" names no one release
        match = _WINDOWS.search(label)
        if match:
            return _windows(match.group(1) + ("r2" if match.group(2) else ""), label)
        for pattern, os_id, name in _LINUX:
            found = pattern.search(label)
            if found:
                return {"id": os_id, "id_like": [], "version_id": found.group(1),
                        "name": name, "pretty_name": label}
    gid = _clean(guest_id).lower()
    if gid in _WINDOWS_IDS:
        return _windows(_WINDOWS_IDS[gid], "")
    if _PVE_OSTYPE.get(gid):
        return _windows(str(_PVE_OSTYPE[gid]), "")
    found_id = _LINUX_IDS.match(gid)
    if found_id and found_id.group(2):
        os_id = _ID_NAMES[found_id.group(1).lower()]
        return {"id": os_id, "id_like": [], "version_id": found_id.group(2), "name": os_id,
                "pretty_name": _clean(next((n for n in names if n), None)) or None}
    return None


def hypervisor_os(product: str | None, version: str | None) -> dict[str, Any] | None:
    """``os`` facts of a hypervisor host: ESXi as ``esxi`` X.Y, Proxmox VE as ``proxmox-ve``."""
    text = _clean(product).lower()
    ver = _clean(version)
    if not ver:
        return None
    if "esx" in text:
        major_minor = ".".join(ver.split(".")[:2])
        return {"id": "esxi", "id_like": [], "version_id": major_minor, "name": "VMware ESXi",
                "pretty_name": f"VMware ESXi {ver}"}
    if "proxmox" in text:
        return {"id": "proxmox-ve", "id_like": ["debian"], "version_id": ver,
                "name": "Proxmox VE", "pretty_name": f"Proxmox VE {ver}"}
    return None
