"""The OS lifecycle table: it validates, and lookup answers end of support without guessing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.spec.lifecycle import load_table, lookup

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def table() -> dict[str, object]:
    return load_table()


def test_the_packaged_table_validates_and_names_a_source_per_family(table: dict) -> None:
    families = table["families"]
    assert {"debian", "ubuntu", "centos", "rhel", "rocky", "almalinux", "oracle", "sles",
            "opensuse-leap"} <= set(families)
    for family in families.values():
        assert len(family["source"]) > 10


@pytest.mark.parametrize(("os_facts", "eol", "supported", "extended"), [
    ({"id": "debian", "version_id": "12"}, "2026-06-10", False, True),
    ({"id": "debian", "version_id": "11"}, "2024-08-14", False, False),
    ({"id": "ubuntu", "version_id": "22.04"}, "2027-04-30", True, True),
    ({"id": "ubuntu", "version_id": "23.10"}, "2024-07-11", False, None),
    ({"id": "centos", "version_id": "7", "name": "CentOS Linux"}, "2024-06-30", False, None),
    ({"id": "centos", "version_id": "8", "name": "CentOS Linux"}, "2021-12-31", False, None),
    ({"id": "centos", "version_id": "8", "name": "CentOS Stream"}, "2024-05-31", False, None),
    ({"id": "centos", "version_id": "9", "name": "CentOS Stream"}, "2027-05-31", True, None),
    ({"id": "rhel", "version_id": "9.4"}, "2032-05-31", True, True),
    ({"id": "rocky", "version_id": "8.10"}, "2029-05-31", True, None),
    ({"id": "almalinux", "version_id": "9.5"}, "2032-05-31", True, None),
    ({"id": "ol", "version_id": "7.9"}, "2024-12-31", False, True),
    ({"id": "sles", "version_id": "15.6"}, "2025-12-31", False, True),
    ({"id": "opensuse-leap", "version_id": "15.5"}, "2024-12-31", False, None),
])
def test_known_releases(table: dict, os_facts: dict, eol: str, supported: bool,
                        extended: bool | None) -> None:
    result = lookup(os_facts, table, TODAY)
    assert result["known"] is True
    assert result["eol_date"] == eol
    assert result["supported"] is supported
    assert result["days_left"] == (date.fromisoformat(eol) - TODAY).days
    assert result["extended_supported"] is extended
    assert result["source"]


@pytest.mark.parametrize("os_facts", [
    {"id": "arch"},
    {"id": "linuxmint", "id_like": ["ubuntu", "debian"], "version_id": "21.3"},
    {"id": "debian"},
    {"id": "ubuntu", "version_id": "99.04"},
    {"id": "centos", "version_id": "10", "name": "CentOS Stream"},
    {"id": "centos", "version_id": "7", "name": "CentOS Stream"},
    {},
])
def test_unknown_releases_are_unknown_not_guessed(table: dict, os_facts: dict) -> None:
    result = lookup(os_facts, table, TODAY)
    assert result["known"] is False
    assert result["supported"] is None and result["eol_date"] is None
    assert result["reason"]


def test_support_ends_at_the_end_of_the_last_day(table: dict) -> None:
    facts = {"id": "debian", "version_id": "12"}
    assert lookup(facts, table, date(2026, 6, 10))["supported"] is True
    assert lookup(facts, table, date(2026, 6, 11))["supported"] is False


def test_a_broken_table_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "lifecycle.yaml"
    bad.write_text(
        "version: 1\n"
        "families:\n"
        "  debian:\n"
        "    name: Debian\n"
        "    ids: [debian]\n"
        "    match: major\n"
        "    source: Debian wiki DebianReleases\n"
        "    releases:\n"
        "      - {version: '12', eol: '2026-06-10', extended_eol: '2025-01-01'}\n"
        "      - {version: '11', eol: '2024-02-30'}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_table(bad)
    assert f"{bad}:10: families.debian.releases[1].eol:" in str(caught.value)
    bad.write_text(bad.read_text().replace("2024-02-30", "2024-02-29"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_table(bad)
    assert f"{bad}:9: families.debian.releases[0]: extended_eol is before eol" in str(caught.value)


def test_a_table_with_unknown_keys_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "lifecycle.yaml"
    bad.write_text("version: 1\nfamilies:\n  x:\n    name: X\n    ids: [x]\n    match: fuzzy\n"
                   "    source: somewhere trustworthy\n"
                   "    releases: [{version: '1', eol: '2020-01-01', eta: soon}]\n",
                   encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_table(bad)
    assert "match" in str(caught.value) and "eta" in str(caught.value)
