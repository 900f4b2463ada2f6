"""The import entry point: read a source, merge into the output, validate, write atomically."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from auditor.bundle.folder import atomic_write_text
from auditor.bundle.yamlfile import load_yaml
from auditor.errors import AuditorError, InputError
from auditor.inventory.importers.interface import (
    ImportFrom,
    ImportOptions,
    ImportResult,
    OrganisationOptions,
    Skipped,
)
from auditor.inventory.importers.merge import merge
from auditor.inventory.load import load_inventory, make_id


@dataclass(frozen=True)
class ImportReport:
    """What an import did, for the user to read."""

    output: Path
    written: bool
    """False on a dry run."""
    hosts_added: tuple[str, ...]
    hosts_updated: tuple[str, ...]
    hosts_unchanged: tuple[str, ...]
    hosts_kept: tuple[str, ...]
    """Hosts already in the output that the source no longer has: kept, never dropped."""
    sites_added: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]

    def lines(self) -> list[str]:
        """A short human summary, one fact per line."""
        verb = "wrote" if self.written else "would write (dry run)"
        out = [f"{verb} {self.output}: {len(self.hosts_added)} host(s) added, "
               f"{len(self.hosts_updated)} updated, {len(self.hosts_unchanged)} unchanged, "
               f"{len(self.sites_added)} site(s) added"]
        if self.hosts_kept:
            out.append(f"kept {len(self.hosts_kept)} host(s) the source no longer lists "
                       f"(remove them by hand if they are gone): {', '.join(self.hosts_kept)}")
        if self.skipped:
            out.append(f"skipped {len(self.skipped)}:")
            out.extend(f"  {item}" for item in self.skipped)
        if self.warnings:
            out.append(f"{len(self.warnings)} warning(s):")
            out.extend(f"  {w}" for w in self.warnings)
        return out


class _Dumper(yaml.SafeDumper):
    """Block style, with lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Indent sequences under their key, as people write them."""
        super().increase_indent(flow, False)


def _shown_source(source: str) -> str:
    """The source for the file header: never a user:password or a query string."""
    parts = urlsplit(source)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        source = urlunsplit((parts.scheme, host + port, parts.path, "", ""))
    return "".join(c if c.isprintable() else " " for c in source)[:200]


def render(data: dict[str, Any], kind: str, source: str) -> str:
    """The inventory as YAML text with a header saying where it came from."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    shown = _shown_source(source)
    head = (f"# Imported by 'auditor inventory import --from {kind}' from {shown} on {stamp}.\n"
            "# Hand edits are kept on the next import (site, role, criticality, applications,\n"
            "# facility, costs...); connection fields come from the source.\n")
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    return head + body


def _finish_key_files(result: ImportResult, output: Path) -> ImportResult:
    """Key files that exist are written relative to the output; missing ones are reported."""
    skipped = list(result.skipped)
    folder = output.resolve().parent
    hosts = []
    for host in result.data["hosts"]:
        key = host.get("key_file")
        if key is not None:
            path = Path(key)
            host = dict(host)
            if path.is_file():
                resolved = path.resolve()
                inside = resolved.is_relative_to(folder)
                host["key_file"] = str(resolved.relative_to(folder)) if inside else str(resolved)
            else:
                del host["key_file"]
                skipped.append(Skipped(f"host {host['id']}: key_file",
                                       f"'{key}' is not on this machine; copy the key here and "
                                       "set key_file (or agent: true)"))
        hosts.append(host)
    return dataclasses.replace(result, data=result.data | {"hosts": hosts},
                               skipped=tuple(skipped))


def _existing(output: Path) -> tuple[dict[str, Any] | None, list[str]]:
    if not output.exists():
        return None, []
    doc = load_yaml(output)
    if not isinstance(doc.data, dict):
        raise InputError(f"{output}: exists but is not an inventory; choose another -o file")
    try:
        load_inventory(output)
    except InputError as exc:
        raise InputError(f"{output}: the existing inventory is not valid, so nothing was "
                         f"imported; fix it first ({exc.args[0]})", exc.problems) from None
    warnings = []
    text = output.read_text(encoding="utf-8", errors="replace")
    if any(line.lstrip().startswith("#") for line in text.splitlines()):
        warnings.append(f"{output}: its comments are not kept by the merge (values are)")
    return doc.data, warnings


def _validate_and_write(text: str, output: Path, dry_run: bool) -> None:
    """Write a temp file beside the output, load it as an inventory, then rename it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".import.yaml",
                                dir=output.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        atomic_write_text(tmp, text)
        try:
            load_inventory(tmp)
        except InputError as exc:
            problems = [dataclasses.replace(p, file=f"{output} (as imported)", line=None)
                        for p in exc.problems]
            raise InputError(f"{output}: the imported inventory would not be valid, so nothing "
                             "was written", problems) from None
        if not dry_run:
            os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)


def run_import(importer: ImportFrom, source: str, output: Path, options: ImportOptions,
               dry_run: bool = False) -> ImportReport:
    """Import ``source`` with ``importer`` into ``output`` (merged when it exists)."""
    kind = importer.name
    existing, warnings = _existing(output)
    org = existing.get("organisation") if existing else None
    if not isinstance(org, dict):
        if options.organisation is None:
            raise InputError(f"{output} does not exist yet: give the organisation with "
                             "--org-code, --org-name and --org-level")
        org = dataclasses.asdict(options.organisation)
    elif options.organisation is not None and \
            dataclasses.asdict(options.organisation) != org:
        warnings.append(f"organisation kept as in {output} ({org.get('name')}); edit it there "
                        "to change it")
    if not options.default_site:
        org_name = str(org.get("name") or "")
        options = dataclasses.replace(options, default_site=make_id(org_name) or "site",
                                      default_site_name=options.default_site_name or org_name
                                      or None)
    result = _finish_key_files(importer.importer.read(source, options), output)
    if not result.data["hosts"] and existing is None:
        raise InputError(f"{source}: no host could be imported, nothing was written",
                         []) if not result.skipped else InputError(
            f"{source}: no host could be imported, nothing was written:\n" +
            "\n".join(f"  {s}" for s in result.skipped))
    base = existing if existing is not None else {"version": 1, "organisation": org}
    outcome = merge(base, result.data)
    text = render(outcome.data, kind, source)
    secret_env = importer.secret_env(options)
    secret = options.env().get(secret_env, "") if secret_env else ""
    if len(secret) >= 4 and secret in text:
        raise AuditorError(f"refusing to write: the {kind} secret would reach the file")
    _validate_and_write(text, output, dry_run)
    return ImportReport(output=output, written=not dry_run, hosts_added=outcome.added,
                        hosts_updated=outcome.updated, hosts_unchanged=outcome.unchanged,
                        hosts_kept=outcome.kept, sites_added=outcome.sites_added,
                        skipped=result.skipped, warnings=(*warnings, *result.warnings))


__all__ = ["ImportReport", "OrganisationOptions", "run_import"]
