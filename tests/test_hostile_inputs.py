"""Hostile files end in a clear refusal: YAML bombs, deep nesting, recursive aliases, pipes."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from auditor.bundle.jsonfile import parse_json, read_json_file
from auditor.bundle.yamlfile import load_yaml, parse_yaml
from auditor.errors import InputError
from auditor.inventory.importers import IMPORTERS, run_import
from auditor.inventory.importers.ansible_files import load_vars_yaml
from auditor.recommend.catalogue import load_assumptions, load_catalogue
from auditor.spec.lifecycle import load_table
from conftest import EXAMPLE, REPO
from hostile_helpers import (
    ORGANISATION,
    assert_clean,
    billion_laughs,
    deep_json,
    deep_yaml,
    run_bounded,
)
from import_helpers import options
from netbox_server import TOKEN

FACILITY = Path("facility") / "ruang-server-balaikota.yaml"
LAUGHS = "YAML aliases expand to more than 100,000 values; the file looks like a 'billion laughs'"


def copy_bundle(example_bundle: Path, tmp_path: Path) -> Path:
    """A private copy of the example bundle to spoil."""
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    return bundle


def located(out: str, path: Path) -> None:
    """The message names the file and a line in it."""
    assert re.search(re.escape(str(path)) + r":\d+", out), out


@pytest.mark.parametrize("command", ["validate", "scan", "audit"])
def test_billion_laughs_inventory_is_refused(tmp_path: Path, command: str) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(billion_laughs())
    args = (["inventory", "validate", str(inventory)] if command == "validate" else
            [command, str(inventory), "-o", str(tmp_path / "out")])
    out = assert_clean(run_bounded(*args), (2,))
    assert LAUGHS in out
    located(out, inventory)


@pytest.mark.parametrize("kind", ["flow-seq", "flow-map", "block-seq"])
def test_inventory_nested_200000_levels_is_refused(tmp_path: Path, kind: str) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(deep_yaml(200_000, kind))
    out = assert_clean(run_bounded("inventory", "validate", str(inventory)), (2,))
    assert "nested deeper than 100 levels" in out
    located(out, inventory)


def test_billion_laughs_facility_answers_in_a_bundle(example_bundle: Path,
                                                    tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path)
    (bundle / FACILITY).write_text(billion_laughs(prefix="version: 1\nsite: x\n"))
    out = assert_clean(run_bounded("check", str(bundle)), (2,))
    assert LAUGHS in out
    located(out, bundle / FACILITY)
    # report renders from results.json; an unreadable answers file only loses its evidence
    # fingerprints in the report, and never hangs it
    assert_clean(run_bounded("report", str(bundle)), (0,))
    assert (bundle / "report.html").is_file()


@pytest.mark.parametrize("kind", ["flow-seq", "flow-map", "block-seq"])
def test_facility_answers_nested_200000_levels(example_bundle: Path, tmp_path: Path,
                                              kind: str) -> None:
    bundle = copy_bundle(example_bundle, tmp_path)
    (bundle / FACILITY).write_text(deep_yaml(200_000, kind))
    out = assert_clean(run_bounded("check", str(bundle)), (2,))
    assert "nested deeper than 100 levels" in out
    located(out, bundle / FACILITY)


def test_deep_facts_file_is_an_unscanned_host_and_resume_scans_it_again(
        example_bundle: Path, tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path)
    facts = bundle / "facts" / "self.json"
    facts.write_text(deep_json(200_000))
    # like a truncated facts file: the host counts as not scanned (exit 3), never as a pass,
    # and the reason names the file
    assert_clean(run_bounded("check", str(bundle)), (3,))
    host = json.loads((bundle / "results.json").read_text())["hosts"][0]
    assert host["status"] == "error" and host["score"] is None
    assert f"{facts}:1: nested too deeply (more than 100 levels" in host["reason"]
    assert_clean(run_bounded("scan", str(EXAMPLE), "-o", str(bundle), "--resume"), (0,))
    assert json.loads(facts.read_text())["status"] == "ok"


@pytest.mark.parametrize("kind", ["array", "object"])
def test_deep_results_json_report_and_review(example_bundle: Path, tmp_path: Path,
                                             kind: str) -> None:
    bundle = copy_bundle(example_bundle, tmp_path)
    (bundle / "results.json").write_text(deep_json(200_000, kind))
    out = assert_clean(run_bounded("report", str(bundle)), (2,))
    assert f"{bundle / 'results.json'}:1: nested too deeply" in out
    # review goes on with the other bundles: this one is rejected as malformed (exit 1)
    out = assert_clean(run_bounded("review", str(bundle), "-o", str(tmp_path / "review")), (1,))
    assert "results.json is nested too deeply" in out


def test_deep_manifest_fails_verification(example_bundle: Path, tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path)
    (bundle / "manifest.json").write_text(deep_json(200_000))
    (bundle / "manifest.sig").write_text(deep_json(10_000, "object"))
    out = assert_clean(run_bounded("bundle", "verify", str(bundle)), (1,))
    assert "manifest" in out


def test_review_refuses_a_bomb_as_trusted_keys(example_bundle: Path, tmp_path: Path) -> None:
    keys = tmp_path / "trusted.yaml"
    keys.write_text(billion_laughs(prefix=""))
    out = assert_clean(run_bounded("review", str(example_bundle), "-o", str(tmp_path / "r"),
                                   "--trusted-keys", str(keys)), (2,))
    # refused as YAML (a bomb), or, where the file may also be an allowed_signers list,
    # as neither: either way bounded, exit 2, and the file named with a line
    located(out, keys)


def test_ansible_import_refuses_bombs_and_deep_json(tmp_path: Path) -> None:
    source = tmp_path / "ansible"
    (source / "group_vars").mkdir(parents=True)
    (source / "inventory.yml").write_text("all:\n  children:\n    web:\n      hosts:\n"
                                          "        web01: {ansible_host: 10.0.0.1}\n")
    (source / "group_vars" / "web.yml").write_text(billion_laughs(prefix=""))
    org = ["--org-code", "32.99", "--org-name", "Kota", "--org-level", "kota"]
    out = assert_clean(run_bounded("inventory", "import", "--from", "ansible",
                                   str(source / "inventory.yml"), "-o",
                                   str(tmp_path / "out.yaml"), *org), (2,))
    assert LAUGHS in out
    located(out, source / "group_vars" / "web.yml")
    deep = tmp_path / "hosts.json"
    deep.write_text(deep_json(200_000, "object"))
    out = assert_clean(run_bounded("inventory", "import", "--from", "ansible", str(deep), "-o",
                                   str(tmp_path / "out.yaml"), *org), (2,))
    assert f"{deep}:1: nested too deeply" in out


def test_anchors_and_merge_keys_in_an_ordinary_inventory_audit(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(ORGANISATION + """\
sites:
  - id: balaikota
    name: Ruang Server Balai Kota
    kind: server_room
