"""Command-line wiring: every command documented, exit codes, internal errors logged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import auditor.cli.inventory as cli_inventory
from auditor.cli.main import cli
from conftest import REPO, run_cli


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names.extend(_commands(command, full + " "))
        else:
            names.append(full)
    return names


COMMANDS = _commands(cli)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    first_line = result.output.split("\n\n")[1].strip()
    assert len(first_line) > 20, f"'{command} --help' does not say what it does"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (REPO / "README.md").read_text()
    assert f"auditor {command}" in readme


def test_version_and_module_entry_point() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert "auditor, version" in result.stdout


def test_a_scan_loads_neither_the_check_nor_the_report_nor_the_web_libraries() -> None:
    """What `auditor scan` imports before its first host: its start-up is its pace on few hosts."""
    code = ("import sys, auditor.cli.main, auditor.collect.progress, auditor.collect.scan, "
            "auditor.collect.transports; "
            "print(' '.join(m for m in ('jinja2', 'requests', 'auditor.check', "
            "'auditor.spec.lint', 'auditor.recommend') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPO).stdout.split()
    assert loaded == []


def test_usage_error_is_exit_2() -> None:
    result = run_cli("audit")
    assert result.returncode == 2
    assert "Missing argument" in result.stderr


def test_unknown_report_format_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("report", str(tmp_path), "--format", "pdf")
    assert result.returncode == 2
    assert "unknown report format pdf" in result.stderr


def test_internal_error_is_exit_4_with_a_saved_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cli_inventory, "load_inventory", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["inventory", "validate", "x.yaml"])
    assert result.exit_code == 4
    assert "this is a bug in auditor" in result.output
    logs = list((tmp_path / "auditor").glob("crash-*.log"))
    assert len(logs) == 1
    assert "simulated bug" in logs[0].read_text()
    assert "Traceback" not in result.output


def test_inventory_import_from_csv_writes_a_valid_inventory(tmp_path: Path) -> None:
    csv_file = tmp_path / "hosts.csv"
    csv_file.write_text("id,address,port,site,criticality\n"
                        "web-01,10.20.0.5,22,ruang-server,high\n"
                        "db-01,10.20.0.6,2222,ruang-server,tinggi\n")
    out = tmp_path / "inventory.yaml"
    result = CliRunner().invoke(cli, [
        "inventory", "import", "--from", "csv", str(csv_file), "-o", str(out),
        "--org-code", "32.73", "--org-name", "Pemerintah Kota Contoh", "--org-level", "kota"])
    assert result.exit_code == 0, result.output
    check = CliRunner().invoke(cli, ["inventory", "validate", str(out)])
    assert check.exit_code == 0, check.output
    assert "2 hosts" in check.output


def test_inventory_import_bad_csv_is_exit_2_with_row(tmp_path: Path) -> None:
    csv_file = tmp_path / "hosts.csv"
    csv_file.write_text("id,address,port\nweb-01,10.20.0.5,70000\n")
    result = CliRunner().invoke(cli, [
        "inventory", "import", "--from", "csv", str(csv_file), "-o", str(tmp_path / "i.yaml"),
        "--org-code", "32.73", "--org-name", "Kota", "--org-level", "kota"])
    assert result.exit_code == 2
    assert "hosts.csv:2: port:" in result.output
    assert not (tmp_path / "i.yaml").exists()
