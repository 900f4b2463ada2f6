"""The plug-in points are registries of objects: report formats, web probe steps, importers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor.collect.web.options import WebOptions
from auditor.collect.web.probe import SECTIONS
from auditor.collect.web.steps import STEPS
from auditor.errors import InputError
from auditor.inventory.importers import (
    IMPORTERS,
    HypervisorOptions,
    ImportOptions,
    NetBoxOptions,
    importer_named,
)
from auditor.report import FORMATS
from conftest import REPO


def test_every_report_format_holds_a_callable_renderer_and_loads_it_only_when_used() -> None:
    for name, fmt in FORMATS.items():
        assert fmt.name == name and callable(fmt.renderer)
    code = ("import sys, auditor.report as r\n"
            "before = 'jinja2' in sys.modules\n"
            "r.FORMATS['csv'].render({'hosts': []}, 'en')\n"
            "print(before, 'jinja2' in sys.modules)\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=REPO, timeout=60).stdout.split()
    assert shown == ["False", "False"]   # neither the registry nor a machine format needs it


def test_web_probe_steps_fill_the_sections_in_the_order_the_facts_are_written() -> None:
    assert [s.section for s in STEPS] == ["tls", "certificate", "http", "headers", "content",
                                          "http", "exposure"]
    assert {s.section for s in STEPS} == set(SECTIONS)
    # the service's answer itself comes first: nothing else is looked at without it
    assert [s.ends_probe for s in STEPS][:3] == [True, True, True]
    assert not any(s.ends_probe for s in STEPS[3:])
    exposure = STEPS[-1]
    assert exposure.skipped(WebOptions(check_exposure=False)) == "exposure checks turned off"
    assert exposure.skipped(WebOptions()) is None


def test_every_importer_is_registered_under_its_own_name() -> None:
    assert sorted(IMPORTERS) == ["ansible", "csv", "netbox", "proxmox", "vsphere"]
    for name, source in IMPORTERS.items():
        assert source.name == source.importer.name == name and source.description


def test_the_secret_each_importer_keeps_out_of_the_file() -> None:
    options = ImportOptions(netbox=NetBoxOptions(token_env="NB"),
                            hypervisor=HypervisorOptions(password_env="VC", token_env="PVE"))
    secrets = {name: source.secret_env(options) for name, source in IMPORTERS.items()}
    assert secrets == {"ansible": None, "csv": None, "netbox": "NB", "vsphere": "VC",
                       "proxmox": "PVE"}


def test_an_unknown_importer_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="known: ansible, csv, netbox, vsphere, proxmox"):
        importer_named("excel")
    assert importer_named("csv") is IMPORTERS["csv"]
