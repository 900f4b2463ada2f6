"""Reads Ansible inventories (INI and YAML, plus host_vars/ and group_vars/) without Ansible."""

from __future__ import annotations

import ast
import dataclasses
import re
import shlex
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.bundle.jsonfile import parse_json
from auditor.bundle.yamlfile import read_user_bytes, screen_yaml
from auditor.errors import InputError, Problem

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_RANGE_HOSTS = 100_000
YAML_SUFFIXES = (".yml", ".yaml", ".json")
SKIPPED_SUFFIXES = (".retry", ".pyc", ".pyo", ".swp", ".bak", ".orig", ".ini~", "~", ".md")


class Vaulted:
    """A value encrypted with ansible-vault: never decrypted, reported instead."""

    def __repr__(self) -> str:
        return "<vaulted>"


class _VarsLoader(yaml.SafeLoader):
    """SafeLoader that understands Ansible's !vault and !unsafe tags."""


def _vault(loader: yaml.SafeLoader, node: yaml.Node) -> Vaulted:
    return Vaulted()


def _unsafe(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    return None


_VarsLoader.add_constructor("!vault", _vault)
_VarsLoader.add_constructor("!unsafe", _unsafe)


@dataclass
class Group:
    """One Ansible group as the files declare it."""

    name: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnsibleInventory:
    """Groups, hosts (in first-seen order) and their own vars, before precedence is applied."""

    groups: dict[str, Group] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def group(self, name: str) -> Group:
        """The group, created empty when first named."""
        if name not in self.groups:
            self.groups[name] = Group(name)
        return self.groups[name]

    def add_host(self, group: str, name: str, variables: dict[str, Any]) -> None:
        """Put a host into a group, merging the vars given on this line."""
        self.hosts.setdefault(name, {}).update(variables)
        members = self.group(group).hosts
        if name not in members:
            members.append(name)

    def parents(self) -> dict[str, set[str]]:
        """Group -> groups that list it as a child."""
        out: dict[str, set[str]] = {name: set() for name in self.groups}
        for group in self.groups.values():
            for child in group.children:
                out.setdefault(child, set()).add(group.name)
        return out


def _read_text(path: Path) -> str:
    raw = read_user_bytes(path, str(path), "a file", MAX_FILE_BYTES)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") \
            from None


def _literal(text: str) -> Any:
    """An INI value the way Ansible reads it: a Python literal when it is one, else text."""
    if text.startswith("$ANSIBLE_VAULT"):
        return Vaulted()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def expand_pattern(pattern: str) -> list[str]:
    """Expand Ansible host ranges such as ``web[01:03]`` or ``db-[a:c]``."""
    match = re.search(r"\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::([0-9]+))?\]", pattern)
    if not match:
        return [pattern]
    head, tail = pattern[:match.start()], pattern[match.end():]
    start, end, step_text = match.group(1), match.group(2), match.group(3)
    step = int(step_text) if step_text else 1
    if start.isdigit() and end.isdigit():
        width = len(start) if start.startswith("0") and len(start) > 1 else 0
        values = [str(n).zfill(width) for n in range(int(start), int(end) + 1, max(step, 1))]
    elif len(start) == 1 and len(end) == 1 and start in string.ascii_letters:
        letters = string.ascii_letters
        values = list(letters[letters.index(start):letters.index(end) + 1:max(step, 1)])
    else:
        raise ValueError(f"host range [{match.group(0)[1:-1]}] is not numeric or single letters")
    if len(values) > MAX_RANGE_HOSTS:
        raise ValueError(f"host range gives more than {MAX_RANGE_HOSTS} hosts")
    out: list[str] = []
    for value in values:
        out.extend(expand_pattern(head + value + tail))
        if len(out) > MAX_RANGE_HOSTS:
            raise ValueError(f"host range gives more than {MAX_RANGE_HOSTS} hosts")
    return out


def split_host_port(pattern: str) -> tuple[str, int | None]:
    """``name:port`` -> (name, port); IPv6 and bracketed ranges are left alone."""
    if pattern.count(":") == 1 or (pattern.startswith("[") and "]:" in pattern):
        name, _, port = pattern.rpartition(":")
        if port.isdigit() and not name.endswith("["):
            return name.strip("[]") if pattern.startswith("[") else name, int(port)
    return pattern, None


def parse_ini(text: str, shown: str, inv: AnsibleInventory) -> None:
    """Read an INI inventory into ``inv``; InputError names file and line on bad lines."""
    problems: list[Problem] = []
    section, kind = "ungrouped", "hosts"
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section, kind = _ini_section(line, Problem(shown, number, "", ""), problems)
            inv.group(section)
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError as exc:
            problems.append(Problem(shown, number, section, f"cannot split the line ({exc})"))
            continue
        if tokens:
            _ini_line(inv, section, kind, line, tokens, Problem(shown, number, section, ""),
                      problems)
    if problems:
        raise InputError(f"{shown}: not a readable Ansible INI inventory", problems)


def _ini_section(line: str, at: Problem, problems: list[Problem]) -> tuple[str, str]:
    """The group and kind (hosts, vars, children) a ``[group:kind]`` line opens."""
    name, _, kind = line[1:-1].partition(":")
    section, kind = name.strip(), kind.strip() or "hosts"
    if kind not in ("hosts", "vars", "children"):
        problems.append(dataclasses.replace(at, field=section, message=(
            f"unknown section kind ':{kind}' (expected :vars or :children)")))
        kind = "hosts"
    return section, kind


def _ini_line(inv: AnsibleInventory, section: str, kind: str, line: str, tokens: list[str],
              at: Problem, problems: list[Problem]) -> None:
    """One line of a section: a child group, a group variable, or a host with its variables.

    ``at`` is where the line is (file, line number, section), for its problems.
    """
    if kind == "children":
        child = tokens[0]
        inv.group(child)
        if child not in inv.group(section).children:
            inv.group(section).children.append(child)
    elif kind == "vars":
        key, sep, value = line.partition("=")
        if not sep:
            problems.append(dataclasses.replace(at, message="expected key=value in a :vars "
                                                            "section"))
            return
        inv.group(section).vars[key.strip()] = _literal(value.strip())
    else:
        variables: dict[str, Any] = {}
        for token in tokens[1:]:
            key, sep, value = token.partition("=")
            if not sep:
                problems.append(dataclasses.replace(at, field=tokens[0], message=(
                    f"expected key=value, got {token!r}")))
                break
            variables[key] = _literal(value)
        _add_pattern(inv, section, tokens[0], variables, at.file, at.line, problems)


def _add_pattern(inv: AnsibleInventory, group: str, pattern: str, variables: dict[str, Any],
                 shown: str, line: int | None, problems: list[Problem]) -> None:
    name, port = split_host_port(pattern)
    try:
        names = expand_pattern(name)
    except ValueError as exc:
        problems.append(Problem(shown, line, pattern, str(exc)))
        return
    for host in names:
        extra = {"ansible_port": port} if port is not None else {}
        inv.add_host(group, host, extra | variables)


def load_vars_yaml(text: str, shown: str) -> Any:
    """YAML/JSON vars, with Ansible's tags understood and nothing executed."""
    if text.lstrip().startswith("$ANSIBLE_VAULT"):
        return Vaulted()
    try:
        screen_yaml(text, shown, _VarsLoader)
        return yaml.load(text, Loader=_VarsLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError("invalid YAML", [Problem(shown, mark.line + 1 if mark else None, "",
                                                  f"{exc.problem or 'syntax error'}")]) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{shown}: invalid YAML ({exc})") from None
    except (ValueError, TypeError, KeyError) as exc:  # e.g. "!!int x", "!!bool maybe"
        raise InputError(f"{shown}: invalid YAML: a value cannot be read ({exc})") from None


def _yaml_group(inv: AnsibleInventory, name: str, body: Any, shown: str,
                problems: list[Problem], depth: int = 0) -> None:
    group = inv.group(name)
    if body is None:
        return
    if not isinstance(body, dict) or depth > 100:
        problems.append(Problem(shown, None, name, "a group must be a mapping of hosts, "
                                                   "children and vars"))
        return
    for key in body:
        if key not in ("hosts", "children", "vars"):
            problems.append(Problem(shown, None, f"{name}.{key}", "unknown group key "
                                    "(expected hosts, children or vars)"))
    variables = body.get("vars") or {}
    if isinstance(variables, dict):
        group.vars.update(variables)
    hosts = body.get("hosts") or {}
    if isinstance(hosts, list):
        hosts = dict.fromkeys(hosts)
    if not isinstance(hosts, dict):
        problems.append(Problem(shown, None, f"{name}.hosts", "expected a mapping of hosts"))
        hosts = {}
    for pattern, host_vars in hosts.items():
        own = host_vars if isinstance(host_vars, dict) else {}
        _add_pattern(inv, name, str(pattern), own, shown, None, problems)
    children = body.get("children") or {}
    if not isinstance(children, dict):
        problems.append(Problem(shown, None, f"{name}.children", "expected a mapping of groups"))
        children = {}
    for child, child_body in children.items():
        if str(child) not in group.children:
            group.children.append(str(child))
        _yaml_group(inv, str(child), child_body, shown, problems, depth + 1)


def parse_yaml_inventory(text: str, shown: str, inv: AnsibleInventory) -> None:
    """Read a YAML (or JSON) inventory into ``inv``."""
    data = load_vars_yaml(text, shown)
    if data is None:
        return
    if not isinstance(data, dict):
        raise InputError(f"{shown}: a YAML inventory is a mapping of groups (e.g. 'all:')")
    problems: list[Problem] = []
    for name, body in data.items():
        _yaml_group(inv, str(name), body, shown, problems)
    if problems:
        raise InputError(f"{shown}: not a readable Ansible YAML inventory", problems)


def _vars_files(folder: Path, name: str) -> list[Path]:
    """Files Ansible reads for ``group_vars/NAME`` or ``host_vars/NAME``."""
    out: list[Path] = []
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return out
    for candidate in (folder / name, *(folder / f"{name}{s}" for s in YAML_SUFFIXES)):
        if candidate.is_file():
            out.append(candidate)
        elif candidate.is_dir():
            out.extend(sorted(p for p in candidate.rglob("*") if p.is_file()
                              and not p.name.startswith(".")
                              and p.suffix in ("", *YAML_SUFFIXES)))
    return out


def read_vars_folder(base: Path, kind: str, name: str, inv: AnsibleInventory) -> dict[str, Any]:
    """The vars from ``BASE/KIND/NAME[.yml]`` (KIND is group_vars or host_vars)."""
    merged: dict[str, Any] = {}
    for path in _vars_files(base / kind, name):
        data = load_vars_yaml(_read_text(path), str(path))
        if isinstance(data, Vaulted):
            inv.warnings.append(f"{path}: encrypted with ansible-vault; not read (decrypt a copy "
                                "without secrets, or set the values on the command line)")
        elif isinstance(data, dict):
            merged.update(data)
        elif data is not None:
            inv.warnings.append(f"{path}: not a mapping of variables; ignored")
    return merged


def inventory_files(source: Path) -> list[Path]:
    """The inventory files of a source file or folder (never executed)."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise InputError(f"{source}: no such file or folder")
    return sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith(SKIPPED_SUFFIXES))


def read_ansible(source: Path) -> AnsibleInventory:
    """Read an inventory file or folder, with group_vars/ and host_vars/ beside it."""
    inv = AnsibleInventory()
    inv.group("all")
    inv.group("ungrouped")
    files = inventory_files(source)
    for path in files:
        text = _read_text(path)
        if path.suffix in YAML_SUFFIXES:
            if path.suffix == ".json":
                parse_json(text, str(path))
            parse_yaml_inventory(text, str(path), inv)
        else:
            if path.stat().st_mode & 0o111 and text.startswith("#!"):
                inv.warnings.append(f"{path}: a dynamic inventory script; not run (export its "
                                    "output with 'ansible-inventory --list -y' and import that)")
                continue
            parse_ini(text, str(path), inv)
    base = source if source.is_dir() else source.parent
    for name, group in inv.groups.items():
        group.vars.update(read_vars_folder(base, "group_vars", name, inv))
    for name, own in inv.hosts.items():
        own.update(read_vars_folder(base, "host_vars", name, inv))
    listed = {h for g in inv.groups.values() if g.name not in ("all", "ungrouped")
              for h in g.hosts}
    for name in inv.hosts:
        if name not in listed and name not in inv.groups["ungrouped"].hosts:
            inv.groups["ungrouped"].hosts.append(name)
    return inv
