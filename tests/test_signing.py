"""Signed bundles: keys from the real ssh-keygen, and every way a bundle can be tampered with."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import fingerprint, load_public_key, safe_relative, verify_bundle
from auditor.bundle.sshsig import sign_ed25519
from conftest import REPO

ENTRY = [sys.executable, "-m", "auditor"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full["PYTHONPATH"] = str(REPO) + os.pathsep + full.get("PYTHONPATH", "")
    full.update(env or {})
    return subprocess.run([*ENTRY, *args], env=full, capture_output=True, text=True,
                          timeout=120, check=False)


def keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "diskominfo",
                    "-f", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    keygen(folder / "pemda")
    keygen(folder / "other")
    keygen(folder / "locked", "correct horse battery")
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f",
                    str(folder / "rsa")], check=True)
    pem = Ed25519PrivateKey.generate()
    (folder / "pem.key").write_bytes(pem.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "pem.pub").write_bytes(pem.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return folder


@pytest.fixture
def bundle(example_bundle: Path, tmp_path: Path, keys: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(example_bundle, copy)
    result = run("bundle", "sign", str(copy), "--key", str(keys / "pemda"))
    assert result.returncode == 0, result.stderr
    return copy


def verify(bundle: Path, pubkey: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run("bundle", "verify", str(bundle), *(["--pubkey", str(pubkey)] if pubkey else []))


def test_round_trip_with_ssh_keygen_keys(bundle: Path, keys: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    paths = [f["path"] for f in manifest["files"]]
    assert paths == sorted(paths)
    assert {"results.json", "inventory.yaml", "report.html"} <= set(paths)
    assert "manifest.json" not in paths and "manifest.sig" not in paths
    assert any(p.startswith("facts/") for p in paths)
    assert manifest["organisation"] == {"code": "32.99"}
    assert manifest["spec"]["id"] == "spbe-dc-pemda"
    keygen_print = subprocess.run(["ssh-keygen", "-lf", str(keys / "pemda.pub")], check=True,
                                  capture_output=True, text=True).stdout.split()[1]
    assert (bundle / "manifest.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")
    result = verify(bundle, keys / "pemda.pub")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {bundle}: {len(paths)} files unaltered, signed by {keygen_print}" in result.stdout
    result = verify(bundle)   # who signed is not checked: not a pass
    assert result.returncode == 1
    assert "the signer was not checked" in result.stderr and keygen_print in result.stderr
    result = run("bundle", "verify", str(bundle), "--any-signer")
    assert result.returncode == 0 and "(any signer accepted)" in result.stdout


def test_passphrase_key_from_environment(bundle: Path, keys: Path) -> None:
    result = run("bundle", "sign", str(bundle), "--key", str(keys / "locked"))
    assert result.returncode == 2
    assert "encrypted" in result.stderr and "--passphrase-env" in result.stderr
    result = run("bundle", "sign", str(bundle), "--key", str(keys / "locked"),
                 "--passphrase-env", "PEMDA_KEY_PASS", env={"PEMDA_KEY_PASS": "wrong"})
    assert result.returncode == 2 and "wrong passphrase (in PEMDA_KEY_PASS)" in result.stderr
    assert "wrong" not in result.stderr.replace("wrong passphrase", "")
    result = run("bundle", "sign", str(bundle), "--key", str(keys / "locked"),
                 "--passphrase-env", "PEMDA_KEY_PASS",
                 env={"PEMDA_KEY_PASS": "correct horse battery"})
    assert result.returncode == 0, result.stderr
    assert "correct horse" not in result.stdout + result.stderr
    assert verify(bundle, keys / "locked.pub").returncode == 0


def test_pem_and_rsa_keys(bundle: Path, keys: Path) -> None:
    assert run("bundle", "sign", str(bundle), "--key", str(keys / "pem.key")).returncode == 0
    assert verify(bundle, keys / "pem.pub").returncode == 0
    assert fingerprint(load_public_key(keys / "pem.pub")) in verify(bundle).stderr
    # other key types sign through ssh-keygen -Y sign and verify here
    result = run("bundle", "sign", str(bundle), "--key", str(keys / "rsa"))
    assert result.returncode == 0, result.stderr
    assert verify(bundle, keys / "rsa.pub").returncode == 0
    assert verify(bundle, keys / "pemda.pub").returncode == 1
    result = verify(bundle.parent / "no-such-bundle", keys / "pemda.pub")
    assert result.returncode == 2 and "no such bundle folder" in result.stderr


def test_altered_missing_and_extra_files_are_named(bundle: Path, keys: Path) -> None:
    results = bundle / "results.json"
    results.write_text(results.read_text().replace('"migrate"', '"compliant"'))
    facts = sorted((bundle / "facts").iterdir())[0]
    facts.unlink()
    (bundle / "facts" / "smuggled.json").write_text("{}")
    result = verify(bundle, keys / "pemda.pub")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "altered: results.json: content differs from the manifest" in lines
    assert f"missing: facts/{facts.name}: listed in the manifest but not in the bundle" in lines
    assert "extra: facts/smuggled.json: not listed in the manifest" in lines
    assert "FAILED" in result.stderr


def test_altered_manifest_breaks_the_signature(bundle: Path, keys: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    results = bundle / "results.json"
    results.write_text(results.read_text().replace('"migrate"', '"compliant"'))
    import hashlib
    for entry in manifest["files"]:  # the forger updates the hash too
        if entry["path"] == "results.json":
            entry["sha256"] = hashlib.sha256(results.read_bytes()).hexdigest()
            entry["bytes"] = results.stat().st_size
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    result = verify(bundle, keys / "pemda.pub")
    assert result.returncode == 1
    assert "bad_signature: manifest.json: the signature does not match manifest.json" \
        in result.stdout


def test_wrong_key_and_unsigned(bundle: Path, keys: Path) -> None:
    result = verify(bundle, keys / "other.pub")
    assert result.returncode == 1
    assert "untrusted_key: manifest.sig: signed by key SHA256:" in result.stdout
    # re-signed by an attacker's own key: valid signature, wrong signer
    assert run("bundle", "sign", str(bundle), "--key", str(keys / "other")).returncode == 0
    assert verify(bundle, keys / "pemda.pub").returncode == 1
    (bundle / "manifest.sig").unlink()
    result = verify(bundle, keys / "pemda.pub")
    assert result.returncode == 1
    assert "unsigned: manifest.sig: no signature" in result.stdout
    (bundle / "manifest.json").unlink()
    result = verify(bundle, keys / "pemda.pub")
    assert result.returncode == 1 and "the bundle was never signed" in result.stdout


def test_hostile_manifest_paths_and_symlinks(bundle: Path, keys: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("not part of the bundle")
    (bundle / "facts" / "link.json").symlink_to(secret)
    result = run("bundle", "sign", str(bundle), "--key", str(keys / "pemda"))
    assert result.returncode == 2
    assert "facts/link.json" in result.stderr and "outside the bundle" in result.stderr
    (bundle / "facts" / "link.json").unlink()
    # a manifest that names files outside the bundle, signed by the right key
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"] += [{"path": "../outside.txt", "sha256": "0" * 64, "bytes": 1},
                          {"path": "/etc/passwd", "sha256": "0" * 64, "bytes": 1}]
    body = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()
    key = serialization.load_ssh_private_key((keys / "pemda").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    (bundle / "manifest.json").write_bytes(body)
    (bundle / "manifest.sig").write_bytes(sign_ed25519(key, body))
    outcome = verify_bundle(bundle, [load_public_key(keys / "pemda.pub")])
    assert not outcome.ok
    kinds = {(str(p.kind), p.detail) for p in outcome.problems}
    assert ("unsafe_path", "'..', '.' or an empty part in the path") in kinds
    assert ("unsafe_path", "absolute path") in kinds
    assert not any(p.kind == "missing" for p in outcome.problems)
    # an escaping symlink in place of a listed file is reported, never read
    facts = sorted((bundle / "facts").iterdir())[0]
    facts.unlink()
    facts.symlink_to(secret)
    result = verify(bundle, keys / "pemda.pub")
    assert result.returncode == 1
    assert f"unsafe_path: facts/{facts.name}: symlink pointing outside the bundle" \
        in result.stdout


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a/.",
                                  "a\\..\\b", "a\x00b", "", "manifest.sig", 7, None,
                                  "x" * 2000, "a\nb"])
def test_unsafe_manifest_paths_are_refused(path: object) -> None:
    assert safe_relative(path) is not None


@pytest.mark.parametrize("path", ["results.json", "facts/web-01.json", "facility/ruang.a.yaml",
                                  "reports/..hidden", "évidence/foto pintu.jpg"])
def test_ordinary_paths_are_accepted(path: str) -> None:
    assert safe_relative(path) is None
