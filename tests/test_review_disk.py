"""The review on a full disk or a read-only folder: one line naming the file, no temp left.

Each run happens inside its own mount namespace (unshare --mount) on a small tmpfs, so the
disk really fills; the test skips, saying why, where the kernel refuses the namespace.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from auditor.errors import ExitCode
from conftest import REPO

# Positional arguments: mount point, folder for the results, python, then the tmpfs sizes.
# Each size gets a fresh tmpfs; the run's exit code, its stderr and every path left on the
# tmpfs are written outside it, since the tmpfs goes with the namespace.
FILL_SCRIPT = r"""
set -u
mp=$1; results=$2; python=$3; shift 3
for size in "$@"; do
  mount -t tmpfs -o "size=$size" tmpfs "$mp" || exit 90
  "$python" -m auditor review "$results"/bundles/* -o "$mp/out" --quiet \
    2>"$results/err.$size" >/dev/null
  echo $? >"$results/rc.$size"
  (cd "$mp" && find . -mindepth 1) >"$results/files.$size"
  umount "$mp" || exit 91
done
"""

USER_FAULT = {int(ExitCode.FILE_SYSTEM)}
"""The user's problem, not a bug (4): the file-system exit code (FileSystemError)."""


def one_line_fault(err: str, path_prefix: str, cause: str) -> str:
    """The file a single-line fault message names (after ``path_prefix``), checking its cause.

    The cause may come capitalised and with a hint after it (FileSystemError's wording).
    """
    match = re.fullmatch(rf"error: cannot write {re.escape(path_prefix)}(\S*): "
                         rf"{re.escape(cause)}( \(.+\))?\n?", err, re.IGNORECASE)
    assert match, err
    return match.group(1)


READ_ONLY_SCRIPT = r"""
set -u
mp=$1; results=$2; python=$3
mount -t tmpfs -o size=4m tmpfs "$mp" || exit 90
mkdir "$mp/out"
mount -o remount,ro "$mp" || exit 92
for out in "$mp/out" "$mp/new/out"; do
  "$python" -m auditor review "$results"/bundles/* -o "$out" --quiet 2>>"$results/err" >/dev/null
  echo $? >>"$results/rc"
done
(cd "$mp" && find . -mindepth 1) >"$results/files"
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _namespace_refused(mount_point: Path) -> str | None:
    """Why this machine cannot mount a tmpfs in a private mount namespace, or None."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs unshare and mount (util-linux)"
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$1"', "sh",
         str(mount_point)], capture_output=True, text=True, timeout=60, check=False)
    if probe.returncode != 0:
        return f"the kernel refuses a tmpfs in a mount namespace: {probe.stderr.strip()[:200]}"
    return None


def _in_namespace(script: str, *args: str) -> None:
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", *args],
                            env=_env(), capture_output=True, text=True, timeout=900,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture()
def bundles(example_bundle: Path, tmp_path: Path) -> Path:
    """Three signed bundles with their report.html: the review writes every kind of file."""
    reason = _namespace_refused(tmp_path)
    if reason:
        pytest.skip(reason)
    root = tmp_path / "results"
    for number in range(3):
        folder = root / "bundles" / f"b{number}"
        shutil.copytree(example_bundle, folder)
        results = (folder / "results.json").read_text()
        (folder / "results.json").write_text(results.replace(
            '"code": "', f'"code": "9{number}.', 1))
        sign_bundle(folder, Ed25519PrivateKey.generate())
    return root


def test_full_disk_at_every_stage_ends_in_one_line_and_no_temp_file(bundles: Path,
                                                                     tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    done = subprocess.run([sys.executable, "-m", "auditor", "review",
                           *map(str, sorted((bundles / "bundles").iterdir())), "-o", str(whole),
                           "--quiet"], env=_env(), capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr
    need = sum(p.stat().st_size for p in whole.rglob("*") if p.is_file())
    files = sum(1 for p in whole.rglob("*"))
    # tmpfs counts whole 4 KiB pages per file: from a nearly empty disk to enough room
    sizes = sorted({max(4, (need + files * 4096) * step // 12 // 4096 * 4) for step in
                    range(1, 16)})
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    _in_namespace(FILL_SCRIPT, str(mount_point), str(bundles), sys.executable,
                  *(f"{kib}k" for kib in sizes))
    failed_on: set[str] = set()
    succeeded = 0
    for kib in sizes:
        rc = int((bundles / f"rc.{kib}k").read_text())
        err = (bundles / f"err.{kib}k").read_text()
        left = (bundles / f"files.{kib}k").read_text().split()
        assert not [f for f in left if f.endswith(".tmp")], (kib, left)
        if rc == 0:
            succeeded += 1
            assert "./out/review.sqlite" in left and "./out/index.html" in left
            continue
        assert rc in USER_FAULT, (kib, rc, err)
        failed_on.add(one_line_fault(err, f"{mount_point}/out", "no space left on device"))
        assert "./out/review.sqlite" not in left  # the database appears only when all is done
    assert succeeded and "/review.sqlite" in failed_on, (sizes, failed_on)
    assert len(failed_on) >= 2, failed_on  # the disk filled at more than one stage


def test_read_only_output_folder_is_said_plainly(bundles: Path, tmp_path: Path) -> None:
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    _in_namespace(READ_ONLY_SCRIPT, str(mount_point), str(bundles), sys.executable)
    assert {int(rc) for rc in (bundles / "rc").read_text().split()} <= USER_FAULT
    first, second = (bundles / "err").read_text().splitlines()
    assert one_line_fault(first, str(mount_point), "read-only file system") == "/out/review.sqlite"
    assert one_line_fault(second, str(mount_point), "read-only file system") in ("/new/out",
                                                                                 "/new")
    assert (bundles / "files").read_text().split() == ["./out"]