hosts:
  - &first {id: self, site: balaikota, transport: local, role: app, criticality: high,
            applications: &apps [portal, sipd]}
  - {<<: *first, id: self-2, applications: *apps}
""")
    assert_clean(run_bounded("inventory", "validate", str(inventory)), (0,))
    out = tmp_path / "bundle"
    assert_clean(run_bounded("audit", str(inventory), "-o", str(out)), (0, 1))
    assert_clean(run_bounded("check", str(out)), (0, 1))
    hosts = json.loads((out / "results.json").read_text())["hosts"]
    assert [h["id"] for h in hosts] == ["self", "self-2"]
    assert all(h["status"] == "ok" for h in hosts)


def test_repository_yaml_and_json_are_never_refused_as_hostile() -> None:
    files = [p for top in ("specs", "inventory", "tests/data") for p in (REPO / top).rglob("*")
             if p.suffix in (".yaml", ".yml", ".json") and p.is_file()]
    assert len(files) > 20
    for path in files:
        try:
            if path.suffix == ".json":
                read_json_file(path)
            else:
                load_yaml(path)
        except InputError as exc:
            assert not re.search("aliases|nested|recursive", str(exc)), str(exc)


def test_aliases_within_budget_keep_loading() -> None:
    text = "d: &d {user: u, port: 22}\nhosts:\n" + "".join(
        f"  - {{<<: *d, id: h{i}}}\n" for i in range(5000))
    doc = parse_yaml(text, "many.yaml")
    assert len(doc.data["hosts"]) == 5000 and doc.data["hosts"][4999]["port"] == 22
    assert doc.line_of(("hosts", 4999, "port")) == 5002  # the host's line: merged values


@pytest.mark.parametrize("text, message", [
    ("a: &a [*a]\n", "alias *a refers to a value that contains it"),
    ("a: &a {b: {c: *a}}\n", "alias *a refers to a value that contains it"),
    ("a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 150)),
     "YAML aliases nest values deeper than 100 levels"),
    ("a0: &a0 {x: 1}\n" + "".join(f"a{i}: &a{i} {{<<: *a{i - 1}, y{i}: 1}}\n"
                                  for i in range(1, 150)),
     "YAML aliases nest values deeper than 100 levels"),
    ("a: &a " + "x" * 1_000_000 + "\nb: [" + ", ".join(["*a"] * 10) + "]\n",
     "YAML aliases repeat more than 8 MiB of text"),
])
def test_recursive_chained_and_wordy_aliases_are_refused(text: str, message: str) -> None:
    for parse in (lambda: parse_yaml(text, "f.yaml"), lambda: load_vars_yaml(text, "f.yaml")):
        with pytest.raises(InputError) as caught:
            parse()
        assert message in str(caught.value) and "f.yaml:" in str(caught.value)


def test_json_depth_is_located_and_surrogates_refused() -> None:
    text = '{\n "a": [\n' + "[" * 120 + "]" * 120 + "\n]}"
    with pytest.raises(InputError, match=r"x.json:3: nested too deeply"):
        parse_json(text.encode(), "x.json")
    assert parse_json(b'{"s": "[[[[", "e": "\\ud83d\\ude00"}', "x.json") == {"s": "[[[[",
                                                                              "e": "\U0001f600"}
    with pytest.raises(InputError, match="unpaired UTF-16 surrogate"):
        parse_json(b'["\\udc00"]', "x.json")


def test_pipe_without_writer_and_endless_device_do_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "inventory.yaml"
    os.mkfifo(fifo)
    done: list[object] = []
    reader = threading.Thread(target=lambda: done.append(load_yaml(fifo).data), daemon=True)
    reader.start()
    reader.join(60)
    if reader.is_alive():  # unblock the reader before failing
        with fifo.open("w"):
            pass
        reader.join(10)
    assert done == [None]
    with pytest.raises(InputError, match="larger than 64 MiB"):
        read_json_file(Path("/dev/zero"))


@pytest.mark.parametrize("where", ["spec lint", "check --spec", "check --overlay",
                                   "assess --answers"])
def test_bombs_refused_by_every_command_that_reads_yaml(example_bundle: Path, tmp_path: Path,
                                                        where: str) -> None:
    bomb = tmp_path / "hostile.yaml"
    bomb.write_text(billion_laughs(prefix=""))
    args = {"spec lint": ["spec", "lint", str(bomb)],
            "check --spec": ["check", str(example_bundle), "--spec", str(bomb)],
            "check --overlay": ["check", str(example_bundle), "--overlay", str(bomb)],
            "assess --answers": ["assess", str(EXAMPLE), "--answers", str(bomb), "-o",
                                 str(tmp_path / "answers.yaml")]}[where]
    out = assert_clean(run_bounded(*args), (2,))
    assert LAUGHS in out
    located(out, bomb)


@pytest.mark.parametrize("loader", [load_catalogue, load_assumptions, load_table])
def test_catalogue_assumptions_and_lifecycle_refuse_bombs_and_depth(
        tmp_path: Path, loader: Callable[[Path], object]) -> None:
    path = tmp_path / "file.yaml"
    for text, message in ((billion_laughs(prefix=""), LAUGHS),
                          (deep_yaml(200_000, "flow-map"), "nested deeper than 100 levels")):
        path.write_text(text)
        with pytest.raises(InputError) as caught:
            loader(path)
        assert message in str(caught.value) and f"{path}:" in str(caught.value)


@pytest.mark.parametrize("body, message", [
    (deep_json(200_000, "object").encode(), "the answer is nested too deeply"),
    (b'{"results": ["\\udc00"], "next": null}', "the answer is not text"),
    (b"<html>login</html>", "the answer is not readable JSON"),
])
def test_netbox_answer_nested_too_deeply_is_a_clear_error(tmp_path: Path, body: bytes,
                                                          message: str) -> None:
    class Hostile(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(InputError, match=message):
            run_import(IMPORTERS["netbox"], f"http://127.0.0.1:{server.server_address[1]}/",
                       tmp_path / "inv.yaml", options(environ={"NETBOX_TOKEN": TOKEN}))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert not (tmp_path / "inv.yaml").exists()


def test_bomb_as_the_bundles_inventory_copy(example_bundle: Path, tmp_path: Path) -> None:
    bundle = copy_bundle(example_bundle, tmp_path)
    (bundle / "inventory.yaml").write_text(billion_laughs())
    out = assert_clean(run_bounded("check", str(bundle)), (2,))
    assert LAUGHS in out
    located(out, bundle / "inventory.yaml")
