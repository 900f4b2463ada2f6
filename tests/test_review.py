"""The national review over generated bundles: good, tampered, unsigned, malformed and hostile."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from auditor.review import review
from auditor.review.load import Trust
from conftest import REPO
from test_report_machine import formula_cells

ENTRY = [sys.executable, "-m", "auditor"]
HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
CHROMIUM = "/usr/bin/chromium"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([*ENTRY, *args], env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def vary(results: dict[str, Any], number: int, code: str, name: str) -> dict[str, Any]:
    """A plausible other pemda: its own code, score, verdicts, hosts and costs."""
    data = copy.deepcopy(results)
    data["organisation"] = {"code": code, "name": name,
                            "level": ("provinsi", "kabupaten", "kota")[number % 3]}
    score = 30.0 + (number * 7) % 65
    verdict = "compliant" if score >= 85 else "remediate" if score >= 60 else "migrate"
    data["summary"]["score"] = score
    data["summary"]["verdict"] = verdict
    data["recommendation"]["verdict"] = verdict
    data["recommendation"]["urgency"] = ("low", "medium", "high")[number % 3]
    host = data["hosts"][0]
    data["hosts"] = []
    for index in range(1 + number % 4):
        clone = copy.deepcopy(host)
        clone["id"] = f"srv-{index:02d}"
        for finding in clone["findings"]:
            if finding["control"] == "HOST-OS-SUPPORTED":
                finding["status"] = "fail" if index < number % 3 else "pass"
        data["hosts"].append(clone)
    data["summary"]["hosts"] = len(data["hosts"])
    data["summary"]["hosts_scanned"] = len(data["hosts"])
    data["sites"][0]["verdict"] = verdict
    costs = data["recommendation"]["costs"]
    costs["current_annual_idr"] = 100_000_000 * (1 + number % 5)
    costs["after_migration_annual_idr"] = 40_000_000 * (1 + number % 5)
    costs["annual_savings_idr"] = 60_000_000 * (1 + number % 5)
    return data


def openssh_line(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


def make_bundle(example: Path, folder: Path, results: dict[str, Any],
                key: Ed25519PrivateKey | None) -> Path:
    shutil.copytree(example, folder)
    (folder / "results.json").write_text(json.dumps(results, ensure_ascii=False))
    if key is not None:
        sign_bundle(folder, key)
    return folder


@pytest.fixture(scope="module")
def national(example_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """20 bundles: 15 good ones (one with a hostile name), and every kind of bad one."""
    root = tmp_path_factory.mktemp("national")
    base = json.loads((example_bundle / "results.json").read_text())
    keys: dict[str, Ed25519PrivateKey] = {}
    bundles: list[Path] = []
    for number in range(15):
        code = f"{11 + number}.{number + 1:02d}"
        name = HOSTILE if number == 4 else f"=HYPERLINK(\"x\") Kab {number}" if number == 5 \
            else f"Pemerintah Kabupaten Contoh {number}"
        keys[code] = Ed25519PrivateKey.generate()
        bundles.append(make_bundle(example_bundle, root / f"good-{number:02d}",
                                   vary(base, number, code, name), keys[code]))
    tampered = make_bundle(example_bundle, root / "tampered", vary(base, 20, "61.01", "Tampered"),
                           keys.setdefault("61.01", Ed25519PrivateKey.generate()))
    results = tampered / "results.json"
    results.write_text(results.read_text().replace('"migrate"', '"compliant"'))
    unsigned = make_bundle(example_bundle, root / "unsigned", vary(base, 21, "62.01", "Unsigned"),
                           None)
    untrusted = make_bundle(example_bundle, root / "untrusted",
                            vary(base, 22, "63.01", "Signed by a stranger"),
                            Ed25519PrivateKey.generate())
    keys.setdefault("63.01", Ed25519PrivateKey.generate())
    malformed = make_bundle(example_bundle, root / "malformed", base, None)
    (malformed / "results.json").write_text('{"organisation": {"code": "64.01"}, "hosts": [')
    deep = make_bundle(example_bundle, root / "deep", base, None)
    (deep / "results.json").write_text("[" * 100_000 + "]" * 100_000)
    oversized = make_bundle(example_bundle, root / "oversized", base, None)
    with (oversized / "results.json").open("r+b") as handle:
        handle.truncate(257 * 1024 * 1024)  # sparse: cheap on disk, too big for the review
    older = vary(base, 3, "14.04", "Pemerintah Kabupaten Contoh 3 (old)")
    older["generated_at"] = "2020-01-01T00:00:00Z"
    duplicate = make_bundle(example_bundle, root / "duplicate-old", older, keys["14.04"])
    bundles += [tampered, unsigned, untrusted, malformed, deep, oversized, duplicate]
    trusted = root / "trusted-keys.yaml"
    trusted.write_text("# organisation code: trusted public keys\n" + "".join(
        f'"{code}": ["{openssh_line(key)} diskominfo-{code}"]\n' for code, key in keys.items()))
    out = root / "review"
    result = run("review", *map(str, bundles), "-o", str(out), "--trusted-keys", str(trusted),
                 "--lang", "en")
    return {"root": root, "bundles": bundles, "keys": keys, "trusted": trusted, "out": out,
            "result": result, "base": base, "example": example_bundle}


def test_review_flags_bad_bundles_and_merges_good_ones(national: dict[str, Any]) -> None:
    result = national["result"]
    assert result.returncode == 1, result.stderr  # some bundles were rejected
    assert "15 of 22 bundles accepted" in result.stderr
    stderr = result.stderr
    assert "tampered: altered: results.json: content differs" in stderr
    assert "unsigned" in stderr and "untrusted" in stderr
    assert "malformed: results.json is larger than 256 MiB" in stderr
    assert "malformed: results.json is nested too deeply" in stderr
    assert "duplicate: a newer bundle of organisation 14.04" in stderr
    out = national["out"]
    rows = list(csv.DictReader((out / "review.csv").open(encoding="utf-8")))
    assert len(rows) == 22
    trust = {Path(r["bundle"]).name: r["trust"] for r in rows}
    assert trust["tampered"] == "tampered" and trust["unsigned"] == "unsigned"
    assert trust["untrusted"] == "untrusted" and trust["malformed"] == "malformed"
    assert trust["good-00"] == "verified"
    assert next(r for r in rows if r["code"] == "16.06")["name"].startswith("'=HYPERLINK")
    first = next(r for r in rows if r["code"] == "11.01")
    assert (first["score"], first["verdict"], first["savings_idr"]) == ("30", "migrate",
                                                                       "60000000")


def test_sqlite_holds_every_finding_of_accepted_bundles_only(national: dict[str, Any]) -> None:
    db = sqlite3.connect(national["out"] / "review.sqlite")
    orgs = {code for (code,) in db.execute("SELECT code FROM organisations")}
    assert len(orgs) == 15 and "61.01" not in orgs and "62.01" not in orgs
    assert db.execute("SELECT COUNT(DISTINCT organisation) FROM findings").fetchone() == (15,)
    kinds = {k for (k,) in db.execute("SELECT DISTINCT subject_kind FROM findings")}
    assert kinds == {"host", "site"}
    # an ad-hoc question: which organisations run end-of-life hosts, and how many?
    eol = dict(db.execute("SELECT organisation, COUNT(*) FROM findings WHERE control = "
                          "'HOST-OS-SUPPORTED' AND status = 'fail' GROUP BY organisation"))
    table = dict(db.execute("SELECT code, eol_hosts FROM organisations WHERE eol_hosts > 0"))
    assert eol == table and eol["13.03"] == 2
    trust = dict(db.execute("SELECT trust, COUNT(*) FROM bundles GROUP BY trust"))
    assert trust == {"verified": 15, "tampered": 1, "unsigned": 1, "untrusted": 1,
                     "malformed": 3, "duplicate": 1}


def dump_dom(page: Path, tmp_path: Path) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.browser
def test_national_html_in_headless_chromium(national: dict[str, Any], tmp_path: Path) -> None:
    dom = dump_dom(national["out"] / "index.html", tmp_path)
    table = dom.split('id="org-table"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr ") == 15
    assert 'role="button"' in table  # the sorting script ran under the page's CSP
    assert "Pemerintah Kabupaten Contoh 0" in body and "Totals (15)" in table
    assert "&lt;script&gt;document.title" in body and "<script>document.title" not in dom
    assert "<img" not in dom
    assert "<title>National Review of Pemda Server Rooms</title>" in dom
    rejected = dom.split('id="rejected-table"', 1)[1].split("</table>", 1)[0]
    for name in ("tampered", "unsigned", "untrusted", "malformed", "deep", "oversized"):
        assert f"/{name}</td>" in rejected
    assert "<svg" in dom and "Organisations by verdict" in dom
    org = next((national["out"] / "org").glob("0004-*.html"))
    page = dump_dom(org, tmp_path)
    assert "&lt;img src=x" in page and "<img" not in page
    assert 'href="0004-15.05/report.html"' in page
    assert "automatic redirects switched off; links in it go where the pemda chose" in page
    assert (national["out"] / "org" / "0004-15.05" / "report.html").is_file()


def test_previous_review_shows_improvements_and_regressions(national: dict[str, Any],
                                                           tmp_path: Path) -> None:
    base, example, keys = national["base"], national["example"], national["keys"]
    better = vary(base, 0, "11.01", "Pemerintah Kabupaten Contoh 0")
    better["summary"]["score"] = 75.0
    fixed_control = next(f for f in better["sites"][0]["findings"] if f["status"] == "fail")
    fixed_control["status"] = "pass"
    worse = vary(base, 1, "12.02", "Pemerintah Kabupaten Contoh 1")
    worse["summary"]["score"] = 20.0
    for finding in worse["hosts"][0]["findings"]:
        if finding["status"] == "pass":
            finding["status"] = "fail"
    bundles = [make_bundle(example, tmp_path / "b0", better, keys["11.01"]),
               make_bundle(example, tmp_path / "b1", worse, keys["12.02"]),
               national["bundles"][2]]
    out = tmp_path / "review2"
    result = run("review", *map(str, bundles), "-o", str(out), "--trusted-keys",
                 str(national["trusted"]), "--previous", str(national["out"]), "--lang", "en")
    assert result.returncode == 0, result.stderr
    index = (out / "index.html").read_text()
    changes = index.split('id="changes"', 1)[1]
    improved, regressed = changes.split("Regressed", 1)
    assert "Improved (1)" in improved and "11.01" in improved and "30.0 → 75.0" in improved
    assert "Regressed (1)" in changes and "12.02" in regressed
    assert "In the previous review, missing now (12)" in changes
    org = next((out / "org").glob("0000-*.html")).read_text()
    assert f"site ruang-server-balaikota</td><td class=\"mono\">{fixed_control['control']}" \
        in org
    assert "Fixed (1)" in org and "New failures (0)" in org


def test_indonesian_is_the_default_language(national: dict[str, Any], tmp_path: Path) -> None:
    outcome = review([national["bundles"][0]], tmp_path / "id")
    assert [b.trust for b in outcome.bundles] == [Trust.SIGNED]
    html = outcome.index.read_text()
    assert "Tinjauan Nasional Ruang Server Pemda" in html
    assert "give --trusted-keys" not in html and "berikan --trusted-keys" in html


def test_bad_reviewer_inputs_exit_2(national: dict[str, Any], tmp_path: Path) -> None:
    bundle = str(national["bundles"][0])
    bad_keys = tmp_path / "keys.yaml"
    bad_keys.write_text('"11.01": ["ssh-rsa AAAAB3NzaC1yc2E"]\n')
    result = run("review", bundle, "-o", str(tmp_path / "o"), "--trusted-keys", str(bad_keys))
    assert result.returncode == 2 and "keys.yaml:1: 11.01: not a public key" \
        in result.stderr
    result = run("review", bundle, "-o", str(tmp_path / "o"), "--previous", str(tmp_path))
    assert result.returncode == 2 and "no review.sqlite" in result.stderr
    result = run("review", bundle, "-o", str(Path(bundle) / "inside"))
    assert result.returncode == 2 and "must not be inside a bundle" in result.stderr


def with_identity(example_bundle: Path, code: str, name: str) -> dict[str, Any]:
    """The example bundle's results.json (valid against its schema) under another identity."""
    results: dict[str, Any] = json.loads((example_bundle / "results.json").read_text())
    results["organisation"] = {"code": code, "name": name, "level": "kota"}
    return results


