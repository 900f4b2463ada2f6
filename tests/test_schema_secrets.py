"""A secret typed into the wrong field of an inventory is never echoed by a schema message."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

SECRETS = ("S3cr3t pass!", "hunter2 hunter2", "Pl41nText!", "xyzzy-secret", "9876-5432")

INVENTORY = """\
version: 1
organisation: {code: "32.73", name: Pemerintah Kota Contoh, level: kota}
defaults: {password_env: "S3cr3t pass!"}
sites:
  - {id: ruang-server, name: Ruang Server, kind: server_room}
hosts:
  - id: web-01
    site: ruang-server
    address: 127.0.0.1
    password_env: "hunter2 hunter2"
  - {id: web-02, site: ruang-server, address: 127.0.0.1, password: "Pl41nText!"}
  - {id: web-03, site: ruang-server, address: 127.0.0.1, passphrase_env: ["xyzzy-secret"]}
  - {id: web-04, site: ruang-server, address: 127.0.0.1, key_file: k, passphrase_env: 9876-5432}
"""


def test_validate_names_file_line_and_field_but_never_the_value(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY)
    done = run_cli("inventory", "validate", str(inventory))
    assert done.returncode == 2, done.stderr
    out = done.stdout + done.stderr
    for secret in SECRETS:
        assert secret not in out
    assert (f"{inventory}:3: defaults.password_env: the value given (12 characters) is not a "
            "valid environment variable name") in out
    assert (f"{inventory}:10: hosts[0].password_env: the value given (15 characters) is not a "
            "valid environment variable name") in out
    assert "never the secret itself" in out
    assert f"{inventory}:11: hosts[1].password: passwords are never written" in out
    assert f"{inventory}:12: hosts[2].passphrase_env: expected string, got a list" in out
    assert f"{inventory}:13: hosts[3].passphrase_env: the value given (9 characters)" in out
    assert "Traceback" not in out


def test_other_fields_still_show_the_value_that_is_wrong(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY.replace('password_env: "hunter2 hunter2"', 'user: "bad user"')
                         .replace('defaults: {password_env: "S3cr3t pass!"}', "defaults: {}"))
    done = run_cli("inventory", "validate", str(inventory))
    assert done.returncode == 2
    assert "hosts[0].user: 'bad user' does not match" in done.stdout + done.stderr
