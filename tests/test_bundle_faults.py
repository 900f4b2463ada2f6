"""Ordinary inputs and faults end to end: portable bundles, refused specs, one writer, disks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from auditor.bundle.folder import LOCK_NAME, bundle_lock
from conftest import EXAMPLE, REPO, run_cli
from fleet import Fleet, Tarpit, sshd_available


def _inventory_with_relative_key(fleet: Fleet, folder: Path) -> Path:
    """An inventory like a pemda writes one: key file and answers beside it, by relative path."""
    (folder / "keys").mkdir(parents=True)
    shutil.copy2(fleet.client_key, folder / "keys" / "id_ed25519")
    (folder / "keys" / "id_ed25519").chmod(0o600)
    shutil.copytree(EXAMPLE.parent / "facility", folder / "answers")
    (folder / "answers" / "ruang-server-balaikota.yaml").rename(folder / "answers" / "room.yaml")
    deb12 = fleet.host("deb12")
    inventory = {
        "version": 1,
        "organisation": {"code": "32.99", "name": "Pemerintah Kota Contoh", "level": "kota"},
        "defaults": {"user": "auditor", "key_file": "keys/id_ed25519"},
        "sites": [{"id": "ruang-server-balaikota", "name": "Ruang Server", "kind": "server_room",
                   "facility": "answers/room.yaml"}],
        "hosts": [{"id": "deb12", "site": "ruang-server-balaikota", "address": deb12.address,
                   "port": deb12.port}],
    }
    path = folder / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    (folder / "known_hosts").write_text(deb12.known_hosts_line())
    return path


@pytest.mark.sshd
def test_relative_key_paths_audit_with_any_output_and_the_bundle_moves(
        fleet: Fleet, tmp_path: Path) -> None:
    work = tmp_path / "work"
    inventory = _inventory_with_relative_key(fleet, work / "pemda")
    assert inventory == work / "pemda" / "inventory.yaml"
    known = str(work / "pemda" / "known_hosts")
    # -o relative to the current folder, and -o in a folder far from the inventory
    for output in ("bundle-relative", str(tmp_path / "elsewhere" / "deep" / "bundle")):
        result = run_cli("audit", "pemda/inventory.yaml", "-o", output, "--known-hosts", known,
                         "-q", cwd=work)
        assert result.returncode == 1, result.stderr   # the room fails controls: found, not broken
        bundle = Path(output) if Path(output).is_absolute() else work / output
        facts = json.loads((bundle / "facts" / "deb12.json").read_text())
        assert facts["status"] == "ok"
        assert (bundle / "report.html").is_file()
        assert not (bundle / LOCK_NAME).exists()
    # the bundle moved to another machine: no key file, no inventory folder
    moved = tmp_path / "central-office" / "bundle"
    shutil.move(str(tmp_path / "elsewhere" / "deep" / "bundle"), moved)
    shutil.rmtree(work)
    before = json.loads((moved / "results.json").read_text())
    check = run_cli("check", str(moved), "-q")
    assert check.returncode == 1, check.stderr
    after = json.loads((moved / "results.json").read_text())
    assert [s["verdict"] for s in after["sites"]] == [s["verdict"] for s in before["sites"]]
    assert after["sites"][0]["answered"] is True
    report = run_cli("report", str(moved), "--format", "html,md,csv")
    assert report.returncode == 0, report.stderr
    assert (moved / "findings.csv").is_file()


def test_a_bundle_whose_inventory_names_missing_files_still_checks(example_bundle: Path,
                                                                    tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    copy = yaml.safe_load((bundle / "inventory.yaml").read_text())
    copy["sites"][0]["facility"] = "gone/answers.yaml"
    copy["defaults"] = {"key_file": "/nowhere/id_ed25519"}
    (bundle / "inventory.yaml").write_text(yaml.safe_dump(copy))
    result = run_cli("check", str(bundle), "-q")
    assert result.returncode in (0, 1), result.stderr
    results = json.loads((bundle / "results.json").read_text())
    assert results["sites"][0]["answered"] is True   # the bundle's own facility/SITE.yaml


def _broken_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(REPO / "specs", spec)
    host = spec / "controls" / "host.yaml"
    text = host.read_text()
    assert "op: is_true}" in text
    host.write_text(text.replace("op: is_true}", "op: frobnicate}", 1))
    return spec


def test_rejudging_with_a_spec_lint_refuses_exits_2_and_keeps_results(
        example_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    kept = (bundle / "results.json").read_bytes()
    spec = _broken_spec(tmp_path)
    result = run_cli("check", str(bundle), "--spec", str(spec))
    assert result.returncode == 2
    assert "fails 'auditor spec lint'" in result.stderr
    assert "host.yaml:" in result.stderr and "unknown operator 'frobnicate'" in result.stderr
    assert "Traceback" not in result.stderr
    assert (bundle / "results.json").read_bytes() == kept
    audit = run_cli("audit", str(EXAMPLE), "-o", str(tmp_path / "new"), "--spec", str(spec))
    assert audit.returncode == 2
    assert not (tmp_path / "new").exists()   # refused before anything was scanned


def test_rejudging_with_an_overlay_of_the_wrong_kind_exits_2(example_bundle: Path,
                                                             tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    kept = (bundle / "results.json").read_bytes()
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("overlay: 1\nid: kota\ncontrols:\n  HOST-SSH-MAX-AUTH-TRIES:\n"
                       "    params: {max_auth_tries: four}\n")
    result = run_cli("check", str(bundle), "--overlay", str(overlay))
    assert result.returncode == 2
    assert (f"{overlay}:5: controls.HOST-SSH-MAX-AUTH-TRIES.params.max_auth_tries: expected a "
            "number") in result.stderr
    assert (bundle / "results.json").read_bytes() == kept


def test_a_second_writer_is_refused_and_names_the_first(example_bundle: Path,
                                                        tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    kept = (bundle / "results.json").read_bytes()
    with bundle_lock(bundle, "scan"):
        for args in (("check", str(bundle)), ("report", str(bundle)),
                     ("scan", str(EXAMPLE), "-o", str(bundle)),
                     ("audit", str(EXAMPLE), "-o", str(bundle))):
            result = run_cli(*args)
            assert result.returncode == 2, (args, result.stderr)
            assert "another auditor command is writing this bundle" in result.stderr
            assert f"pid {os.getpid()}, auditor scan" in result.stderr
    assert (bundle / "results.json").read_bytes() == kept
    assert not (bundle / LOCK_NAME).exists()
    assert run_cli("check", str(bundle), "-q").returncode in (0, 1)


@pytest.mark.sshd
def test_two_scans_into_one_folder_do_not_interleave(pit: Tarpit, tmp_path: Path) -> None:
    reason = sshd_available()
    if reason:
        pytest.skip(reason)
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    slow = tmp_path / "slow.yaml"
    slow.write_text(yaml.safe_dump({
        "version": 1, "organisation": {"code": "32.99", "name": "Kota", "level": "kota"},
        "sites": [{"id": "room", "name": "Room", "kind": "server_room"}],
        "hosts": [{"id": "stuck", "site": "room", "address": "127.0.0.1", "port": pit.port,
                   "user": "auditor", "key_file": str(key)}]}))
    bundle = tmp_path / "bundle"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    first = subprocess.Popen([sys.executable, "-m", "auditor", "scan", str(slow), "-o",
                              str(bundle), "--timeout", "30", "-q"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 30
        while not (bundle / "inventory.yaml").exists() and time.monotonic() < end:
            time.sleep(0.05)
        assert (bundle / LOCK_NAME).exists()
        second = run_cli("scan", str(EXAMPLE), "-o", str(bundle), "-q")
        assert second.returncode == 2
        assert f"pid {first.pid}, auditor scan" in second.stderr
        # the first run's inventory is the one in the bundle: nothing was replaced
        assert "stuck" in (bundle / "inventory.yaml").read_text()
    finally:
        first.send_signal(signal.SIGKILL)   # a crash: the kernel releases its lock
        first.wait(timeout=30)
    after = run_cli("scan", str(EXAMPLE), "-o", str(bundle), "-q")
    assert after.returncode == 0, after.stderr
    assert not (bundle / LOCK_NAME).exists()


def test_signing_ignores_a_lock_left_by_a_crash(example_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    assert run_cli("bundle", "sign", str(bundle), "--key", str(key)).returncode == 0
    (bundle / LOCK_NAME).write_text("pid 1, auditor scan, since 2026-01-01T00:00:00Z\n")
    verified = run_cli("bundle", "verify", str(bundle), "--pubkey", f"{key}.pub")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _in_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (mounts vanish with it).

    The script exits 99 when its mount fails: the test is then skipped with the kernel's words.
    """
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare for a private mount namespace")
    env = dict(os.environ, PYTHONPATH=str(REPO), PY=sys.executable, EXAMPLE=str(EXAMPLE),
               T=str(tmp_path))
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                             script], env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    if result.returncode == 99:   # the script's mount failed
        pytest.skip(f"the kernel refused the test's mount: {result.stderr.strip()}")
    return result


