"""Scanning real sshd hosts on loopback, through the core scan() and through the real CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.collect.scan import scan
from auditor.collect.transports import ScanOptions
from auditor.inventory.load import load_inventory
from auditor.model import HostStatus
from fleet import INNER_NAME, Fleet, Tarpit, free_port

pytestmark = pytest.mark.sshd

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_ENV = "AUDITOR_TEST_PASSWORD"
PASSPHRASE_ENV = "AUDITOR_TEST_PASSPHRASE"
TIMEOUT = 10.0
"""The scan's I/O timeout: generous, so a loaded test machine does not turn a host into timeout."""

USERS = {"u2004": "root", "u2204": "root"}


def entry(fleet: Fleet, name: str, **fields: Any) -> dict[str, Any]:
    """An inventory host for the fleet host ``name`` (key login as its user)."""
    host = fleet.host(name)
    data: dict[str, Any] = {"id": name, "site": "ruang-server", "address": host.address,
                            "port": host.port, "user": USERS.get(name, "auditor"),
                            "key_file": str(fleet.client_key)}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def standard_hosts(fleet: Fleet, pit: Tarpit) -> list[dict[str, Any]]:
    """Every kind of host of the issue, in one inventory."""
    return [
        entry(fleet, "deb12"), entry(fleet, "u2004"), entry(fleet, "u2204"),
        entry(fleet, "c7"), entry(fleet, "rocky9"),
        entry(fleet, "pw", key_file=None, password_env=PASSWORD_ENV),
        entry(fleet, "changed"), entry(fleet, "unknown"), entry(fleet, "bastion"),
        entry(fleet, "inner", address=INNER_NAME, jump="bastion"),
        entry(fleet, "hostile"),
        {"id": "wrongkey", "site": "ruang-server", "address": "127.0.0.1",
         "port": fleet.host("deb12").port, "user": "auditor", "key_file": str(fleet.other_key)},
        {"id": "dead", "site": "ruang-server", "address": "127.0.0.1", "port": free_port(),
         "user": "auditor", "key_file": str(fleet.client_key)},
        {"id": "tarpit", "site": "ruang-server", "address": "127.0.0.1", "port": pit.port,
         "user": "auditor", "key_file": str(fleet.client_key)},
    ]


def write_inventory(folder: Path, hosts: list[dict[str, Any]]) -> Path:
    """An inventory file in ``folder`` with these hosts."""
    doc = {"version": 1,
           "organisation": {"code": "32.73", "name": "Pemerintah Kota Contoh", "level": "kota"},
           "defaults": {"timeout": TIMEOUT},
           "sites": [{"id": "ruang-server", "name": "Ruang Server", "kind": "server_room"}],
           "hosts": hosts}
    path = folder / "inventory.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def write_known_hosts(folder: Path, fleet: Fleet) -> Path:
    """known_hosts with every fleet host but 'unknown'; 'changed' is on file with another key."""
    lines = []
    for host in fleet.hosts:
        if host.name == "unknown":
            continue
        if host.name == "changed":
            lines.append(f"[{host.address}]:{host.port} {fleet.other_pub}\n")
        elif host.name == "inner":
            lines.append(host.known_hosts_line(INNER_NAME))
        else:
            lines.append(host.known_hosts_line())
    path = folder / "known_hosts"
    path.write_text("".join(lines))
    return path


def facts(bundle: Path, host: str) -> dict[str, Any]:
    """One host's facts file."""
    data: dict[str, Any] = json.loads((bundle / "facts" / f"{host}.json").read_text())
    return data


