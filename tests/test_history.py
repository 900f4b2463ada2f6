"""The history store: rounds appended by `auditor review --history`, on DuckDB and PostgreSQL."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from auditor.cli.main import cli
from auditor.history.append import append_round
from auditor.history.provinces import PROVINCES, province_of, resolve_province
from auditor.history.store import connect
from auditor.review.load import read_bundle
from conftest import REPO, run_cli
from pg_cluster import createdb, pg_bin, pg_cluster

ENGINES = ("duckdb", "postgresql")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the whole session."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL server not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="pip install -e '.[postgresql]'")
    with pg_cluster() as url:
        yield url


_DATABASES = iter(range(10**6))


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each engine: a new DuckDB file, or a new PostgreSQL database."""
    if request.param == "duckdb":
        return str(tmp_path / "history.duckdb")
    base = request.getfixturevalue("pg_url")
    return createdb(base, f"h{next(_DATABASES)}")


@pytest.fixture(scope="module")
def example_results(example_bundle: Path) -> dict[str, Any]:
    results: dict[str, Any] = json.loads((example_bundle / "results.json").read_text())
    return results


def make_results(base: dict[str, Any], code: str, name: str, score: float, verdict: str,
                 generated_at: str = "2026-11-01T08:00:00Z", hosts: int = 2,
                 fire: str = "fail") -> dict[str, Any]:
    """One pemda's results: its identity, score, hosts, plan (vCPU 2, 4, ...) and waves."""
    data = copy.deepcopy(base)
    data["organisation"] = {"code": code, "name": name, "level": "kota"}
    data["generated_at"] = generated_at
    data["summary"]["score"] = score
    data["summary"]["verdict"] = verdict
    data["recommendation"]["verdict"] = verdict
    host, plan = data["hosts"][0], data["recommendation"]["hosts"][0]
    data["hosts"], data["recommendation"]["hosts"] = [], []
    for index in range(hosts):
        clone = copy.deepcopy(host)
        clone["id"] = f"srv-{index}"
        data["hosts"].append(clone)
        entry = copy.deepcopy(plan)
        entry["id"] = clone["id"]
        # the example host may be planned for retirement (an idle test machine): no target;
        # every host here is rehosted onto the catalogue's VM offering, as on a busy machine
        if not entry.get("target"):
            entry.update(strategy="rehost", rule="rehost")
            entry["target"] = {"offering": "pdn-iaas-vm", "kind": "vm", "sizing": "unknown",
                               "price_idr_per_year": 0}
        entry["target"].update(vcpu=2 * (index + 1), memory_gb=4, disk_gb=500)
        data["recommendation"]["hosts"].append(entry)
    data["recommendation"]["waves"] = [[f"srv-{i}" for i in range(hosts) if i % 2 == w]
                                       for w in (0, 1)]
    data["summary"]["hosts"] = hosts
    for finding in data["sites"][0]["findings"]:
        if finding["control"] == "FAC-FIRE-SUPPRESSION":
            finding["status"] = fire
    return data


def bundle(example: Path, folder: Path, results: dict[str, Any],
           key: Ed25519PrivateKey | None) -> Path:
    """A copy of the example bundle carrying ``results``, signed when a key is given."""
    shutil.copytree(example, folder)
    (folder / "results.json").write_text(json.dumps(results, ensure_ascii=False))
    if key is not None:
        sign_bundle(folder, key)
    return folder


