"""Faults a real scan meets, through the real CLI: a connection dropped mid-probe, a probe killed
on its host, a wrong key passphrase, a port that is not SSH. Each ends in a clear outcome."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.collect.collectors import COLLECTORS
from auditor.collect.collectors.interface import Collector
from auditor.collect.scan import scan
from auditor.collect.transports import ScanOptions
from auditor.inventory.load import load_inventory
from auditor.model import HostStatus
from fleet import Fleet, banner_server, sshd_available
from test_ssh_scan import cli, cli_env
from web_servers import serve

pytestmark = pytest.mark.sshd

TIMEOUT = 8.0
PASSPHRASE_ENV = "AUDITOR_TEST_PASSPHRASE"

# The probe's shell is a child of the connection's sshd process: killing that drops the
# connection as a reboot or a cut cable would, after some output and before any exit status.
DROP = "ForceCommand printf 'partial probe output\\n'; sleep 0.3; kill -9 $PPID\n"
# Killing the shell itself leaves the connection up: sshd reports a signal, no exit status.
KILLED = "ForceCommand printf 'partial probe output\\n'; sleep 0.3; kill -9 $$\n"


@pytest.fixture(scope="module")
def faulty() -> Iterator[Fleet]:
    """A good host, one that drops the connection mid-probe, one whose probe is killed, and a
    jump host."""
    reason = sshd_available()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="auditor-faulty-"))
    fleet = Fleet(root)
    try:
        fleet.start("good")
        fleet.start("dropper", extra_config=DROP)
        fleet.start("killed", extra_config=KILLED)
        fleet.start("bastion", forwarding=True)
        yield fleet
    finally:
        fleet.stop()
        shutil.rmtree(root, ignore_errors=True)


def host(fleet: Fleet, name: str, *, port_of: str | None = None, **fields: Any) -> dict[str, Any]:
    """An inventory host for fleet host ``name`` (at the port of ``port_of`` when given)."""
    data: dict[str, Any] = {"id": name, "site": "ruang-server", "address": "127.0.0.1",
                            "port": fleet.host(port_of or name).port, "user": "auditor",
                            "key_file": str(fleet.client_key)}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def write_inventory(folder: Path, hosts: list[dict[str, Any]]) -> Path:
    """An inventory with these hosts, in ``folder``."""
    doc = {"version": 1,
           "organisation": {"code": "32.73", "name": "Pemerintah Kota Contoh", "level": "kota"},
           "defaults": {"timeout": TIMEOUT},
           "sites": [{"id": "ruang-server", "name": "Ruang Server", "kind": "server_room"}],
           "hosts": hosts}
    path = folder / "inventory.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def known_hosts(folder: Path, fleet: Fleet) -> Path:
    """A known_hosts file with every host of ``fleet``."""
    path = folder / "known_hosts"
    path.write_text("".join(h.known_hosts_line() for h in fleet.hosts))
    return path


def facts(bundle: Path, name: str) -> dict[str, Any]:
    """One host's facts file."""
    data: dict[str, Any] = json.loads((bundle / "facts" / f"{name}.json").read_text())
    return data


