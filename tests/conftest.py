"""Shared test helpers: the repository root, and the real CLI run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
