"""~/.ssh/config as OpenSSH reads it, against the real sshd fleet: Include, Match, ProxyCommand."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from auditor.collect.scan import scan
from auditor.collect.transports import ScanOptions
from auditor.collect.transports.ssh_config import SSHConfigError, load_config, resolve_host
from auditor.inventory.load import load_inventory
from auditor.model import HostStatus
from fleet import INNER_NAME, Fleet
from test_ssh_scan import (
    PASSPHRASE_ENV,
    PASSWORD_ENV,
    TIMEOUT,
    cli,
    cli_env,
    entry,
    facts,
    write_inventory,
    write_known_hosts,
)


def ssh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home whose ~/.ssh relative Includes resolve against (HOME points at it)."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    return home / ".ssh"


def alias(name: str) -> dict[str, str]:
    """An inventory host known only by its ssh-config name."""
    return {"id": name, "site": "ruang-server", "address": name}


def options(tmp_path: Path, fleet: Fleet, config: Path) -> ScanOptions:
    """Scan options with the fleet's known_hosts and ``config``."""
    return ScanOptions(timeout=TIMEOUT, known_hosts=str(write_known_hosts(tmp_path, fleet)),
                       ssh_config=str(config))


# -- the reader alone --------------------------------------------------------------------------

def test_first_value_wins_and_tokens_expand(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYS", "/k")
    config = tmp_path / "config"
    config.write_text(
        "Host web !web-old\n  HostName %h.pemda.test\n  Port=2222\n"
        "  IdentityFile ~/keys/id_%r@%h:%p\n  IdentityFile \"${KEYS}/with space\" # comment\n"
        "Host *\n  HostName ignored\n  Port 22\n  User fallback\n"
        "  ProxyJump %r@bastion-%n\n  ProxyCommand never-used %h\n")
    found = resolve_host(load_config(config), "web", user=None, port=None, local_user="me",
                         home=Path("/home/me"))
    assert (found.hostname, found.port, found.user) == ("web.pemda.test", 2222, "fallback")
    assert found.identity_files == (Path("/home/me/keys/id_fallback@web.pemda.test:2222"),
                                    Path("/k/with space"))
    assert found.proxy_jump == "fallback@bastion-web" and found.proxy_command is None
    assert [(s.number, s.text) for s in found.sources][:3] == [
        (1, "Host web !web-old"), (2, "HostName %h.pemda.test"), (3, "Port 2222")]
    negated = resolve_host(load_config(config), "web-old", user="inv", port=2200,
                           local_user="me")
    assert (negated.hostname, negated.port, negated.user) == ("ignored", 2200, "inv")


def test_errors_name_the_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    for text, expected in [("Host a\n  IdentityFile ~/.ssh/%Z\n", "line 2: unknown token %Z"),
                           ("Port 99999\n", "line 1: Port '99999' is not a port number"),
                           ("Match all host x\n", "line 1: 'Match all' cannot be combined"),
                           ("Match user\n", "line 1: Match user needs a value"),
                           ('Host "a\n', "line 1: unterminated quote")]:
        config.write_text(text)
        with pytest.raises(SSHConfigError, match=expected) as caught:
            load_config(config)
        assert str(config) in str(caught.value)


def test_include_loop_and_depth_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ssh"
    folder.mkdir()
    (folder / "config").write_text("Include a.conf\n")
    (folder / "a.conf").write_text("Host x\n  Include b.conf\n")
    (folder / "b.conf").write_text("Include a.conf\n")
    with pytest.raises(SSHConfigError, match="forms a loop") as caught:
        load_config(folder / "config", folder)
    assert f"{folder / 'b.conf'} line 1" in str(caught.value)
    for level in range(20):
        (folder / f"n{level}.conf").write_text(f"Include n{level + 1}.conf\n")
    (folder / "config").write_text("Include n0.conf\n")
    with pytest.raises(SSHConfigError, match="nested deeper than 16"):
        load_config(folder / "config", folder)


def test_config_writable_by_others_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("Host a\n  ProxyCommand true\n")
    config.chmod(0o666)
    with pytest.raises(SSHConfigError, match="bad owner or permissions"):
        load_config(config)


def test_proxy_command_refuses_a_name_with_shell_metacharacters(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    config = tmp_path / "config"
    config.write_text(f'Host evil\n  HostName "x;touch {marker}"\n  ProxyCommand nc %h %p\n'
                      "Host dash\n  HostName -oProxyCommand=x\n  ProxyCommand nc %h %p\n")
    for name in ("evil", "dash"):
        with pytest.raises(SSHConfigError, match="characters a shell interprets"):
            resolve_host(load_config(config), name, user=None, port=None, local_user="me")
    assert not marker.exists()


# -- against the fleet -------------------------------------------------------------------------

@pytest.mark.sshd
def test_include_supplies_hostname_port_user_and_key(fleet: Fleet, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ssh = ssh_home(tmp_path, monkeypatch)
    (ssh / "conf.d").mkdir()
    (ssh / "conf.d" / "web.conf").write_text(
        f"Host web-alias\n  HostName 127.0.0.1\n  Port {fleet.host('deb12').port}\n"
        f"  User auditor\n  IdentityFile {fleet.client_key}\n")
    (ssh / "config").write_text("Include conf.d/*.conf\nHost *\n  Port 1\n  User nobody\n")
    inventory = load_inventory(write_inventory(tmp_path, [alias("web-alias")]))
    summary = scan(inventory, tmp_path / "b", options(tmp_path, fleet, ssh / "config"))
    assert [(r.status, r.reason) for r in summary.results] == [(HostStatus.OK, None)]
    assert facts(tmp_path / "b", "web-alias")["facts"]["os"]["id"] == "debian"


@pytest.mark.sshd
def test_match_host_applies_after_hostname(fleet: Fleet, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "Host db-alias\n  HostName 127.0.0.1\n  User auditor\n"
        "Match originalhost other-*\n  Port 1\n"
        "Match user root\n  Port 2\n"
        f"Match host 127.0.0.1 originalhost db-alias\n  Port {fleet.host('c7').port}\n"
        f"Match !host 10.* user aud*\n  IdentityFile {fleet.client_key}\n"
        "Match all\n  User root\n")
    inventory = load_inventory(write_inventory(tmp_path, [alias("db-alias")]))
    summary = scan(inventory, tmp_path / "b", options(tmp_path, fleet, config))
    assert [(r.status, r.reason) for r in summary.results] == [(HostStatus.OK, None)]
    assert facts(tmp_path / "b", "db-alias")["facts"]["os"]["id"] == "centos"


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line holds ``text`` (to see a ProxyCommand did not outlive its scan)."""
    found = []
    for entry_ in Path("/proc").iterdir():
        if entry_.name.isdigit():
            try:
                if text.encode() in (entry_ / "cmdline").read_bytes():
                    found.append(int(entry_.name))
            except OSError:
                continue
    return found


@pytest.mark.sshd
def test_proxy_command_reaches_the_inner_host_through_the_bastion(fleet: Fleet,
                                                                  tmp_path: Path) -> None:
    bastion, inner = fleet.host("bastion"), fleet.host("inner")
    known = write_known_hosts(tmp_path, fleet)
    config = tmp_path / "config"
    config.write_text(
        f"Host db-behind\n  HostName {INNER_NAME}\n  Port {inner.port}\n  User auditor\n"
        f"  IdentityFile {fleet.client_key}\n"
        f"  ProxyCommand ssh -F /dev/null -W %h:%p -i {fleet.client_key} -o BatchMode=yes "
        f"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes -p {bastion.port} "
        f"-l auditor 127.0.0.1\n")
    inventory = load_inventory(write_inventory(tmp_path, [alias("db-behind")]))
    summary = scan(inventory, tmp_path / "b", ScanOptions(
        timeout=TIMEOUT * 2, known_hosts=str(known), ssh_config=str(config)))
    assert [(r.status, r.reason) for r in summary.results] == [(HostStatus.OK, None)]
    assert facts(tmp_path / "b", "db-behind")["facts"]["os"]["id"] == "rocky"
    # Only the bastion resolves INNER_NAME: the ProxyCommand's ssh -W went through it.
    assert bastion.wait_log(f"target {INNER_NAME} port {inner.port}")
    assert _processes_mentioning(f"UserKnownHostsFile={known}") == []


@pytest.mark.sshd
def test_proxy_command_that_fails_says_what_it_said(fleet: Fleet, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("Host gone\n  ProxyCommand sh -c 'echo no route to %h >&2; exit 7'\n")
    inventory = load_inventory(write_inventory(tmp_path, [alias("gone")]))
    result = scan(inventory, tmp_path / "b", options(tmp_path, fleet, config)).results[0]
    assert result.status is HostStatus.UNREACHABLE
    assert "the ProxyCommand exited with code 7: it said 'no route to gone'" in str(result.reason)


@pytest.mark.sshd
def test_unsupported_directives_and_match_exec_are_warned_once_never_run(
        fleet: Fleet, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    marker = tmp_path / "exec-ran"
    config = tmp_path / "config"
    config.write_text(
        f'Match exec "touch {marker}"\n  Port 1\n'
        "Host *\n  LocalForward 8080 127.0.0.1:80\n  ControlMaster auto\n"
        "  ServerAliveInterval 30\n  IdentitiesOnly yes\n")
    hosts = [entry(fleet, "deb12"), entry(fleet, "rocky9")]
    inventory = load_inventory(write_inventory(tmp_path, hosts))
    with caplog.at_level(logging.WARNING, logger="auditor.ssh"):
        summary = scan(inventory, tmp_path / "b", options(tmp_path, fleet, config))
    assert [r.status for r in summary.results] == [HostStatus.OK, HostStatus.OK]
    assert not marker.exists()
    warned = [r.getMessage() for r in caplog.records if r.name == "auditor.ssh"]
    for directive in ("LocalForward", "ControlMaster", "Match exec"):
        assert len([w for w in warned if directive in w]) == 1, warned
    assert f"{config} line 1" in next(w for w in warned if "Match exec" in w)
    assert not any("ServerAliveInterval" in w or "IdentitiesOnly" in w for w in warned)


@pytest.mark.sshd
def test_cli_include_loop_exits_2_before_any_connection(fleet: Fleet, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Include loop.conf\n")
    (home / ".ssh" / "loop.conf").write_text("Host *\n  Include config\n")
    inventory = write_inventory(tmp_path, [entry(fleet, "deb12")])
    done = subprocess.run(cli("scan", str(inventory), "-o", str(tmp_path / "b")),
                          env=cli_env(home), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "forms a loop" in done.stderr and "loop.conf line 2" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "b" / "facts").exists()


@pytest.mark.sshd
def test_cli_verbose_shows_config_lines_keys_and_host_key_never_a_secret(
        fleet: Fleet, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh" / "conf.d").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Include conf.d/*\n")
    (home / ".ssh" / "conf.d" / "web").write_text(
        f"Host web-alias\n  HostName 127.0.0.1\n  Port {fleet.host('deb12').port}\n"
        f"  User auditor\n  IdentityFile {fleet.encrypted_key}\n  LocalForward 1 x:1\n")
    wrong_env = "AUDITOR_TEST_WRONG_PASSWORD"
    wrong = "not-the-Pa55word-91d3"
    hosts = [dict(alias("web-alias"), passphrase_env=PASSPHRASE_ENV),
             entry(fleet, "pw", key_file=None, password_env=PASSWORD_ENV),
             entry(fleet, "u2004", id="pwwrong", user="auditor", key_file=None,
                   password_env=wrong_env)]
    inventory = write_inventory(tmp_path, hosts)
    known = write_known_hosts(tmp_path, fleet)
    done = subprocess.run(
        cli("scan", str(inventory), "-o", str(tmp_path / "b"), "--known-hosts", str(known),
            "--verbose"),
        env=cli_env(home, {PASSWORD_ENV: fleet.password, PASSPHRASE_ENV: fleet.passphrase,
                           wrong_env: wrong}),
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    err = done.stderr
    web_conf = home / ".ssh" / "conf.d" / "web"
    assert f"web-alias: ssh config {web_conf} line 1: Host web-alias" in err
    assert f"web-alias: ssh config {web_conf} line 5: IdentityFile {fleet.encrypted_key}" in err
    assert "LocalForward" in err and "is not supported by auditor" in err
    assert f"web-alias: offering key {fleet.encrypted_key}" in err
    assert "web-alias: route: web-alias (auditor@127.0.0.1 port" in err
    assert f"matches {known} line " in err
    assert "pw: route: pw (auditor@127.0.0.1" in err and f"password from ${PASSWORD_ENV}" in err
    assert f"pw: trying the password from ${PASSWORD_ENV} as 'auditor'" in err
    assert "pwwrong: paramiko: Authentication (password) failed" in err
    assert "pwwrong: auth_failed: login as 'auditor' refused" in err
    for secret in (fleet.password, fleet.passphrase, wrong):
        assert secret not in err and secret not in done.stdout
    key_body = fleet.encrypted_key.read_text().splitlines()[1]
    assert key_body[:40] not in err


def test_cli_quiet_and_verbose_together_is_a_usage_error(tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path, [])
    done = subprocess.run(cli("scan", str(inventory), "-o", str(tmp_path / "b"), "-q", "-v"),
                          env=cli_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--quiet and --verbose" in done.stderr


@pytest.mark.sshd
def test_cli_warns_once_on_stderr_without_verbose_detail(fleet: Fleet, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Host *\n  PKCS11Provider /usr/lib/p11.so\n")
    inventory = write_inventory(tmp_path, [entry(fleet, "deb12"), entry(fleet, "rocky9")])
    known = write_known_hosts(tmp_path, fleet)
    args = ("scan", str(inventory), "-o", str(tmp_path / "b"), "--known-hosts", str(known))
    done = subprocess.run(cli(*args), env=cli_env(home), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("PKCS11Provider") == 1
    assert f"{home / '.ssh' / 'config'} line 2) is not supported by auditor" in done.stderr
    assert "paramiko" not in done.stderr and "route:" not in done.stderr
    quiet = subprocess.run(cli(*args, "-q"), env=cli_env(home), capture_output=True, text=True,
                           timeout=60)
    assert quiet.returncode == 0 and quiet.stderr == ""