def test_incomplete_and_hostile_identity_bundles(example_bundle: Path, tmp_path: Path) -> None:
    """results.json must match its schema; odd codes never reach a file name or markup."""
    key = Ed25519PrivateKey.generate()
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "results.json").write_text(json.dumps(with_identity(example_bundle, "70.01", "K")))
    sign_bundle(plain, key)
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "results.json").write_text(json.dumps(with_identity(
        example_bundle, "../../<b>x</b>", "<i>Kota</i>")))
    sign_bundle(odd, key)
    minimal = tmp_path / "minimal"
    minimal.mkdir()
    (minimal / "results.json").write_text(
        '{"format": "auditor.results/1", "organisation": {"code": "70.02"}}')
    sign_bundle(minimal, key)
    (tmp_path / "a-file").write_text("not a bundle")
    outcome = review([plain, odd, minimal, tmp_path / "a-file", tmp_path / "missing"],
                     tmp_path / "out", "en", workers=1)
    assert [str(b.trust) for b in outcome.bundles] == ["signed", "signed", "malformed",
                                                       "malformed", "malformed"]
    assert "results.json is not valid at the top: missing required key" in \
        outcome.bundles[2].problems[0]
    pages = sorted(p.name for p in (tmp_path / "out" / "org").iterdir())
    assert pages == ["0000-70.01.html", "0001-.._..__b_x__b_.html"]
    html = outcome.index.read_text()
    assert "../../&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "&lt;i&gt;Kota&lt;/i&gt;" in html and "<i>Kota</i>" not in html
    assert "no such bundle folder" in html


