"""The one message catalogue: complete in both languages, every key used and every use known."""

from __future__ import annotations

import ast
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.messages import LANGUAGES, STAGES, MessageError, has, message, say
from auditor.numbers import Money, Num
from conftest import REPO

PACKAGE = REPO / "auditor"
STAGE_TEMPLATES = {"report": PACKAGE / "report" / "templates",
                   "review": PACKAGE / "review" / "templates"}
"""Templates whose ``t("KEY")`` names the message ``STAGE.KEY``."""
PLACEHOLDERS_DIFFER = {
    "plan.energy.pue_precision": {"answer"},
    "plan.energy.pue_split_ac": {"answer"},
}
"""Placeholders only the English text shows (results.json keeps its Indonesian as it was)."""
REPORT_FAMILIES = ("status_", "verdict_", "severity_", "urgency_", "strategy_", "hoststatus_",
                   "level_", "domain_", "confidence_", "cost_item_", "depsource_", "framework_",
                   "trust_", "why_", "lang_", "problem_")
"""Keys made from data in templates and views (``t("status_" ~ f.status)``)."""
KEY = re.compile(r"^(?:report|review|assess|plan)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*$")


def _catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for part in STAGES.values():
        merged.update({key: dict(texts) for key, texts in part().items()})
    return merged


CATALOGUE = _catalogue()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _strings(tree: ast.AST) -> tuple[list[str], list[str]]:
    """Every string constant of a module, and the leading text of every f-string."""
    constants, prefixes = [], []
    inside = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
              for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values \
                and isinstance(node.values[0], ast.Constant):
            prefixes.append(str(node.values[0].value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in inside:
            constants.append(node.value)
    return constants, prefixes


def _code() -> tuple[set[str], set[str]]:
    constants: set[str] = set()
    prefixes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "messages":
            continue
        found, leading = _strings(ast.parse(path.read_text(encoding="utf-8")))
        constants.update(found)
        prefixes.update(leading)
    return constants, prefixes


CONSTANTS, PREFIXES = _code()


def _template_keys(stage: str) -> tuple[set[str], set[str]]:
    """``t("KEY")`` and ``t("PREFIX_" ~ …)`` of a stage's templates."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    for path in STAGE_TEMPLATES[stage].glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        keys.update(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", text))
        prefixes.update(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*~""", text))
    return keys, prefixes


def test_keys_are_unique_across_parts_and_name_their_part() -> None:
    seen: dict[str, str] = {}
    for stage, part in STAGES.items():
        for key in part():
            assert key.startswith(f"{stage}."), f"{key} is in the {stage} part"
            assert KEY.match(key), key
            assert key not in seen, f"{key} is in both {seen[key]} and {stage}"
            seen[key] = stage
    assert len(seen) == len(CATALOGUE) > 300


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_has_both_languages_and_matching_placeholders(key: str) -> None:
    texts = CATALOGUE[key]
    assert tuple(texts) == LANGUAGES, "each message: id then en, nothing else"
    assert all(text.strip() for text in texts.values()), "no empty text"
    fields = {lang: _fields(text) for lang, text in texts.items()}
    assert "" not in fields["id"] | fields["en"], "placeholders are named, never {}"
    only_en = PLACEHOLDERS_DIFFER.get(key, set())
    assert fields["id"] == fields["en"] - only_en, fields


def test_every_key_named_in_the_code_exists() -> None:
    named = {c for c in CONSTANTS if KEY.match(c) and c.startswith(("plan.", "assess."))}
    named |= {c for c in CONSTANTS if KEY.match(c) and c.startswith(("report.", "review."))
              and c.rpartition(".")[2] not in ("html", "md", "j2", "csv", "sqlite")}
    assert named, "the code names keys"
    assert sorted(named - set(CATALOGUE)) == []
    made = {p for p in PREFIXES if re.match(r"^(?:report|review|assess|plan)\.[a-z0-9_.]+$", p)}
    assert made, "some keys are made from data"
    for prefix in made:
        assert any(key.startswith(prefix) for key in CATALOGUE), f"no key starts with {prefix}"


@pytest.mark.parametrize("stage", sorted(STAGE_TEMPLATES))
def test_every_key_a_template_names_exists(stage: str) -> None:
    keys, prefixes = _template_keys(stage)
    assert keys, f"{stage} templates call t()"
    assert sorted(k for k in keys if f"{stage}.{k}" not in CATALOGUE) == []
    for prefix in prefixes:
        assert any(key.startswith(f"{stage}.{prefix}") for key in CATALOGUE), prefix


