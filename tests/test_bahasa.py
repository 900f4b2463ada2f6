"""Every sentence of an Indonesian report is Indonesian: no word of an English stop list appears.

The report of a rich bundle (every strategy, estimated and given costs, overridden assumptions,
unscanned and unreadable hosts, answered and unanswered questionnaires) is rendered in `id`, and
so is every entry of every catalogue a report or review draws from: the one message catalogue
(report, review, questionnaire and plan messages), the bundle-problem phrases, the
specification's texts, the central-offering catalogue and the assumptions. Control ids, product
names, URLs, paths, quoted values and code are left out.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from auditor.messages import STAGES, say
from auditor.messages.review import PROBLEM_PHRASES_ID
from auditor.numbers import number, rupiah
from auditor.report.evidence import evidence_text
from auditor.report.render import render_html, render_markdown
from auditor.report.write import collect_extras
from auditor.review import review
from conftest import REPO
from recommend_bundle import FleetHost, check, facts, write_bundle
from test_recommend import SITE, fleet

STOP_WORDS = ("used", "hosts", "of", "not given", "headroom", "migrate", "retire", "remediate",
              "compliant", "unknown", "the", "and", "not", "with", "from", "without", "is",
              "are", "estimate", "years", "evidence", "answer", "answered", "cannot", "failed",
              "staying", "capped", "comfort", "memory", "retained", "planned", "scanned",
              "moves", "kept", "every", "free", "only", "per year", "no host", "readable",
              "missing", "site", "verdict", "should", "copy", "tenant", "tenants")
"""English words that give away an untranslated sentence (never Indonesian words)."""
PRODUCTS = ("Azure Migrate", "AWS", "Google Migration Center", "Novec 1230", "FM-200",
            "Uptime Institute", "Let's Encrypt", "OpenSSH", "Microsoft")
"""Names that stay as they are in any language."""
CODE = re.compile(
    r"https?://\S+"                      # URLs
    r"|\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b"  # control ids
    r"|\"[^\"]*\"|`[^`]*`"               # quoted values, code
    r"|\S*[/\\_]\S*"                     # paths, file and fact names
    r"|\b\w+\.\w[\w.]*"                  # fact paths, dotted names, host names
    r"|--\S+"                            # command-line options
    r"|\{\w+\}")                          # message placeholders
LANG_NOTE = say("report.language_note", "id")


class _Text(HTMLParser):
    """The text a reader sees in an HTML page (no markup, no style or script)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(text: str) -> list[str]:
    """The stop-list words found in ``text`` outside names, ids, URLs and code."""
    for name in PRODUCTS:
        text = text.replace(name, " ")
    text = CODE.sub(" ", text.replace("\\", ""))
    found = []
    for word in STOP_WORDS:
        for match in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.I):
            start = max(0, match.start() - 40)
            found.append(f"{word!r} in …{text[start:match.end() + 40]}…")
    return found