@pytest.mark.browser
def test_scripts_in_a_pemda_report_never_run_in_the_review(example_bundle: Path,
                                                          tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    results = vary(json.loads((example_bundle / "results.json").read_text()), 1, "33.01",
                   "Kabupaten Nakal")
    folder = tmp_path / "bundle"
    shutil.copytree(example_bundle, folder)
    (folder / "results.json").write_text(json.dumps(results))
    (folder / "report.html").write_text(
        "<!DOCTYPE html><html><head><title>laporan</title>"
        "<script>document.title = 'pwned'</script></head>"
        "<body><p id=x>ok</p><script>document.getElementById('x').textContent = 'ran'"
        "</script><img src=x onerror=\"document.title='pwned'\"></body></html>")
    sign_bundle(folder, key)
    out = tmp_path / "review"
    result = run("review", str(folder), "-o", str(out))
    assert result.returncode == 0, result.stderr
    copied = next((out / "org").glob("*/report.html"))
    dom = dump_dom(copied, tmp_path)
    assert "<title>laporan</title>" in dom and "pwned" not in dom.split("<script", 1)[0]
    assert '<p id="x">ok</p>' in dom


def test_review_csv_is_safe_whichever_separator_a_spreadsheet_splits_on(
        example_bundle: Path, tmp_path: Path) -> None:
    """Names, folder paths and problems with formulas after a ';' or ',' stay text."""
    key = Ed25519PrivateKey.generate()
    good = tmp_path / "good"
    good.mkdir()
    (good / "results.json").write_text(json.dumps(with_identity(example_bundle, "71.01",
                                                                "Kota;=1+1")))
    sign_bundle(good, key)
    bad = tmp_path / "x;=HYPERLINK(1)"
    bad.mkdir()
    (bad / "results.json").write_text(json.dumps(with_identity(example_bundle, "72.01",
                                                               "Kab\n-1+cmd")))
    outcome = review([good, bad], tmp_path / "out", "en", workers=1)
    text = outcome.csv.read_text(encoding="utf-8")
    assert formula_cells(text) == []
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert (rows[0]["name"], rows[0]["level"]) == ("Kota;'=1+1", "kota")
    assert rows[1]["bundle"].endswith("x;'=HYPERLINK(1)") and rows[1]["trust"] == "unsigned"
    assert '"Kota;\'=1+1"' in text
