"""OpenSSH signatures on bundles: ssh-keygen verifies ours, agents sign, allowed_signers decide."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.allowed_signers import parse_allowed_signers
from auditor.bundle.sshsig import sign_ed25519
from auditor.errors import InputError
from conftest import run_cli

ORG = "32.99"   # the example inventory's organisation code
ZERO_KEY = "ssh-ed25519 " + base64.b64encode(
    b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(32)).decode()


def _keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "diskominfo", "-f",
                    str(path)], check=True)
    return path


def _pub(path: Path) -> str:
    return " ".join(Path(f"{path}.pub").read_text().split()[:2])


@pytest.fixture
def signed(example_bundle: Path, tmp_path: Path) -> tuple[Path, Path]:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    key = _keygen(tmp_path / "pemda")
    result = run_cli("bundle", "sign", str(bundle), "--key", str(key))
    assert result.returncode == 0, result.stderr
    return bundle, key


def _allowed(path: Path, line: str) -> Path:
    path.write_text(f"# organisation code, options, key\n{line}\n")
    return path


def test_ssh_keygen_verifies_a_bundle_signed_by_auditor(signed: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    bundle, key = signed
    allowed = _allowed(tmp_path / "allowed_signers",
                       f'{ORG} namespaces="auditor-bundle" {_pub(key)}')
    with (bundle / "manifest.json").open("rb") as manifest:
        checked = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", ORG,
                                  "-n", "auditor-bundle", "-s", str(bundle / "manifest.sig")],
                                 stdin=manifest, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert f'Good "auditor-bundle" signature for {ORG}' in checked.stdout
    ours = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(allowed))
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert f"for organisation {ORG}" in ours.stdout
    # the same key listed for another organisation does not vouch for this one
    other = _allowed(tmp_path / "other", f"11.01 {_pub(key)}")
    refused = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(other))
    assert refused.returncode == 1
    assert f"no allowed signer listed for organisation {ORG}" in refused.stdout


def test_valid_after_and_valid_before_are_checked_now_as_ssh_keygen_does(signed: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    bundle, key = signed
    revoked = _allowed(tmp_path / "revoked", f'{ORG} valid-before="20200101" {_pub(key)}')
    result = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(revoked))
    assert result.returncode == 1
    assert "after the key's valid-before 2020-01-01 (expired or revoked)" in result.stdout
    early = _allowed(tmp_path / "early", f'{ORG} valid-after="29991231Z" {_pub(key)}')
    result = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(early))
    assert result.returncode == 1 and "before the key's valid-after" in result.stdout
    other_ns = _allowed(tmp_path / "ns", f'{ORG} namespaces="file" {_pub(key)}')
    result = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(other_ns))
    assert result.returncode == 1 and "may not sign 'auditor-bundle'" in result.stdout
    current = _allowed(tmp_path / "current",
                       f'{ORG},11.* valid-after="20200101",valid-before="29990101" {_pub(key)}')
    assert run_cli("bundle", "verify", str(bundle), "--allowed-signers",
                   str(current)).returncode == 0


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[dict[str, str]]:
    if shutil.which("ssh-agent") is None:
        pytest.skip("ssh-agent is not installed (openssh-client)")
    socket = tmp_path / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):   # bounded: ten seconds at most
            if socket.exists() or process.poll() is not None:
                break
            time.sleep(0.02)
        assert socket.exists(), "ssh-agent did not start"
        yield {"SSH_AUTH_SOCK": str(socket)}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_a_key_held_by_ssh_agent_signs(example_bundle: Path, tmp_path: Path,
                                       agent: dict[str, str]) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(example_bundle, bundle)
    key = _keygen(tmp_path / "token")
    subprocess.run(["ssh-add", "-q", str(key)], env={**os.environ, **agent}, check=True,
                   capture_output=True)
    key.unlink()   # only the agent holds the private half now
    result = run_cli("bundle", "sign", str(bundle), "--key", f"{key}.pub", env=agent)
    assert result.returncode == 0, result.stderr
    allowed = _allowed(tmp_path / "allowed", f"{ORG} {_pub(key)}")
    verified = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(allowed))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    no_agent = run_cli("bundle", "sign", str(bundle), "--key", f"{key}.pub",
                       env={"SSH_AUTH_SOCK": str(tmp_path / "none.sock")})
    assert no_agent.returncode == 2 and "ssh-keygen could not sign" in no_agent.stderr


def test_old_json_signatures_still_verify_with_a_note(signed: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    bundle, key = signed
    private = serialization.load_ssh_private_key(key.read_bytes(), None)
    assert isinstance(private, Ed25519PrivateKey)
    body = (bundle / "manifest.json").read_bytes()
    (bundle / "manifest.sig").write_text(json.dumps({
        "format": "auditor.signature/1", "algorithm": "ed25519", "public_key": _pub(key),
        "signed_file": "manifest.json",
        "signature": base64.b64encode(private.sign(body)).decode()}))
    result = run_cli("bundle", "verify", str(bundle), "--pubkey", f"{key}.pub")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "note: signed in the old auditor.signature/1 format" in result.stderr
    (bundle / "manifest.json").write_bytes(body.replace(b'"created_at"', b'"created_at" '))
    assert run_cli("bundle", "verify", str(bundle), "--pubkey", f"{key}.pub").returncode == 1


def test_a_signature_for_another_namespace_does_not_count(signed: tuple[Path, Path]) -> None:
    bundle, key = signed
    with (bundle / "manifest.json").open("rb") as manifest:
        made = subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(key), "-n", "file"],
                              stdin=manifest, capture_output=True, check=True).stdout
    (bundle / "manifest.sig").write_bytes(made)
    result = run_cli("bundle", "verify", str(bundle), "--pubkey", f"{key}.pub")
    assert result.returncode == 1
    assert "signature made for namespace 'file', not 'auditor-bundle'" in result.stdout


def test_review_takes_an_allowed_signers_file(signed: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    bundle, key = signed
    allowed = _allowed(tmp_path / "allowed", f"{ORG} {_pub(key)}")
    result = run_cli("review", str(bundle), "-o", str(tmp_path / "review"), "--trusted-keys",
                     str(allowed), "-q")
    assert result.returncode == 0, result.stderr
    assert "verified" in (tmp_path / "review" / "review.csv").read_text()
    revoked = _allowed(tmp_path / "revoked", f'{ORG} valid-before="20200101" {_pub(key)}')
    result = run_cli("review", str(bundle), "-o", str(tmp_path / "review2"), "--trusted-keys",
                     str(revoked), "-q")
    assert result.returncode == 1
    assert "expired or revoked" in result.stderr


@pytest.mark.parametrize(("line", "message"), [
    ("32.73", "expected: PRINCIPALS"),
    ("32.73 ssh-ed25519 !!notbase64!!", "not valid base64"),
    ('32.73 valid-after=2026 ' + ZERO_KEY, "double quotes"),
    ('32.73 valid-after="2026" ' + ZERO_KEY, "is not a time"),
    ('32.73 cert-authority ' + ZERO_KEY, "not supported"),
    ('32.73 frobnicate="x" ' + ZERO_KEY, "unknown option"),
    ("32.73 ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB", "is not a ssh-ed25519 key"),
    ('32.73 namespaces="a ssh-ed25519 AAAA', "unclosed double quote"),
])
def test_bad_allowed_signers_lines_are_named(line: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_allowed_signers(f"# header\n{line}\n", "allowed")
    assert re.search(r"allowed:2: .*" + re.escape(message), str(raised.value)), str(raised.value)


def test_a_backdated_manifest_does_not_revive_a_revoked_key(signed: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    bundle, key = signed
    private = serialization.load_ssh_private_key(key.read_bytes(), None)
    assert isinstance(private, Ed25519PrivateKey)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["created_at"] = "2019-06-01T00:00:00Z"   # before the key's valid-before
    body = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()
    (bundle / "manifest.json").write_bytes(body)
    (bundle / "manifest.sig").write_bytes(sign_ed25519(private, body))
    revoked = _allowed(tmp_path / "revoked", f'{ORG} valid-before="20200101" {_pub(key)}')
    result = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(revoked))
    assert result.returncode == 1 and "expired or revoked" in result.stdout


def test_the_organisation_is_the_one_results_json_names(signed: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    bundle, key = signed
    private = serialization.load_ssh_private_key(key.read_bytes(), None)
    assert isinstance(private, Ed25519PrivateKey)
    results = json.loads((bundle / "results.json").read_text())
    results["organisation"]["code"] = "35.78"   # another pemda's results under 32.99's key
    (bundle / "results.json").write_text(json.dumps(results))
    import hashlib
    manifest = json.loads((bundle / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == "results.json":
            data = (bundle / "results.json").read_bytes()
            entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    body = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()
    (bundle / "manifest.json").write_bytes(body)
    (bundle / "manifest.sig").write_bytes(sign_ed25519(private, body))
    allowed = _allowed(tmp_path / "allowed", f"{ORG} {_pub(key)}")
    result = run_cli("bundle", "verify", str(bundle), "--allowed-signers", str(allowed))
    assert result.returncode == 1
    assert "results.json names '35.78'" in result.stdout


def test_a_signature_with_an_unknown_key_type_is_bad_not_a_crash(signed: tuple[Path, Path]
                                                                 ) -> None:
    bundle, _ = signed
    from auditor.bundle.sshsig import armor

    def field(value: bytes) -> bytes:
        return len(value).to_bytes(4, "big") + value

    odd_key = field(b"foo-bar") + field(b"x" * 32)
    blob = (b"SSHSIG" + (1).to_bytes(4, "big") + field(odd_key) + field(b"auditor-bundle")
            + field(b"") + field(b"sha512") + field(field(b"foo-bar") + field(b"y" * 64)))
    (bundle / "manifest.sig").write_bytes(armor(blob))
    result = run_cli("bundle", "verify", str(bundle), "--any-signer")
    assert result.returncode == 1, result.stderr
    assert "bad_signature" in result.stdout and "internal error" not in result.stderr


def test_review_reads_allowed_signers_whose_comment_has_a_colon(signed: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    bundle, key = signed
    allowed = _allowed(tmp_path / "allowed", f"{ORG} {_pub(key)} Diskominfo: kunci 2026")
    result = run_cli("review", str(bundle), "-o", str(tmp_path / "review"), "--trusted-keys",
                     str(allowed), "-q")
    assert result.returncode == 0, result.stderr
