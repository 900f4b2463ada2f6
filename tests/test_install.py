"""Installing as a newcomer would: the README's quick start on a stock PATH, and offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

STOCK_PYTHON = Path("/usr/bin/python3")


def _checkout_copy(dest: Path) -> Path:
    """The files a fresh clone would have (tracked and new, not ignored ones), in ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _stock_env(home: Path) -> dict[str, str]:
    """This environment with PATH as a stock Debian has it and no virtual environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "AUDITOR_VENV")}
    env["PATH"] = "/usr/bin:/bin"
    env["XDG_STATE_HOME"] = str(home / "state")
    return env


def _quick_start_command() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", readme, re.S)
    assert block, "README has no quick start command"
    command = block.group(1).strip()
    assert "\n" not in command
    return command


@pytest.fixture()
def stock_python() -> Path:
    if not STOCK_PYTHON.is_file():
        pytest.skip("needs Debian's /usr/bin/python3 (the Python a stock PATH finds)")
    probe = subprocess.run([str(STOCK_PYTHON), "-c", "import ensurepip, venv"],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("Debian's python3 has no venv module (apt-get install python3-venv)")
    return STOCK_PYTHON


def test_readme_quick_start_works_with_a_stock_path(stock_python: Path, tmp_path: Path) -> None:
    clone = _checkout_copy(tmp_path / "clone")
    command = _quick_start_command()
    result = subprocess.run(["/bin/sh", "-c", command], cwd=clone, env=_stock_env(tmp_path),
                            capture_output=True, text=True, timeout=900, check=False)
    # the example fails facility controls on purpose: exit 1 is "non-compliance found"
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert (clone / "reports" / "example" / "report.html").is_file()
    created = (clone / ".venv" / "pyvenv.cfg").read_text()
    assert str(stock_python.parent) in created   # made by the stock python3 on PATH


def test_offline_install_from_a_wheelhouse_starts_and_audits(stock_python: Path,
                                                              tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to cut the network")
    clone = _checkout_copy(tmp_path / "clone")
    wheelhouse = tmp_path / "wheelhouse"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir",
                            str(wheelhouse), "-c", str(clone / "constraints.txt"), str(clone)],
                           capture_output=True, text=True, timeout=900, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next(wheelhouse.glob("auditor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for packaged in ("auditor/examples/example.yaml", "auditor/examples/hosts-template.csv",
                     "auditor/examples/facility/ruang-server-balaikota.yaml",
                     "auditor/specs/national.yaml", "auditor/report/templates/report.html.j2"):
        assert packaged in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith("/LICENSE")
               for n in names)
    work = tmp_path / "offline"
    work.mkdir()
    script = (f'set -e\n"{stock_python}" -m venv venv\n'
              f'venv/bin/pip install -q --no-index --find-links "{wheelhouse}" auditor\n'
              'cd /\n'   # away from any checkout: only the installed package is there
              f'"{work}/venv/bin/auditor" init "{work}/mypemda"\n'
              f'"{work}/venv/bin/auditor" audit "{work}/mypemda/inventory.yaml" '
              f'-o "{work}/mypemda/bundle" -q || echo "audit=$?"\n')
    env = _stock_env(tmp_path)
    env["PIP_CONFIG_FILE"] = os.devnull   # nothing but the wheelhouse
    env.pop("PIP_FIND_LINKS", None)
    result = subprocess.run(["unshare", "--net", "/bin/sh", "-c", script], cwd=work, env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "audit=1" in result.stdout   # ran, and found the example room non-compliant
    assert (work / "mypemda" / "bundle" / "report.html").is_file()
    assert (work / "mypemda" / "templates" / "hosts-template-id.csv").is_file()


def test_init_writes_a_starter_that_validates_and_never_overwrites(tmp_path: Path) -> None:
    from conftest import run_cli

    folder = tmp_path / "mypemda"
    first = run_cli("init", str(folder))
    assert first.returncode == 0, first.stderr
    assert f"auditor audit {folder / 'inventory.yaml'}" in first.stderr
    assert run_cli("inventory", "validate", str(folder / "inventory.yaml")).returncode == 0
    (folder / "inventory.yaml").write_text("# my own edits\n")
    again = run_cli("init", str(folder))
    assert again.returncode == 2
    assert "would overwrite" in again.stderr and "--force" in again.stderr
    assert (folder / "inventory.yaml").read_text() == "# my own edits\n"
    forced = run_cli("init", str(folder), "--force")
    assert forced.returncode == 0
    assert "hosts:" in (folder / "inventory.yaml").read_text()
