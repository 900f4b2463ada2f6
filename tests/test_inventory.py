"""Inventory validation: every broken inventory names its file, line and field; exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.errors import InputError
from auditor.inventory.load import load_inventory
from conftest import REPO, run_cli

CORPUS = REPO / "tests" / "data" / "inventories"

# file -> (line, field, fragment of the message)
EXPECTED = {
    "unknown-key.yaml": (10, "hosts[0].adress", "did you mean 'address'"),
    "wrong-type-port.yaml": (9, "hosts[0].port", "expected integer"),
    "duplicate-host-id.yaml": (8, "hosts[2].id", "duplicate id 'web'"),
    "unknown-site.yaml": (8, "hosts[1].site", "site 'gedung-b' is not defined"),
    "unknown-jump.yaml": (9, "hosts[0].jump", "jump host 'bastion' is not defined"),
    "missing-key-file.yaml": (9, "hosts[0].key_file", "key file 'keys/does-not-exist' not found"),
    "clear-password.yaml": (10, "hosts[0].password", "password_env"),
    "bad-kind.yaml": (6, "sites[0].kind", '"gudang" is not one of'),
    "bad-yaml.yaml": (6, "", "YAML syntax"),
    "duplicate-key.yaml": (7, "sites[0].name", "duplicate key (first given on line 5)"),
    "missing-organisation.yaml": (1, "", "missing required key 'organisation'"),
    "bad-id.yaml": (6, "hosts[0].id", "lower-case letters"),
    "id-trailing-newline.yaml": (6, "hosts[0].id", "lower-case letters"),
    "jump-loop.yaml": (6, "hosts[0].jump", "jump hosts form a loop"),
    "ssh-without-address.yaml": (6, "hosts[0]", "needs 'address'"),
    "org-code-number.yaml": (2, "organisation.code", "quoted"),
    "missing-facility-file.yaml": (7, "sites[0].facility", "'facility/s1.yaml' not found"),
    "empty.yaml": (1, "", "expected a mapping"),
    "service-unknown-host.yaml": (8, "services[0].host", "host 'web-99' is not defined"),
}


def test_corpus_is_fully_covered() -> None:
    assert sorted(p.name for p in (CORPUS / "bad").glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_inventory_is_located(name: str) -> None:
    line, field, fragment = EXPECTED[name]
    with pytest.raises(InputError) as raised:
        load_inventory(CORPUS / "bad" / name)
    problems = raised.value.problems
    assert problems, str(raised.value)
    matching = [p for p in problems if fragment in p.message]
    assert matching, [str(p) for p in problems]
    assert matching[0].line == line
    assert matching[0].field == field
    assert matching[0].file.endswith(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_command_exits_2_without_traceback(name: str) -> None:
    result = CliRunner().invoke(cli, ["inventory", "validate", str(CORPUS / "bad" / name)])
    assert result.exit_code == 2
    line, _field, fragment = EXPECTED[name]
    assert f"{name}:{line}:" in result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_validate_as_a_real_process_prints_one_clear_error() -> None:
    result = run_cli("inventory", "validate", str(CORPUS / "bad" / "unknown-site.yaml"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(r"unknown-site\.yaml:8: hosts\[1\]\.site: site 'gedung-b'", result.stderr)


def test_good_inventory_loads_with_defaults_and_resolved_paths() -> None:
    inventory = load_inventory(CORPUS / "good" / "full.yaml")
    web = inventory.host("web-01")
    assert web.user == "auditor"  # from defaults
    assert web.jump == "bastion"
    assert web.key_file == CORPUS / "good" / "keys" / "auditor"
    assert inventory.host("self").transport == "local"
    assert inventory.host("db-01").password_env == "DB01_PASSWORD"
    assert inventory.services[0].host == "web-01"
    result = CliRunner().invoke(cli, ["inventory", "validate", str(CORPUS / "good" / "full.yaml")])
    assert result.exit_code == 0
    assert "4 hosts" in result.output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["inventory", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("organisation: Kab. Pemalang \xe9\n".encode("latin-1"))
    result = CliRunner().invoke(cli, ["inventory", "validate", str(path)])
    assert result.exit_code == 2
    assert "not UTF-8" in result.output
