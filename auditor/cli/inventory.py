"""The `auditor inventory` commands: check an inventory, or build one from other sources."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.inventory.importers import (
    IMPORTERS,
    HypervisorOptions,
    ImportOptions,
    NetBoxOptions,
    OrganisationOptions,
    run_import,
)
from auditor.inventory.load import load_inventory


@click.group("inventory")
def inventory_group() -> None:
    """Check or build inventories."""


@inventory_group.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def inventory_validate(file: Path) -> None:
    """Check an inventory: schema, ids, references and key files.

    Every problem is printed as FILE:LINE: FIELD: MESSAGE. Exit 0 when valid, 2 otherwise.
    """
    inventory = load_inventory(file)
    click.echo(f"{file}: valid: {len(inventory.sites)} sites, {len(inventory.hosts)} hosts, "
               f"{len(inventory.services)} services")


def _pairs(values: tuple[str, ...], option: str) -> tuple[tuple[str, str], ...]:
    out = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint=option)
        out.append((left.strip(), right.strip()))
    return tuple(out)


@inventory_group.command("import")
@click.option("--from", "kind", required=True, type=click.Choice(sorted(IMPORTERS)),
              help="What SRC is: " + "; ".join(f"{k}: {v.description}"
                                              for k, v in sorted(IMPORTERS.items())) + ".")
@click.argument("source", metavar="SRC")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Inventory file to write. When it exists the import is merged into it: "
                   "hand-made fields are kept and hosts the source lacks are kept and listed.")
@click.option("--org-code", help='Kemendagri region code, e.g. "32.73" (needed for a new file).')
@click.option("--org-name", help="Name of the pemda, e.g. 'Pemerintah Kota Bandung'.")
@click.option("--org-level", type=click.Choice(["provinsi", "kabupaten", "kota"]),
              help="Level of the pemda.")
@click.option("--default-site", metavar="ID",
              help="Site for hosts nothing else places [default: an id made from the "
                   "organisation's name].")
@click.option("--default-site-name", metavar="NAME", help="Name of that site when it is created.")
@click.option("--site-kind", "site_kinds", multiple=True, metavar="SITE=KIND",
              help="Kind of a site the import creates: server_room (default) or data_center. "
                   "Repeatable.")
@click.option("--site-map", multiple=True, metavar="GROUP=SITE",
              help="Ansible: hosts of this group (or its child groups) go to this site. "
                   "Repeatable; the first match wins.")
@click.option("--site-from-group", metavar="REGEX",
              help=r"Ansible: a group whose whole name matches names a site, e.g. 'dc_(.+)' "
                   "makes group dc_balaikota site 'balaikota' (the capture group, else the name).")
@click.option("--netbox-token-env", default="NETBOX_TOKEN", show_default=True, metavar="VAR",
              help="Environment variable holding the NetBox API token (never written anywhere).")
@click.option("--netbox-ca-bundle", type=click.Path(dir_okay=False, exists=True),
              help="PEM file of the CA that signed NetBox's certificate.")
@click.option("--insecure", is_flag=True,
              help="NetBox: do not verify its TLS certificate (not recommended).")
@click.option("--netbox-site", "netbox_sites", multiple=True, metavar="SLUG",
              help="NetBox: only this site (repeatable).")
@click.option("--netbox-tag", "netbox_tags", multiple=True, metavar="SLUG",
              help="NetBox: only objects with this tag (repeatable).")
@click.option("--netbox-status", "netbox_statuses", multiple=True, metavar="STATUS",
              help="NetBox: statuses to import (repeatable) [default: active].")
@click.option("--netbox-no-devices", is_flag=True, help="NetBox: skip dcim devices.")
@click.option("--netbox-no-vms", is_flag=True, help="NetBox: skip virtual machines.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="NetBox, vSphere, Proxmox: seconds to connect and to wait for each "
                   "answer.")
@click.option("--user", "hv_user", metavar="USER",
              help="vSphere: the read-only login, e.g. audit@vsphere.local.")
@click.option("--password-env", metavar="VAR",
              help="vSphere: environment variable holding the password (never written).")
@click.option("--token-env", metavar="VAR",
              help="Proxmox: environment variable holding USER@REALM!TOKENID=SECRET.")
@click.option("--ca-file", type=click.Path(dir_okay=False, exists=True),
              help="vSphere, Proxmox: PEM file of the CA that signed the API's certificate.")
@click.option("--insecure-tls", is_flag=True,
              help="vSphere, Proxmox: do not verify the certificate (recorded; not "
                   "recommended).")
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def inventory_import(kind: str, source: str, output: Path, org_code: str | None,
                     org_name: str | None, org_level: str | None, default_site: str | None,
                     default_site_name: str | None, site_kinds: tuple[str, ...],
                     site_map: tuple[str, ...], site_from_group: str | None,
                     netbox_token_env: str, netbox_ca_bundle: str | None, insecure: bool,
                     netbox_sites: tuple[str, ...], netbox_tags: tuple[str, ...],
                     netbox_statuses: tuple[str, ...], netbox_no_devices: bool,
                     netbox_no_vms: bool, timeout: float, hv_user: str | None,
                     password_env: str | None, token_env: str | None, ca_file: str | None,
                     insecure_tls: bool, dry_run: bool, quiet: bool) -> None:
    """Build an inventory from Ansible, a CSV host list, NetBox, vSphere or Proxmox VE.

    \b
    Examples:
      auditor inventory import --from ansible hosts.ini -o inventory.yaml
          --org-code 32.73 --org-name "Pemerintah Kota Bandung" --org-level kota
          --site-from-group 'dc_(.+)'
      auditor inventory import --from csv hosts.csv -o inventory.yaml
      NETBOX_TOKEN=... auditor inventory import --from netbox https://netbox.kota.go.id/
          -o inventory.yaml --netbox-tag audit
      VC_PASSWORD=... auditor inventory import --from vsphere https://vcenter.kota.go.id
          -o inventory.yaml --user audit@vsphere.local --password-env VC_PASSWORD
          --ca-file vcenter-ca.pem

    When the output file exists the import is merged into it. Secrets are never written:
    Ansible passwords are reported (use password_env), the NetBox token stays in its
    environment variable.
    """
    given = [org_code, org_name, org_level]
    if any(given) and not all(given):
        raise click.UsageError("give --org-code, --org-name and --org-level together")
    organisation = OrganisationOptions(org_code, org_name, org_level) \
        if org_code and org_name and org_level else None
    for _, kind_value in _pairs(site_kinds, "--site-kind"):
        if kind_value not in ("server_room", "data_center"):
            raise click.BadParameter(f"kind {kind_value!r} is not server_room or data_center",
                                     param_hint="--site-kind")
    options = ImportOptions(
        organisation=organisation, default_site=default_site,
        default_site_name=default_site_name, site_kinds=_pairs(site_kinds, "--site-kind"),
        site_map=_pairs(site_map, "--site-map"), site_from_group=site_from_group,
        netbox=NetBoxOptions(token_env=netbox_token_env, ca_bundle=netbox_ca_bundle,
                             insecure=insecure, timeout=timeout, sites=netbox_sites,
                             tags=netbox_tags, statuses=netbox_statuses or ("active",),
                             devices=not netbox_no_devices,
                             virtual_machines=not netbox_no_vms),
        hypervisor=HypervisorOptions(user=hv_user, password_env=password_env,
                                     token_env=token_env, ca_file=ca_file,
                                     insecure_tls=insecure_tls, timeout=timeout))
    report = run_import(IMPORTERS[kind], source, output, options, dry_run=dry_run)
    if not quiet:
        for line in report.lines():
            click.echo(line, err=True)
