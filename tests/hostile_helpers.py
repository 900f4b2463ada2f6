"""Hostile YAML and JSON documents, and the CLI run under a memory limit and a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 1024 * 1024 * 1024
"""Address space the CLI may use in these tests: a bomb that gets through fails, not swaps."""
CLI_TIMEOUT = 120
"""Seconds before a CLI run counts as hung (a bomb takes forever, a refusal a moment)."""

_BOUNDED = ("import resource, runpy, sys; "
            f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT})); "
            "sys.argv[0] = 'auditor'; runpy.run_module('auditor', run_name='__main__')")

ORGANISATION = 'version: 1\norganisation: {code: "32.99", name: Kota Bom, level: kota}\n'


def run_bounded(*args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``python -m auditor ARGS`` with this checkout first, under the memory limit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", _BOUNDED, *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def assert_clean(result: subprocess.CompletedProcess[str],
                 codes: tuple[int, ...] = (0, 1, 2, 3)) -> str:
    """The run ended in one of ``codes`` with no traceback; returns stdout + stderr."""
    out = result.stdout + result.stderr
    assert result.returncode in codes, (result.returncode, out[-3000:])
    assert "Traceback" not in out and "internal error" not in out, out[-3000:]
    return out


def billion_laughs(levels: int = 9, width: int = 9, prefix: str = ORGANISATION) -> str:
    """The classic bomb: each anchor repeats the previous one ``width`` times."""
    lines = [prefix, f'l0: &l0 [{", ".join(["lol"] * width)}]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def deep_yaml(levels: int, kind: str) -> str:
    """YAML nested ``levels`` deep: flow sequences, flow mappings or compact block sequences."""
    if kind == "flow-seq":
        return "[" * levels + "]" * levels + "\n"
    if kind == "flow-map":
        return "{a: " * levels + "x" + "}" * levels + "\n"
    if kind == "block-seq":
        return "- " * levels + "x\n"
    raise ValueError(kind)


def deep_json(levels: int, kind: str = "array") -> str:
    """JSON nested ``levels`` deep."""
    if kind == "array":
        return "[" * levels + "]" * levels
    return '{"a":' * levels + "1" + "}" * levels
