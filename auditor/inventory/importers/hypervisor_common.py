"""What the vSphere and Proxmox importers share: the endpoint from the options, the read."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from auditor.collect.hypervisors.endpoint import Endpoint, EndpointFailure, check_url
from auditor.collect.hypervisors.entries import endpoint_entry, host_entries
from auditor.errors import InputError
from auditor.inventory.importers.interface import (
    ImportOptions,
    ImportResult,
    default_site_id,
)
from auditor.inventory.load import make_id


def read_endpoint(kind: str, source: str, options: ImportOptions) -> ImportResult:
    """Discover ``source`` (no utilisation: that is the scan's) and map it to entries."""
    from auditor.collect.hypervisors.collect import discover

    check_url(source, f"--from {kind}")
    hv = options.hypervisor
    if hv.ca_file and hv.insecure_tls:
        raise InputError("give either --ca-file or --insecure-tls, not both")
    if kind == "vsphere" and not (hv.user and hv.password_env):
        raise InputError("--from vsphere needs --user and --password-env (the name of the "
                         "environment variable holding the password)")
    if kind == "proxmox" and not hv.token_env:
        raise InputError("--from proxmox needs --token-env (the environment variable holding "
                         "USER@REALM!TOKENID=SECRET)")
    endpoint = Endpoint(
        id=make_id(urlsplit(source).hostname or kind) or kind, kind=kind, url=source,
        user=hv.user if kind == "vsphere" else None,
        password_env=hv.password_env if kind == "vsphere" else None,
        token_env=hv.token_env if kind == "proxmox" else None,
        ca_file=Path(hv.ca_file).resolve() if hv.ca_file else None,
        insecure_tls=hv.insecure_tls, timeout=hv.timeout)
    try:
        discovery = discover(endpoint, options.env(), perf=False)
    except EndpointFailure as exc:
        raise InputError(f"{exc}; nothing was imported") from None
    site = default_site_id(options)
    hosts, notes = host_entries(endpoint, discovery, site)
    warnings = list(notes)
    if endpoint.insecure_tls:
        warnings.append(f"{endpoint.shown}: TLS certificate not verified (--insecure-tls); "
                        "the inventory records insecure_tls: true")
    sites = [{"id": site, "name": (options.default_site_name or site)[:200],
              "kind": options.kind_of(site)}]
    vms = sum(1 for h in hosts if h["kind"] == "vm")
    warnings.append(f"{endpoint.shown}: {len(hosts) - vms} hypervisor host(s) and {vms} VM(s); "
                    f"they are read through the API (transport {kind}); to judge a guest's "
                    "own configuration, give it an address and transport: ssh")
    return ImportResult(data={"sites": sites, "hosts": hosts,
                              "hypervisors": [endpoint_entry(endpoint)]},
                        warnings=tuple(warnings))