def test_a_read_only_folder_is_named_with_its_cause(example_bundle: Path,
                                                    tmp_path: Path) -> None:
    shutil.copytree(example_bundle, tmp_path / "ro" / "bundle")
    result = _in_namespace(
        'mount --bind -o ro "$T/ro" "$T/ro" || exit 99\n'
        '"$PY" -m auditor check "$T/ro/bundle" -q; echo "check=$?"\n'
        '"$PY" -m auditor audit "$EXAMPLE" -o "$T/ro/new" -q; echo "audit=$?"\n', tmp_path)
    assert "check=5" in result.stdout and "audit=5" in result.stdout, result.stderr
    assert f"cannot create the lock file {tmp_path}/ro/bundle/{LOCK_NAME}: Read-only file " \
           "system" in result.stderr
    assert f"cannot create folder {tmp_path}/ro/new: Read-only file system" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_a_full_disk_is_named_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    result = _in_namespace(
        'mount -t tmpfs -o size=48k tmpfs "$T/disk" || exit 99\n'
        '"$PY" -m auditor audit "$EXAMPLE" -o "$T/disk/bundle" -q; echo "audit=$?"\n'
        'find "$T/disk" -name "*.tmp" -o -name ".auditor.lock" | sed "s/^/left: /"\n'
        'test -e "$T/disk/bundle/results.json" && echo "results written" || true\n', tmp_path)
    assert "audit=5" in result.stdout, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert "No space left on device" in lines[0] and f"{tmp_path}/disk/bundle/" in lines[0]
    assert "left:" not in result.stdout
    assert "results written" not in result.stdout
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_a_symlinked_lock_in_a_received_bundle_is_refused_and_its_target_kept(
        example_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (bundle / LOCK_NAME).symlink_to(victim)
    result = run_cli("check", str(bundle), "-q")
    assert result.returncode == 2
    assert "not a plain file" in result.stderr
    assert victim.read_text() == "precious\n"
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (bundle / LOCK_NAME).unlink()
    assert run_cli("bundle", "sign", str(bundle), "--key", str(key)).returncode == 0
    (bundle / LOCK_NAME).symlink_to(victim)   # added after signing: named, not ignored
    verified = run_cli("bundle", "verify", str(bundle), "--pubkey", f"{key}.pub")
    assert verified.returncode == 1
    assert f"{LOCK_NAME}" in verified.stdout


def test_an_os_error_that_is_not_the_disks_is_a_bug_with_its_log(tmp_path: Path) -> None:
    code = ("import errno, sys\n"
            "import auditor.cli.main as c\n"
            "@c.cli.command('boom')\n"
            "def boom() -> None:\n"
            "    raise OSError(errno.ECONNRESET, 'reset by peer')\n"
            "sys.argv = ['auditor', 'boom']\n"
            "c.main()\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_STATE_HOME=str(tmp_path / "state"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 4
    assert "internal error (ConnectionResetError)" in result.stderr
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "state" / "auditor").glob("crash-*.log"))