def _used(key: str) -> bool:
    """Named in full in the code (``KEY_many``: the plural the code picks by count), made from
    an f-string's leading text, or, for a report or review key, named short in its stage."""
    stage, _, short = key.partition(".")
    if key in CONSTANTS or key.removesuffix("_many") in CONSTANTS:
        return True
    if any(key.startswith(p) and not p.endswith(".") for p in PREFIXES if KEY.match(p)):
        return True
    if stage in STAGE_TEMPLATES:
        template_keys, template_prefixes = _template_keys(stage)
        sources = "".join(p.read_text(encoding="utf-8") for p in (PACKAGE / stage).rglob("*")
                          if p.suffix in (".py", ".j2"))
        return (short in template_keys or short.startswith(tuple(template_prefixes))
                or short.startswith(REPORT_FAMILIES)
                or f'"{short}"' in sources or f"'{short}'" in sources)
    return False


def test_no_key_is_unused() -> None:
    assert sorted(key for key in CATALOGUE if not _used(key)) == []


def test_a_message_for_results_json_holds_both_languages_in_order() -> None:
    pair = message("plan.host.hypervisor_stays", vms="vm-1, vm-2")
    assert list(pair) == ["id", "en"]
    assert pair == {"id": "Host hypervisor ini tetap selama mesin virtualnya tetap: vm-1, vm-2.",
                    "en": "This hypervisor host stays while its virtual machines stay: "
                          "vm-1, vm-2."}


def test_values_are_written_the_way_each_language_writes_them() -> None:
    assert message("plan.size.disk_used", used=Num(1234.56, 1), room=Num(1.25, 4)) == {
        "id": "disk 1.234,6 GB terpakai × cadangan ruang 1,25",
        "en": "disk 1,234.6 GB used × headroom 1.25"}
    assert message("plan.cost.capped", idr=Money(1500)) == {
        "id": ", paling banyak biaya kini Rp 1.500", "en": ", at most today's IDR 1,500"}
    assert message("plan.urgency.verdict", verdict={"id": "migrasi", "en": "migrate"}) == {
        "id": "Putusan lokasi: migrasi.", "en": "Site verdict: migrate."}
    # a plain value is written as Python formats it, in both languages
    assert say("plan.wave.replatform", "id", n=3) == "3 host dibangun ulang di platform baru " \
        "sebelum pindah."


def test_a_plan_sentence_stays_as_results_json_had_it() -> None:
    from auditor.recommend.hosts import _both

    idle = message("plan.host.idle", cpu=_both(3.0), memory=_both(12.5),
                   cpu_max=_both(5.0, "g"), memory_max=_both(20.0, "g"))
    assert idle["id"].startswith("Menganggur: CPU 3% dan memori 12,5% di bawah ambang 5%/20%;")
    assert idle["en"].startswith("Idle: CPU 3.0% and memory 12.5% below the 5%/20% thresholds;")


def test_an_unknown_key_or_a_missing_value_is_a_clear_error() -> None:
    with pytest.raises(MessageError, match=r"no message 'plan\.nope'.*auditor/messages/plan\.py"):
        message("plan.nope")
    with pytest.raises(MessageError, match=r"no message 'nowhere\.key'"):
        say("nowhere.key", "id")
    with pytest.raises(MessageError, match=r"'plan\.wave\.split' needs a value for \{links\}"):
        message("plan.wave.split", max_size=3)
    with pytest.raises(MessageError, match="language must be one of id, en"):
        say("report.yes", "fr")
    assert has("report.yes") and not has("report.nope") and not has("nowhere")


def test_a_scan_loads_no_part_of_the_catalogue() -> None:
    code = ("import sys, auditor.cli.main, auditor.collect.scan, auditor.collect.transports; "
            "print(' '.join(m for m in sys.modules if m.startswith('auditor.messages.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPO).stdout.split()
    assert loaded == []


def test_a_look_up_loads_only_its_own_part() -> None:
    code = ("import sys; from auditor.messages import say; say('assess.saved', 'id'); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('auditor.messages.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(REPO)).stdout.split()
    assert loaded == ["auditor.messages.assess"]