def html_text(html: str) -> str:
    """What a reader of the page reads."""
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.fixture(scope="module")
def rich_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A bundle with every strategy, estimated and given costs and an overridden assumption."""
    hosts = [*fleet(),
             FleetHost("kantor-01", "kantor", "10.0.1.11", facts(disk_used_mb=None),
                       {"data_classification": "limited"}),
             FleetHost("kantor-02", "kantor", "10.0.1.12", None, {})]
    kantor = {"id": "kantor", "name": "Ruang Server Kantor", "kind": "server_room",
              "costs": {"tariff_idr_per_kwh": 1700, "maintenance_idr": 30000000}}
    root = write_bundle(tmp_path_factory.mktemp("rich") / "bundle", hosts, [SITE, kantor])
    return check(root).results


def _assert_indonesian(text: str, where: str) -> None:
    found = english_words(text.replace(LANG_NOTE, " "))
    assert found == [], f"English in the Indonesian {where}:\n" + "\n".join(found[:30])


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_rich_report_in_indonesian_has_no_english(rich_results: dict[str, Any],
                                                  fmt: str) -> None:
    if fmt == "html":
        text = html_text(render_html(rich_results, "id").decode())
    else:
        text = render_markdown(rich_results, "id").decode()
    _assert_indonesian(text, f"{fmt} report of a rich bundle")
    assert "Rp 1.700/kWh" in text and "jam × PUE" in text   # formulas in Indonesian format


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_example_audit_in_indonesian_has_no_english(example_bundle: Path, fmt: str) -> None:
    results = json.loads((example_bundle / "results.json").read_text())
    extras = collect_extras(example_bundle)
    if fmt == "html":
        text = html_text(render_html(results, "id", extras).decode())
    else:
        text = render_markdown(results, "id", extras).decode()
    _assert_indonesian(text, f"{fmt} report of the example audit")
    assert re.search(r"\b\d+,\d\b", text)  # the score, e.g. 49,6


def test_national_review_in_indonesian_has_no_english(example_bundle: Path,
                                                      tmp_path: Path) -> None:
    signed, unsigned = tmp_path / "signed", tmp_path / "unsigned"
    shutil.copytree(example_bundle, signed)
    shutil.copytree(example_bundle, unsigned)
    sign_bundle(signed, Ed25519PrivateKey.generate())
    review([signed, unsigned], tmp_path / "review", "id", workers=1)
    out = tmp_path / "review"
    pages = [out / "index.html", *sorted((out / "org").glob("*.html"))]
    for page in pages:
        _assert_indonesian(html_text(page.read_text(encoding="utf-8")), f"review page {page.name}")
    assert re.search(r"\b\d+,\d\b", html_text(pages[0].read_text(encoding="utf-8")))


def _entries(kind: str, data: Any, path: str = "") -> list[tuple[str, str]]:
    """Every ``id`` text of a ``{id, en}`` pair inside ``data``, with where it is."""
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        if set(data) == {"id", "en"} and all(isinstance(v, str) for v in data.values()):
            return [(f"{kind}:{path}", data["id"])]
        for key, value in data.items():
            if key == "references":
                continue  # document names and notes are cited as the documents name them
            out += _entries(kind, value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _entries(kind, value, f"{path}[{index}]")
    return out


def _catalogues() -> list[tuple[str, str]]:
    entries = [(key, text["id"]) for part in STAGES.values() for key, text in part().items()]
    entries += [(f"review.problem_phrase:{en}", id_) for en, id_ in PROBLEM_PHRASES_ID]
    specs = REPO / "specs"
    for path in [specs / "national.yaml", specs / "catalogue.yaml", specs / "assumptions.yaml",
                 *sorted((specs / "controls").glob("*.yaml"))]:
        entries += _entries(path.name, yaml.safe_load(path.read_text(encoding="utf-8")))
    return entries


CATALOGUE_ENTRIES = _catalogues()


@pytest.mark.parametrize(("where", "text"), CATALOGUE_ENTRIES,
                         ids=[where for where, _ in CATALOGUE_ENTRIES])
def test_every_catalogue_entry_in_indonesian_has_no_english(where: str, text: str) -> None:
    _assert_indonesian(text, where)


def test_numbers_are_written_the_indonesian_way() -> None:
    assert number(49.6, "id") == "49,6" and number(49.6, "en") == "49.6"
    assert rupiah(153738000, "id") == "Rp 153.738.000"
    assert rupiah(1699.53, "id") == "Rp 1.699,53" and rupiah(1699.53, "en") == "IDR 1,699.53"
    assert number(0.4, "id") == "0,4" and number(8760, "id") == "8.760"


def test_evidence_phrases_are_translated_and_values_kept() -> None:
    shown = evidence_text('answer = 29.5 (evidence: evidence/log-suhu.txt)', "id")
    assert shown == "jawaban = 29,5 (bukti: evidence/log-suhu.txt)"
    assert evidence_text("not answered", "id") == "belum dijawab"
    assert evidence_text('sshd.permitrootlogin = "yes"', "id") == 'sshd.permitrootlogin = "yes"'
    assert evidence_text("not answered", "en") == "not answered"


def test_the_stop_list_catches_an_english_sentence() -> None:
    assert english_words("Rp 1.500 × 0 of hosts staying (retained or not yet planned)")
    assert english_words("Lokasi: FAC-UPS-RUNTIME https://x.invalid/the sshd_config") == []
