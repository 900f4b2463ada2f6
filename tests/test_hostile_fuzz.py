"""Fuzz the YAML and JSON readers and the CLI with random and adversarial documents.

Every document ends in data or a located refusal (exit 0/1/2/3), never a traceback. The
readers run under an address-space limit, the CLI under the same limit and a timeout, so
a document that slips past the guards fails the test instead of eating the machine.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.bundle.jsonfile import MAX_JSON_DEPTH, parse_json
from auditor.bundle.yamlfile import MAX_YAML_DEPTH, load_yaml, parse_yaml
from auditor.errors import InputError
from auditor.inventory.importers.ansible_files import load_vars_yaml
from conftest import EXAMPLE
from hostile_helpers import (
    MEMORY_LIMIT,
    assert_clean,
    billion_laughs,
    deep_json,
    deep_yaml,
    run_bounded,
)

READER = settings(max_examples=int(os.environ.get("HOSTILE_FUZZ_READER_EXAMPLES", "300")),
                  deadline=None)
"""In-process readers: fast, so many examples (raise with the variable to explore)."""
CLI = settings(max_examples=int(os.environ.get("HOSTILE_FUZZ_CLI_EXAMPLES", "8")),
               deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.data_too_large])
"""A CLI run is a subprocess of about a second: a few examples per command."""

ODD = st.sampled_from(["\ufeff", "\u2028", "\u2029", "\x85", "\u202e", "\x00", "\t", "\r",
                       "\x7f", "\x1b[31m", "\U0010ffff", "\ue000", "é", "'", '"', "\\", ": ",
                       "- ", "#", "&a ", "*a", "!!", "%YAML 1.1\n", "---\n", "...\n", "{",
                       "[", "? ", "|\n", ">\n", "<<: ", "\n  ", "\\ud800", "1e999", "NaN"])
TAGS = st.sampled_from(["!!binary aGk=", "!!set {a}", "!!timestamp 2001-01-01", "!!omap [a: 1]",
                        "!!python/object/apply:os.system ['id']", "!!bool maybe", "!!float x",
                        "!!int 0x", "!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n",
                        "!unsafe '{{ x }}'", "!!merge x", "!!str [1]", "!!null x", "="])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=30), st.text(st.characters(codec="utf-8"), max_size=10))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) |
                      st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)
LEVELS = st.sampled_from([1, 2, 50, MAX_YAML_DEPTH - 1, MAX_YAML_DEPTH, MAX_YAML_DEPTH + 1,
                          1000, 200_000])

HOSTILE_YAML = st.one_of(
    st.builds(billion_laughs, st.integers(1, 12), st.integers(1, 12), st.just("")),
    st.builds(deep_yaml, LEVELS, st.sampled_from(["flow-seq", "flow-map", "block-seq"])),
    st.sampled_from(["a: &a [*a]\n", "&a {b: *a}\n", "a: &a {<<: *a}\n", "- &x [1, *x]\n",
                     "a: *nowhere\n", "a: &a 1\nb: &a 2\n", "a: 1\na: 2\n", "1: a\n'1': b\n",
                     "? [a]\n: b\n", "a: 1\n---\nb: 2\n", "", "~", "[]", "- x\n"]),
    st.integers(0, 3_000_000).map(lambda n: "a: " + "x" * n + "\n"),
    st.integers(1, 10_000).map(lambda n: "a: " + "9" * n + "\n"),
    TAGS.map(lambda tag: f"a: {tag}\n"),
    VALUES.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    st.text(max_size=300),
    st.lists(ODD, max_size=30).map("".join),
)
HOSTILE_JSON = st.one_of(
    st.builds(deep_json, LEVELS, st.sampled_from(["array", "object"])),
    VALUES.map(json.dumps),
    st.sampled_from(['"\\ud800"', '["\\udc00\\ud800"]', '"\\ud83d\\ude00"', "NaN", "-Infinity",
                     "1e999", "-0", '{"a": 1, "a": [2]}', '{"a": ', "\ufeff{}", '"[[[["',
                     '{"format": "auditor.facts/1", "status": "ok", "facts": []}',
                     '{"format": "auditor.results/1", "hosts": {"a": 1}, "sites": "x"}']),
    st.integers(1, 10_000).map(lambda n: "9" * n),
    st.integers(0, 3_000_000).map(lambda n: json.dumps({"a": "x" * n})),
    st.text(max_size=300),
    st.lists(ODD, max_size=30).map("".join),
)


def _splice(base: str, fragment: str, where: int) -> str:
    """``base`` with ``fragment`` inserted at a position (mod its length)."""
    at = where % (len(base) + 1)
    return base[:at] + fragment + base[at:]


def spliced(base: str, hostile: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A real document with a hostile fragment (or an odd character) inserted somewhere."""
    return st.builds(_splice, st.just(base), hostile | ODD, st.integers(0, 10**9))


