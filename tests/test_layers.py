"""The stage folders are layers: no module imports a later stage (README "How it works")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "auditor"

LAYERS = (
    ("floor", "messages"),      # the shared floor and the bilingual message catalogue
    ("bundle",),
    ("inventory",),
    ("collect",),
    ("inventory.importers",),   # an importer reads a live source with the scan's own client
    ("spec",),                  # lint knows what the collectors can report
    ("judge",),
    ("recommend",),
    ("check",),                 # the check stage: judge, then recommend, then write once
    ("report",),
    ("review", "history"),      # the central office: the review feeds its history
    ("cli", "__main__"),
)
"""Each entry may import itself and the entries above it, never one below."""


def _layer(module: str) -> int:
    """The index in LAYERS of an ``auditor.*`` module: its longest matching entry, else 0."""
    parts = module.split(".")[1:]
    longest, layer = 0, 0
    for index, names in enumerate(LAYERS):
        for name in names:
            prefix = name.split(".")
            if parts[:len(prefix)] == prefix and len(prefix) > longest:
                longest, layer = len(prefix), index
    return layer


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "auditor"]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_later_stage(path: Path) -> None:
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    mine = _layer(module)
    later = [f"line {line}: {name} ({'/'.join(LAYERS[_layer(name)])})"
             for line, name in _imports(path) if _layer(name) > mine]
    assert not later, f"{module} ({'/'.join(LAYERS[mine])}) imports a later stage: {later}"


def test_the_layers_name_every_stage_folder() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    named = {name.split(".")[0] for names in LAYERS for name in names}
    assert folders <= named | {"specs", "examples"}, folders - named