@pytest.fixture(scope="module")
def rounds(example_bundle: Path, example_results: dict[str, Any],
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Two rounds of three pemda: 32.73 renamed and improved, 35.15 unchanged (same bundle),
    13.71 resubmitted; round 1 also holds an unsigned bundle, which is rejected."""
    root = tmp_path_factory.mktemp("history-bundles")
    key = Ed25519PrivateKey.generate()
    base = example_results

    def make(name: str, results: dict[str, Any], signed: bool = True) -> Path:
        return bundle(example_bundle, root / name, results, key if signed else None)

    bandung_1 = make("bandung-1", make_results(base, "32.73", "Pemerintah Kota Lama", 40.0,
                                                "migrate"))
    sidoarjo = make("sidoarjo", make_results(base, "35.15", "Pemerintah Kabupaten Sidoarjo",
                                             70.0, "remediate", "2024-01-15T08:00:00Z",
                                             hosts=3, fire="pass"))
    padang_1 = make("padang-1", make_results(base, "13.71", "Pemerintah Kota Padang", 55.0,
                                             "migrate"))
    unsigned = make("unsigned", make_results(base, "61.71", "Pemerintah Kota Pontianak", 50.0,
                                             "migrate"), signed=False)
    bandung_2 = make("bandung-2", make_results(base, "32.73", "Pemerintah Kota Baru", 65.5,
                                                "remediate", "2026-11-20T08:00:00Z",
                                                fire="pass"))
    padang_2 = make("padang-2", make_results(base, "13.71", "Pemerintah Kota Padang", 58.0,
                                             "migrate", "2026-11-21T08:00:00Z"))
    return {"one": [bandung_1, sidoarjo, padang_1, unsigned],
            "two": [bandung_2, sidoarjo, padang_2]}


def review(bundles: list[Path], out: Path, store: str, *extra: str
           ) -> subprocess.CompletedProcess[str]:
    """`auditor review BUNDLES -o OUT --history STORE` in a child process, in English."""
    return run_cli("review", *map(str, bundles), "-o", str(out), "--history", store, "--lang",
                   "en", *extra)


def history(*args: str) -> subprocess.CompletedProcess[str]:
    """`auditor history ARGS` in this process (click's runner: the real command, no start-up)."""
    result = CliRunner().invoke(cli, ["history", *args])
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def as_json(*args: str) -> list[dict[str, Any]]:
    result = history(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def counts(url: str) -> dict[str, int]:
    store = connect(url, read_only=True)
    try:
        return {t: int(store.query(f"SELECT count(*) FROM {t}")[0][0])
                for t in ("rounds", "bundles", "round_bundles", "findings", "plan", "hosts",
                          "organisations", "organisation_names")}
    finally:
        store.close()


def test_append_and_reappend_is_idempotent(rounds: dict[str, list[Path]], store_url: str,
                                           tmp_path: Path) -> None:
    first = review(rounds["one"], tmp_path / "r1", store_url)
    assert first.returncode == 1, first.stderr  # the unsigned bundle is rejected
    assert "round 1 appended (3 new bundles of 3 accepted)" in first.stderr
    after_one = counts(store_url)
    assert after_one["rounds"] == 1 and after_one["bundles"] == 3
    assert after_one["round_bundles"] == 4  # the rejected one is recorded with its trust
    assert after_one["findings"] > 3 * 50 and after_one["plan"] == 2 + 3 + 2

    again = review(rounds["one"], tmp_path / "r1-again", store_url)
    assert "nothing new: all 3 accepted bundles are already kept; no round added" in again.stderr
    assert counts(store_url) == after_one

    second = review(rounds["two"], tmp_path / "r2", store_url)
    assert second.returncode == 0, second.stderr
    assert "round 2 appended (2 new bundles of 3 accepted)" in second.stderr
    after_two = counts(store_url)
    assert after_two["rounds"] == 2 and after_two["bundles"] == 5
    assert after_two["findings"] == after_one["findings"] * 5 // 3 or \
        after_two["findings"] > after_one["findings"]
    trend = as_json("trends", store_url)
    assert [(r["round"], r["code"]) for r in trend] == [
        (1, "13.71"), (2, "13.71"), (1, "32.73"), (2, "32.73"), (1, "35.15"), (2, "35.15")]
    sidoarjo = [r for r in trend if r["code"] == "35.15"]
    assert sidoarjo[0]["bundle_generated_at"] == sidoarjo[1]["bundle_generated_at"]
    assert sidoarjo[1]["score_change"] == 0
    padang = [r for r in trend if r["code"] == "13.71"]
    assert padang[1]["score_change"] == 3.0


@pytest.fixture(scope="module", params=ENGINES)
def two_rounds(request: pytest.FixtureRequest, rounds: dict[str, list[Path]],
               tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A store of each engine holding both rounds, and the folder of the second round's review;
    shared by the tests that only read them."""
    folder = tmp_path_factory.mktemp(f"two-rounds-{request.param}")
    if request.param == "duckdb":
        url = str(folder / "history.duckdb")
    else:
        url = createdb(request.getfixturevalue("pg_url"), f"shared{next(_DATABASES)}")
    for name in ("one", "two"):
        assert review(rounds[name], folder / name, url).returncode in (0, 1)
    return url, folder / "two"


def test_renamed_organisation_stays_one_with_its_name_history(two_rounds: tuple[str, Path]
                                                             ) -> None:
    store_url = two_rounds[0]
    assert counts(store_url)["organisations"] == 3
    assert counts(store_url)["organisation_names"] == 4
    bandung = [r for r in as_json("trends", store_url) if r["code"] == "32.73"]
    assert [r["score"] for r in bandung] == [40.0, 65.5]
    assert {r["name"] for r in bandung} == {"Pemerintah Kota Baru"}
    assert {r["former_names"] for r in bandung} == {"Pemerintah Kota Lama"}
    table = history("trends", store_url, "--province", "Jawa Barat")
    assert "Pemerintah Kota Baru" in table.stdout and "Pemerintah Kota Lama" in table.stdout
    assert "Padang" not in table.stdout


def test_commands_in_three_formats(two_rounds: tuple[str, Path]) -> None:
    store_url = two_rounds[0]
    for command in (["trends", store_url, "--control", "FAC-FIRE-SUPPRESSION"],
                    ["capacity", store_url], ["stale", store_url, "--days", "180"]):
        rows = as_json(*command)
        text_csv = history(*command, "--format", "csv")
        table = history(*command)
        assert text_csv.returncode == 0 and table.returncode == 0, text_csv.stderr + table.stderr
        parsed = list(csv.DictReader(io.StringIO(text_csv.stdout)))
        assert len(parsed) == len(rows) > 0
        assert list(parsed[0]) == list(rows[0])
        assert [r["code" if "code" in r else "offering"] for r in parsed] == \
            [str(r["code" if "code" in r else "offering"]) for r in rows]
        header = table.stdout.splitlines()[0].split()
        assert header == list(rows[0])
    fire = {(r["code"], r["round"]): (r["control_failing"], r["control_checked"])
            for r in as_json("trends", store_url, "--control", "FAC-FIRE-SUPPRESSION")}
    assert fire[("32.73", 1)] == (1, 1) and fire[("32.73", 2)] == (0, 1)
    assert fire[("35.15", 2)] == (0, 1)
    by_province = as_json("trends", store_url, "--province", "13")
    assert {r["code"] for r in by_province} == {"13.71"}
    assert by_province[0]["province_name"] == "Sumatera Barat"

    capacity = as_json("capacity", store_url)
    assert {r["round"] for r in capacity} == {2}
    per = {(r["province"], r["wave"]): r for r in capacity}
    # 35.15 has 3 hosts: vCPU 2 and 6 in wave 1, 4 in wave 2; 500 GB each.
    assert per[("35", 1)]["vcpu"] == 8 and per[("35", 1)]["hosts"] == 2
    assert per[("35", 2)]["vcpu"] == 4 and per[("35", 2)]["storage_tb"] == 0.5
    assert per[("32", 1)]["province_name"] == "Jawa Barat"
    assert all(r["bandwidth_mbps"] is None and r["offering"] == "pdn-iaas-vm" for r in capacity)
    assert as_json("capacity", store_url, "--round", "1")[0]["round"] == 1

    stale = as_json("stale", store_url, "--days", "180")
    assert [r["code"] for r in stale] == ["35.15"]
    assert stale[0]["last_bundle_generated_at"] == "2024-01-15T08:00:00Z"
    assert stale[0]["age_days"] > 180 and stale[0]["last_round"] == 2
    assert as_json("stale", store_url, "--days", "100000") == []


def test_newer_store_is_refused(rounds: dict[str, list[Path]], store_url: str,
                                tmp_path: Path) -> None:
    review(rounds["two"], tmp_path / "r1", store_url)
    store = connect(store_url)
    store.execute("INSERT INTO history_schema VALUES (99, '9.0.0', '2030-01-01T00:00:00Z')")
    store.close()
    before = counts(store_url)
    refused = review(rounds["one"], tmp_path / "r2", store_url)
    assert refused.returncode == 2
    assert "written by a newer auditor (schema version 99" in refused.stderr
    assert "upgrade auditor" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "r2" / "index.html").exists()
    query = history("trends", store_url)
    assert query.returncode == 2 and "newer auditor" in query.stderr
    assert counts(store_url) == before


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from auditor.history import store as stores
    from auditor.history.append import append_round
    from auditor.review.load import read_bundle

    def dying(target, read_only):
        store = stores.connect(target, read_only)
        real = store.copy_csv

        def copy_then_die(table, columns, path):
            if table == "findings":  # the bundles are copied already, the round is half done
                os.kill(os.getpid(), signal.SIGKILL)
            real(table, columns, path)

        store.copy_csv = copy_then_die
        return store

    stores.STORES["crash"] = lambda target, read_only: dying(target[len("crash://"):], read_only)
    append_round("crash://" + sys.argv[1], [read_bundle(Path(p), None) for p in sys.argv[2:]])
""")


def test_a_crash_mid_round_leaves_nothing(rounds: dict[str, list[Path]], store_url: str,
                                          tmp_path: Path) -> None:
    review(rounds["one"], tmp_path / "r1", store_url)
    before = counts(store_url)
    killed = subprocess.run([sys.executable, "-c", KILLER, store_url,
                             *map(str, rounds["two"])], capture_output=True, text=True,
                            timeout=300, check=False, env={"PYTHONPATH": str(REPO),
                                                           "PATH": "/usr/bin:/bin"})
    assert killed.returncode == -9, killed.stderr
    assert counts(store_url) == before
    retried = review(rounds["two"], tmp_path / "r2", store_url)
    assert "round 2 appended (2 new bundles of 3 accepted)" in retried.stderr


def test_an_error_inside_a_round_rolls_it_back(rounds: dict[str, list[Path]],
                                               store_url: str) -> None:
    reports = [read_bundle(p, None) for p in rounds["one"]]
    append_round(store_url, reports[:1])
    before = counts(store_url)

    def failing() -> Iterator[Any]:
        yield reports[1]
        raise RuntimeError("the reader broke")

    with pytest.raises(RuntimeError):
        append_round(store_url, failing())
    assert counts(store_url) == before


def test_index_html_shows_trend_and_capacity(two_rounds: tuple[str, Path],
                                             rounds: dict[str, list[Path]], tmp_path: Path
                                             ) -> None:
    page = (two_rounds[1] / "index.html").read_text()
    section = page.split('<section id="history">', 1)[1].split("</section>", 1)[0]
    trend = section.split('id="history-trend"', 1)[1].split("</figure>", 1)[0]
    assert "Round 1 · " in trend and "Round 2 · " in trend and "mean 55.0" in trend
    assert trend.count("<rect") == 4  # round 1: 2 migrate + 1 remediate; round 2: 2 verdicts
    offering = section.split('id="history-by-offering"', 1)[1].split("</figure>", 1)[0]
    assert "pdn-iaas-vm" in offering and "24 vCPU · 28 GB · 3.5 TB · 7 host" in offering
    waves = section.split('id="history-by-wave"', 1)[1].split("</figure>", 1)[0]
    assert "Wave 1" in waves and "Wave 2" in waves
    plain = run_cli("review", *map(str, rounds["two"]), "-o", str(tmp_path / "plain"))
    assert plain.returncode == 0
    assert 'id="history"' not in (tmp_path / "plain" / "index.html").read_text()


def test_a_hostile_bundle_cannot_overflow_or_inject(example_bundle: Path,
                                                   example_results: dict[str, Any],
                                                   store_url: str, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    results = make_results(example_results, "32.01", "<script>x</script>", 50.0, "migrate")
    first = results["recommendation"]["hosts"][0]["target"]
    # numbers results.schema.json allows (whole vCPUs, memory of 0 or more), but not believable
    first.update(vcpu=10**15, memory_gb=1e300, bandwidth_mbps=float("1e300"),
                 offering="<script>alert(1)</script>")
    results["recommendation"]["hosts"][1]["target"]["bandwidth_mbps"] = 100
    hostile = bundle(example_bundle, tmp_path / "hostile", results, key)
    twin = make_results(example_results, "32.02", "Kota Kembar", 60.0, "remediate")
    twin["summary"]["score"] = 1e308  # beyond the schema's 0..100: the bundle is refused
    other = bundle(example_bundle, tmp_path / "twin", twin, key)
    result = review([hostile, other], tmp_path / "out", store_url)
    assert result.returncode == 1, result.stderr
    assert "twin: malformed: results.json is not valid at summary.score" in result.stderr
    capacity = {r["offering"]: r for r in as_json("capacity", store_url)}
    weird = capacity["<script>alert(1)</script>"]
    assert weird["vcpu"] is None and weird["memory_gb"] is None
    assert weird["bandwidth_mbps"] is None and weird["hosts_without_bandwidth"] == 1
    assert capacity["pdn-iaas-vm"]["bandwidth_mbps"] == 100
    assert all(r["score"] is None or r["score"] <= 100 for r in as_json("trends", store_url))
    page = (tmp_path / "out" / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


@pytest.mark.browser
def test_history_charts_render_in_chromium(rounds: dict[str, list[Path]], tmp_path: Path
                                           ) -> None:
    store = str(tmp_path / "history.duckdb")
    review(rounds["one"], tmp_path / "r1", store, "--lang", "id")
    dom = subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", "--dump-dom",
         (tmp_path / "r1" / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Riwayat putaran" in dom.stdout and "Putaran 1 · " in dom.stdout
    assert dom.stdout.count('fill="#1a73e8"') >= 3  # offering and wave bars


def test_store_errors_are_clear_and_keep_secrets(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    import duckdb

    duckdb.connect(str(other)).execute("CREATE TABLE t (a INTEGER)").close()
    refused = history("trends", str(other))
    assert refused.returncode == 2 and "not an auditor history store" in refused.stderr
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("not a database\n" * 100)
    assert history("stale", str(garbage)).returncode == 2
    down = history("capacity", "postgresql://auditor:s3cret@127.0.0.1:1/history")
    assert down.returncode == 2 and "cannot connect" in down.stderr
    assert "s3cret" not in down.stderr and "auditor:***@" in down.stderr
    unknown = history("trends", "mysql://x/y")
    assert unknown.returncode == 2 and "unknown history store" in unknown.stderr
    empty = history("trends", str(tmp_path / "missing.duckdb"))
    assert empty.returncode == 2 and "no such history store" in empty.stderr
    assert not (tmp_path / "missing.duckdb").exists()


def test_province_codes() -> None:
    assert len(PROVINCES) == 38 and PROVINCES["32"] == "Jawa Barat"
    assert province_of("32.73") == "32" and province_of("3273") == "32"
    assert province_of("x") == "" and province_of("3") == ""
    assert resolve_province("jawa barat") == "32" and resolve_province("96") == "96"
    assert resolve_province("Atlantis") == ""
