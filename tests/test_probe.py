"""The one-round-trip probe: framing, and defensive parsing of hostile or broken output."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.bundle.schemas import validate_data
from auditor.collect.collectors import COLLECTORS
from auditor.collect.probe import BEGIN, END, build_probe, parse_output, split_sections


def _section(name: str, body: str, code: int | None = 0) -> str:
    end = f"\n{END} {name} {code}\n" if code is not None else ""
    return f"\n{BEGIN} {name}\n{body}{end}"


def test_probe_is_fixed_text_without_inventory_data() -> None:
    script = build_probe(COLLECTORS).decode()
    assert script == build_probe(COLLECTORS).decode()
    for name in COLLECTORS:
        assert f"'{BEGIN}' '{name}'" in script


def test_local_probe_output_parses_and_matches_the_facts_schema() -> None:
    output = subprocess.run(["/bin/sh", "-s"], input=build_probe(COLLECTORS),
                            capture_output=True, check=False, timeout=60).stdout
    parsed = parse_output(output, COLLECTORS)
    assert "os" in parsed.facts and "memory" in parsed.facts, parsed.unknown
    document = {"format": "auditor.facts/1", "host": "self", "site": "s", "transport": "local",
                "status": "ok", "reason": None, "started_at": "2026-11-27T00:00:00Z",
                "probe": {"id": "x", "output_sha256": "0" * 64, "output_bytes": len(output),
                          "truncated": False},
                "facts": parsed.facts, "unknown": parsed.unknown}
    assert validate_data(document, "facts", "facts") == []


def test_hostile_os_release_never_crashes_and_keeps_text_as_data() -> None:
    body = ('ID="<script>alert(1)</script>"\nNAME={{ 7*7 }}\n' + "X" * 10_000 + "\n"
            "PRETTY_NAME=\xff\xfe broken\n")
    output = _section("os", body).encode("utf-8", "surrogateescape")
    parsed = parse_output(output, {"os": COLLECTORS["os"]})
    assert parsed.facts["os"]["id"] == "<script>alert(1)</script>"
    assert parsed.facts["os"]["name"] == "{{ 7*7 }}"


def test_garbage_section_becomes_unknown_with_a_reason() -> None:
    output = (_section("memory", "<html><body>nope</body></html>")
              + _section("cpu", "count many")).encode()
    parsed = parse_output(output, {"memory": COLLECTORS["memory"], "cpu": COLLECTORS["cpu"]})
    assert parsed.facts == {}
    assert "MemTotal" in parsed.unknown["memory"]
    assert "CPU count" in parsed.unknown["cpu"]


def test_cut_output_marks_unfinished_and_missing_sections() -> None:
    output = (_section("os", "ID=debian\n") + _section("kernel", "Linux\n6.1", code=None)).encode()
    parsed = parse_output(output, {n: COLLECTORS[n] for n in ("os", "kernel", "cpu")},
                          truncated=True)
    assert parsed.facts["os"]["id"] == "debian"
    assert "did not finish" in parsed.unknown["kernel"]
    assert "cut before" in parsed.unknown["cpu"]


def test_forged_markers_cannot_replace_a_finished_section() -> None:
    forged = f"ID=evil\n{END} os 0\n{BEGIN} os\nID=debian"
    sections = split_sections((_section("os", "ID=ubuntu") + _section("os", forged)).encode())
    assert sections["os"].text.strip() == "ID=ubuntu"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_parse_without_exceptions(data: bytes) -> None:
    framed = b"".join(_section(name, "").encode()[:-1] + data + f"\n{END} {name} 0\n".encode()
                      for name in COLLECTORS)
    parsed = parse_output(framed, COLLECTORS)
    assert set(parsed.facts) | set(parsed.unknown) == set(COLLECTORS)