def cli(*args: str) -> list[str]:
    """The argv of the real CLI run from this worktree."""
    return [sys.executable, "-m", "auditor", *args]


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the CLI: this worktree first, an empty home (no user ssh config)."""
    env = {k: v for k, v in os.environ.items() if k not in (PASSWORD_ENV, PASSPHRASE_ENV)}
    env.update({"PYTHONPATH": str(ROOT), "HOME": str(home)})
    env.update(extra or {})
    return env


def test_scan_gives_every_host_its_status_and_reason(fleet: Fleet, pit: Tarpit, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, fleet.password)
    inventory = load_inventory(write_inventory(tmp_path, standard_hosts(fleet, pit)))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None)
    started = time.monotonic()
    summary = scan(inventory, tmp_path / "bundle", options, concurrency=32)
    elapsed = time.monotonic() - started
    statuses = {r.host: r.status for r in summary.results}
    assert statuses == {
        "deb12": HostStatus.OK, "u2004": HostStatus.OK, "u2204": HostStatus.OK,
        "c7": HostStatus.OK, "rocky9": HostStatus.OK, "pw": HostStatus.OK,
        "changed": HostStatus.HOSTKEY_MISMATCH, "unknown": HostStatus.HOSTKEY_MISMATCH,
        "bastion": HostStatus.OK, "inner": HostStatus.OK, "hostile": HostStatus.OK,
        "wrongkey": HostStatus.AUTH_FAILED, "dead": HostStatus.UNREACHABLE,
        "tarpit": HostStatus.TIMEOUT}
    # A tarpit costs one timeout, not a stalled scan (a correctness bound, not a speed test).
    assert elapsed < 3 * TIMEOUT
    bundle = tmp_path / "bundle"
    reasons = {h: facts(bundle, h)["reason"] for h in statuses}
    assert "CHANGED" in reasons["changed"] and "refused before login" in reasons["changed"]
    assert "not known" in reasons["unknown"]
    assert "--accept-new-host-keys" in reasons["unknown"]
    assert "login as 'auditor' refused" in reasons["wrongkey"]
    assert "refused" in reasons["dead"]
    assert "accepted the connection but did not" in reasons["tarpit"]
    for host, reason in reasons.items():
        assert (reason is None) == (statuses[host] is HostStatus.OK)
        assert reason is None or "\n" not in reason
    expected_os = {"deb12": ("debian", "12"), "u2004": ("ubuntu", "20.04"),
                   "u2204": ("ubuntu", "22.04"), "c7": ("centos", "7"),
                   "rocky9": ("rocky", "9.3"), "inner": ("rocky", "9.3")}
    for host, (os_id, version) in expected_os.items():
        os_facts = facts(bundle, host)["facts"]["os"]
        assert (os_facts["id"], os_facts["version_id"]) == (os_id, version)
    assert facts(bundle, "tarpit")["facts"] == {}
    assert facts(bundle, "tarpit")["unknown"]["os"] == "host not scanned: timeout"


def test_sshd_settings_of_each_hardening_level_are_read(fleet: Fleet, tmp_path: Path) -> None:
    hosts = [entry(fleet, n) for n in ("deb12", "u2004", "u2204", "c7")]
    inventory = load_inventory(write_inventory(tmp_path, hosts))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None)
    summary = scan(inventory, tmp_path / "b", options)
    assert [(r.status, r.reason) for r in summary.results] == [(HostStatus.OK, None)] * 4
    seen = {}
    for name in ("deb12", "u2004", "u2204", "c7"):
        settings = facts(tmp_path / "b", name)["facts"]["sshd"]["settings"]
        seen[name] = (settings["permitrootlogin"], settings["passwordauthentication"])
    assert seen == {"deb12": ("no", "no"), "u2004": ("yes", "yes"),
                    "u2204": ("without-password", "no"), "c7": ("yes", "yes")}


def test_changed_host_key_is_refused_before_any_authentication(fleet: Fleet,
                                                               tmp_path: Path) -> None:
    changed, bastion = fleet.host("changed"), fleet.host("bastion")
    inventory = load_inventory(write_inventory(tmp_path, [entry(fleet, "changed"),
                                                          entry(fleet, "bastion")]))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None, accept_new_host_keys=True)
    summary = scan(inventory, tmp_path / "b", options)
    assert [r.status for r in summary.results] == [HostStatus.HOSTKEY_MISMATCH, HostStatus.OK]
    assert changed.wait_log("KEX done")
    assert bastion.wait_log("userauth-request")  # the log does show logins when there are any
    time.sleep(0.2)
    log = changed.log_text()
    assert "userauth-request" not in log
    assert "publickey" not in log.replace("PubkeyAuthentication", "")
    # accept_new_host_keys never overrides a changed key: the file still holds the old one.
    assert fleet.other_pub in (tmp_path / "known_hosts").read_text()


def test_host_behind_a_jump_host_is_reached_through_it(fleet: Fleet, tmp_path: Path) -> None:
    inventory = load_inventory(write_inventory(tmp_path, [
        entry(fleet, "bastion"), entry(fleet, "inner", address=INNER_NAME, jump="bastion")]))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None)
    summary = scan(inventory, tmp_path / "b", options)
    assert [r.status for r in summary.results] == [HostStatus.OK, HostStatus.OK]
    assert facts(tmp_path / "b", "inner")["facts"]["os"]["id"] == "rocky"
    # Only the bastion's namespace resolves INNER_NAME: its sshd opened the tunnel.
    assert fleet.host("bastion").wait_log(f"target {INNER_NAME} port {fleet.host('inner').port}")


def test_jump_host_failure_is_named_in_the_reason(fleet: Fleet, tmp_path: Path) -> None:
    hosts = [entry(fleet, "unknown"), entry(fleet, "inner", address=INNER_NAME, jump="unknown")]
    inventory = load_inventory(write_inventory(tmp_path, hosts))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None)
    summary = scan(inventory, tmp_path / "b", options)
    inner = next(r for r in summary.results if r.host == "inner")
    assert inner.status is HostStatus.HOSTKEY_MISMATCH
    assert inner.reason is not None and inner.reason.startswith("jump host 'unknown': ")


def test_ssh_config_supplies_hostname_port_user_key_and_proxyjump(fleet: Fleet,
                                                                 tmp_path: Path) -> None:
    deb12, bastion, inner = fleet.host("deb12"), fleet.host("bastion"), fleet.host("inner")
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host web-alias\n  HostName 127.0.0.1\n  Port {deb12.port}\n  User auditor\n"
        f"  IdentityFile {fleet.client_key}\n"
        f"Host db-alias\n  HostName {INNER_NAME}\n  Port {inner.port}\n  User auditor\n"
        f"  IdentityFile {fleet.client_key}\n  ProxyJump auditor@127.0.0.1:{bastion.port}\n")
    hosts = [{"id": "web", "site": "ruang-server", "address": "web-alias"},
             {"id": "db", "site": "ruang-server", "address": "db-alias"}]
    inventory = load_inventory(write_inventory(tmp_path, hosts))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=str(config))
    summary = scan(inventory, tmp_path / "b", options)
    assert [(r.status, r.reason) for r in summary.results] == [(HostStatus.OK, None)] * 2
    assert facts(tmp_path / "b", "web")["facts"]["os"]["id"] == "debian"
    assert facts(tmp_path / "b", "db")["facts"]["os"]["id"] == "rocky"


def test_hostile_output_gives_facts_or_unknown_never_a_crash(fleet: Fleet,
                                                            tmp_path: Path) -> None:
    inventory = load_inventory(write_inventory(tmp_path, [entry(fleet, "hostile")]))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None)
    summary = scan(inventory, tmp_path / "b", options)
    assert summary.results[0].status is HostStatus.OK
    doc = facts(tmp_path / "b", "hostile")
    assert doc["facts"]["kernel"]  # the other sections are unharmed
    os_facts = doc["facts"].get("os")
    if os_facts is None:
        assert doc["unknown"]["os"]
    else:
        assert all(len(v) <= 200 for v in os_facts.values() if isinstance(v, str))


def test_output_over_the_cap_is_cut_and_marked(fleet: Fleet, tmp_path: Path) -> None:
    inventory = load_inventory(write_inventory(tmp_path, [entry(fleet, "deb12")]))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None, max_output=600)
    summary = scan(inventory, tmp_path / "b", options)
    assert summary.results[0].status is HostStatus.OK
    doc = facts(tmp_path / "b", "deb12")
    assert doc["probe"]["truncated"] is True and doc["probe"]["output_bytes"] == 600
    assert "cut" in doc["unknown"]["sshd"]


def test_encrypted_key_with_passphrase_from_env(fleet: Fleet, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = [entry(fleet, "deb12", key_file=str(fleet.encrypted_key),
                   passphrase_env=PASSPHRASE_ENV)]
    inventory = load_inventory(write_inventory(tmp_path, hosts))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None)
    summary = scan(inventory, tmp_path / "missing", options)
    assert summary.results[0].status is HostStatus.AUTH_FAILED
    assert f"{PASSPHRASE_ENV} (passphrase of encrypted_key) is not set" in str(
        summary.results[0].reason)
    monkeypatch.setenv(PASSPHRASE_ENV, fleet.passphrase)
    summary = scan(inventory, tmp_path / "b", options)
    assert summary.results[0].status is HostStatus.OK
    for path in (tmp_path / "b").rglob("*"):
        if path.is_file():
            assert fleet.passphrase.encode() not in path.read_bytes()


def test_cli_scan_keeps_the_password_out_of_the_bundle(fleet: Fleet, pit: Tarpit,
                                                       tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path, standard_hosts(fleet, pit))
    known = write_known_hosts(tmp_path, fleet)
    bundle = tmp_path / "bundle"
    done = subprocess.run(
        cli("scan", str(inventory), "-o", str(bundle), "--known-hosts", str(known),
            "--timeout", str(TIMEOUT)),
        env=cli_env(tmp_path, {PASSWORD_ENV: fleet.password}), capture_output=True,
        timeout=120, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    err = done.stderr.decode()
    assert "14 hosts, 5 could not be scanned" in err
    assert "tarpit: timeout:" in err and "changed: hostkey_mismatch:" in err
    assert "Traceback" not in err  # paramiko's own logging stays quiet
    assert facts(bundle, "pw")["status"] == "ok"
    secret = fleet.password.encode()
    assert secret not in done.stdout + done.stderr
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert len(files) >= 15
    for path in files:
        assert secret not in path.read_bytes(), path


def test_cli_accept_new_host_keys_pins_them(fleet: Fleet, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path, [entry(fleet, "unknown"), entry(fleet, "deb12")])
    known = tmp_path / "ssh" / "known_hosts"
    args = ("scan", str(inventory), "-o", str(tmp_path / "b"), "--known-hosts", str(known), "-q")
    first = subprocess.run(cli(*args), env=cli_env(tmp_path), capture_output=True, timeout=60)
    assert first.returncode == 3
    assert facts(tmp_path / "b", "unknown")["status"] == "hostkey_mismatch"
    assert not known.exists() or known.read_text() == ""
    pinned = subprocess.run(cli(*args, "--accept-new-host-keys"), env=cli_env(tmp_path),
                            capture_output=True, timeout=60)
    assert pinned.returncode == 0, pinned.stderr
    text = known.read_text()
    for name in ("unknown", "deb12"):
        assert fleet.host(name).known_hosts_line() in text
    again = subprocess.run(cli(*args), env=cli_env(tmp_path), capture_output=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert known.read_text() == text


def test_cli_resume_after_sigterm_rescans_only_unfinished_hosts(fleet: Fleet, pit: Tarpit,
                                                               tmp_path: Path) -> None:
    hosts = [entry(fleet, "deb12"),
             {"id": "tarpit", "site": "ruang-server", "address": "127.0.0.1",
              "port": pit.port, "user": "auditor", "key_file": str(fleet.client_key)},
             entry(fleet, "u2204"), entry(fleet, "c7")]
    inventory = write_inventory(tmp_path, hosts)
    known = write_known_hosts(tmp_path, fleet)
    bundle = tmp_path / "bundle"
    args = ("scan", str(inventory), "-o", str(bundle), "--known-hosts", str(known),
            "--concurrency", "1", "--timeout", str(TIMEOUT))
    accepted = len(pit.accepted)
    proc = subprocess.Popen(cli(*args), env=cli_env(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first_done = bundle / "facts" / "deb12.json"
    end = time.monotonic() + 60
    while not first_done.exists() and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.02)
    assert first_done.exists()
    end = time.monotonic() + 30   # the tarpit host has connected: it is being scanned now
    while len(pit.accepted) <= accepted and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)  # while the tarpit host is being scanned
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert b"rerun with --resume" in err
    assert sorted(p.name for p in (bundle / "facts").glob("*.json")) == ["deb12.json",
                                                                         "tarpit.json"]
    kept = first_done.read_bytes()
    resumed = subprocess.run(cli(*args, "--resume"), env=cli_env(tmp_path), capture_output=True,
                             timeout=60)
    assert resumed.returncode == 3  # the tarpit still cannot be scanned
    assert b"(1 kept from an earlier scan)" in resumed.stderr
    assert first_done.read_bytes() == kept
    statuses = {h["id"]: facts(bundle, h["id"])["status"] for h in hosts}
    assert statuses == {"deb12": "ok", "tarpit": "timeout", "u2204": "ok", "c7": "ok"}


def test_host_named_by_dns_name_is_resolved_and_its_key_filed_under_that_name(
        fleet: Fleet, tmp_path: Path) -> None:
    deb12 = fleet.host("deb12")
    known = tmp_path / "known_hosts"
    known.write_text(deb12.known_hosts_line("localhost"))
    inventory = load_inventory(write_inventory(tmp_path, [entry(fleet, "deb12",
                                                                address="localhost")]))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(known), ssh_config=None)
    summary = scan(inventory, tmp_path / "b", options)
    assert summary.results[0].status is HostStatus.OK


def test_ssh_agent_login(fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < end:
            time.sleep(0.02)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(fleet.client_key)], env=env, check=True,
                       capture_output=True, timeout=10)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        hosts = [entry(fleet, "rocky9", key_file=None, agent=True)]
        inventory = load_inventory(write_inventory(tmp_path, hosts))
        options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                              ssh_config=None)
        summary = scan(inventory, tmp_path / "b", options)
        assert (summary.results[0].status, summary.results[0].reason) == (HostStatus.OK, None)
    finally:
        agent.terminate()
        agent.wait(5)


def test_password_login_failures_name_the_variable_never_the_value(
        fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = [entry(fleet, "pw", key_file=None, password_env=PASSWORD_ENV)]
    inventory = load_inventory(write_inventory(tmp_path, hosts))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                          ssh_config=None)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    result = scan(inventory, tmp_path / "b1", options).results[0]
    assert result.status is HostStatus.AUTH_FAILED
    assert f"environment variable {PASSWORD_ENV} is not set" in str(result.reason)
    wrong = fleet.password + "-wrong"
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    result = scan(inventory, tmp_path / "b2", options).results[0]
    assert result.status is HostStatus.AUTH_FAILED
    assert f"password from ${PASSWORD_ENV}" in str(result.reason)
    for path in (tmp_path / "b2").rglob("*"):
        if path.is_file():
            assert wrong.encode() not in path.read_bytes()


def test_hashed_known_hosts_entries_are_honoured(fleet: Fleet, tmp_path: Path) -> None:
    known = write_known_hosts(tmp_path, fleet)
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(known)], check=True,
                   capture_output=True, timeout=30)
    assert "[127.0.0.1]" not in known.read_text()  # every name is hashed now
    inventory = load_inventory(write_inventory(tmp_path, [entry(fleet, "u2004"),
                                                          entry(fleet, "changed")]))
    options = ScanOptions(timeout=TIMEOUT, known_hosts=str(known), ssh_config=None)
    summary = scan(inventory, tmp_path / "b", options)
    assert [r.status for r in summary.results] == [HostStatus.OK, HostStatus.HOSTKEY_MISMATCH]