def run(args: list[str], home: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """The real CLI, bounded."""
    return subprocess.run(cli(*args), env=cli_env(home, env), capture_output=True, text=True,
                          timeout=180, cwd=home)


def test_dropped_connection_is_unscanned_and_resume_scans_it_again(faulty: Fleet,
                                                                   tmp_path: Path) -> None:
    known = known_hosts(tmp_path, faulty)
    bundle = tmp_path / "bundle"
    inventory = write_inventory(tmp_path, [host(faulty, "good"), host(faulty, "dropper"),
                                           host(faulty, "killed")])
    args = ["scan", str(inventory), "-o", str(bundle), "--known-hosts", str(known)]
    first = run(args, tmp_path)
    assert first.returncode == 3, first.stderr
    assert "3 hosts, 2 could not be scanned" in first.stderr
    assert "dropper: error: the connection dropped" in first.stderr
    assert "killed: error: the probe ended" in first.stderr
    assert "Traceback" not in first.stderr
    dropped, killed = facts(bundle, "dropper"), facts(bundle, "killed")
    assert dropped["status"] == "error" and killed["status"] == "error"
    assert "before the probe finished" in dropped["reason"]
    assert "no exit status" in dropped["reason"]
    assert "without an exit status" in killed["reason"]
    for doc in (dropped, killed):
        assert "\n" not in doc["reason"]
        assert doc["facts"] == {}  # the partial output is not taken for facts
        assert doc["probe"]["exit_code"] is None
        assert doc["unknown"]["os"] == "host not scanned: error"
    assert facts(bundle, "good")["status"] == "ok"
    kept = (bundle / "facts" / "good.json").read_bytes()

    # The hosts come back (here: the same ids now lead to a healthy sshd); --resume scans
    # the two unscanned hosts again and keeps the good one.
    write_inventory(tmp_path, [host(faulty, "good"), host(faulty, "dropper", port_of="good"),
                               host(faulty, "killed", port_of="good")])
    resumed = run([*args, "--resume"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "(1 kept from an earlier scan)" in resumed.stderr
    assert (bundle / "facts" / "good.json").read_bytes() == kept
    for name in ("dropper", "killed"):
        doc = facts(bundle, name)
        assert (doc["status"], doc["reason"]) == ("ok", None)
        assert doc["facts"]["os"]["id"] == "debian"


def test_audit_counts_a_dropped_connection_as_unscanned(faulty: Fleet, tmp_path: Path) -> None:
    known = known_hosts(tmp_path, faulty)
    inventory = write_inventory(tmp_path, [host(faulty, "good"), host(faulty, "dropper")])
    done = run(["audit", str(inventory), "-o", str(tmp_path / "b"), "--known-hosts", str(known),
                "--format", "json"], tmp_path)
    assert done.returncode == 3, done.stderr
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    dropper = next(h for h in results["hosts"] if h["id"] == "dropper")
    assert dropper["status"] == "error" and dropper["score"] is None


def test_resume_rescans_a_dropped_host_an_older_auditor_counted_as_scanned(
        faulty: Fleet, tmp_path: Path) -> None:
    known = known_hosts(tmp_path, faulty)
    bundle = tmp_path / "bundle"
    inventory = write_inventory(tmp_path, [host(faulty, "good"),
                                           host(faulty, "old", port_of="good")])
    args = ["scan", str(inventory), "-o", str(bundle), "--known-hosts", str(known)]
    assert run(args, tmp_path).returncode == 0
    # What earlier versions wrote for a dropped connection: ok, with exit code -1.
    old = facts(bundle, "old")
    old["probe"]["exit_code"] = -1
    (bundle / "facts" / "old.json").write_text(json.dumps(old))
    checked = run(["check", str(bundle), "-q"], tmp_path)   # judged as not scanned: exit 3
    assert checked.returncode == 3, checked.stderr
    results = json.loads((bundle / "results.json").read_text())
    judged = next(h for h in results["hosts"] if h["id"] == "old")
    assert judged["status"] == "error" and judged["score"] is None
    assert "rescan with 'auditor scan --resume'" in judged["reason"]
    resumed = run([*args, "--resume"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "(1 kept from an earlier scan)" in resumed.stderr
    assert facts(bundle, "old")["probe"]["exit_code"] == 0


def test_local_probe_killed_by_a_signal_is_an_error(tmp_path: Path) -> None:
    killer = Collector("killer", "kills the probe's shell", "kill -9 $$", lambda text: {})
    collectors = {"os": COLLECTORS["os"], "killer": killer}
    inventory = load_inventory(write_inventory(tmp_path, [
        {"id": "self", "site": "ruang-server", "transport": "local"}]))
    summary = scan(inventory, tmp_path / "b", ScanOptions(timeout=TIMEOUT, ssh_config=None),
                   collectors=collectors)
    result = summary.results[0]
    assert result.status is HostStatus.ERROR
    assert result.reason is not None and "killed by SIGKILL" in result.reason
    assert summary.failed == (result,)


def test_wrong_or_missing_key_passphrase_is_named(faulty: Fleet, tmp_path: Path) -> None:
    known = known_hosts(tmp_path, faulty)
    inventory = write_inventory(tmp_path, [
        host(faulty, "good", key_file=str(faulty.encrypted_key), passphrase_env=PASSPHRASE_ENV),
        host(faulty, "nopass", port_of="good", key_file=str(faulty.encrypted_key))])
    wrong = "not-the-passphrase-5e1f"
    bundle = tmp_path / "bundle"
    done = run(["scan", str(inventory), "-o", str(bundle), "--known-hosts", str(known)],
               tmp_path, {PASSPHRASE_ENV: wrong})
    assert done.returncode == 3, done.stderr
    good, nopass = facts(bundle, "good"), facts(bundle, "nopass")
    assert good["status"] == nopass["status"] == "auth_failed"
    assert f"key file encrypted_key: wrong passphrase (in ${PASSPHRASE_ENV})" in good["reason"]
    assert "key file encrypted_key is encrypted: set passphrase_env" in nopass["reason"]
    for doc in (good, nopass):
        assert "could not be read" not in doc["reason"]
        assert "Error" not in doc["reason"]
    assert "wrong passphrase" in done.stderr
    assert wrong not in done.stdout + done.stderr
    for path in bundle.rglob("*"):
        if path.is_file():
            assert wrong.encode() not in path.read_bytes(), path


def test_unencrypted_key_ignores_a_passphrase_as_openssh_does(faulty: Fleet,
                                                              tmp_path: Path) -> None:
    known = known_hosts(tmp_path, faulty)
    inventory = write_inventory(tmp_path, [host(faulty, "good", passphrase_env=PASSPHRASE_ENV)])
    done = run(["scan", str(inventory), "-o", str(tmp_path / "b"), "--known-hosts", str(known)],
               tmp_path, {PASSPHRASE_ENV: "anything"})
    assert done.returncode == 0, done.stderr
    assert facts(tmp_path / "b", "good")["status"] == "ok"


def test_a_port_that_is_not_ssh_says_what_answered(tmp_path: Path) -> None:
    ftp = b"220 ProFTPD Server (Pemda) [127.0.0.1]\r\n\x1b[2J\x00'quoted'\\" + b"x" * 300
    with banner_server(ftp) as ftp_server, banner_server(b"") as closer, serve() as http_port:
        inventory = write_inventory(tmp_path, [
            {"id": "ftp", "site": "ruang-server", "address": "127.0.0.1",
             "port": ftp_server.port, "user": "auditor"},
            {"id": "web", "site": "ruang-server", "address": "127.0.0.1", "port": http_port,
             "user": "auditor"},
            {"id": "closer", "site": "ruang-server", "address": "127.0.0.1",
             "port": closer.port, "user": "auditor"}])
        bundle = tmp_path / "bundle"
        done = run(["scan", str(inventory), "-o", str(bundle), "--known-hosts",
                    str(tmp_path / "known_hosts")], tmp_path)
    assert done.returncode == 3, done.stderr
    ftp_doc, web_doc, closer_doc = (facts(bundle, n) for n in ("ftp", "web", "closer"))
    assert ftp_doc["status"] == web_doc["status"] == closer_doc["status"] == "error"
    assert (f"127.0.0.1 port {ftp_server.port} is not an SSH server: it answered "
            "'220 ProFTPD Server (Pemda) [127.0.0.1]\\r\\n\\x1b[2J\\x00\\'quoted\\'\\\\xxx"
            in ftp_doc["reason"])
    assert ftp_doc["reason"].endswith("...'")  # capped
    assert len(ftp_doc["reason"]) < 200
    # Python's server takes the client's SSH version line for an HTTP/0.9 request and
    # answers with a bare error page.
    assert "is not an SSH server: it answered '<!DOCTYPE HTML>\\n<html" in web_doc["reason"]
    assert "closed it without a word" in closer_doc["reason"]
    for doc in (ftp_doc, web_doc, closer_doc):
        assert "timeout" not in doc["reason"] and "within" not in doc["reason"]
        assert all(32 <= ord(c) < 127 for c in doc["reason"]), doc["reason"]
    assert "ftp: error: 127.0.0.1 port" in done.stderr
    assert "\x1b" not in done.stderr


def test_a_port_behind_a_jump_host_that_is_not_ssh_says_what_answered(faulty: Fleet,
                                                                      tmp_path: Path) -> None:
    known = known_hosts(tmp_path, faulty)
    with banner_server(b"SMTP? no: 554 go away\r\n") as smtp:
        inventory = write_inventory(tmp_path, [
            host(faulty, "bastion"),
            {"id": "mail", "site": "ruang-server", "address": "127.0.0.1", "port": smtp.port,
             "user": "auditor", "key_file": str(faulty.client_key), "jump": "bastion"}])
        bundle = tmp_path / "bundle"
        done = run(["scan", str(inventory), "-o", str(bundle), "--known-hosts", str(known)],
                   tmp_path)
    assert done.returncode == 3, done.stderr
    mail = facts(bundle, "mail")
    assert mail["status"] == "error"
    assert mail["reason"] == (f"127.0.0.1 port {smtp.port} is not an SSH server: it answered "
                              "'SMTP? no: 554 go away\\r\\n'")
    assert facts(bundle, "bastion")["status"] == "ok"