def as_bytes(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Documents as the bytes of a file: UTF-8 text, or random bytes."""
    return text.map(lambda t: t.encode("utf-8", "surrogatepass")) | st.binary(max_size=400)


@contextmanager
def memory_guard() -> Iterator[None]:
    """Limit this process's address space to its current size plus MEMORY_LIMIT."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    status = Path("/proc/self/status").read_text()
    size = int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("VmSize:"))) * 1024
    limit = size + MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(hard,
                                                                          size + MEMORY_LIMIT)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def depth(value: Any) -> int:
    """Nesting depth of lists and dicts, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in
                         (item.values() if isinstance(item, dict) else item))
    return deepest


def json_like(value: Any, max_depth: int) -> None:
    """What a reader returns can be written as UTF-8 JSON and is not nested too deeply."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")
    assert depth(value) <= max_depth + 1


EXAMPLE_TEXT = EXAMPLE.read_text()
FACILITY_TEXT = (EXAMPLE.parent / "facility" / "ruang-server-balaikota.yaml").read_text()
ANSIBLE_TEXT = ("all:\n  vars: &common {ansible_user: deploy}\n  children:\n    web:\n"
                "      hosts:\n        web01: {<<: *common, ansible_host: 10.0.0.1}\n")


@READER
@given(text=HOSTILE_YAML | spliced(EXAMPLE_TEXT, HOSTILE_YAML))
def test_yaml_reader_returns_plain_data_or_a_located_refusal(text: str) -> None:
    with memory_guard():
        try:
            doc = parse_yaml(text, "f.yaml")
        except InputError as exc:
            assert "f.yaml" in str(exc)
            return
        json_like(doc.data, MAX_YAML_DEPTH)


@READER
@given(raw=as_bytes(HOSTILE_YAML))
def test_yaml_files_of_any_bytes(raw: bytes) -> None:
    path = Path(tempfile.mkdtemp()) / "f.yaml"
    try:
        path.write_bytes(raw)
        with memory_guard():
            try:
                json_like(load_yaml(path).data, MAX_YAML_DEPTH)
            except InputError as exc:
                assert str(path) in str(exc)
    finally:
        shutil.rmtree(path.parent)


@READER
@given(text=HOSTILE_YAML | spliced(ANSIBLE_TEXT, HOSTILE_YAML))
def test_ansible_vars_reader_ends_in_data_or_input_error(text: str) -> None:
    with memory_guard():
        try:
            load_vars_yaml(text, "group_vars/web.yml")
        except InputError as exc:
            assert "group_vars/web.yml" in str(exc)


@READER
@given(raw=as_bytes(HOSTILE_JSON))
def test_json_reader_returns_plain_data_or_a_named_refusal(raw: bytes) -> None:
    with memory_guard():
        try:
            value = parse_json(raw, "f.json")
        except InputError as exc:
            assert str(exc).startswith("f.json")
            return
        json_like(value, MAX_JSON_DEPTH)


def _bundle(example_bundle: Path, root: Path) -> Path:
    bundle = root / "bundle"
    shutil.copytree(example_bundle, bundle)
    return bundle


@CLI
@given(text=HOSTILE_YAML | spliced(EXAMPLE_TEXT, HOSTILE_YAML))
def test_cli_inventory_validate(text: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        inventory = Path(root) / "inventory.yaml"
        inventory.write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_clean(run_bounded("inventory", "validate", str(inventory)))


@CLI
@given(raw=as_bytes(HOSTILE_YAML | spliced(FACILITY_TEXT, HOSTILE_YAML)))
def test_cli_check_with_hostile_facility_answers(raw: bytes, example_bundle: Path) -> None:
    with tempfile.TemporaryDirectory() as root:
        bundle = _bundle(example_bundle, Path(root))
        (bundle / "facility" / "ruang-server-balaikota.yaml").write_bytes(raw)
        assert_clean(run_bounded("check", str(bundle)))


@CLI
@given(raw=as_bytes(HOSTILE_JSON))
def test_cli_check_with_hostile_facts_file(raw: bytes, example_bundle: Path) -> None:
    with tempfile.TemporaryDirectory() as root:
        bundle = _bundle(example_bundle, Path(root))
        (bundle / "facts" / "self.json").write_bytes(raw)
        assert_clean(run_bounded("check", str(bundle)))


@CLI
@given(raw=as_bytes(HOSTILE_JSON))
def test_cli_report_and_review_with_hostile_results(raw: bytes, example_bundle: Path) -> None:
    with tempfile.TemporaryDirectory() as root:
        bundle = _bundle(example_bundle, Path(root))
        (bundle / "results.json").write_bytes(raw)
        assert_clean(run_bounded("report", str(bundle), "--format", "html,md,json,csv,junit"))
        assert_clean(run_bounded("review", str(bundle), "-o", str(Path(root) / "review")))


@CLI
@given(text=HOSTILE_YAML | spliced(ANSIBLE_TEXT, HOSTILE_YAML))
def test_cli_ansible_import(text: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        source = Path(root) / "inventory.yml"
        source.write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_clean(run_bounded("inventory", "import", "--from", "ansible", str(source),
                                 "-o", str(Path(root) / "out.yaml"), "--org-code", "32.99",
                                 "--org-name", "Kota", "--org-level", "kota"))
