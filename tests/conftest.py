"""Shared test helpers: the repository root, the real CLI as a subprocess, the sshd fleet."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet import HOSTILE_OS_RELEASE, INNER_NAME, Fleet, Tarpit, sshd_available, tarpit

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "inventory" / "example.yaml"


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m auditor ARGS`` with this checkout first on the path."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def example_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real audit of the bundled example, shared by tests that only read it."""
    out = tmp_path_factory.mktemp("example") / "bundle"
    result = run_cli("audit", str(EXAMPLE), "-o", str(out), "--format", "html,md,json")
    assert result.returncode in (0, 1), result.stderr
    return out


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """The standard fleet: several distributions and hardening levels, and odd hosts."""
    reason = sshd_available()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="auditor-fleet-"))
    fleet = Fleet(root)
    try:
        fleet.start("deb12", distro="debian-12", permit_root="no", password_auth=False)
        fleet.start("u2004", distro="ubuntu-20.04", permit_root="yes", password_auth=True)
        fleet.start("u2204", distro="ubuntu-22.04", permit_root="prohibit-password")
        fleet.start("c7", distro="centos-7", permit_root="yes", password_auth=True)
        fleet.start("rocky9", distro="rocky-9", permit_root="no", password_auth=False)
        fleet.start("pw", distro="debian-12", password_auth=True)
        fleet.start("changed", distro="debian-12", log_level="DEBUG")
        fleet.start("unknown", distro="debian-12")
        fleet.start("bastion", distro="debian-12", forwarding=True, log_level="DEBUG",
                    etc_hosts=f"127.0.0.1 localhost\n127.0.0.1 {INNER_NAME}\n")
        fleet.start("inner", distro="rocky-9", log_level="VERBOSE")
        fleet.start("hostile", os_release=HOSTILE_OS_RELEASE)
        yield fleet
    finally:
        fleet.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pit() -> Iterator[Tarpit]:
    """A TCP port that accepts and never speaks."""
    with tarpit() as port:
        yield port


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every test must run: a skip there means an install step is missing."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if os.environ.get("CI") and skipped and exitstatus == 0:
        if reporter is not None:
            reporter.write_line(f"CI: {len(skipped)} tests were skipped; every test must run "
                                "in CI (the skip reasons are listed below)", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
